import Foundation

/// How a network trains: epochs of seeded, shuffled mini-batches, an optimizer, and the
/// callbacks (learning-rate schedule, early stopping) that act between epochs.
public struct TrainingOptions: Sendable, Codable, Equatable {
    /// Passes over the training rows.
    public var epochs: Int
    /// Rows per gradient step (the last batch of an epoch may be smaller).
    public var batchSize: Int
    public var optimizer: Optimizer
    /// Whether each epoch visits the rows in a new seeded order.
    public var shuffle: Bool
    /// Held-out share of the training rows (a seeded random subset) when the training set
    /// brings no validation rows; 0 for none.
    public var validationFraction: Double
    /// Stops when the monitored loss stops improving, and restores the best weights.
    public var earlyStopping: EarlyStopping?
    /// How the learning rate changes between epochs.
    public var schedule: LearningRateSchedule
    /// Scales the gradients of a step so their global L2 norm is at most this (nil: no clipping).
    public var gradientClipNorm: Double?
    /// Writes the network as a pipeline artifact during training (nil: no checkpoints).
    public var checkpoint: Checkpoint?
    /// Backs the run up between epochs and resumes an interrupted run from its backup (nil: none).
    public var backup: Backup?

    public init(epochs: Int = 10, batchSize: Int = 32, optimizer: Optimizer = .adam(), shuffle: Bool = true,
                validationFraction: Double = 0, earlyStopping: EarlyStopping? = nil,
                schedule: LearningRateSchedule = .constant, gradientClipNorm: Double? = nil,
                checkpoint: Checkpoint? = nil, backup: Backup? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.shuffle = shuffle
        self.validationFraction = validationFraction
        self.earlyStopping = earlyStopping
        self.schedule = schedule
        self.gradientClipNorm = gradientClipNorm
        self.checkpoint = checkpoint
        self.backup = backup
    }

    func validate() throws {
        func bad(_ name: String, _ reason: String) -> NeuralError {
            .invalidConfiguration(component: "training", name: name, reason: reason)
        }
        guard epochs > 0 else { throw bad("epochs", "must be > 0, got \(epochs)") }
        guard batchSize > 0 else { throw bad("batchSize", "must be > 0, got \(batchSize)") }
        guard validationFraction >= 0, validationFraction < 1 else { throw bad("validationFraction", "must be in [0, 1), got \(validationFraction)") }
        if let c = gradientClipNorm, !(c > 0 && c.isFinite) { throw bad("gradientClipNorm", "must be finite and > 0") }
        if let e = earlyStopping, e.patience < 1 || e.minDelta < 0 { throw bad("earlyStopping", "needs patience ≥ 1 and minDelta ≥ 0") }
        try schedule.validate()
        try optimizer.validate()
        try checkpoint?.validate()
        try backup?.validate()
    }
}

/// Checkpoints: the network written during training as a pipeline artifact (the fitted
/// preprocessing, the feature encoding and the network at that epoch), through the same
/// atomic writer as ``SluicePipeline/Artifact/save(_:to:metrics:key:)``, so that
/// `Artifact.load` reads it and it scores like the final artifact would.
///
/// - `best.sluice` is rewritten each time the monitored figure improves: after training it
///   holds the best epoch's network (the one early stopping restores, when it monitors the
///   same figure).
/// - `epoch-N.sluice` (N of four digits or more, from 1) is written after every `every`-th epoch.
///
/// Each artifact's metrics carry the epoch (`epoch`) and its figures (`loss`,
/// `validation_loss`, `accuracy`, `validation_accuracy` when computed), readable with
/// `Artifact.metadata(at:)`. Checkpoints need the network fitted as a pipeline's final stage
/// (`Pipeline.fit`): a learner fitted on its own has no pipeline to write, and refuses them.
/// Inside a model search every fit writes to the same files: give each its own directory.
public struct Checkpoint: Sendable, Codable, Equatable {
    /// What ``Checkpoint/saveBest`` judges epochs by.
    public enum Monitor: String, Sendable, Codable, Equatable {
        /// The validation loss, or the training loss without validation rows (lower is better).
        case loss
        /// The validation accuracy, or the training accuracy without validation rows (higher
        /// is better; classifiers only).
        case accuracy
    }

    /// The directory the artifacts go into (created when missing).
    public var directory: String
    /// Whether to keep the best epoch's network in `best.sluice`.
    public var saveBest: Bool
    /// Writes `epoch-N.sluice` after every `every`-th epoch (nil: none).
    public var every: Int?
    /// The figure ``saveBest`` judges by.
    public var monitor: Monitor

