import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceNeural
import SluiceTestSupport

@Suite("Checkpoints in the artifact format")
struct NeuralCheckpointTests {
    static let codec = ArtifactCodec.pipelineStages.adding(models: ArtifactCodec.neuralModelKinds)

    static func classifier(epochs: Int, validation: Double = 0, early: EarlyStopping? = nil,
                           checkpoint: Checkpoint) -> NeuralClassifier {
        NeuralClassifier(training: TrainingOptions(epochs: epochs, batchSize: 16, optimizer: .adam(learningRate: 0.01),
                                                   validationFraction: validation, earlyStopping: early,
                                                   checkpoint: checkpoint)) {
            Dense(16, activation: .relu)
            Dense(3)
        }
    }

    @Test("every N epochs: each checkpoint is a whole pipeline artifact (scaler included); the last scores as the fit does")
    func periodic() throws {
        let frame = try NeuralLearnerTests.iris()
        let directory = try Fixtures.temporaryDirectory("neural-checkpoints").appendingPathComponent("run").path
        let checkpoint = Checkpoint(directory: directory, saveBest: false, every: 2)
        let fitted = try Pipeline(target: "target", estimator: Self.classifier(epochs: 4, checkpoint: checkpoint)) { StandardScaler() }
            .fit(frame, seed: 3)
        #expect(!FileManager.default.fileExists(atPath: checkpoint.bestURL.path))
        #expect(!FileManager.default.fileExists(atPath: checkpoint.epochURL(1).path))
        #expect(checkpoint.epochURL(2).lastPathComponent == "epoch-0002.sluice")
        let last = try Artifact.load(from: checkpoint.epochURL(4), codec: Self.codec)
        #expect(last.stages.count == 1, "the fitted scaler travels with the network")
        #expect(try last.predictProbabilities(frame) == fitted.predictProbabilities(frame))
        let second = try Artifact.load(from: checkpoint.epochURL(2), codec: Self.codec)
        #expect(try second.predictProbabilities(frame) != fitted.predictProbabilities(frame))
        #expect(try second.model(as: NeuralClassifier.Model.self).history.epochs.count == 2)
        let meta = try Artifact.metadata(at: checkpoint.epochURL(2))
        #expect(meta.metrics["epoch"] == 2 && meta.metrics["loss"] != nil && meta.metrics["accuracy"] != nil)
        #expect(meta.modelKind == "neural_classifier" && meta.featureNames == fitted.featureNames)
    }

    @Test("the best epoch by validation loss: the checkpoint holds the weights early stopping restores")
    func best() throws {
        let frame = try NeuralLearnerTests.iris()
        let directory = try Fixtures.temporaryDirectory("neural-checkpoints").appendingPathComponent("best").path
        let checkpoint = Checkpoint(directory: directory)
        let learner = Self.classifier(epochs: 200, validation: 0.3, early: EarlyStopping(patience: 3), checkpoint: checkpoint)
        let fitted = try Pipeline(target: "target", estimator: learner) { StandardScaler() }.fit(frame, seed: 5)
        let history = try fitted.model(as: NeuralClassifier.Model.self).history
        #expect(history.stoppedEarly)
        let loaded = try Artifact.load(from: checkpoint.bestURL, codec: Self.codec)
        #expect(try loaded.predictProbabilities(frame) == fitted.predictProbabilities(frame))
        let meta = try Artifact.metadata(at: checkpoint.bestURL)
        #expect(meta.metrics["epoch"] == Double(history.bestEpoch))
        #expect(meta.metrics["validation_loss"] == history.epochs[history.bestEpoch - 1].validationLoss)
    }

    @Test("monitoring accuracy keeps the first epoch of the highest validation accuracy")
    func accuracy() throws {
        let frame = try NeuralLearnerTests.iris()
        let directory = try Fixtures.temporaryDirectory("neural-checkpoints").appendingPathComponent("accuracy").path
        let checkpoint = Checkpoint(directory: directory, monitor: .accuracy)
        let fitted = try Pipeline(target: "target", estimator: Self.classifier(epochs: 12, validation: 0.3, checkpoint: checkpoint)) {
            StandardScaler()
        }.fit(frame, seed: 5)
        let accuracies = try fitted.model(as: NeuralClassifier.Model.self).history.epochs.map { $0.metrics["validation_accuracy"]! }
        let first = accuracies.firstIndex(of: accuracies.max()!)! + 1
        #expect(try Artifact.metadata(at: checkpoint.bestURL).metrics["epoch"] == Double(first))
    }

    @Test("checkpoints refuse a fit outside a pipeline, a regressor monitoring accuracy, and writing nothing")
    func refused() throws {
        let directory = try Fixtures.temporaryDirectory("neural-checkpoints").appendingPathComponent("refused").path
        let learner = Self.classifier(epochs: 2, checkpoint: Checkpoint(directory: directory))
        let data = TrainingSet(features: Matrix<Float>(rows: 6, columns: 1, elements: [0, 1, 2, 3, 4, 5]),
                               target: .classes(ClassLabels(["a", "b", "c", "a", "b", "c"])))
        var context = FitContext(seed: 0)
        #expect(throws: NeuralError.invalidConfiguration(component: "training", name: "checkpoint",
                                                         reason: "needs the network fitted as a pipeline's final stage (Pipeline.fit): checkpoints are pipeline artifacts")) {
            _ = try learner.fit(data, context: &context)
        }
        let regressor = NeuralRegressor(training: TrainingOptions(epochs: 1, checkpoint: Checkpoint(directory: directory, monitor: .accuracy))) {
            Dense(1)
        }
        let diabetes = try Dataset.load("diabetes")
        let frame = try diabetes.frame(target: "y").setting("y", to: .double(diabetes.target.map { Double($0)! }), nullable: false)
        #expect(throws: NeuralError.invalidConfiguration(component: "training", name: "checkpoint", reason: "monitors accuracy, which only a classifier has")) {
            _ = try Pipeline(target: "y", estimator: regressor).fit(frame)
        }
        #expect(throws: NeuralError.invalidConfiguration(component: "training", name: "checkpoint", reason: "writes nothing: set saveBest or every")) {
            _ = try Pipeline(target: "target", estimator: Self.classifier(epochs: 1, checkpoint: Checkpoint(directory: directory, saveBest: false)))
                .fit(NeuralLearnerTests.iris())
        }
    }
}
