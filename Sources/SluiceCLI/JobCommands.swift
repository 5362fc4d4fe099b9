import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceFrame
import SluiceJobs
import SluiceLearn
import SluiceNeural
import SluicePipeline
import SluicePostgres
import UnixSignals

/// The codec the command line loads models with: every stage and model kind Sluice ships,
/// the classic learners and the neural networks.
let jobCodec = ArtifactCodec.standard.adding(models: ArtifactCodec.neuralModelKinds)

/// `sluice list`: the registered jobs.
public struct ListCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "list", abstract: "List the jobs registered in pipelines/main.swift.")
    public init() {}

    public func run() throws {
        let jobs = JobRegistry.all
        if jobs.isEmpty {
            print("no jobs are registered (add them in pipelines/main.swift)\n", terminator: "")
            return
        }
        var rows: [[String]] = [["job", "schedule", "trains", "training", "scoring", "predictions", "learner"]]
        for job in jobs {
            let cadence: String = switch job.cadence {
            case .everyRun: "every run"
            case .on(let s): "on \(s)"
            case .never: "never"
            }
            rows.append([job.name, job.schedule.map { "\($0)" } ?? "by hand", cadence,
                         job.trainingSource.map { "\($0)" } ?? "—", "\(job.scoringSource)", "\(job.predictions.table)", job.recipe.learner])
        }
        print(TextTable.render(rows), terminator: "")
    }
}

/// `sluice run JOB`: one run, now.
public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a job once: train and/or score, and publish the night's predictions in one transaction.",
        discussion: """
            Exit statuses: 0 published; 64 unknown job or bad options; 65 bad data (schema mismatch, \
            too many rejects, drift); 66 a CSV source is missing; 69 database unavailable; \
            75 another run holds the job (nothing written) or the run was stopped; 78 configuration.
            """
    )

    @Argument(help: "The job's name (see `sluice list`).")
    var job: String

    @Option(help: "The night the run is for, YYYY-MM-DD (default: today in the schedule's time zone).")
    var logicalDate: String?

    @Option(help: "train, score or both (default: the job's training cadence decides, then it scores).")
    var mode: String?

    @Flag(help: "Run the job's prepare step, then read, check, fit and score, but write no ledger row, model or prediction.")
    var dryRun = false

    @Flag(help: "Do not retry transient failures.")
    var noRetry = false

    @Option(help: "Score and stage only shard K of N (K/N, 0-based) with the deployed model; then publish with --publish.")
    var shard: String?

    @Flag(help: "Publish the night's sharded run once every shard is staged (exit 75 naming the missing shards otherwise).")
    var publish = false

    @OptionGroup var database: DatabaseOptions

    public init() {}

    public func validate() throws {
        if let mode, RunMode(rawValue: mode) == nil { throw ValidationError("--mode must be train, score or both, got '\(mode)'") }
        if let shard, JobShard(shard) == nil { throw ValidationError("--shard must be K/N with 0 ≤ K < N ≤ 1024, got '\(shard)'") }
        if shard != nil, publish { throw ValidationError("--shard stages one shard; --publish publishes them all: run them separately") }
        if shard != nil || publish, dryRun || (mode != nil && mode != "score") {
            throw ValidationError("--shard and --publish score with the deployed model: no --dry-run, no --mode train or both")
        }
        if let logicalDate, LogicalDate(logicalDate) == nil {
            throw ValidationError("--logical-date must be a date YYYY-MM-DD, got '\(logicalDate)'")
        }
    }

    public func run() async throws {
        do {
            let job = try JobRegistry.job(named: self.job)
            let configuration = try await database.configuration()
            let date = logicalDate.flatMap(LogicalDate.init)
                ?? LogicalDate(Date(), in: TimeZone(identifier: job.schedule?.timeZoneIdentifier ?? "UTC") ?? .gmt)
            let stop = StopFlag()
            let signals = Task { await StopSignals.watch(stop) }
            defer { signals.cancel() }
            let progress = RunProgress()
            let runner = JobRunner(job: job, database: configuration, codec: jobCodec, logger: CLILogging.logger("sluice.run"),
                                   events: progress.handle, faults: FaultInjection.fromEnvironment(),
                                   isCancelled: { stop.isSet })
            let request = RunRequest(logicalDate: date, mode: mode.flatMap(RunMode.init), dryRun: dryRun,
                                     shard: shard.flatMap(JobShard.init), publish: publish)
            let result = try await runner.run(request, retrying: !noRetry)
            progress.finish()
            print(Self.summary(job, result, dryRun: dryRun, shard: request.shard) + "\n", terminator: "")
        } catch {
            throw ExitCodes.report(error)
        }
    }

    static func summary(_ job: Job, _ r: RunResult, dryRun: Bool, shard: JobShard? = nil) -> String {
        var parts: [String] = []
        if let v = r.trainedVersion { parts.append("trained v\(v)" + (r.deployed ? " (deployed)" : " (not deployed)")) }
        if let m = r.metrics.first(where: { $0.key.hasPrefix("holdout.") }) {
            parts.append("\(m.key.dropFirst("holdout.".count)) \(String(format: "%.4f", m.value))")
        }
        if let v = r.scoredWith {
            parts.append("\(r.counts.scored) rows scored with v\(v)")
            if shard != nil {
                parts.append("\(r.counts.written) staged for \(r.logicalDate) (published by --publish)")
            } else if !dryRun {
                parts.append("\(r.counts.written) written to \(job.predictions.table) for \(r.logicalDate)")
            }
        }
        if r.counts.rejected > 0 { parts.append("\(r.counts.rejected) rejected") }
        if !r.drifted.isEmpty { parts.append("drift in \(r.drifted.joined(separator: ", "))") }
        let head = dryRun ? "dry run of \(job.name)"
            : shard.map { "shard \($0) of run \(r.runID.map(String.init) ?? "?") of \(job.name) staged" }
            ?? "run \(r.runID.map(String.init) ?? "?") of \(job.name) succeeded"
        return head + ": " + parts.joined(separator: "; ")
    }
}

