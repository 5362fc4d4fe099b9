import Foundation
import SluiceCSV
import SluiceFrame
import SluicePipeline
import SluicePostgres

/// A nightly job: where its training and scoring rows come from, the pipeline it fits, where
/// its predictions go, when it runs and what it does when something goes wrong.
///
/// ```swift
/// let churn = Job(
///     "churn",
///     training: .query("SELECT * FROM churn WHERE churned IS NOT NULL"),
///     scoring: .query("SELECT * FROM churn WHERE churned IS NULL"),
///     pipeline: Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression()) {
///         SimpleImputer(strategy: .median)
///         OneHotEncoder()
///     },
///     predictions: PredictionTable("churn_scores"),
///     schedule: .daily(at: 2, 30, timeZone: "Europe/Berlin"),
///     cadence: .weekly(on: .sunday))
/// ```
///
/// A job is a value: `pipelines/main.swift` passes the list of jobs to ``JobRegistry`` (through
/// `SluiceCLI.run(jobs:)`), and `sluice run NAME` runs one of them.
public struct Job: Sendable {
    /// The job's name: its key in the ledger and the model store (letters, digits, `_`, `-`).
    public var name: String
    /// Where labelled rows come from; `nil` for a job that only scores with a model deployed by hand.
    public var trainingSource: JobSource?
    /// The rows to score each run.
    public var scoringSource: JobSource
    /// What each run fits (stages, sampler, learner, target and keys).
    public var recipe: ModelRecipe
    /// Where predictions are published.
    public var predictions: PredictionTable
    /// When the scheduler fires the job (`nil`: only by hand).
    public var schedule: Schedule?
    /// On which runs a new model is trained (the others score with the deployed model).
    public var cadence: TrainingCadence
    /// When a newly trained model replaces the deployed one.
    public var deployment: DeploymentPolicy
    /// The key metric, measured on held-out rows (higher is better); `nil` chooses ROC-AUC
    /// of the second class for two classes, accuracy for more, R² for a regressor.
    public var metric: Scoring?
    /// The fraction of labelled rows held out to measure the key metric (0 fits on all of
    /// them and measures nothing).
    public var holdoutFraction: Double
    /// How often a failed run is tried again, and how long it waits.
    public var retry: RetryPolicy
    /// How many rejected source rows a run tolerates.
    public var rejects: RejectPolicy
    /// The drift gate between the training data and tonight's rows.
    public var drift: DriftPolicy
    /// The seed of every fit (and of the hold-out split).
    public var seed: UInt64
    /// Rows read and scored per batch (bounds a score-only run's memory).
    public var batchRows: Int
    /// Runs before each run reads anything (a demo creates its table here).
    public var prepare: (@Sendable (JobEnvironment) async throws -> Void)?

    /// A job fitting `pipeline` on `training` and scoring `scoring` into `predictions`.
    public init<L: Learner>(_ name: String, training: JobSource?, scoring: JobSource, pipeline: Pipeline<L>,
                            predictions: PredictionTable, schedule: Schedule? = nil, cadence: TrainingCadence = .everyRun,
                            deployment: DeploymentPolicy = .whenImproved, metric: Scoring? = nil,
                            holdoutFraction: Double = 0.2, retry: RetryPolicy = RetryPolicy(),
                            rejects: RejectPolicy = RejectPolicy(), drift: DriftPolicy = DriftPolicy(), seed: UInt64 = 0,
                            batchRows: Int = 100_000, prepare: (@Sendable (JobEnvironment) async throws -> Void)? = nil) {
        self.name = name
        self.trainingSource = training
        self.scoringSource = scoring
        self.recipe = ModelRecipe(pipeline)
        self.predictions = predictions
        self.schedule = schedule
        self.cadence = cadence
        self.deployment = deployment
        self.metric = metric
        self.holdoutFraction = holdoutFraction
        self.retry = retry
        self.rejects = rejects
        self.drift = drift
        self.seed = seed
        self.batchRows = batchRows
        self.prepare = prepare
    }

