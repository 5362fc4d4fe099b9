import Foundation
import Logging
import SluiceCompute
import SluiceFrame
import SluiceLearn
import SluicePipeline
import SluicePostgres

/// What to run: the night, the mode and whether to write.
public struct RunRequest: Sendable {
    /// The night the run is for.
    public var logicalDate: LogicalDate
    /// `nil`: the job's training cadence decides whether this run trains; then it scores.
    public var mode: RunMode?
    /// Run the job's `prepare` step (it makes the sources exist, e.g. on a fresh database),
    /// then read, check, fit and score, but write nothing of the run's own: no `sluice`
    /// schema, ledger row, model, reject or prediction.
    public var dryRun: Bool
    /// The attempt number recorded in the ledger (the retry loop counts it).
    public var attempt: Int
    /// Score and stage only this shard of the scoring rows, with the deployed model, joining
    /// the night's sharded run; a later ``publish`` request publishes every shard (see
    /// ``JobShard``).
    public var shard: JobShard?
    /// Publish the night's sharded run (every shard staged) instead of running.
    public var publish: Bool

    public init(logicalDate: LogicalDate, mode: RunMode? = nil, dryRun: Bool = false, attempt: Int = 1,
                shard: JobShard? = nil, publish: Bool = false) {
        self.logicalDate = logicalDate
        self.mode = mode
        self.dryRun = dryRun
        self.attempt = attempt
        self.shard = shard
        self.publish = publish
    }
}

/// The phases of a run, in order; observers and fault points see each one start.
public enum RunPhase: String, Sendable, CaseIterable {
    case prepare, readTraining = "read-training", fit, store, readScoring = "read-scoring", score, stage, publish
    /// Inside the publishing transaction, just before COMMIT.
    case commit
}

/// What a run reports as it goes (for a progress line or log lines).
public enum RunEvent: Sendable {
    case phase(RunPhase)
    case rowsRead(Int, source: String)
    case fit(FitProgress)
    case rowsStaged(Int)
    case note(String)
}

/// How a run ended.
public struct RunResult: Sendable {
    public var runID: RunID?
    public var logicalDate: LogicalDate
    public var counts = RunCounts()
    /// The version this run trained, if it trained.
    public var trainedVersion: Int?
    /// Whether the trained version was deployed.
    public var deployed = false
    /// The version that scored tonight's rows.
    public var scoredWith: Int?
    /// Metrics: the key metric on held-out rows, `psi.COLUMN` per column, phase seconds.
    public var metrics: [String: Double] = [:]
    /// Columns past the drift threshold (the run warned or failed).
    public var drifted: [String] = []
}

/// Runs one job for one logical date, end to end:
///
/// 1. takes the job's lock (`pg_try_advisory_lock` on its own direct connection; held:
///    exit 75, nothing written), installs the `sluice` schema if missing, marks the job's
///    stale `running` rows `abandoned` and drops parts they staged;
/// 2. records a `running` ledger row;
/// 3. when it trains: checks the training source's schema against the pipeline, reads it,
///    fits on all but a seeded hold-out, measures the key metric on the hold-out, profiles
///    the training columns into the artifact, stores the artifact as the next version and
///    deploys it by the job's policy;
/// 4. when it scores: checks the scoring source's schema against the deployed model before
///    reading a row, reads it in batches, quarantines rows it cannot publish (CSV rows it
///    cannot read, null or repeated keys) in `sluice.rejects`, scores each batch and COPYs
///    it into the run's staging part, measures drift;
/// 5. fails before publishing when the rejects or the drift pass the job's policy;
///    otherwise publishes the night's partition and marks the run succeeded in ONE
///    transaction (see ``PredictionPublisher``).
///
/// Any failure marks the run `failed` with its error and drops what it staged; a crash
/// leaves the row `running` until the next run abandons it.
public struct JobRunner: Sendable {
    public var job: Job
    public var database: PostgresConfiguration
    public var codec: ArtifactCodec
    public var logger: Logger
    /// Receives progress.
    public var events: (@Sendable (RunEvent) -> Void)?
    /// Called as each phase starts (a test's fault point: throw, sleep, kill the backend).
    public var faults: (@Sendable (RunPhase, PostgresConnection) throws -> Void)?
    /// Checked between phases and batches and by long fits; true stops the run before it
    /// publishes (exit 75).
    public var isCancelled: @Sendable () -> Bool

