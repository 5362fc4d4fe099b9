import Foundation
import Testing
import SluiceFrame
@testable import SluiceJobs
import SluiceLearn
import SluicePipeline
import SluiceCSV
import SluicePostgres

@Suite("nightly runs against PostgreSQL (issue 13)", .serialized)
struct JobRunTests {
    func count(_ table: String, _ whereClause: String = "true") async throws -> Int {
        Int(try await JobsDatabase.scalar("SELECT count(*) FROM \(table) WHERE \(whereClause)") ?? "0") ?? 0
    }

    func status(_ run: RunID?) async throws -> String? {
        try await JobsDatabase.scalar("SELECT status FROM sluice.runs WHERE run_id = $1", [.int64(run ?? -1)])
    }

    @Test("a run trains, stores, deploys, scores and publishes; rerunning the night replaces its rows, never duplicates them")
    func idempotentRerun() async throws {
        let (train, score) = try await customerTables("rerun")
        let job = customerJob(uniqueJob("rerun"), train: train, score: score)
        let first = try await runner(job).run(RunRequest(logicalDate: night))
        #expect(first.trainedVersion == 1 && first.deployed && first.scoredWith == 1)
        #expect(first.counts.read == 200 && first.counts.written == 200)
        let preds = "\(job.name)_preds"
        #expect(try await count(preds) == 200)
        let second = try await runner(job).run(RunRequest(logicalDate: night))
        #expect(try await count(preds) == 200)
        #expect(try await count(preds, "run_id = \(second.runID!)") == 200)
        #expect(try await count("sluice.runs", "job = '\(job.name)' AND status = 'succeeded'") == 2)
        // The publishing transaction's time is in the ledger.
        #expect(try await count("sluice.runs", "run_id = \(second.runID!) AND (metrics->>'seconds.commit')::float8 >= 0") == 1)
        // Another night is another partition; the first stays.
        _ = try await runner(job).run(RunRequest(logicalDate: night.adding(days: 1), mode: .score))
        #expect(try await count(preds) == 400)
        #expect(try await count(preds, "logical_date = '2026-12-01'") == 200)
        // Every prediction traces to its run and model version with one join.
        let traced = try await JobsDatabase.scalar("""
            SELECT count(*) FROM \(preds) p JOIN sluice.runs r USING (run_id)
            WHERE r.status = 'succeeded' AND r.model_version = p.model_version AND r.job = '\(job.name)'
            """)
        #expect(traced == "400")
        // The same seed and data give the same artifact.
        let digests = try await JobsDatabase.scalar("SELECT count(DISTINCT sha256) FROM sluice.models WHERE job = '\(job.name)'")
        #expect(digests == "1")
    }

    @Test("deployment: when improved (equal is not), always, manual; deploy rolls back; a score-only run uses the deployed model")
    func deployment() async throws {
        let (train, score) = try await customerTables("deploy")
        let job = customerJob(uniqueJob("deploy"), train: train, score: score)
        _ = try await runner(job).run(RunRequest(logicalDate: night))
        let again = try await runner(job).run(RunRequest(logicalDate: night, mode: .train))
        #expect(again.trainedVersion == 2 && !again.deployed)
        var always = job
        always.deployment = .always
        let third = try await runner(always).run(RunRequest(logicalDate: night))
        #expect(third.deployed && third.scoredWith == 3)
        let c = try await JobsDatabase.connect()
        defer { c.close() }
        try ModelStore(c).deploy(job: job.name, version: 1, run: nil, reason: "rollback")
        let scored = try await runner(job).run(RunRequest(logicalDate: night, mode: .score))
        #expect(scored.scoredWith == 1 && scored.trainedVersion == nil)
        #expect(throws: JobError.unknownVersion(job: job.name, version: 9)) { try ModelStore(c).deploy(job: job.name, version: 9, run: nil, reason: "x") }
        var manual = job
        manual.name = uniqueJob("manual")
        manual.deployment = .manual
        await #expect(throws: JobError.noDeployedModel(job: manual.name)) { try await runner(manual).run(RunRequest(logicalDate: night)) }
        // A corrupted stored artifact is refused by its checksum.
        try c.execute("UPDATE sluice.models SET artifact = overlay(artifact placing '\\x00'::bytea from 100 for 1) WHERE job = $1 AND version = 1",
                      [.string(job.name)])
        #expect(throws: (any Error).self) { _ = try ModelStore(c).load(job: job.name, version: 1) }
    }