    /// Throws unless the job's settings make sense (names, fractions, sizes).
    public func validate() throws(JobError) {
        func bad(_ reason: String) -> JobError { .configuration(job: name, reason: reason) }
        guard !name.isEmpty, name.utf8.count <= 48,
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" }),
              name.unicodeScalars.allSatisfy(\.isASCII) else {
            throw bad("a job name is 1 to 48 ASCII letters, digits, '_' or '-'")
        }
        guard holdoutFraction >= 0, holdoutFraction < 1 else { throw bad("holdoutFraction must be in [0, 1), got \(holdoutFraction)") }
        guard batchRows > 0 else { throw bad("batchRows must be positive") }
        guard recipe.target != nil || trainingSource == nil else { throw bad("a job that trains needs a target column") }
        guard !recipe.keys.isEmpty else { throw bad("a job needs key columns (the pipeline's keys) to publish predictions") }
        if let f = rejects.maxFraction, !(0...1).contains(f) { throw bad("rejects.maxFraction must be in [0, 1]") }
        if let c = rejects.maxCount, c < 0 { throw bad("rejects.maxCount must not be negative") }
        guard drift.threshold > 0 else { throw bad("drift.threshold must be positive") }
        guard retry.maxAttempts >= 1 else { throw bad("retry.maxAttempts must be at least 1") }
        try predictions.validate(job: name)
    }
}

/// Where a job's rows come from.
public enum JobSource: Sendable, CustomStringConvertible {
    /// A PostgreSQL table.
    case table(TableName)
    /// A PostgreSQL query; a `$1` in it is bound to the run's logical date (a `date`).
    case query(String)
    /// A CSV file. With `options.badRows = .skip`, unreadable rows are quarantined as rejects.
    case csv(String, options: CSVReadOptions = CSVReadOptions())
    /// A folder where one CSV file arrives per night: `pattern` names it, with `{date}`
    /// replaced by the logical date (`2026-12-01`) and `{yyyymmdd}` by its digits.
    case csvDrop(folder: String, pattern: String = "{date}.csv", options: CSVReadOptions = CSVReadOptions())

    public var description: String {
        switch self {
        case .table(let t): "table \(t)"
        case .query(let q): "query \(q.count > 60 ? String(q.prefix(57)) + "…" : q)"
        case .csv(let path, _): "CSV \(path)"
        case .csvDrop(let folder, let pattern, _): "CSV drop \(folder)/\(pattern)"
        }
    }

    /// The CSV file this source reads for `logicalDate`, or `nil` for a database source.
    public func csvPath(for logicalDate: LogicalDate) -> String? {
        switch self {
        case .table, .query: nil
        case .csv(let path, _): path
        case .csvDrop(let folder, let pattern, _):
            folder + "/" + pattern.replacingOccurrences(of: "{date}", with: logicalDate.description)
                .replacingOccurrences(of: "{yyyymmdd}", with: logicalDate.compact)
        }
    }

    var csvOptions: CSVReadOptions? {
        switch self {
        case .table, .query: nil
        case .csv(_, let o), .csvDrop(_, _, let o): o
        }
    }
}

/// Where a job's predictions are published: a table partitioned by logical date, one
/// partition per night, holding `logical_date`, `shard`, the keys, the prediction, one
/// probability column per class, `model_version`, `run_id` and `scored_at`.
public struct PredictionTable: Sendable, Equatable {
    /// The table (created on the first publish).
    public var table: TableName
    /// The prediction column's name.
    public var prediction: String
    /// The prefix of the probability columns (`nil`: none).
    public var probabilityPrefix: String?
    /// How many reasons each row carries: the input columns that contributed most to its
    /// prediction, as `reason_1` (the column's name) and `reason_1_value` (its contribution),
    /// … (see ``SluicePipeline/ScoreOutput/reasons``); 0 for none. The deployed model must
    /// give contributions (trees, forests, boosting, linear and logistic regression).
    public var reasons: Int

    public init(_ table: TableName, prediction: String = "prediction", probabilityPrefix: String? = "probability_",
                reasons: Int = 0) {
        self.table = table
        self.prediction = prediction
        self.probabilityPrefix = probabilityPrefix
        self.reasons = reasons
    }