/// `sluice schedule [JOB…]`: the daemon.
public struct ScheduleCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Run jobs on their schedules until SIGTERM (finishing or rolling back the current run).")

    @Argument(help: "The jobs to schedule (default: every job with a schedule).")
    var jobs: [String] = []

    @Flag(help: "Do not catch up the latest missed run of each job at start.")
    var noCatchUp = false

    @Option(help: "Seconds a run may take to stop after SIGTERM before it is cancelled.")
    var gracePeriod: Int = 300

    @OptionGroup var database: DatabaseOptions

    public init() {}

    public func run() async throws {
        do {
            let selected = try jobs.isEmpty ? JobRegistry.all : jobs.map { name throws(JobError) in try JobRegistry.job(named: name) }
            let configuration = try await database.configuration()
            let logger = CLILogging.logger("sluice.scheduler")
            let scheduler = JobScheduler(jobs: selected, logger: logger, catchUp: !noCatchUp) { job, isStopping in
                JobRunner(job: job, database: configuration, codec: jobCodec, logger: CLILogging.logger("sluice.run"),
                          isCancelled: isStopping)
            }
            var config = ServiceGroupConfiguration(services: [.init(service: scheduler)], logger: logger)
            config.gracefulShutdownSignals = [.sigterm, .sigint]
            config.cancellationSignals = [.sigquit]
            config.maximumGracefulShutdownDuration = .seconds(gracePeriod)
            try await ServiceGroup(configuration: config).run()
        } catch {
            throw ExitCodes.report(error)
        }
    }
}

/// `sluice history JOB`: the job's runs.
public struct HistoryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "history", abstract: "Show a job's runs, newest first.")

    @Argument(help: "The job's name.")
    var job: String

    @Option(help: "How many runs.")
    var limit: Int = 20

    @OptionGroup var database: DatabaseOptions

    public init() {}

    public func run() async throws {
        do {
            let connection = try PostgresConnection(try await database.configuration())
            defer { connection.close() }
            guard try connection.rows("SELECT to_regclass('sluice.runs') IS NOT NULL").first?.first == "t" else {
                print("no runs yet (the sluice schema is created by the first run)\n", terminator: "")
                return
            }
            let runs = try RunLedger(connection).history(job: job, limit: max(1, limit))
            let reported = Set(try connection.rows("""
                SELECT r.run_id FROM sluice.run_reports r JOIN sluice.runs u USING (run_id) WHERE u.job = $1
                """, [.string(job)]).compactMap { $0[0] })
            var rows: [[String]] = [["run", "logical date", "mode", "try", "status", "started", "ended", "read", "scored",
                                     "rejected", "written", "model", "report", "error"]]
            for r in runs {
                rows.append(["\(r.runID)", "\(r.logicalDate)", r.mode, "\(r.attempt)", r.status.rawValue, r.startedAt, r.endedAt ?? "",
                             r.rowsRead.map(String.init) ?? "", r.rowsScored.map(String.init) ?? "", r.rowsRejected.map(String.init) ?? "",
                             r.rowsWritten.map(String.init) ?? "", r.modelVersion.map { "v\($0)" } ?? "",
                             reported.contains("\(r.runID)") ? "yes" : "",
                             r.error.map { $0.count > 60 ? String($0.prefix(57)) + "…" : $0 } ?? ""])
            }
            print(runs.isEmpty ? "no runs of \(job)\n" : TextTable.render(rows), terminator: "")
            if let latest = runs.first(where: { reported.contains("\($0.runID)") }) {
                print("report of a run: sluice report --run \(latest.runID) --output run-\(latest.runID).html")
            }
        } catch {
            throw ExitCodes.report(error)
        }
    }
}

