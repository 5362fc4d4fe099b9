import Foundation
import SluicePipeline

/// Writes a training run's checkpoints (``Checkpoint``): the fitted model of an epoch,
/// wrapped in the pipeline being fitted, saved by `Artifact.save` (signed when an artifact key is set; atomic: a reader sees the
/// previous checkpoint or the whole new one, never a torn file).
struct CheckpointWriter {
    let options: Checkpoint
    let snapshot: @Sendable (any FittedModel) -> FittedPipeline
    let fittedModel: (Network, TrainingHistory) -> any FittedModel
    /// The best monitored figure so far, oriented so that lower is better (a training backup
    /// keeps it).
    var best = Double.infinity

    init(_ options: Checkpoint, accuracy: Bool, snapshot: (@Sendable (any FittedModel) -> FittedPipeline)?,
         fittedModel: ((Network, TrainingHistory) -> any FittedModel)?) throws {
        func bad(_ reason: String) -> NeuralError { .invalidConfiguration(component: "training", name: "checkpoint", reason: reason) }
        guard let snapshot, let fittedModel else {
            throw bad("needs the network fitted as a pipeline's final stage (Pipeline.fit): checkpoints are pipeline artifacts")
        }
        if options.monitor == .accuracy, !accuracy { throw bad("monitors accuracy, which only a classifier has") }
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: options.directory), withIntermediateDirectories: true)
        } catch {
            throw ArtifactError.cannotWrite(path: options.directory, reason: "cannot create the checkpoint directory: \(error.localizedDescription)")
        }
        self.options = options
        self.snapshot = snapshot
        self.fittedModel = fittedModel
    }

    /// Writes what the last epoch of `history` calls for: `best.sluice` when its monitored
    /// figure improved, `epoch-N.sluice` when `every` divides its number.
    mutating func write(_ network: Network, history: TrainingHistory) throws {
        guard let record = history.epochs.last else { return }
        let figure: Double
        switch options.monitor {
        case .loss: figure = record.validationLoss ?? record.loss
        case .accuracy: figure = -(record.metrics["validation_accuracy"] ?? record.metrics["accuracy"] ?? -.infinity)
        }
        let improved = figure < best
        if improved { best = figure }
        let periodic = options.every.map { record.epoch % $0 == 0 } ?? false
        guard (options.saveBest && improved) || periodic else { return }
        var state = history
        state.bestEpoch = record.epoch
        let pipeline = snapshot(fittedModel(network, state))
        var metrics = record.metrics
        metrics["epoch"] = Double(record.epoch)
        metrics["loss"] = record.loss
        if let v = record.validationLoss { metrics["validation_loss"] = v }
        if options.saveBest && improved { try Artifact.save(pipeline, to: options.bestURL, metrics: metrics) }
        if periodic { try Artifact.save(pipeline, to: options.epochURL(record.epoch), metrics: metrics) }
    }
}
