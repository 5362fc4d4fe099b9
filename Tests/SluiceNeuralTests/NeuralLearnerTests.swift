import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceNeural
import SluiceTestSupport

extension Dataset {
    /// The features and the target (as strings) as one frame.
    func frame(target name: String = "target") throws -> Frame {
        var columns = featureNames.enumerated().map { j, n in (n, Column.double((0..<features.rows).map { Optional(features[$0, j]) })) }
        columns.append((name, Column.string(target.map { Optional($0) })))
        return try Frame(named: columns)
    }
}

final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [FitProgress] = []
    func add(_ p: FitProgress) { lock.withLock { steps.append(p) } }
    var all: [FitProgress] { lock.withLock { steps } }
}

@Suite("Neural learners at the end of a pipeline")
struct NeuralLearnerTests {
    static func iris() throws -> Frame { try Dataset.load("iris").frame() }

    static func classifier(epochs: Int = 60, validation: Double = 0, early: EarlyStopping? = nil) -> NeuralClassifier {
        NeuralClassifier(training: TrainingOptions(epochs: epochs, batchSize: 16, optimizer: .adam(learningRate: 0.01),
                                                   validationFraction: validation, earlyStopping: early)) {
            Dense(16, activation: .relu)
            Dense(3)
        }
    }

    @Test("a classifier learns iris, saves with its scaler as one artifact and scores the same after loading")
    func irisRoundTrip() throws {
        let frame = try Self.iris()
        let fitted = try Pipeline(target: "target", estimator: Self.classifier()) { StandardScaler() }.fit(frame, seed: 3)
        let p = try fitted.predictProbabilities(frame)
        let predicted = try fitted.predict(frame).codes ?? []
        let truth = try Dataset.load("iris").target
        let classes = try fitted.model(as: NeuralClassifier.Model.self).classes
        let accuracy = Double(zip(predicted, truth).filter { classes[$0.0] == $0.1 }.count) / Double(truth.count)
        #expect(accuracy > 0.95)
        let url = try Fixtures.temporaryDirectory("neural").appendingPathComponent("iris.sluice")
        try Artifact.save(fitted, to: url)
        let codec = ArtifactCodec.pipelineStages.adding(models: ArtifactCodec.neuralModelKinds)
        let loaded = try Artifact.load(from: url, codec: codec)
        #expect(try loaded.predictProbabilities(frame) == p, "the loaded artifact scores bit for bit the same")
        #expect(try Artifact.metadata(at: url).modelKind == "neural_classifier")
    }

    @Test("the same seed gives the same network; another seed another")
    func determinism() throws {
        let frame = try Self.iris()
        let pipeline = Pipeline(target: "target", estimator: Self.classifier(epochs: 5)) { StandardScaler() }
        let a = try pipeline.fit(frame, seed: 1).predictProbabilities(frame)
        let b = try pipeline.fit(frame, seed: 1).predictProbabilities(frame)
        let c = try pipeline.fit(frame, seed: 2).predictProbabilities(frame)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("history per epoch, progress per epoch, early stopping keeps the best epoch's weights")
    func historyAndEarlyStopping() throws {
        let frame = try Self.iris()
        let log = Log()
        let learner = Self.classifier(epochs: 200, validation: 0.3, early: EarlyStopping(patience: 3, minDelta: 1e-3))
        let fitted = try Pipeline(target: "target", estimator: learner) { StandardScaler() }
            .fit(frame, seed: 5, observer: { log.add($0) })
        let history = try fitted.model(as: NeuralClassifier.Model.self).history
        #expect(history.stoppedEarly && history.epochs.count < 200)
        #expect(history.epochs.count == history.bestEpoch + 3)
        let best = history.epochs.compactMap(\.validationLoss).min()
        #expect(history.epochs[history.bestEpoch - 1].validationLoss == best)
        #expect(log.all.count == history.epochs.count)
        #expect(log.all.allSatisfy { $0.unit == .epoch && $0.metrics["validation_loss"] != nil && $0.metrics["accuracy"] != nil })
    }

    @Test("cancellation stops training between batches with FitCancelled")
    func cancellation() throws {
        #expect(throws: FitCancelled.self) {
            try Pipeline(target: "target", estimator: Self.classifier()) { StandardScaler() }.fit(Self.iris(), isCancelled: { true })
        }
    }

