import Foundation
import Glibc
import Testing
import SluicePostgres
import SluicePostgresTestSupport
import SluiceTestSupport

/// The `sluice` executable's demo job, killed and stopped for real, each test in its own
/// database (the demo's table names are fixed).
@Suite("sluice run as a process: SIGKILL, SIGTERM, two at once (issue 13)", .serialized)
struct JobProcessTests {
    func setUp(_ name: String) async throws -> (url: String, dir: URL, env: [String: String]) {
        let url = try await TestServer.freshDatabase(name)
        let dir = try Fixtures.temporaryDirectory("jobproc")
        return (url, dir, ["DATABASE_URL": url, "SLUICE_DEMO_ROWS": "3000", "SLUICE_DROP_DIR": dir.appendingPathComponent("drop").path])
    }

    func scalar(_ url: String, _ sql: String) throws -> String? {
        let c = try PostgresConnection(PostgresConfiguration(url))
        defer { c.close() }
        return try c.rows(sql).first?.first ?? nil
    }

    @Test("SIGKILL inside the publishing transaction: the night's old rows stay, the run is abandoned by the next, which succeeds")
    func sigkillDuringPublish() async throws {
        let (url, dir, env) = try await setUp("kill")
        let first = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01"], environment: env, in: dir)
        #expect(first.wait() == 0, "\(first.stderr)")
        let before = try scalar(url, "SELECT count(*) || ':' || max(run_id) FROM churn_predictions")

        var faulty = env
        faulty["SLUICE_FAULT"] = "commit:sleep:60"
        let killed = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01"], environment: faulty, in: dir)
        #expect(try await killed.waitFor("pausing at commit"), "\(killed.stderr)")
        killed.signal(SIGKILL)
        #expect(killed.wait() == -SIGKILL)
        #expect(try scalar(url, "SELECT count(*) || ':' || max(run_id) FROM churn_predictions") == before)
        #expect(try scalar(url, "SELECT status FROM sluice.runs ORDER BY run_id DESC LIMIT 1") == "running")

        let rerun = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01"], environment: env, in: dir)
        #expect(rerun.wait() == 0, "\(rerun.stderr)")
        #expect(try scalar(url, "SELECT string_agg(status, ',' ORDER BY run_id) FROM sluice.runs") == "succeeded,abandoned,succeeded")
        #expect(try scalar(url, "SELECT count(*) FROM churn_predictions") == before.map { String($0.prefix { $0 != ":" }) })
        // No staging table of the killed run is left.
        #expect(try scalar(url, "SELECT count(*) FROM pg_class WHERE relname LIKE 'churn_predictions_%' AND relkind IN ('r', 'p') AND NOT relispartition") == "0")
    }

    @Test("two runs at once: the second exits 75 and writes nothing")
    func twoAtOnce() async throws {
        let (url, dir, env) = try await setUp("two")
        var slow = env
        slow["SLUICE_FAULT"] = "fit:sleep:60"
        let holder = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01"], environment: slow, in: dir)
        #expect(try await holder.waitFor("pausing at fit"), "\(holder.stderr)")
        let runs = try scalar(url, "SELECT count(*) FROM sluice.runs")
        let second = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01"], environment: env, in: dir)
        #expect(second.wait() == 75, "\(second.stderr)")
        #expect(second.stderr.contains("another run holds the job's lock"))
        #expect(try scalar(url, "SELECT count(*) FROM sluice.runs") == runs)
        holder.signal(SIGKILL)
        _ = holder.wait()
    }