    public init(job: Job, database: PostgresConfiguration, codec: ArtifactCodec = .standard,
                logger: Logger = Logger(label: "sluice.jobs"), events: (@Sendable (RunEvent) -> Void)? = nil,
                faults: (@Sendable (RunPhase, PostgresConnection) throws -> Void)? = nil,
                isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.job = job
        self.database = database
        self.codec = codec
        self.logger = logger
        self.events = events
        self.faults = faults
        self.isCancelled = isCancelled
    }

    /// Runs `request` once (no retry; see ``run(_:retrying:)``).
    public func run(_ request: RunRequest) async throws -> RunResult {
        try job.validate()
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.name)"
        logger[metadataKey: "logical_date"] = "\(request.logicalDate)"
        if let shard = request.shard { return try await runShard(request, shard: shard, logger: logger) }
        if request.publish { return try await publishShards(request, logger: logger) }
        let db = try PostgresConnection(database)
        defer { db.close() }
        try RunLock.acquire(db, job: job.name)
        defer { RunLock.release(db, job: job.name) }

        var result = RunResult(logicalDate: request.logicalDate)
        if request.dryRun {
            var state = RunState(request: request, result: result, logger: logger)
            try await body(db, &state, run: nil)
            return state.result
        }
        try JobSchema.install(on: db)
        let ledger = RunLedger(db)
        let stale = try ledger.abandonStale(job: job.name)
        if !stale.isEmpty { logger.warning("marked stale runs abandoned", metadata: ["runs": "\(stale)"]) }
        let publisher = PredictionPublisher(db, table: job.predictions.table, keys: job.recipe.keys)
        if try publisher.tableExists() {
            let dropped = try publisher.dropOrphans()
            if !dropped.isEmpty { logger.info("dropped staging left by earlier runs", metadata: ["tables": "\(dropped)"]) }
        }
        let mode = request.mode ?? .both
        let run = try ledger.start(job: job.name, logicalDate: request.logicalDate, mode: mode, attempt: request.attempt)
        result.runID = run
        logger[metadataKey: "run_id"] = "\(run)"
        logger.info("run started", metadata: ["mode": "\(request.mode?.rawValue ?? "auto")", "attempt": "\(request.attempt)"])
        var state = RunState(request: request, result: result, logger: logger)
        do {
            try await body(db, &state, run: run)
            storeReport(db, state, run: run, status: RunStatus.succeeded.rawValue)
            logger.info("run succeeded", metadata: ["rows_written": "\(state.result.counts.written)",
                                                   "model_version": "\(state.result.scoredWith ?? state.result.trainedVersion ?? 0)"])
            return state.result
        } catch {
            publisher.discard(run: run, date: request.logicalDate)
            if db.isAlive, !db.inTransaction {
                try? ledger.finish(run, status: .failed, counts: state.result.counts,
                                   modelVersion: state.result.scoredWith ?? state.result.trainedVersion,
                                   metrics: state.metricsJSON(), error: "\(error)")
                storeReport(db, state, run: run, status: RunStatus.failed.rawValue)
            } else {
                // The connection is gone: record the failure on a new one if we can (the
                // next run marks the row abandoned otherwise).
                if let fresh = try? PostgresConnection(database) {
                    try? RunLedger(fresh).finish(run, status: .failed, counts: state.result.counts,
                                                 modelVersion: state.result.scoredWith ?? state.result.trainedVersion,
                                                 metrics: state.metricsJSON(), error: "\(error)")
                    fresh.close()
                }
            }
            logger.error("run failed", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Runs `request`, retrying failures that may pass (exit class 69 or 75, but never a
    /// held lock) by the job's retry policy, waiting with `sleep` between attempts.
    public func run(_ request: RunRequest, retrying: Bool,
                    sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) async throws -> RunResult {
        var request = request
        while true {
            do { return try await run(request) } catch {
                guard retrying, Self.mayPass(error), request.attempt < job.retry.maxAttempts, !isCancelled() else { throw error }
                let wait = job.retry.delay(after: request.attempt)
                logger.warning("attempt failed; retrying", metadata: ["job": "\(job.name)", "attempt": "\(request.attempt)",
                                                                      "wait": "\(wait)", "error": "\(error)"])
                try await sleep(wait)
                request.attempt += 1
            }
        }
    }

    /// Whether trying again may succeed: a lost or refused connection, a lock or statement
    /// timeout (exit 69, 75), but not another run holding the job or a requested stop.
    static func mayPass(_ error: any Error) -> Bool {
        switch error as? JobError {
        case .locked?, .cancelled?: return false
        default:
            let status = (error as? any ExitClassified)?.exitStatus
            return status == .unavailable || status == .temporaryFailure
        }
    }

    // MARK: The run's body

    struct RunState {
        var request: RunRequest
        var result: RunResult
        var logger: Logger
        var phaseStart = ContinuousClock.now
        var phase: RunPhase?
        /// What the run's report will show.
        var reportParts = RunReportParts()

        func metricsJSON() -> String? {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let finite = result.metrics.filter { $0.value.isFinite }
            return (try? encoder.encode(finite)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    func enter(_ phase: RunPhase, _ state: inout RunState, _ db: PostgresConnection) throws {
        if let previous = state.phase {
            let d = ContinuousClock.now - state.phaseStart
            state.result.metrics["seconds.\(previous.rawValue)", default: 0] += Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        state.phase = phase
        state.phaseStart = .now
        if phase != .commit, isCancelled() { throw JobError.cancelled(job: job.name, phase: phase.rawValue) }
        events?(.phase(phase))
        try faults?(phase, db)
    }

    private func body(_ db: PostgresConnection, _ state: inout RunState, run: RunID?) async throws {
        let date = state.request.logicalDate
        try enter(.prepare, &state, db)
        // A dry run prepares too: without its sources (a demo's generated table) it could
        // check and score nothing on a fresh database.
        if let prepare = job.prepare {
            try await prepare(JobEnvironment(database: database, logicalDate: date))
        }
        let store = ModelStore(db, codec: codec)
        let hasStore = try db.rows("SELECT to_regclass('sluice.deployments') IS NOT NULL").first?.first == "t"
        let deployedVersion = hasStore ? try store.deployedVersion(job: job.name) : nil

        let trains: Bool
        switch state.request.mode {
        case .train?, .both?: trains = true
        case .score?: trains = false
        case nil:
            switch job.cadence {
            case .everyRun: trains = true
            case .on(let schedule): trains = schedule.fires(on: date) || deployedVersion == nil
            case .never: trains = false
            }
        }
        if trains, job.trainingSource == nil {
            throw JobError.configuration(job: job.name, reason: "it has no training source; run it with --mode score")
        }
        var fresh: (version: Int?, pipeline: FittedPipeline, profile: DataProfile)?
        // A run that trains then scores reads its first scoring batches while it fits.
        var readAhead: BatchReadAhead?
        if trains {
            do {
                fresh = try await train(db, &state, run: run, store: store, deployed: deployedVersion,
                                        scoresAfter: state.request.mode != .train, readAhead: &readAhead)
            } catch {
                await readAhead?.cancel()
                throw error
            }
        }
        guard state.request.mode != .train else {
            if let run { try RunLedger(db).finish(run, status: .succeeded, counts: state.result.counts,
                                                  modelVersion: state.result.trainedVersion, metrics: state.metricsJSON(), error: nil) }
            return
        }
        // Score with the deployed model (the one just trained if it was deployed, or in a dry run).
        if let fresh, state.result.deployed || fresh.version == nil {
            try await score(db, &state, run: run, version: fresh.version ?? 0, fitted: fresh.pipeline, profile: fresh.profile,
                            readAhead: readAhead)
        } else if hasStore, let deployed = try store.deployed(job: job.name) {
            try await score(db, &state, run: run, version: deployed.version, fitted: deployed.pipeline,
                            profile: Self.trainingProfile(deployed.metadata),
                            readAhead: readAhead)
        } else {
            await readAhead?.cancel()
            throw JobError.noDeployedModel(job: job.name)
        }
    }

    // MARK: Training

    private func train(_ db: PostgresConnection, _ state: inout RunState, run: RunID?, store: ModelStore,
                       deployed: (version: Int, keyValue: Double?)?, scoresAfter: Bool,
                       readAhead: inout BatchReadAhead?) async throws -> (Int?, FittedPipeline, DataProfile) {
        let date = state.request.logicalDate
        guard let source = job.trainingSource, let target = job.recipe.target else {
            throw JobError.configuration(job: job.name, reason: "training needs a source and a target")
        }
        try enter(.readTraining, &state, db)
        let described = try await source.schema(database, date: date, job: job.name)
        let needed = [target] + job.recipe.keys
        let missing = needed.filter { !described.names.contains($0) }
        if !missing.isEmpty {
            throw JobError.schemaMismatch(job: job.name, source: "training \(source)", problems: missing.map { "no column '\($0)'" })
        }
        if let schema = described.schema {
            do { try job.recipe.check(schema) } catch {
                throw JobError.schemaMismatch(job: job.name, source: "training \(source)", problems: ["\(error)"])
            }
        }
        var rows = try await source.readAll(database, date: date, job: job.name, role: "training")
        let readCount = rows.frame.rowCount
        try quarantine(rows.rejects, db: db, run: run, read: readCount + rows.rejects.count, state: &state)
        // One reference to the training rows from here on, so that the fit can free them.
        var labelled = try rows.frame.droppingNulls(in: [target])
        rows.frame = Frame()
        state.result.metrics["rows_trained"] = Double(labelled.rowCount)
        state.result.metrics["rows_unlabelled_skipped"] = Double(readCount - labelled.rowCount)
        events?(.rowsRead(readCount, source: "training"))
        state.logger.info("training rows read", metadata: ["rows": "\(labelled.rowCount)", "source": "\(source)"])

        if scoresAfter, let schema = described.schema {
            readAhead = try await startScoringRead(training: schema, target: target, date: date)
        }

        try enter(.fit, &state, db)
        let events = self.events
        let observer: @Sendable (FitProgress) -> Void = { events?(.fit($0)) }
        var holdout: Frame?
        if job.holdoutFraction > 0, labelled.rowCount >= 10 {
            var rng = SeededGenerator(seed: job.seed ^ 0x5EED_0F_4A0D)
            let labels = job.recipe.targetKind == .classes ? try? ClassLabels(column: try labelled.column(target), name: target) : nil
            let split = try Splitter.trainTest(rows: labelled.rowCount, testFraction: job.holdoutFraction, stratifyBy: labels, using: &rng)
            holdout = try labelled.taking(rows: split.test)
            labelled = try labelled.taking(rows: split.train)
        }
        // The drift profile is taken beside the fit, from its own reference to the rows: the
        // fit is handed the rows and frees each column once no stage needs it.
        let trained = labelled.rowCount
        let profiled = labelled.columnNames.filter { $0 != target && !job.recipe.keys.contains($0) }
        let profiling = Task { [labelled] in try DataProfile(labelled, columns: profiled) }
        let fitted = try job.recipe.fit(consume labelled, seed: job.seed, observer: observer, isCancelled: isCancelled)
        var profile = try await profiling.value
        profile.keep(fitted.inputSchema.names)
        var metrics: [String: Double] = ["rows_trained": Double(trained)]
        var keyName: String?, keyValue: Double?
        if let holdout {
            let scoring = job.metric ?? Self.defaultMetric(fitted)
            let predictions = try fitted.predict(holdout)
            let value = try scoring.score(predictions, truth: try holdout.column(target))
            keyName = scoring.name
            keyValue = value
            metrics["holdout." + scoring.name] = value
            metrics["rows_holdout"] = Double(holdout.rowCount)
            state.result.metrics["holdout." + scoring.name] = value
            state.reportParts.holdout = (fitted, holdout, predictions)
            state.reportParts.metricName = scoring.name
            state.reportParts.trainedValue = value
            state.reportParts.previousValue = deployed?.keyValue
            state.logger.info("model fitted", metadata: ["kind": "\(fitted.model.kind)", "metric": "\(scoring.name)", "value": "\(value)"])
        }
        guard let run else { return (nil, fitted, profile) }

        try enter(.store, &state, db)
        let bytes = try Artifact.encode(fitted, metrics: metrics, annotations: ["training_profile": try JSONValue(encoding: profile)])
        let version = try store.store(job: job.name, run: run, artifact: bytes, keyMetric: keyName, keyValue: keyValue)
        state.result.trainedVersion = version
        let deploy: String?
        switch job.deployment {
        case .always: deploy = "always"
        case .manual: deploy = nil
        case .whenImproved:
            if let deployed {
                if let keyValue, let old = deployed.keyValue {
                    deploy = keyValue > old ? "\(keyName ?? "metric") \(keyValue) > \(old) of v\(deployed.version)" : nil
                } else {
                    deploy = keyValue != nil ? "the deployed v\(deployed.version) has no metric" : nil
                }
            } else {
                deploy = "first model"
            }
        }
        state.reportParts.decision = deploy.map { "Trained v\(version) and deployed it: \($0)." }
            ?? "Trained v\(version) and kept \(deployed.map { "v\($0.version)" } ?? "no model") deployed (policy: \(job.deployment))."
        if let deploy {
            try store.deploy(job: job.name, version: version, run: run, reason: deploy)
            state.result.deployed = true
            state.logger.info("model deployed", metadata: ["version": "\(version)", "reason": "\(deploy)"])
        } else {
            state.logger.info("model stored, not deployed", metadata: ["version": "\(version)",
                                                                       "deployed": "\(deployed.map { "v\($0.version)" } ?? "none")"])
        }
        return (version, fitted, profile)
    }

    /// How many scoring batches a training run reads while it fits.
    static let readAheadBatches = 4

    /// Starts reading the scoring source (PostgreSQL only) when its schema has every training
    /// column but the target, with the same type: the model will then read nothing it lacks.
    /// The exact check against the fitted model still runs before a batch is used; a source
    /// that fails this one is not read before it.
    private func startScoringRead(training: Schema, target: String, date: LogicalDate) async throws -> BatchReadAhead? {
        guard let pg = job.scoringSource.postgres(database, date: date) else { return nil }
        let scoring = try await job.scoringSource.schema(database, date: date, job: job.name)
        guard let schema = scoring.schema else { return nil }
        for field in training.fields where field.name != target {
            guard schema[field.name]?.type == field.type else { return nil }
        }
        return BatchReadAhead(try await pg.batches(of: job.batchRows), ahead: Self.readAheadBatches)
    }

    /// The training columns' profile a stored artifact carries (for the drift gate).
    static func trainingProfile(_ metadata: Artifact.Metadata) -> DataProfile? {
        metadata.annotations?["training_profile"].flatMap {
            try? JSONDecoder().decode(DataProfile.self, from: JSONEncoder().encode($0))
        }
    }

    /// ROC-AUC of the second class for two classes, accuracy for more, R² for values.
    static func defaultMetric(_ fitted: FittedPipeline) -> Scoring {
        if let classes = fitted.target?.classes {
            return classes.count == 2 ? .rocAUC(positive: classes[1]) : .accuracy
        }
        return .r2
    }

    // MARK: Scoring

    func score(_ db: PostgresConnection, _ state: inout RunState, run: RunID?, version: Int, fitted: FittedPipeline,
                       profile: DataProfile?, readAhead: BatchReadAhead?) async throws {
        let date = state.request.logicalDate
        let source = job.scoringSource
        let shard = state.request.shard, part = shard?.index ?? 0
        state.result.scoredWith = version
        state.reportParts.scoring = fitted
        if state.reportParts.decision.isEmpty { state.reportParts.decision = "Scored with the deployed v\(version)." }
        try enter(.readScoring, &state, db)
        // Schema before data: every column the model reads, and the keys, with their types.
        let described = try await source.schema(database, date: date, job: job.name)
        let keys = job.recipe.keys
        var problems = keys.filter { !described.names.contains($0) }.map { "no key column '\($0)'" }
        if let schema = described.schema {
            problems += fitted.schemaProblems(schema).map(\.description)
        } else {
            problems += fitted.inputSchema.fields.filter { !described.names.contains($0.name) }
                .map { "no column '\($0.name)' (\($0.type))" }
        }
        if !problems.isEmpty {
            var readAhead = readAhead
            await readAhead?.cancel()
            throw JobError.schemaMismatch(job: job.name, source: "scoring \(source)", problems: problems)
        }

        let constants: [ScoreOutput.Constant] = [
            .init("logical_date", .date(date.days)), .init("shard", .int64(Int64(part))),
            .init("model_version", .int64(Int64(version))), .init("run_id", .int64(run ?? 0)),
            .timestamp("scored_at", Date()),
        ]
        let output = ScoreOutput(prediction: job.predictions.prediction, probabilityPrefix: job.predictions.probabilityPrefix,
                                 constants: constants, keys: keys, reasons: job.predictions.reasons)
        let publisher = PredictionPublisher(db, table: job.predictions.table, keys: keys)
        var drift = profile.map(DriftMeter.init)
        var keyCheck = KeyCheck(keys: keys)
        var rejects: [Reject] = []
        var staged = false, report = TransformReport()

        func handle(_ batch: Frame, lines: [Int]?, _ state: inout RunState) throws {
            state.result.counts.read += batch.rowCount
            let (good, bad) = try keyCheck.filter(batch, source: "scoring \(source)", lines: lines)
            rejects += bad
            drift?.add(good)
            if isCancelled() { throw JobError.cancelled(job: job.name, phase: RunPhase.score.rawValue) }
            let scored = try fitted.score(good, output: output, report: &report)
            state.result.counts.scored += scored.rowCount
            guard let run else { return }
            if !staged { try publisher.ensureTable(for: scored.schema, job: job.name) }
            state.result.counts.written += try publisher.stage(scored, run: run, date: date, shard: part, append: staged, finish: false)
            staged = true
            events?(.rowsStaged(state.result.counts.written))
        }

        try enter(.score, &state, db)
        let pgSource = try shard.map { try source.postgres(database, date: date, shard: $0, keys: keys, connection: db) }
            ?? source.postgres(database, date: date)
        if let pg = pgSource {
            // The next batch is read while this one is scored and staged.
            var reader: BatchReadAhead
            if let readAhead { reader = readAhead } else { reader = BatchReadAhead(try await pg.batches(of: job.batchRows)) }
            do {
                while let batch = try await reader.next() {
                    try handle(batch, lines: nil, &state)
                    events?(.rowsRead(state.result.counts.read, source: "scoring"))
                }
            } catch {
                await reader.cancel()
                throw error
            }
        } else {
            let types = Dictionary((fitted.keys + fitted.inputSchema.fields).map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
            let rows = try await source.readAll(database, date: date, job: job.name, role: "scoring", columnTypes: types)
            // A shard keeps the rows whose keys hash to it, and its own unreadable lines.
            let own = shard.map { s in rows.rejects.filter { s.owns(line: $0.line) } } ?? rows.rejects
            rejects += own
            state.result.counts.read += own.count
            let skipped = Set(rows.rejects.compactMap(\.line))
            let csv = try source.csvInput(date: date, job: job.name)
            let picked = try shard.map { try $0.rows(of: rows.frame, keys: keys) }
            let mine = try picked.map { try rows.frame.taking(rows: $0) } ?? rows.frame
            var start = 0
            repeat {
                let end = min(mine.rowCount, start + job.batchRows)
                let sourceRows = picked.map { Array($0[start..<end]) } ?? Array(start..<end)
                let lineMap = csv?.lines(ofRows: sourceRows, skippedLines: skipped)
                try handle(mine.slice(start..<end), lines: lineMap.map { m in sourceRows.map { m[$0] ?? 0 } }, &state)
                start = end
            } while start < mine.rowCount
            events?(.rowsRead(state.result.counts.read, source: "scoring"))
        }
        if report.totalUnknown > 0 { state.result.metrics["unknown_categories"] = Double(report.totalUnknown) }
        try quarantine(rejects, db: db, run: run, read: state.result.counts.read, state: &state)

        // The drift gate, before anything is published.
        if let drift {
            state.reportParts.drift = Self.driftSection(drift, policy: job.drift)
            let threshold = job.drift.threshold
            for (column, psi) in drift.indices() {
                state.result.metrics["psi." + column] = psi
                if psi > threshold { state.result.drifted.append(column) }
            }
            if !state.result.drifted.isEmpty, job.drift.action != .off {
                let named = state.result.drifted.map { "\($0) (PSI \(String(format: "%.3f", state.result.metrics["psi." + $0] ?? 0)))" }
                if job.drift.action == .fail { throw JobError.drift(job: job.name, columns: named, threshold: threshold) }
                state.logger.warning("input drifted", metadata: ["columns": "\(named)"])
            }
        }
        guard let run else { return }
        if !staged {
            // Nothing to score tonight: publish an empty night (replacing the date's rows).
            let empty = try Frame.empty(try fitted.outputSchema(for: output, input: nil))
            try publisher.ensureTable(for: empty.schema, job: job.name)
            try publisher.stage(empty, run: run, date: date, shard: part, finish: false)
        }
        try enter(.stage, &state, db)
        try publisher.seal(run: run, date: date, shard: part)
        // A shard stops here: the publish step commits every shard at once.
        guard shard == nil else { return }

        try enter(.publish, &state, db)
        let finish = RunLedger(db).finishStatement(run, status: .succeeded, counts: state.result.counts,
                                                   modelVersion: version, metrics: state.metricsJSON(), error: nil)
        let faults = self.faults
        let publishStart = ContinuousClock.now
        try publisher.publish(run: run, date: date, alsoInTransaction: [finish]) {
            try faults?(.commit, db)
        }
        // The publishing transaction's own time, known only after COMMIT: added to the
        // ledger row's metrics (`seconds.commit`) by a second, metrics-only update.
        let took = ContinuousClock.now - publishStart
        let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) * 1e-18
        state.result.metrics["seconds.commit"] = seconds
        _ = try? db.execute("UPDATE sluice.runs SET metrics = coalesce(metrics, '{}'::jsonb) || jsonb_build_object('seconds.commit', $2::float8) WHERE run_id = $1",
                            [.int64(run), .double(seconds)])
        state.logger.info("predictions published", metadata: ["rows": "\(state.result.counts.written)",
                                                               "table": "\(job.predictions.table)"])
    }

    /// Records `rejects` in `sluice.rejects` (committed at once: they explain a failed run
    /// too) and fails the run when they pass the job's policy.
    private func quarantine(_ rejects: [Reject], db: PostgresConnection, run: RunID?, read: Int, state: inout RunState) throws {
        guard !rejects.isEmpty else { return }
        state.result.counts.rejected += rejects.count
        if let run {
            let frame = try Frame(named: [
                ("run_id", .int64(rejects.map { _ in run })),
                ("source", .string(rejects.map(\.source))),
                ("line", .int64(rejects.map { $0.line.map(Int64.init) })),
                ("key", .string(rejects.map(\.key))),
                ("column_name", .string(rejects.map(\.column))),
                ("reason", .string(rejects.map { Redaction.redact($0.reason) })),
            ])
            try db.write(frame, to: TableName("rejects", schema: "sluice"), mode: .append,
                         options: PostgresWriteOptions(createIfMissing: false))
        }
        state.logger.warning("rows rejected", metadata: ["rows": "\(rejects.count)", "first": "\(rejects[0].reason)"])
        let p = job.rejects
        guard p.allows(rejected: state.result.counts.rejected, of: max(read, state.result.counts.read)) else {
            let policy = [p.maxCount.map { "at most \($0) rows" }, p.maxFraction.map { "at most \($0 * 100)%" }]
                .compactMap { $0 }.joined(separator: ", ")
            throw JobError.tooManyRejects(job: job.name, rejected: state.result.counts.rejected,
                                          read: max(read, state.result.counts.read), policy: policy.isEmpty ? "none" : policy)
        }
    }
}

/// Null and repeated keys, which cannot be published: such rows are rejected (a repeated
/// key's later rows), across every batch of a run.
struct KeyCheck {
    let keys: [String]
    var seen = Set<[Value]>()
    var seenInt = Set<Int64>()

    init(keys: [String]) { self.keys = keys }

    mutating func filter(_ frame: Frame, source: String, lines: [Int]?) throws -> (Frame, [Reject]) {
        let columns = try keys.map { try frame.column($0) }
        var keep = [Bool](repeating: true, count: frame.rowCount)
        var rejects: [Reject] = []
        let singleInt: [Int64]? = columns.count == 1 && columns[0].type == .int64 ? try columns[0].int64Values() : nil
        for i in 0..<frame.rowCount {
            let line = lines.map { $0[i] }.flatMap { $0 > 0 ? $0 : nil }
            if let nullKey = zip(keys, columns).first(where: { $0.1.isNull(i) }) {
                keep[i] = false
                rejects.append(Reject(source: source, line: line, column: nullKey.0, reason: "the key column '\(nullKey.0)' is null"))
                continue
            }
            let fresh: Bool
            if let singleInt { fresh = seenInt.insert(singleInt[i]).inserted } else { fresh = seen.insert(columns.map { $0[i] }).inserted }
            if !fresh {
                keep[i] = false
                let key = columns.map { $0[i].description }.joined(separator: ", ")
                rejects.append(Reject(source: source, line: line, key: key, reason: "the key (\(key)) repeats an earlier row"))
            }
        }
        return rejects.isEmpty ? (frame, []) : (try frame.filtered(by: keep), rejects)
    }
}
