import Foundation
import Logging
import SluicePostgres

extension JobRunner {
    /// Scores and stages one shard of the night with the deployed model, in the night's
    /// sharded run (created by the first shard, joined by the others); publishes nothing.
    ///
    /// A shard that fails drops its part and records its error on the run, which stays
    /// `running`: rerun that shard, then publish.
    func runShard(_ request: RunRequest, shard: JobShard, logger: Logger) async throws -> RunResult {
        var logger = logger
        logger[metadataKey: "shard"] = "\(shard)"
        if request.dryRun || request.mode == .train || request.mode == .both {
            throw JobError.configuration(job: job.name, reason: "a shard scores with the deployed model: no --mode train or both, no --dry-run")
        }
        guard !job.recipe.keys.isEmpty else {
            throw JobError.configuration(job: job.name, reason: "sharding assigns rows by their keys; the pipeline has no key columns")
        }
        let date = request.logicalDate
        let db = try PostgresConnection(database)
        defer { db.close() }
        // Shards share the job's lock; each holds its own shard's lock alone.
        try RunLock.acquire(db, job: job.name, shared: true)
        defer { RunLock.release(db, job: job.name, shared: true) }
        let shardLock = "\(job.name) shard \(shard.index)"
        try RunLock.acquire(db, job: shardLock)
        defer { RunLock.release(db, job: shardLock) }
        try JobSchema.install(on: db)
        let store = ModelStore(db, codec: codec)
        guard let deployed = try store.deployedVersion(job: job.name) else { throw JobError.noDeployedModel(job: job.name) }
        let ledger = RunLedger(db)
        // Every shard scores with the version the run started with, even after a deploy.
        let (run, version) = try ledger.joinSharded(job: job.name, logicalDate: date, shards: shard.count,
                                                    modelVersion: deployed.version, attempt: request.attempt)
        logger[metadataKey: "run_id"] = "\(run)"
        logger.info("shard started", metadata: ["model_version": "\(version)"])
        var result = RunResult(logicalDate: date)
        result.runID = run
        var state = RunState(request: request, result: result, logger: logger)
        let publisher = PredictionPublisher(db, table: job.predictions.table, keys: job.recipe.keys)
        do {
            let model = try store.load(job: job.name, version: version)
            try await score(db, &state, run: run, version: version, fitted: model.pipeline,
                            profile: Self.trainingProfile(model.metadata), readAhead: nil)
            try ledger.addShard(shard, counts: state.result.counts, metrics: state.result.metrics, to: run)
            logger.info("shard staged", metadata: ["rows": "\(state.result.counts.written)"])
            return state.result
        } catch {
            publisher.discard(run: run, date: date, shard: shard.index)
            let connection = db.isAlive && !db.inTransaction ? db : try? PostgresConnection(database)
            _ = try? connection?.execute("UPDATE sluice.runs SET error = $2 WHERE run_id = $1 AND status = 'running'",
                                         [.int64(run), .string(Redaction.redact("shard \(shard): \(error)"))])
            if let connection, connection !== db { connection.close() }
            logger.error("shard failed", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Publishes the night's sharded run: every shard staged and sealed, in ONE transaction
    /// with the run's success (counts summed from the shards).
    func publishShards(_ request: RunRequest, logger: Logger) async throws -> RunResult {
        let date = request.logicalDate
        let db = try PostgresConnection(database)
        defer { db.close() }
        try RunLock.acquire(db, job: job.name)
        defer { RunLock.release(db, job: job.name) }
        try JobSchema.install(on: db)
        let ledger = RunLedger(db)
        guard let record = try ledger.runningSharded(job: job.name, logicalDate: date),
              let count = JobShard.count(ofMode: record.mode) else {
            throw JobError.shardsIncomplete(job: job.name, logicalDate: "\(date)", missing: [], count: nil)
        }
        let run = record.runID
        var logger = logger
        logger[metadataKey: "run_id"] = "\(run)"
        let publisher = PredictionPublisher(db, table: job.predictions.table, keys: job.recipe.keys)
        let sealed = Set(try publisher.stagedShards(run: run, date: date, sealed: true))
        let missing = (0..<count).filter { !sealed.contains($0) }
        guard missing.isEmpty, try publisher.stagedShards(run: run, date: date).allSatisfy({ $0 < count }) else {
            throw JobError.shardsIncomplete(job: job.name, logicalDate: "\(date)", missing: missing, count: count)
        }
        // No shard holds the lock now: any other running row of the job is stale.
        let stale = try ledger.abandonStale(job: job.name, except: run)
        if !stale.isEmpty { logger.warning("marked stale runs abandoned", metadata: ["runs": "\(stale)"]) }
        try publisher.dropOrphans()
        var result = RunResult(logicalDate: date)
        result.runID = run
        result.scoredWith = record.modelVersion
        result.counts.read = record.rowsRead ?? 0
        result.counts.scored = record.rowsScored ?? 0
        result.counts.rejected = record.rowsRejected ?? 0
        result.counts.written = record.rowsWritten ?? 0
        let finish = ledger.finishStatement(run, status: .succeeded, counts: result.counts, modelVersion: record.modelVersion,
                                            metrics: record.metrics, error: nil)
        let faults = self.faults
        events?(.phase(.publish))
        try faults?(.publish, db)
        try publisher.publish(run: run, date: date, alsoInTransaction: [finish]) { try faults?(.commit, db) }
        logger.info("shards published", metadata: ["shards": "\(count)", "rows": "\(result.counts.written)"])
        return result
    }
}
