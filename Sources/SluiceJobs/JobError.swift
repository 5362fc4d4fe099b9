import SluiceFrame
import SluicePipeline

/// Why a job run failed, with the job and the place; each case has its exit status.
public enum JobError: Error, Sendable, Equatable, CustomStringConvertible, ExitClassified {
    /// The job definition is wrong (78).
    case configuration(job: String, reason: String)
    /// No job of that name is registered (64).
    case unknownJob(String, known: [String])
    /// Another run of the job holds its lock: nothing was written (75).
    case locked(job: String, holder: String?)
    /// Scoring needs a deployed model and the job has none (78).
    case noDeployedModel(job: String)
    /// The model store has no such version (65).
    case unknownVersion(job: String, version: Int)
    /// The source's columns do not fit the pipeline or model, found before any row was read (65).
    case schemaMismatch(job: String, source: String, problems: [String])
    /// Too many source rows were rejected: nothing was published (65).
    case tooManyRejects(job: String, rejected: Int, read: Int, policy: String)
    /// Tonight's rows drifted from the training rows: nothing was published (65).
    case drift(job: String, columns: [String], threshold: Double)
    /// A CSV source is missing (66).
    case missingSource(job: String, path: String)
    /// The predictions table exists with another shape (65).
    case predictionsTable(job: String, table: String, reason: String)
    /// The run was stopped (SIGTERM, a cancelled task) before it published (75).
    case cancelled(job: String, phase: String)
    /// A run has no stored report (66).
    case noReport(run: Int64)
    /// `--publish` found no sharded run of the night, or not every shard staged (75: run
    /// the missing shards, then publish again).
    case shardsIncomplete(job: String, logicalDate: String, missing: [Int], count: Int?)

    public var description: String {
        switch self {
        case let .configuration(job, reason): "job \(job): \(reason)"
        case let .unknownJob(name, known):
            "no job named '\(name)'" + (known.isEmpty ? " (none is registered in pipelines/main.swift)" : "; jobs: \(known.joined(separator: ", "))")
        case let .locked(job, holder):
            "job \(job): another run holds the job's lock" + (holder.map { " (\($0))" } ?? "") + "; nothing was written"
        case let .noDeployedModel(job): "job \(job): no model is deployed; run with --mode train (or both), or `sluice deploy \(job) VERSION`"
        case let .unknownVersion(job, version): "job \(job): the model store has no version \(version)"
        case let .schemaMismatch(job, source, problems):
            "job \(job): \(source) does not fit the model: " + problems.joined(separator: "; ")
        case let .tooManyRejects(job, rejected, read, policy):
            "job \(job): \(rejected) of \(read) source rows rejected, more than the policy allows (\(policy)); nothing was published (see sluice.rejects)"
        case let .drift(job, columns, threshold):
            "job \(job): input drifted past PSI \(threshold) in \(columns.joined(separator: ", ")); nothing was published"
        case let .missingSource(job, path): "job \(job): \(path): no such file"
        case let .predictionsTable(job, table, reason): "job \(job): predictions table \(table): \(reason)"
        case let .cancelled(job, phase): "job \(job): stopped during \(phase) before publishing; nothing was published"
        case let .noReport(run): "run \(run) has no stored report (`sluice history JOB` shows which runs have one)"
        case let .shardsIncomplete(job, date, missing, count):
            if let count {
                "job \(job): shards \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")) of \(date) are not staged; nothing was published"
            } else {
                "job \(job): no sharded run of \(date) is staging (run `sluice run \(job) --shard K/N` first); nothing was published"
            }
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .configuration, .noDeployedModel: .configuration
        case .unknownJob: .usage
        case .locked, .cancelled, .shardsIncomplete: .temporaryFailure
        case .unknownVersion, .schemaMismatch, .tooManyRejects, .drift, .predictionsTable: .dataError
        case .missingSource, .noReport: .noInput
        }
    }
}