/// `sluice models JOB`: the stored versions.
public struct ModelsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "models", abstract: "List a job's stored model versions (* deployed).")

    @Argument(help: "The job's name.")
    var job: String

    @OptionGroup var database: DatabaseOptions

    public init() {}

    public func run() async throws {
        do {
            let connection = try PostgresConnection(try await database.configuration())
            defer { connection.close() }
            guard try connection.rows("SELECT to_regclass('sluice.models') IS NOT NULL").first?.first == "t" else {
                print("no models yet\n", terminator: "")
                return
            }
            let versions = try ModelStore(connection, codec: jobCodec).versions(job: job)
            var rows: [[String]] = [["", "version", "created", "run", "kind", "key metric", "value", "sha256"]]
            for m in versions {
                rows.append([m.deployed ? "*" : "", "v\(m.version)", m.createdAt, m.runID.map(String.init) ?? "", m.kind,
                             m.keyMetric ?? "", m.keyValue.map { String(format: "%.4f", $0) } ?? "", String(m.sha256.prefix(12))])
            }
            print(versions.isEmpty ? "no models of \(job)\n" : TextTable.render(rows), terminator: "")
        } catch {
            throw ExitCodes.report(error)
        }
    }
}

/// `sluice deploy JOB VERSION`: deploy or roll back.
public struct DeployCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "deploy", abstract: "Deploy a stored model version of a job (or roll back to one).")

    @Argument(help: "The job's name.")
    var job: String

    @Argument(help: "The version (as `sluice models` lists it, with or without the v).")
    var version: String

    @OptionGroup var database: DatabaseOptions

    public init() {}

    public func run() async throws {
        do {
            guard let v = Int(version.hasPrefix("v") ? String(version.dropFirst()) : version), v > 0 else {
                throw ValidationError("VERSION must be a positive number, got '\(version)'")
            }
            let connection = try PostgresConnection(try await database.configuration())
            defer { connection.close() }
            try JobSchema.install(on: connection)
            let store = ModelStore(connection, codec: jobCodec)
            _ = try store.load(job: job, version: v)  // refuse a version that no longer decodes
            try store.deploy(job: job, version: v, run: nil, reason: "by hand (sluice deploy)")
            print("\(job): v\(v) deployed\n", terminator: "")
        } catch {
            throw ExitCodes.report(error)
        }
    }
}

/// Plain fixed-width tables for the listing commands.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }
}

/// Sets a flag on the first SIGTERM or SIGINT, so a run stops at its next phase boundary
/// (rolling back; a run already publishing finishes).
enum StopSignals {
    static func watch(_ flag: StopFlag) async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        for await _ in signals {
            ExitCodes.printError("sluice: stopping at the next phase boundary (nothing half-published)")
            flag.set()
            return
        }
    }
}

/// Test-only fault points, from `SLUICE_FAULT=PHASE:sleep:SECONDS` (pause at a phase, for a
/// test to kill the process there) or `PHASE:fail`.
enum FaultInjection {
    static func fromEnvironment() -> (@Sendable (RunPhase, PostgresConnection) throws -> Void)? {
        guard let spec = ProcessInfo.processInfo.environment["SLUICE_FAULT"] else { return nil }
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count >= 2, let phase = RunPhase(rawValue: parts[0]) else { return nil }
        return { current, _ in
            guard current == phase else { return }
            if parts[1] == "sleep" {
                FileHandle.standardError.write(Data("sluice: SLUICE_FAULT pausing at \(phase.rawValue)\n".utf8))
                Thread.sleep(forTimeInterval: Double(parts.count > 2 ? parts[2] : "30") ?? 30)
            } else {
                throw JobError.configuration(job: "fault", reason: "SLUICE_FAULT failed the run at \(phase.rawValue)")
            }
        }
    }
}
