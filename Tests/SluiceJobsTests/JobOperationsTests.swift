import Foundation
import Glibc
import Testing
import SluiceFrame
import SluiceCSV
@testable import SluiceJobs
import SluicePostgres
import SluicePipeline
import SluicePostgresTestSupport
import SluiceTestSupport

@Suite("operating nightly runs: dry runs on a fresh database, shards (issue 13)", .serialized)
struct JobOperationsTests {
    @Test("a dry run on a fresh database runs prepare, then fits and scores, and writes nothing of its own")
    func dryRunPrepares() async throws {
        let url = try await TestServer.freshDatabase("dryrun")
        let configuration = PostgresConfiguration(url)
        let train = TableName("dry_train"), score = TableName("dry_score")
        var job = customerJob("dry", train: train, score: score)
        job.prepare = { env in
            let c = try PostgresConnection(env.database)
            defer { c.close() }
            try c.write(try customers(rows: 300, seed: 1, labelled: true), to: train, mode: .create)
            try c.write(try customers(rows: 50, seed: 2, labelled: false, idOffset: 1000), to: score, mode: .create)
        }
        let result = try await JobRunner(job: job, database: configuration).run(RunRequest(logicalDate: night, dryRun: true))
        #expect(result.runID == nil && result.trainedVersion == nil)
        #expect(result.counts.scored == 50 && result.counts.written == 0)
        let c = try PostgresConnection(configuration)
        defer { c.close() }
        // prepare ran (its tables exist); the run wrote no schema, ledger, model or predictions.
        #expect(try c.rows("SELECT to_regclass('dry_score') IS NOT NULL").first?.first == "t")
        #expect(try c.rows("SELECT to_regnamespace('sluice') IS NULL").first?.first == "t")
        #expect(try c.rows("SELECT to_regclass('dry_preds') IS NULL").first?.first == "t")
    }