    @Test("a second run while one holds the job's lock fails with exit 75 and writes nothing")
    func exclusion() async throws {
        let (train, score) = try await customerTables("lock")
        let job = customerJob(uniqueJob("lock"), train: train, score: score)
        _ = try await runner(job).run(RunRequest(logicalDate: night))
        let holder = try await JobsDatabase.connect()
        defer { holder.close() }
        try holder.execute("SELECT pg_advisory_lock(hashtext('sluice.job'), hashtext($1))", [.string(job.name)])
        let before = try await count("sluice.runs", "job = '\(job.name)'")
        do {
            _ = try await runner(job).run(RunRequest(logicalDate: night))
            Issue.record("the second run ran")
        } catch let error as JobError {
            #expect(error.exitStatus == .temporaryFailure)
            guard case .locked(_, let who) = error else { Issue.record("\(error)"); return }
            #expect(who?.contains("\(holder.backendPID)") == true)
        }
        #expect(try await count("sluice.runs", "job = '\(job.name)'") == before)
    }

    @Test("the scoring source is checked against the model before a row is read")
    func schemaMismatch() async throws {
        let (train, score) = try await customerTables("schema")
        let job = customerJob(uniqueJob("schema"), train: train, score: score)
        _ = try await runner(job).run(RunRequest(logicalDate: night))
        let c = try await JobsDatabase.connect()
        defer { c.close() }
        try c.execute("ALTER TABLE \(score.name) DROP COLUMN x2")
        try c.execute("ALTER TABLE \(score.name) ALTER COLUMN plan TYPE integer USING 1")
        let request = RunRequest(logicalDate: night.adding(days: 1), mode: .score)
        do {
            _ = try await runner(job).run(request)
            Issue.record("scored a table without x2")
        } catch let error as JobError {
            guard case .schemaMismatch(_, _, let problems) = error else { Issue.record("\(error)"); return }
            #expect(problems.contains { $0.contains("x2") } && problems.contains { $0.contains("plan") })
        }
        let failed = try await JobsDatabase.scalar("SELECT rows_read FROM sluice.runs WHERE job = $1 ORDER BY run_id DESC LIMIT 1",
                                                   [.string(job.name)])
        #expect(failed == "0")
        #expect(try await count("\(job.name)_preds", "logical_date = '2026-12-02'") == 0)
    }

    @Test("rows with null or repeated keys are quarantined; past the threshold nothing is published")
    func rejects() async throws {
        let (train, score) = try await customerTables("rejects", score: 100)
        let c = try await JobsDatabase.connect()
        defer { c.close() }
        try c.execute("ALTER TABLE \(score.name) DROP CONSTRAINT \(score.name)_pkey")
        try c.execute("ALTER TABLE \(score.name) ALTER COLUMN id DROP NOT NULL")
        try c.execute("UPDATE \(score.name) SET id = NULL WHERE id IN (SELECT id FROM \(score.name) ORDER BY id LIMIT 2)")
        try c.execute("INSERT INTO \(score.name) SELECT * FROM \(score.name) WHERE id IS NOT NULL ORDER BY id LIMIT 1")
        let job = customerJob(uniqueJob("rejects"), train: train, score: score, rejects: RejectPolicy(maxCount: nil, maxFraction: 0.05))
        let ok = try await runner(job).run(RunRequest(logicalDate: night))
        #expect(ok.counts.rejected == 3 && ok.counts.written == 98)
        #expect(try await count("sluice.rejects", "run_id = \(ok.runID!)") == 3)
        #expect(try await count("sluice.rejects", "run_id = \(ok.runID!) AND reason LIKE '%repeats%'") == 1)

        var strict = job
        strict.rejects = RejectPolicy(maxCount: 2, maxFraction: nil)
        do {
            _ = try await runner(strict).run(RunRequest(logicalDate: night.adding(days: 1), mode: .score))
            Issue.record("published past the threshold")
        } catch let error as JobError {
            guard case .tooManyRejects = error else { Issue.record("\(error)"); return }
        }
        #expect(try await count("\(job.name)_preds", "logical_date = '2026-12-02'") == 0)
        #expect(try await count("\(job.name)_preds", "logical_date = '2026-12-01'") == 98)
        let failedRun = try await JobsDatabase.scalar("SELECT run_id FROM sluice.runs WHERE job = $1 ORDER BY run_id DESC LIMIT 1", [.string(job.name)])
        #expect(try await count("sluice.rejects", "run_id = \(failedRun ?? "0")") == 3)
        // Nothing of the failed run is left staged.
        #expect(try await count("pg_class", "relname LIKE '\(job.name)_preds_20261202%'") == 0)
    }

