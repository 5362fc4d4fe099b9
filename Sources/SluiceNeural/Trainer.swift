import Foundation
import SluiceCompute
import SluicePipeline

/// Samples to train or evaluate on: inputs, targets and optional per-sample weights.
public struct TrainingData: Sendable {
    public var inputs: Tensor
    public var targets: Targets
    public var weights: [Float]?

    public init(inputs: Tensor, targets: Targets, weights: [Float]? = nil) {
        self.inputs = inputs
        self.targets = targets
        self.weights = weights
    }

    var count: Int { inputs.batch }

    func gathering(_ indices: ArraySlice<Int>) -> TrainingData {
        TrainingData(inputs: inputs.gathering(indices), targets: targets.gathering(indices),
                 weights: weights.map { w in indices.map { w[$0] } })
    }
}

/// The training loop: seeded shuffled mini-batches, the optimizer step, cancellation checked
/// between batches, per-epoch validation, history, schedule and early stopping.
///
/// Random draws, in order, from the fit context's generator: the validation split (when
/// `validationFraction > 0` and no validation rows were given: `SeededGenerator.sample`),
/// then one `split()` for the dropout masks, then each epoch's shuffle (Fisher–Yates).
/// With ``TrainingOptions/backup``, an interrupted run resumes after its last backed-up epoch
/// with both generators as they were then (see ``Backup``).
public struct Trainer: Sendable {
    public var loss: Loss
    public var options: TrainingOptions
    /// Who reports progress (the learner's kind).
    public var source: String
    /// Whether to compute accuracy (classification).
    public var accuracy: Bool

    public init(loss: Loss, options: TrainingOptions, source: String, accuracy: Bool) {
        self.loss = loss
        self.options = options
        self.source = source
        self.accuracy = accuracy
    }

    /// Trains `network` on `training`, monitoring `validation` (or a split of `training`).
    ///
    /// `fittedModel` makes the learner's fitted model from the network and the history so far:
    /// checkpoints (``TrainingOptions/checkpoint``) wrap it in the pipeline the fit context
    /// describes (``SluicePipeline/FitContext/pipelineSnapshot``) and need both.
    public func train(_ network: inout Network, on training: TrainingData, validation: TrainingData? = nil,
                      context: inout FitContext,
                      fittedModel: ((Network, TrainingHistory) -> any FittedModel)? = nil) throws -> TrainingHistory {
        // Each batch frees and allocates the same large buffers: keep them in the heap.
        try MemoryPolicy.reusingFreedBlocks {
            try trainReusingBlocks(&network, on: training, validation: validation, context: &context, fittedModel: fittedModel)
        }
    }