    @Test("a network whose output does not match the classes is refused with what to change")
    func wrongOutputWidth() throws {
        let learner = NeuralClassifier { Dense(4) }
        #expect(throws: NeuralError.shape(layer: "NeuralClassifier",
                                          reason: "network ends in 4 outputs, the target has 3 classes (end in Dense(3), or Dense(1) for two classes)")) {
            try Pipeline(target: "target", estimator: learner).fit(Self.iris())
        }
    }

    @Test("shape errors name the layer and the sizes")
    func shapeErrors() throws {
        var rng = SeededGenerator(seed: 0)
        let dense = Dense(4)
        let p = dense.initialParameters(for: [64], rng: &rng)
        var ctx = ForwardContext(training: false)
        #expect(throws: NeuralError.shape(layer: "Dense", reason: "expects 64 inputs, got 63")) {
            try dense.forward(Tensor(Matrix<Float>(rows: 2, columns: 63)), parameters: p[...], context: &ctx)
        }
        #expect(throws: NeuralError.shape(layer: "Reshape", reason: "cannot reshape [63] (63 values) to [8, 8, 1] (64 values)")) {
            try Network(Sequential { Reshape([8, 8, 1]) }, inputShape: [63], rng: &rng)
        }
        #expect(NeuralError.shape(layer: "Dense", reason: "").exitStatus == .configuration)
        let emb = Embedding(vocabularySize: 5, dimension: 2)
        let table = emb.initialParameters(for: [3], rng: &rng)
        #expect(throws: NeuralError.self) {
            try emb.forward(Tensor(Matrix<Float>([[1, 2, 7]])), parameters: table[...], context: &ctx)
        }
    }

    @Test("a regressor fits diabetes better than the mean, and validates crafted state")
    func regressor() throws {
        let data = try Dataset.load("diabetes")
        var frame = try data.frame(target: "y")
        frame = try frame.setting("y", to: .double(data.target.map { Double($0)! / 100 }), nullable: false)
        let learner = NeuralRegressor(training: TrainingOptions(epochs: 40, batchSize: 32, optimizer: .adam(learningRate: 0.01),
                                                                schedule: .cosine())) {
            Dense(16, activation: .tanh)
            Dense(1)
        }
        let fitted = try Pipeline(target: "y", estimator: learner) { StandardScaler() }.fit(frame, seed: 0)
        let x: Matrix<Float> = try fitted.features(frame, as: Float.self)
        let predicted: [Double] = try fitted.model(as: NeuralRegressor.Model.self).predict(x)
        let y: [Double] = data.target.map { Double($0)! / 100 }
        let mean = y.reduce(0, +) / Double(y.count)
        var sse = 0.0, sst = 0.0
        for i in y.indices {
            sse += (predicted[i] - y[i]) * (predicted[i] - y[i])
            sst += (y[i] - mean) * (y[i] - mean)
        }
        #expect(1 - sse / sst > 0.4)
        var model = try fitted.model(as: NeuralRegressor.Model.self)
        try model.validate()
        model.network.parameters[0] = Matrix(rows: 3, columns: 3)
        #expect(throws: FittedStateError.self) { try model.validate() }
    }

    @Test("every optimizer and schedule trains a small network down", arguments: [
        Optimizer.sgd(learningRate: 0.1), .sgd(learningRate: 0.05, momentum: 0.9), .sgd(learningRate: 0.05, momentum: 0.9, nesterov: true),
        .adam(learningRate: 0.01), .adamW(learningRate: 0.01), .rmsprop(learningRate: 0.005),
    ])
    func optimizers(optimizer: Optimizer) throws {
        let schedules: [LearningRateSchedule] = [.constant, .step(every: 5, factor: 0.5), .reduceOnPlateau(factor: 0.5, patience: 2)]
        for schedule in schedules {
            let learner = NeuralClassifier(training: TrainingOptions(epochs: 15, batchSize: 16, optimizer: optimizer, schedule: schedule,
                                                                     gradientClipNorm: 5)) {
                Dense(8, activation: .tanh)
                Dense(3)
            }
            let fitted = try Pipeline(target: "target", estimator: learner) { StandardScaler() }.fit(Self.iris(), seed: 0)
            let h = try fitted.model(as: NeuralClassifier.Model.self).history
            #expect(h.epochs.last!.loss < h.epochs.first!.loss * 0.8, "\(optimizer) \(schedule)")
        }
    }

    @Test("learner configuration errors say which option")
    func badOptions() throws {
        var learner = Self.classifier()
        learner.training.batchSize = 0
        #expect(throws: NeuralError.invalidConfiguration(component: "training", name: "batchSize", reason: "must be > 0, got 0")) {
            try Pipeline(target: "target", estimator: learner).fit(Self.iris())
        }
    }
}

@Suite("Training progress text")
struct TrainingProgressTests {
    @Test("plain log lines off a terminal, a bar redrawn in place on one")
    func lines() {
        let p = FitProgress(source: "neural_classifier", unit: .epoch, step: 2, total: 4, metrics: ["loss": 0.5, "accuracy": 0.75])
        #expect(TrainingProgress.line(p, terminal: false) == "neural_classifier epoch 2/4 accuracy=0.75 loss=0.5\n")
        let bar = TrainingProgress.line(p, terminal: true, width: 8)
        #expect(bar.hasPrefix("\r[####----] neural_classifier epoch 2/4") && !bar.hasSuffix("\n"))
    }
}
