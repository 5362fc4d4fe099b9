/// A nightly run's section of its report: what was read, rejected, scored and written,
/// the time of each phase, the drift check, the model that scored and why, and the key
/// metric across the job's runs. Filled by the job runner, drawn by the report.
public struct RunSummary: Sendable, Codable, Equatable {
    public var job: String
    public var runID: Int64
    /// The night the run is for (`YYYY-MM-DD`).
    public var logicalDate: String
    public var mode: String
    public var status: String
    public var started: String
    public var finished: String?
    /// Rows by what happened to them: read for training, read for scoring, rejected,
    /// scored, written.
    public var rows: [NamedCount]
    /// Seconds per phase, in run order.
    public var phases: [NamedValue]
    public var drift: DriftSection?
    public var deployment: DeploymentSection
    /// The key metric of earlier trainings of the job, oldest first (this run's last).
    public var history: [MetricPoint]

    public init(job: String, runID: Int64, logicalDate: String, mode: String, status: String, started: String,
                finished: String?, rows: [NamedCount], phases: [NamedValue], drift: DriftSection?,
                deployment: DeploymentSection, history: [MetricPoint]) {
        self.job = job
        self.runID = runID
        self.logicalDate = logicalDate
        self.mode = mode
        self.status = status
        self.started = started
        self.finished = finished
        self.rows = rows
        self.phases = phases
        self.drift = drift
        self.deployment = deployment
        self.history = history
    }
}

/// A named count.
public struct NamedCount: Sendable, Codable, Equatable {
    public var name: String
    public var count: Int

    public init(_ name: String, _ count: Int) {
        self.name = name
        self.count = count
    }
}

/// The drift check: the population stability index of each feature between the training
/// rows (bins kept in the artifact) and tonight's rows.
public struct DriftSection: Sendable, Codable, Equatable {
    /// The PSI above which a feature counts as drifted.
    public var threshold: Double
    /// What the policy does past it: "fail", "warn" or "off".
    public var action: String
    public var features: [DriftFeature]

    public init(threshold: Double, action: String, features: [DriftFeature]) {
        self.threshold = threshold
        self.action = action
        self.features = features
    }
}

/// One feature's drift: its bins' shares in training and tonight.
public struct DriftFeature: Sendable, Codable, Equatable {
    public var column: String
    public var psi: Double
    /// A label per bin (a range, a category, "other", "null").
    public var bins: [String]
    public var training: [Double]
    public var tonight: [Double]

    public init(column: String, psi: Double, bins: [String], training: [Double], tonight: [Double]) {
        self.column = column
        self.psi = psi
        self.bins = bins
        self.training = training
        self.tonight = tonight
    }
}

/// The model version that scored, and the training decision of this run.
public struct DeploymentSection: Sendable, Codable, Equatable {
    /// The version that scored tonight (nil when the run did not score).
    public var scoringVersion: Int?
    /// The version this run trained (nil when it did not train).
    public var trainedVersion: Int?
    /// Whether the trained version was deployed.
    public var deployed: Bool
    /// The key metric's name, and its value for the trained and the previously deployed version.
    public var metric: String?
    public var trainedValue: Double?
    public var previousValue: Double?
    /// Why the run deployed or kept the model, in words.
    public var decision: String

    public init(scoringVersion: Int?, trainedVersion: Int?, deployed: Bool, metric: String?, trainedValue: Double?,
                previousValue: Double?, decision: String) {
        self.scoringVersion = scoringVersion
        self.trainedVersion = trainedVersion
        self.deployed = deployed
        self.metric = metric
        self.trainedValue = trainedValue
        self.previousValue = previousValue
        self.decision = decision
    }
}

/// The key metric of one training.
public struct MetricPoint: Sendable, Codable, Equatable {
    public var runID: Int64
    public var logicalDate: String
    public var version: Int
    public var value: Double
    public var deployed: Bool

    public init(runID: Int64, logicalDate: String, version: Int, value: Double, deployed: Bool) {
        self.runID = runID
        self.logicalDate = logicalDate
        self.version = version
        self.value = value
        self.deployed = deployed
    }
}