    func validate(job: String) throws(JobError) {
        // A night's partition is named TABLE_YYYYMMDD_rRUN_pSHARD: keep room for the suffix.
        guard !table.name.isEmpty, table.name.utf8.count <= 36 else {
            throw .configuration(job: job, reason: "the predictions table name must be 1 to 36 bytes (its nightly partitions add a suffix), got '\(table.name)'")
        }
        guard reasons >= 0 else { throw .configuration(job: job, reason: "reasons must be 0 or more, got \(reasons)") }
    }
}

/// Which runs train a new model.
public enum TrainingCadence: Sendable, Equatable {
    /// Every run trains, then scores.
    case everyRun
    /// Runs whose logical date the schedule fires on train ("train weekly, score nightly");
    /// the others score with the deployed model. A job with no deployed model always trains.
    case on(Schedule)
    /// Runs never train: they score with the model deployed by `sluice deploy`.
    case never

    /// Trains on the nights of one weekday (in `timeZone`), scores with the deployed model on the others.
    public static func weekly(on weekday: Weekday, timeZone: String = "UTC") -> TrainingCadence {
        .on(Schedule.weekly(on: weekday, at: 0, 0, timeZone: timeZone))
    }
}

/// When a newly trained model is deployed.
public enum DeploymentPolicy: String, Sendable, Equatable, Codable {
    /// When its key metric beats the deployed model's (or none is deployed).
    case whenImproved = "when-improved"
    /// After every training.
    case always
    /// Only by `sluice deploy JOB VERSION`.
    case manual
}

/// How a failed run is tried again: exponential backoff between attempts, for failures that
/// may pass (a lost connection, a lock or statement timeout); bad data or configuration is
/// never retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The wait before the second attempt.
    public var initialDelay: Duration
    /// Each further wait is the previous one times this.
    public var multiplier: Double
    /// No wait is longer than this.
    public var maxDelay: Duration

    public init(maxAttempts: Int = 3, initialDelay: Duration = .seconds(30), multiplier: Double = 2,
                maxDelay: Duration = .seconds(900)) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
    }

    /// The wait after failed attempt `attempt` (1-based).
    public func delay(after attempt: Int) -> Duration {
        let seconds = Double(initialDelay.components.seconds) + Double(initialDelay.components.attoseconds) * 1e-18
        let scaled = seconds * pow(multiplier, Double(max(0, attempt - 1)))
        let cap = Double(maxDelay.components.seconds)
        return .milliseconds(Int64(min(scaled, cap) * 1000))
    }
}

/// How many source rows a run may reject (quarantine in `sluice.rejects`) before it fails
/// without publishing anything.
public struct RejectPolicy: Sendable, Equatable {
    /// Fail when more rows than this are rejected (`nil`: no count limit).
    public var maxCount: Int?
    /// Fail when more than this fraction of the rows read are rejected (`nil`: no limit).
    public var maxFraction: Double?

    public init(maxCount: Int? = nil, maxFraction: Double? = 0.01) {
        self.maxCount = maxCount
        self.maxFraction = maxFraction
    }

    /// Whether `rejected` of `read` rows passes the policy.
    public func allows(rejected: Int, of read: Int) -> Bool {
        if let maxCount, rejected > maxCount { return false }
        if let maxFraction, read > 0, Double(rejected) / Double(read) > maxFraction { return false }
        if read == 0 && rejected > 0 { return false }
        return true
    }
}

/// The drift gate: the population stability index of every input column between the
/// training rows (profiled into the artifact) and tonight's rows.
public struct DriftPolicy: Sendable, Equatable {
    /// What a drifted column does to the run.
    public enum Action: String, Sendable, Equatable {
        /// The run fails before publishing, naming the columns.
        case fail
        /// The run publishes and logs the columns (and keeps them in its metrics).
        case warn
        /// No check.
        case off
    }
    /// The PSI above which a column has drifted (0.1: a small shift; 0.25: a large one).
    public var threshold: Double
    public var action: Action

    public init(threshold: Double = 0.25, action: Action = .fail) {
        self.threshold = threshold
        self.action = action
    }
}

/// What a job's `prepare` step gets: the database and the run's logical date.
public struct JobEnvironment: Sendable {
    /// The database the run uses.
    public var database: PostgresConfiguration
    /// The night the run is for.
    public var logicalDate: LogicalDate
}