    private func trainReusingBlocks(_ network: inout Network, on training: TrainingData, validation: TrainingData?,
                                    context: inout FitContext,
                                    fittedModel: ((Network, TrainingHistory) -> any FittedModel)?) throws -> TrainingHistory {
        try options.validate()
        let origin = context.rng
        var checkpoints = try options.checkpoint.map { c in
            try CheckpointWriter(c, accuracy: accuracy, snapshot: context.pipelineSnapshot, fittedModel: fittedModel)
        }
        var train = training, validation = validation
        if validation == nil, options.validationFraction > 0 {
            let n = training.count, held = Int((Double(n) * options.validationFraction).rounded())
            if held > 0, held < n {
                let chosen = context.rng.sample(held, from: n).sorted()
                var isHeld = [Bool](repeating: false, count: n)
                for i in chosen { isHeld[i] = true }
                validation = training.gathering(chosen[...])
                train = training.gathering((0..<n).filter { !isHeld[$0] }[...])
            }
        }
        var forwardContext = ForwardContext(training: true, rng: context.rng.split())
        let mask = network.trainableMask
        var state = OptimizerState(count: network.parameters.count)
        var history = TrainingHistory()
        var best = Double.infinity, bestParameters: [Matrix<Float>]? = nil, sinceBest = 0
        var plateauBest = Double.infinity, sincePlateau = 0, plateauScale = 1.0
        let base = options.optimizer.learningRate
        var order = Array(0..<train.count)
        var firstEpoch = 0
        let fingerprint = try options.backup.map { _ in
            try TrainingBackupFile.fingerprint(options: options, parameters: network.parameters, trainingRows: train.count,
                                               validationRows: validation?.count ?? 0, generator: origin)
        }
        if let backup = options.backup, let saved = try TrainingBackupFile.read(backup.url)?.state {
            guard saved.fingerprint == fingerprint else {
                throw NeuralError.backupMismatch(path: backup.url.path,
                                                 reason: "it was written by another run (other options, layers, rows or seed)")
            }
            guard saved.fits(network.parameters, rows: train.count) else {
                throw NeuralError.backupMismatch(path: backup.url.path, reason: "its state does not fit this run's layers and rows")
            }
            network.parameters = saved.parameters
            state = saved.optimizer
            context.rng = saved.shuffleGenerator
            forwardContext.rng = saved.forwardGenerator
            order = saved.order
            history = saved.history
            (best, bestParameters, sinceBest) = (saved.best, saved.bestParameters, saved.sinceBest)
            (plateauBest, sincePlateau, plateauScale) = (saved.plateauBest, saved.sincePlateau, saved.plateauScale)
            if let b = saved.checkpointBest { checkpoints?.best = b }
            firstEpoch = min(saved.epochsDone, options.epochs)
        }
        for epoch in firstEpoch..<options.epochs {
            var lr = options.schedule.rate(base: base, epoch: epoch, epochs: options.epochs) * plateauScale
            if case let .reduceOnPlateau(_, _, minimum) = options.schedule { lr = max(lr, minimum) }
            if options.shuffle { context.rng.shuffle(&order) }
            var lossSum = 0.0, correct = 0, seen = 0, batchIndex = 0
            for start in stride(from: 0, to: order.count, by: options.batchSize) {
                try context.checkCancellation(source)
                let batch = train.gathering(order[start..<min(order.count, start + options.batchSize)])
                var step = try gradientStep(network, batch, context: &forwardContext)
                guard step.loss.isFinite else { throw NeuralError.diverged(epoch: epoch + 1, batch: batchIndex + 1) }
                network.store(state: step.state)
                step.state = nil
                if let c = options.gradientClipNorm { clipGradients(&step.gradients, mask: mask, maxNorm: c) }
                options.optimizer.update(&network.parameters, gradients: step.gradients, mask: mask, learningRate: lr, state: &state)
                lossSum += step.loss * Double(batch.count)
                correct += step.correct
                seen += batch.count
                batchIndex += 1
            }
            var record = EpochRecord(epoch: epoch + 1, loss: lossSum / Double(max(seen, 1)), validationLoss: nil,
                                     metrics: [:], learningRate: lr)
            if accuracy { record.metrics["accuracy"] = Double(correct) / Double(max(seen, 1)) }
            if let v = validation, v.count > 0 {
                let (vl, vc) = try evaluate(network, v)
                record.validationLoss = vl
                if accuracy { record.metrics["validation_accuracy"] = Double(vc) / Double(v.count) }
            }
            history.epochs.append(record)
            var figures = record.metrics
            figures["loss"] = record.loss
            figures["learning_rate"] = lr
            if let vl = record.validationLoss { figures["validation_loss"] = vl }
            context.observe(FitProgress(source: source, unit: .epoch, step: epoch + 1, total: options.epochs, metrics: figures))

            try checkpoints?.write(network, history: history)
            let monitored = record.validationLoss ?? record.loss
            if case let .reduceOnPlateau(factor, patience, _) = options.schedule {
                if monitored < plateauBest { plateauBest = monitored; sincePlateau = 0 } else {
                    sincePlateau += 1
                    if sincePlateau >= patience { plateauScale *= factor; sincePlateau = 0 }
                }
            }
            if monitored < best - (options.earlyStopping?.minDelta ?? 0) {
                best = monitored
                history.bestEpoch = epoch + 1
                sinceBest = 0
                if options.earlyStopping?.restoreBestWeights == true { bestParameters = network.parameters }
            } else if let e = options.earlyStopping {
                sinceBest += 1
                if sinceBest >= e.patience {
                    history.stoppedEarly = epoch + 1 < options.epochs
                    break
                }
            }
            if let backup = options.backup, let fingerprint, (epoch + 1) % backup.every == 0, epoch + 1 < options.epochs {
                let saved = TrainingBackupState(
                    fingerprint: fingerprint, epochsDone: epoch + 1, parameters: network.parameters, optimizer: state,
                    shuffleGenerator: context.rng, forwardGenerator: forwardContext.rng, order: order, history: history,
                    best: best, bestParameters: bestParameters, sinceBest: sinceBest, plateauBest: plateauBest,
                    sincePlateau: sincePlateau, plateauScale: plateauScale, checkpointBest: checkpoints?.best)
                try TrainingBackupFile.write(saved, to: backup.url)
            }
        }
        // The run is complete: its backup is marked finished, so the next fit starts afresh.
        if let backup = options.backup, FileManager.default.fileExists(atPath: backup.url.path) {
            try TrainingBackupFile.write(nil, to: backup.url)
        }
        if options.earlyStopping == nil { history.bestEpoch = history.epochs.count }
        if let bestParameters { network.parameters = bestParameters }
        return history
    }

    struct Step {
        var loss: Double
        var gradients: [Matrix<Float>]
        var state: [Matrix<Float>]?
        var correct: Int
    }

    /// One batch's forward and backward pass; the records are released before the caller's
    /// optimizer step, so the parameters are updated in place without copies.
    func gradientStep(_ network: Network, _ batch: TrainingData, context: inout ForwardContext) throws -> Step {
        let record = try network.forward(batch.inputs, context: &context)
        let (l, g) = try loss.evaluate(record.output, batch.targets, weights: batch.weights)
        let grads = network.backward(g, record: record)
        return Step(loss: l, gradients: grads, state: record.state,
                    correct: accuracy ? Self.correct(record.output, batch.targets) : 0)
    }

    /// The loss and the number of correct predictions on `examples`, in inference mode.
    func evaluate(_ network: Network, _ examples: TrainingData) throws -> (Double, Int) {
        let out = try network.predict(examples.inputs)
        let (l, _) = try loss.evaluate(out, examples.targets, weights: examples.weights)
        return (l, accuracy ? Self.correct(out, examples.targets) : 0)
    }

    /// Correct class predictions: argmax for several outputs, `logit > 0` for one.
    static func correct(_ output: Tensor, _ targets: Targets) -> Int {
        guard case .classes(let y) = targets else { return 0 }
        let k = output.sampleSize
        return output.withUnsafeBufferPointer { z in
            var c = 0
            for i in 0..<output.batch {
                let predicted: Int
                if k == 1 { predicted = z[i] > 0 ? 1 : 0 } else {
                    var best = 0
                    for j in 1..<k where z[i * k + j] > z[i * k + best] { best = j }
                    predicted = best
                }
                if predicted == Int(y[i]) { c += 1 }
            }
            return c
        }
    }
}