    @Test("drift past the threshold fails the run before publishing, naming the column; warn publishes and records PSI")
    func driftGate() async throws {
        let (train, score) = try await customerTables("drift", shift: 3)
        let job = customerJob(uniqueJob("drift"), train: train, score: score)
        do {
            _ = try await runner(job).run(RunRequest(logicalDate: night))
            Issue.record("published drifted rows")
        } catch let error as JobError {
            guard case .drift(_, let columns, _) = error else { Issue.record("\(error)"); return }
            #expect(columns.count == 1 && columns[0].hasPrefix("x1"))
        }
        let published = try await JobsDatabase.scalar("SELECT to_regclass('\(job.name)_preds')::text") == nil ? 0 : try await count("\(job.name)_preds")
        #expect(published == 0)
        var warn = job
        warn.drift = DriftPolicy(threshold: 0.25, action: .warn)
        let result = try await runner(warn).run(RunRequest(logicalDate: night))
        #expect(result.drifted == ["x1"] && result.counts.written == 200)
        #expect((result.metrics["psi.x1"] ?? 0) > 1 && (result.metrics["psi.x2"] ?? 1) < 0.1)
    }

    @Test("a lost connection during publishing leaves the previous night visible; the next run succeeds")
    func killedMidWrite() async throws {
        let (train, score) = try await customerTables("killw")
        let job = customerJob(uniqueJob("killw"), train: train, score: score)
        let first = try await runner(job).run(RunRequest(logicalDate: night))
        let admin = try await JobsDatabase.connect()
        defer { admin.close() }
        let killer: @Sendable (RunPhase, PostgresConnection) throws -> Void = { phase, db in
            guard phase == .commit else { return }
            let c = try PostgresConnection(db.configuration)
            defer { c.close() }
            try c.execute("SELECT pg_terminate_backend($1::integer)", [.int64(Int64(db.backendPID))])
        }
        await #expect(throws: (any Error).self) { try await runner(job, faults: killer).run(RunRequest(logicalDate: night)) }
        #expect(try await count("\(job.name)_preds", "run_id = \(first.runID!)") == 200)
        let second = try await runner(job).run(RunRequest(logicalDate: night))
        #expect(try await count("\(job.name)_preds") == 200)
        #expect(try await count("\(job.name)_preds", "run_id = \(second.runID!)") == 200)
        #expect(try await count("sluice.runs", "job = '\(job.name)' AND status = 'running'") == 0)
    }