    @Test("shards as processes: two `sluice run --shard` side by side per job (table and CSV drop), then one `--publish` each")
    func shardProcesses() async throws {
        let (url, dir, env) = try await setUp("shardproc")
        for job in ["churn", "churn_drop"] {
            let trained = try SluiceProcess(["run", job, "--logical-date", "2026-12-01", "--mode", "train"], environment: env, in: dir)
            #expect(trained.wait() == 0, "\(trained.stderr)")
            // Both shards run at once, each its own process and connection.
            let shards = try (0..<2).map { k in
                try SluiceProcess(["run", job, "--logical-date", "2026-12-01", "--shard", "\(k)/2"], environment: env, in: dir)
            }
            for s in shards { #expect(s.wait() == 0, "\(s.stderr)") }
            let table = "\(job)_predictions"
            #expect(try scalar(url, "SELECT count(*) FROM pg_class WHERE relname = '\(table)' AND relkind = 'p'") == "1")
            #expect(try scalar(url, "SELECT count(*) FROM \(table)") == "0", "staged, not yet published")
            let publish = try SluiceProcess(["run", job, "--logical-date", "2026-12-01", "--publish"], environment: env, in: dir)
            #expect(publish.wait() == 0, "\(publish.stderr)")
            #expect(try scalar(url, "SELECT count(DISTINCT shard) || ' ' || (count(*) = count(DISTINCT customer_id)) FROM \(table)") == "2 true")
            #expect(try scalar(url, "SELECT status || ' ' || mode || ' ' || (rows_written > 0) FROM sluice.runs WHERE job = '\(job)' ORDER BY run_id DESC LIMIT 1")
                    == "succeeded shards/2 true")
            #expect(try scalar(url, "SELECT rows_written::text FROM sluice.runs WHERE job = '\(job)' ORDER BY run_id DESC LIMIT 1")
                    == scalar(url, "SELECT count(*)::text FROM \(table)"))
        }
        // Every unlabelled customer of the table job, once.
        #expect(try scalar(url, "SELECT count(*) FROM churn WHERE churned IS NULL") == scalar(url, "SELECT count(*) FROM churn_predictions"))
    }

    @Test("SIGTERM during a run: it stops at the next phase, records the failure, publishes nothing (75)")
    func sigterm() async throws {
        let (url, dir, env) = try await setUp("term")
        var slow = env
        slow["SLUICE_FAULT"] = "fit:sleep:3"
        let run = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01"], environment: slow, in: dir)
        #expect(try await run.waitFor("pausing at fit"), "\(run.stderr)")
        run.signal(SIGTERM)
        #expect(run.wait() == 75, "\(run.stderr)")
        #expect(try scalar(url, "SELECT status FROM sluice.runs ORDER BY run_id DESC LIMIT 1") == "failed")
        if try scalar(url, "SELECT to_regclass('churn_predictions') IS NOT NULL") == "t" {
            #expect(try scalar(url, "SELECT count(*) FROM churn_predictions") == "0")
        }
        #expect(try scalar(url, "SELECT count(*) FROM pg_class WHERE relname LIKE 'churn_predictions_%' AND relkind IN ('r', 'p')") == "0")
    }

    @Test("the demo: list, run, history, models and deploy through the command line")
    func commands() async throws {
        let (_, dir, env) = try await setUp("cli")
        let list = try SluiceProcess(["list"], environment: env, in: dir)
        #expect(list.wait() == 0)
        #expect(list.stdout.contains("churn") && list.stdout.contains("churn_drop"))
        let run = try SluiceProcess(["run", "churn_drop", "--logical-date", "2026-12-01"], environment: env, in: dir)
        #expect(run.wait() == 0, "\(run.stderr)")
        #expect(run.stdout.contains("1000 written to churn_drop_predictions"), "\(run.stdout)")
        let history = try SluiceProcess(["history", "churn_drop"], environment: env, in: dir)
        #expect(history.wait() == 0)
        #expect(history.stdout.contains("succeeded"))
        let models = try SluiceProcess(["models", "churn_drop"], environment: env, in: dir)
        #expect(models.wait() == 0)
        #expect(models.stdout.contains("*") && models.stdout.contains("v1"))
        let deploy = try SluiceProcess(["deploy", "churn_drop", "v7"], environment: env, in: dir)
        #expect(deploy.wait() == 65)
        let unknown = try SluiceProcess(["run", "nope"], environment: env, in: dir)
        #expect(unknown.wait() == 64)
        #expect(unknown.stderr.contains("churn_drop"))
    }
}