    @Test("two shards score and stage side by side in one run; one publish commits both with the run's success")
    func shardsThenPublish() async throws {
        let (train, score) = try await customerTables("shards", score: 300)
        let job = customerJob(uniqueJob("shards"), train: train, score: score)
        _ = try await runner(job).run(RunRequest(logicalDate: night, mode: .train))
        let r = try await runner(job)
        async let first = r.run(RunRequest(logicalDate: night, shard: JobShard("0/2")))
        async let second = r.run(RunRequest(logicalDate: night, shard: JobShard("1/2")))
        let (a, b) = try await (first, second)
        #expect(a.runID == b.runID)
        #expect(a.counts.written > 0 && b.counts.written > 0 && a.counts.written + b.counts.written == 300)
        let preds = "\(job.name)_preds"
        // Staged, not published: the night has no rows yet.
        #expect(try await JobsDatabase.scalar("SELECT count(*) FROM \(preds)") == "0")
        #expect(try await JobsDatabase.scalar("SELECT status FROM sluice.runs WHERE run_id = $1", [.int64(a.runID!)]) == "running")
        let published = try await r.run(RunRequest(logicalDate: night, publish: true))
        #expect(published.runID == a.runID && published.counts.written == 300 && published.scoredWith == 1)
        #expect(try await JobsDatabase.scalar("SELECT count(*) FROM \(preds) WHERE logical_date = '2026-12-01'") == "300")
        #expect(try await JobsDatabase.scalar("SELECT count(DISTINCT shard) FROM \(preds)") == "2")
        #expect(try await JobsDatabase.scalar("SELECT count(DISTINCT id) FROM \(preds)") == "300")
        #expect(try await JobsDatabase.scalar(
            "SELECT status || ' ' || rows_written || ' ' || mode FROM sluice.runs WHERE run_id = $1", [.int64(a.runID!)]) == "succeeded 300 shards/2")
        // An ordinary rerun of the night replaces the sharded night.
        _ = try await r.run(RunRequest(logicalDate: night, mode: .score))
        #expect(try await JobsDatabase.scalar("SELECT count(*) FROM \(preds)") == "300")
    }

    @Test("a CSV drop in three shards: every row scored once, the bad line quarantined once, one publish")
    func csvShards() async throws {
        let dir = try Fixtures.temporaryDirectory("csvshards")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("drops"), withIntermediateDirectories: true)
        try Data(CSVWriter().encode(try customers(rows: 400, seed: 5, labelled: true))).write(to: dir.appendingPathComponent("train.csv"))
        var tonight = String(decoding: CSVWriter().encode(try customers(rows: 300, seed: 6, labelled: false, idOffset: 9000)),
                             as: UTF8.self)
        tonight += "9999,not-a-number,0.5,basic,\n"
        try tonight.write(to: dir.appendingPathComponent("drops/2026-12-01.csv"), atomically: true, encoding: .utf8)
        var lenient = CSVReadOptions()
        lenient.badRows = .skip
        let name = uniqueJob("csvshards")
        let job = Job(name, training: .csv(dir.appendingPathComponent("train.csv").path),
                      scoring: .csvDrop(folder: dir.appendingPathComponent("drops").path, options: lenient),
                      pipeline: customerPipeline(), predictions: PredictionTable(TableName("\(name)_preds")),
                      rejects: RejectPolicy(maxCount: 5, maxFraction: nil), seed: 1, batchRows: 64)
        let r = try await runner(job)
        _ = try await r.run(RunRequest(logicalDate: night, mode: .train))
        var written = [Int](), rejected = [Int]()
        for k in 0..<3 {
            let part = try await r.run(RunRequest(logicalDate: night, shard: JobShard("\(k)/3")))
            written.append(part.counts.written)
            rejected.append(part.counts.rejected)
        }
        #expect(written.allSatisfy { $0 > 50 } && written.reduce(0, +) == 300, "\(written)")
        #expect(rejected.reduce(0, +) == 1, "the bad line (302) is shard 302 mod 3's alone: \(rejected)")
        let published = try await r.run(RunRequest(logicalDate: night, publish: true))
        #expect(published.counts.written == 300 && published.counts.rejected == 1)
        let preds = "\(name)_preds"
        #expect(try await JobsDatabase.scalar("SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || count(DISTINCT shard) FROM \(preds)")
                == "300 300 3")
        #expect(try await JobsDatabase.scalar("SELECT string_agg(line::text, ',') FROM sluice.rejects WHERE run_id = $1",
                                              [.int64(published.runID!)]) == "302")
        // The same file gives the same assignment: a shard rerun stages the same rows.
        let again = try await r.run(RunRequest(logicalDate: night, shard: JobShard("1/3")))
        #expect(again.counts.written == written[1])
    }

    @Test("publish refuses (75) while a shard is missing, and names it; nothing is published")
    func publishNeedsEveryShard() async throws {
        let (train, score) = try await customerTables("shardgap")
        let job = customerJob(uniqueJob("shardgap"), train: train, score: score)
        let r = try await runner(job)
        _ = try await r.run(RunRequest(logicalDate: night, mode: .train))
        await #expect(throws: JobError.shardsIncomplete(job: job.name, logicalDate: "2026-12-01", missing: [], count: nil)) {
            try await r.run(RunRequest(logicalDate: night, publish: true))
        }
        _ = try await r.run(RunRequest(logicalDate: night, shard: JobShard("1/3")))
        let error = JobError.shardsIncomplete(job: job.name, logicalDate: "2026-12-01", missing: [0, 2], count: 3)
        #expect(error.exitStatus == .temporaryFailure)
        await #expect(throws: error) { try await r.run(RunRequest(logicalDate: night, publish: true)) }
        #expect(try await JobsDatabase.scalar("SELECT count(*) FROM \(job.name)_preds") == "0")
        _ = try await r.run(RunRequest(logicalDate: night, shard: JobShard("0/3")))
        _ = try await r.run(RunRequest(logicalDate: night, shard: JobShard("2/3")))
        let published = try await r.run(RunRequest(logicalDate: night, publish: true))
        #expect(published.counts.written == 200)
        #expect(JobShard("3/3") == nil && JobShard("a/2") == nil && JobShard("0/0") == nil)
    }

    @Test("the server restarted mid-run: the run fails (69), nothing is visible, the next run abandons the stale row and succeeds")
    func serverRestart() async throws {
        // A server of its own: the shared one serves other tests meanwhile.
        let dir = try Fixtures.temporaryDirectory("jobrestart")
        chmod(dir.path, 0o755)
        let cluster = ThrowawayCluster(directory: dir.appendingPathComponent("pg", isDirectory: true))
        let server = try await cluster.start()
        defer {
            try? cluster.stopBlocking(timeout: .seconds(10))
            try? FileManager.default.removeItem(at: dir)
        }
        func env(_ url: String) -> [String: String] {
            ["DATABASE_URL": url, "SLUICE_DEMO_ROWS": "3000", "SLUICE_DROP_DIR": dir.appendingPathComponent("drop").path]
        }
        func scalar(_ url: String, _ sql: String) throws -> String? {
            let c = try PostgresConnection(PostgresConfiguration(url))
            defer { c.close() }
            return try c.rows(sql).first?.first ?? nil
        }
        let url = server.connectionURL
        let first = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01"], environment: env(url), in: dir)
        #expect(first.wait() == 0, "\(first.stderr)")
        try #require(first.stdout.contains("written to churn_predictions"), "\(url)\n\(first.stdout)\n\(first.stderr)")
        let before = try scalar(url, "SELECT count(*) || ':' || max(run_id) FROM churn_predictions")

        // Paused after staging its rows, before sealing and publishing: the server goes down.
        var faulty = env(url)
        faulty["SLUICE_FAULT"] = "stage:sleep:4"
        let interrupted = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01", "--no-retry"], environment: faulty, in: dir)
        #expect(try await interrupted.waitFor("pausing at stage"), "\(interrupted.stderr)")
        kill(server.pid, SIGINT)  // fast shutdown: the run's sessions end
        let down = Date().addingTimeInterval(20)
        while kill(server.pid, 0) == 0, Date() < down { try await Task.sleep(for: .milliseconds(50)) }
        #expect(interrupted.wait() == 69, "\(interrupted.stderr)")

        // Start the same data directory again (ThrowawayCluster.start would make a new cluster).
        let binaries = try PostgresBinaries.locate()
        // system(), not Process: pg_ctl's server outlives it, and the test waits on pg_ctl alone.
        let command = "'\(binaries.pgCtl)' -D '\(server.dataDirectory)' -l '\(server.dataDirectory)/restart.log' -o '-p \(server.port)' -w start"
        let status = system((getuid() == 0 ? "runuser -u postgres -- " : "") + command + " </dev/null >/dev/null 2>&1")
        #expect(status == 0)
        let again = url
        #expect(try scalar(again, "SELECT count(*) || ':' || max(run_id) FROM churn_predictions") == before)
        #expect(try scalar(again, "SELECT status FROM sluice.runs ORDER BY run_id DESC LIMIT 1") == "running")
        let rerun = try SluiceProcess(["run", "churn", "--logical-date", "2026-12-01"], environment: env(again), in: dir)
        #expect(rerun.wait() == 0, "\(rerun.stderr)")
        #expect(try scalar(again, "SELECT string_agg(status, ',' ORDER BY run_id) FROM sluice.runs") == "succeeded,abandoned,succeeded")
        #expect(try scalar(again, "SELECT count(*) FROM churn_predictions") == before.map { String($0.prefix { $0 != ":" }) })
        #expect(try scalar(again, "SELECT count(*) FROM pg_class WHERE relname LIKE 'churn_predictions_%' AND relkind IN ('r', 'p') AND NOT relispartition") == "0")
    }
}
