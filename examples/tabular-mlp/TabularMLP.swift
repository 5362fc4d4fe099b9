// The tabular MLP example: a dense network as the last stage of the churn pipeline.
//
//   swift run -c release tabular-mlp [--rows N] [--epochs E] [--seed S]
//
// Generates the synthetic churn table, imputes and scales its numeric columns and one-hot
// encodes its categories, and trains a two-hidden-layer network (64, 64) with Adam, a
// validation split and early stopping that restores the best weights. It prints the history
// and the held-out ROC-AUC, and scores a few rows through the saved artifact.
import Foundation
import Sluice

@main
struct TabularMLP {
    static func main() throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
            return v
        }
        let rows = option("--rows", 50_000), epochs = option("--epochs", 20), seed = UInt64(option("--seed", 7))
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("tabular-mlp-churn-\(rows).csv")
        if !FileManager.default.fileExists(atPath: csv.path) { try ChurnGenerator(rows: rows).writeCSV(to: csv) }
        let labelled = try CSVReader().read(path: csv.path).droppingNulls(in: ["churned"])
        var rng = SeededGenerator(seed: seed)
        let labels = try ClassLabels(column: labelled.column("churned"), name: "churned")
        let split = try Splitter.trainTest(rows: labelled.rowCount, testFraction: 0.2, stratifyBy: labels, using: &rng)
        let train = try labelled.taking(rows: split.train), test = try labelled.taking(rows: split.test)

        let learner = NeuralClassifier(
            training: TrainingOptions(epochs: epochs, batchSize: 256, optimizer: .adamW(learningRate: 1e-3, weightDecay: 1e-4),
                                      validationFraction: 0.1, earlyStopping: EarlyStopping(patience: 3),
                                      schedule: .reduceOnPlateau(factor: 0.5, patience: 2)),
            classWeight: .balanced
        ) {
            Dense(64, activation: .relu, initializer: .heNormal)
            Dropout(0.1)
            Dense(64, activation: .relu, initializer: .heNormal)
            Dense(2)
        }
        let pipeline = Pipeline(target: "churned", keys: ["customer_id"], estimator: learner) {
            ColumnTransformer(
                remainder: .drop,
                .init(.numeric, SimpleImputer(strategy: .median, addIndicator: true), StandardScaler()),
                .init(.categorical, SimpleImputer(strategy: .mostFrequent), OneHotEncoder())
            )
        }
        let started = Date()
        let fitted = try pipeline.fit(train, seed: seed, observer: { p in
            print(String(format: "epoch %2d  loss %.4f  validation loss %.4f  validation accuracy %.4f  lr %.2g", p.step,
                         p.metrics["loss"] ?? .nan, p.metrics["validation_loss"] ?? .nan,
                         p.metrics["validation_accuracy"] ?? .nan, p.metrics["learning_rate"] ?? .nan))
        })
        let history = try fitted.model(as: NeuralClassifier.Model.self).history
        print(String(format: "trained in %.1f s on %d rows; kept epoch %d%@", Date().timeIntervalSince(started), train.rowCount,
                     history.bestEpoch, history.stoppedEarly ? " (stopped early)" : ""))
        let auc = try Scoring.rocAUC(positive: "1").score(fitted.predict(test), truth: test.column("churned"))
        print(String(format: "held-out ROC-AUC %.4f", auc))

        let artifact = FileManager.default.temporaryDirectory.appendingPathComponent("tabular-mlp.sluice")
        try Artifact.save(fitted, to: artifact)
        let loaded = try Artifact.load(from: artifact, codec: ArtifactCodec.standard.adding(models: ArtifactCodec.neuralModelKinds))
        print(try loaded.score(test.head(5).dropping(["churned"])))
    }
}