    public init(directory: String, saveBest: Bool = true, every: Int? = nil, monitor: Monitor = .loss) {
        self.directory = directory
        self.saveBest = saveBest
        self.every = every
        self.monitor = monitor
    }

    /// The best epoch's artifact.
    public var bestURL: URL { URL(fileURLWithPath: directory).appendingPathComponent("best.sluice") }

    /// The artifact written after `epoch` (from 1) when ``every`` divides it.
    public func epochURL(_ epoch: Int) -> URL {
        let digits = String(epoch)
        return URL(fileURLWithPath: directory)
            .appendingPathComponent("epoch-\(String(repeating: "0", count: max(0, 4 - digits.count)))\(digits).sluice")
    }

    func validate() throws {
        func bad(_ reason: String) -> NeuralError { .invalidConfiguration(component: "training", name: "checkpoint", reason: reason) }
        guard !directory.isEmpty else { throw bad("needs a directory") }
        if let e = every, e < 1 { throw bad("every must be ≥ 1, got \(e)") }
        guard saveBest || every != nil else { throw bad("writes nothing: set saveBest or every") }
    }
}

/// Stops training when the monitored loss (validation loss when there are validation rows,
/// else the training loss) has not improved by `minDelta` for `patience` epochs.
public struct EarlyStopping: Sendable, Codable, Equatable {
    public var patience: Int
    public var minDelta: Double
    /// Whether the network ends with the weights of its best epoch (else its last).
    public var restoreBestWeights: Bool

    public init(patience: Int = 5, minDelta: Double = 0, restoreBestWeights: Bool = true) {
        self.patience = patience
        self.minDelta = minDelta
        self.restoreBestWeights = restoreBestWeights
    }
}

/// The learning rate of each epoch, from the optimizer's base rate `η₀`.
public enum LearningRateSchedule: Sendable, Codable, Equatable {
    /// `η₀` throughout.
    case constant
    /// `η₀ · factor^⌊epoch / every⌋` (epochs from 0).
    case step(every: Int, factor: Double)
    /// Cosine annealing over the run: `min + (η₀ − min)(1 + cos(π · epoch / epochs)) / 2`.
    case cosine(minimum: Double = 0)
    /// Multiplies the rate by `factor` when the monitored loss has not improved for
    /// `patience` epochs, never below `minimum`.
    case reduceOnPlateau(factor: Double = 0.1, patience: Int = 3, minimum: Double = 0)

    func validate() throws {
        func bad(_ reason: String) -> NeuralError { .invalidConfiguration(component: "training", name: "schedule", reason: reason) }
        switch self {
        case .constant: break
        case let .step(every, factor): if every < 1 || !(factor > 0 && factor <= 1) { throw bad("step needs every ≥ 1 and factor in (0, 1]") }
        case let .cosine(minimum): if minimum < 0 { throw bad("cosine minimum must be ≥ 0") }
        case let .reduceOnPlateau(factor, patience, minimum):
            if !(factor > 0 && factor < 1) || patience < 1 || minimum < 0 { throw bad("reduceOnPlateau needs factor in (0, 1), patience ≥ 1") }
        }
    }

    /// The rate of epoch `epoch` (from 0) of `epochs`, for schedules that depend on the epoch only.
    func rate(base: Double, epoch: Int, epochs: Int) -> Double {
        switch self {
        case .constant, .reduceOnPlateau: return base
        case let .step(every, factor): return base * Foundation.pow(factor, Double(epoch / every))
        case let .cosine(minimum):
            return minimum + (base - minimum) * (1 + Foundation.cos(Double.pi * Double(epoch) / Double(max(epochs, 1)))) / 2
        }
    }
}

/// One epoch of training, as the history records it.
public struct EpochRecord: Sendable, Codable, Equatable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The mean training loss over the epoch's batches (weighted by batch size).
    public var loss: Double
    /// The loss on the validation rows, when there are some.
    public var validationLoss: Double?
    /// Further figures: `accuracy`, `validation_accuracy` for classifiers.
    public var metrics: [String: Double]
    /// The learning rate the epoch used.
    public var learningRate: Double
}

/// What training did, epoch by epoch.
public struct TrainingHistory: Sendable, Codable, Equatable {
    public var epochs: [EpochRecord] = []
    /// The epoch (from 1) whose weights the network kept.
    public var bestEpoch: Int = 0
    /// Whether early stopping ended the run before the last epoch.
    public var stoppedEarly = false
}