    @Test("the reading backend killed mid-read fails the run (69) with nothing published; a rerun succeeds")
    func killedMidRead() async throws {
        let (train, score) = try await customerTables("killr", score: 3000)
        var job = customerJob(uniqueJob("killr"), train: train, score: score, batchRows: 50)
        // A read slow enough to be killed in the middle: a millisecond per row.
        job.scoringSource = .query("SELECT * FROM \(score.name) WHERE pg_sleep(0.001)::text = ''")
        _ = try await runner(job).run(RunRequest(logicalDate: night, mode: .train))
        let killer: @Sendable (RunPhase, PostgresConnection) throws -> Void = { phase, db in
            guard phase == .score else { return }
            let config = db.configuration, own = db.backendPID
            Thread.detachNewThread {
                guard let c = try? PostgresConnection(config) else { return }
                defer { c.close() }
                for _ in 0..<400 {
                    let killed = (try? c.rows("""
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE pid <> pg_backend_pid() AND pid <> $1::integer AND datname = current_database()
                          AND query ILIKE '%pg_sleep%' AND query NOT ILIKE '%pg_terminate_backend%'
                        """, [.int64(Int64(own))])) ?? []
                    if !killed.isEmpty { return }
                    Thread.sleep(forTimeInterval: 0.005)
                }
            }
        }
        do {
            _ = try await runner(job, faults: killer).run(RunRequest(logicalDate: night, mode: .score))
            Issue.record("the run survived its reader's death")
        } catch {
            #expect((error as? any ExitClassified)?.exitStatus == .unavailable, "\(error)")
        }
        if try await JobsDatabase.scalar("SELECT to_regclass('\(job.name)_preds') IS NOT NULL") == "t" {
            #expect(try await count("\(job.name)_preds") == 0)
        }
        #expect(try await JobsDatabase.scalar("SELECT status FROM sluice.runs WHERE job = $1 ORDER BY run_id DESC LIMIT 1",
                                              [.string(job.name)]) == "failed")
        let rerun = try await runner(job).run(RunRequest(logicalDate: night, mode: .score))
        #expect(rerun.counts.written == 3000)
    }

    @Test("several shards staged separately are published by one transaction")
    func shards() async throws {
        let c = try await JobsDatabase.connect()
        defer { c.close() }
        try JobSchema.install(on: c)
        let ledger = RunLedger(c)
        let run = try ledger.start(job: uniqueJob("shards"), logicalDate: night, mode: .score, attempt: 1)
        let table = TableName(uniqueJob("shp"))
        let publisher = PredictionPublisher(c, table: table, keys: ["id"])
        func part(_ ids: Range<Int64>, shard: Int64) throws -> Frame {
            try Frame(named: [("id", .int64(ids.map { $0 })), ("p", .double(ids.map { Double($0) })),
                              ("logical_date", .date(ids.map { _ in night.days })), ("shard", .int64(ids.map { _ in shard }))])
        }
        try publisher.ensureTable(for: try part(0..<1, shard: 0).schema, job: "shards")
        try publisher.stage(try part(0..<50, shard: 0), run: run, date: night, shard: 0)
        try publisher.stage(try part(50..<80, shard: 1), run: run, date: night, shard: 1)
        #expect(try publisher.stagedShards(run: run, date: night) == [0, 1])
        #expect(try c.rows("SELECT count(*) FROM \(table.name)").first?.first == "0")
        let finish = ledger.finishStatement(run, status: .succeeded, counts: RunCounts(), modelVersion: nil, metrics: nil, error: nil)
        try publisher.publish(run: run, date: night, alsoInTransaction: [finish])
        #expect(try c.rows("SELECT count(*), count(DISTINCT shard) FROM \(table.name)").first == ["80", "2"])
        #expect(try ledger.run(run)?.status == .succeeded)
    }

    @Test("a CSV drop: the night's file is scored; unreadable rows are quarantined with their line; a missing file exits 66")
    func csvDrop() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("drop-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("drops"), withIntermediateDirectories: true)
        let train = try customers(rows: 400, seed: 5, labelled: true)
        try Data(CSVWriter().encode(train)).write(to: dir.appendingPathComponent("train.csv"))
        var tonight = String(decoding: CSVWriter().encode(try customers(rows: 300, seed: 6, labelled: false, idOffset: 9000)), as: UTF8.self)
        tonight += "9999,not-a-number,0.5,basic,\n"
        try tonight.write(to: dir.appendingPathComponent("drops/2026-12-01.csv"), atomically: true, encoding: .utf8)
        var lenient = CSVReadOptions()
        lenient.badRows = .skip
        let name = uniqueJob("drop")
        let job = Job(name, training: .csv(dir.appendingPathComponent("train.csv").path),
                      scoring: .csvDrop(folder: dir.appendingPathComponent("drops").path, options: lenient),
                      pipeline: customerPipeline(), predictions: PredictionTable(TableName("\(name)_preds")),
                      rejects: RejectPolicy(maxCount: 5, maxFraction: nil), seed: 1)
        let result = try await runner(job).run(RunRequest(logicalDate: night))
        #expect(result.counts.written == 300 && result.counts.rejected == 1)
        #expect(try await JobsDatabase.scalar("SELECT line FROM sluice.rejects WHERE run_id = $1", [.int64(result.runID!)]) == "302")
        do {
            _ = try await runner(job).run(RunRequest(logicalDate: night.adding(days: 1), mode: .score))
            Issue.record("scored a missing file")
        } catch let error as JobError {
            #expect(error.exitStatus == .noInput)
        }
    }

    @Test("the scheduler fires a job at its cron times under a test clock, and catches up only the latest missed night")
    func scheduler() async throws {
        let (train, score) = try await customerTables("sched")
        let job = customerJob(uniqueJob("sched"), train: train, score: score, schedule: .daily(at: 2, 30))
        let clock = TestClock(start: ISO8601DateFormatter().date(from: "2026-12-03T01:00:00Z")!)
        let fired = FiredLog()
        let configuration = try await JobsDatabase.configuration()
        let scheduler = JobScheduler(jobs: [job], clock: clock, runner: { job, stopping in
            JobRunner(job: job, database: configuration, isCancelled: stopping)
        }, fired: { _, date, result in fired.append(date, (try? result.get()) != nil) })
        let task = Task { try await scheduler.run() }
        while fired.count < 3 { try await Task.sleep(for: .milliseconds(50)) }
        task.cancel()
        _ = try? await task.value
        let log = fired.entries.prefix(3)
        // Catch-up of 12-02 (the latest missed fire before 12-03 01:00), then 12-03 and 12-04 at 02:30.
        #expect(log.map(\.0) == [LogicalDate("2026-12-02")!, LogicalDate("2026-12-03")!, LogicalDate("2026-12-04")!])
        #expect(log.allSatisfy { $0.1 })
    }
}

/// A clock whose sleeps return at once, moving time to their deadline.
final class TestClock: SchedulerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(start: Date) { current = start }
    func now() -> Date { lock.withLock { current } }
    func sleep(until instant: Date) async throws {
        try Task.checkCancellation()
        lock.withLock { current = max(current, instant) }
    }
}

final class FiredLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [(LogicalDate, Bool)] = []
    func append(_ d: LogicalDate, _ ok: Bool) { lock.withLock { log.append((d, ok)) } }
    var count: Int { lock.withLock { log.count } }
    var entries: [(LogicalDate, Bool)] { lock.withLock { log } }
}
