// The digits CNN example: a small convolutional network on the 8×8 handwritten digits.
//
//   swift run -c release digits-cnn [--epochs N] [--seed S]
//
// Reads digits.csv (1 797 images of 64 pixels, 0–16, and their digit), holds out a stratified
// fifth, and fits a pipeline of one scaler and a `NeuralClassifier` whose network reshapes
// the 64 pixels into an 8×8×1 image: two 3×3 convolutions, max pooling, a third convolution,
// global average pooling and a dense layer to the ten digits' logits. It prints the
// per-epoch history and the test accuracy (≥ 97% with the defaults), saves the pipeline as
// one artifact and checks that the loaded artifact predicts the same.
import Foundation
import Sluice

@main
struct DigitsCNN {
    static func main() throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
            return v
        }
        let epochs = option("--epochs", 40), seed = UInt64(option("--seed", 0))
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        var table = try CSVReader().read(path: here.appendingPathComponent("digits.csv").path)
        // The target arrives as numbers; classify it as text labels.
        let digits = try ClassLabels(column: table.column("target"), name: "target")
        table = try table.setting("target", to: .string(digits.codes.map { digits.classes[$0] }), nullable: false)

        var rng = SeededGenerator(seed: seed)
        let split = try Splitter.trainTest(rows: table.rowCount, testFraction: 0.2, stratifyBy: digits, using: &rng)
        let train = try table.taking(rows: split.train), test = try table.taking(rows: split.test)

        let learner = NeuralClassifier(training: TrainingOptions(epochs: epochs, batchSize: 32, optimizer: .adam(learningRate: 2e-3),
                                                                 schedule: .cosine())) {
            Reshape([8, 8, 1])
            Conv2D(32, kernelSize: 3, padding: .same, activation: .relu, initializer: .heNormal)
            Conv2D(32, kernelSize: 3, padding: .same, activation: .relu, initializer: .heNormal)
            MaxPool2D(2)
            Conv2D(64, kernelSize: 3, padding: .same, activation: .relu, initializer: .heNormal)
            GlobalAveragePooling()
            Dropout(0.2)
            Dense(10)
        }
        let pipeline = Pipeline(target: "target", estimator: learner) { MaxAbsScaler() }
        let started = Date()
        let fitted = try pipeline.fit(train, seed: seed, observer: { p in
            if p.step % 5 == 0 || p.step == p.total {
                print(String(format: "epoch %3d  loss %.4f  accuracy %.4f", p.step, p.metrics["loss"] ?? .nan, p.metrics["accuracy"] ?? .nan))
            }
        })
        print(String(format: "trained in %.1f s on %d images", Date().timeIntervalSince(started), train.rowCount))

        let predicted = try fitted.predict(test)
        let truth = try ClassLabels(column: test.column("target"), name: "target")
        let classes = predicted.classes ?? []
        let correct = zip(predicted.codes ?? [], truth.codes).filter { classes[$0.0] == truth.classes[$0.1] }.count
        let accuracy = Double(correct) / Double(test.rowCount)
        print(String(format: "test accuracy %.4f on %d held-out images", accuracy, test.rowCount))

        let artifact = FileManager.default.temporaryDirectory.appendingPathComponent("digits-cnn.sluice")
        try Artifact.save(fitted, to: artifact)
        let loaded = try Artifact.load(from: artifact, codec: ArtifactCodec.standard.adding(models: ArtifactCodec.neuralModelKinds))
        let same = try loaded.predictProbabilities(test) == fitted.predictProbabilities(test)
        print("saved \(artifact.path); the loaded artifact predicts \(same ? "the same" : "DIFFERENTLY")")
        if accuracy < 0.97 || !same { exit(1) }
    }
}
