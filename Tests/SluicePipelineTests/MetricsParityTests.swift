import Foundation
import Testing
import SluiceCompute
import SluicePipeline
import SluiceTestSupport

/// Every metric against scikit-learn on the same inputs (written by `make_expectations.py`),
/// to 1e-9.
@Suite("Metrics match scikit-learn")
struct MetricsParityTests {
    nonisolated(unsafe) static let json = Expectations.load("metrics")
    static var inputs: [String: Any] { json["inputs"] as? [String: Any] ?? [:] }
    static func ints(_ k: String) -> [Int] { inputs[k] as? [Int] ?? [] }
    static func doubles(_ k: String) -> [Double] { inputs[k] as? [Double] ?? [] }
    static func expected(_ k: String) -> Double { json[k] as? Double ?? .nan }

    let yb = ints("y_binary"), predb = ints("pred_binary"), scores = doubles("scores"), w = doubles("weights")
    let yk = ints("y_multi"), predk = ints("pred_multi")
    let proba = inputs["proba"] as? [[Double]] ?? []
    let yr = doubles("y_reg"), predr = doubles("pred_reg")

    func check(_ value: Double, _ key: String) {
        #expect(isApproximatelyEqual(value, Self.expected(key), absolute: 1e-12, relative: 1e-9), "\(key)")
    }

    @Test("inputs loaded") func loaded() { #expect(yb.count == 300 && proba.count == 300 && w.count == 300) }

    @Test("accuracy, balanced accuracy, confusion matrix")
    func accuracy() {
        check(Metrics.accuracy(yk, predk), "accuracy")
        check(Metrics.accuracy(yk, predk, sampleWeights: w), "accuracy_weighted")
        check(Metrics.balancedAccuracy(yk, predk, classCount: 3), "balanced_accuracy")
        let expected = (Self.json["confusion"] as? [[Int]] ?? []).map { $0.map(Double.init) }
        #expect(Metrics.confusionMatrix(yk, predk, classCount: 3) == expected)
    }

    @Test("precision, recall and F1: binary, macro, weighted, micro")
    func prf() {
        check(Metrics.precision(yb, predb, classCount: 2, average: .binary(positive: 1)), "precision_binary")
        check(Metrics.recall(yb, predb, classCount: 2, average: .binary(positive: 1)), "recall_binary")
        check(Metrics.f1(yb, predb, classCount: 2, average: .binary(positive: 1)), "f1_binary")
        check(Metrics.f1(yb, predb, classCount: 2, average: .binary(positive: 1), sampleWeights: w), "f1_binary_weighted_rows")
        for (name, avg) in [("macro", Averaging.macro), ("weighted", .weighted), ("micro", .micro)] {
            check(Metrics.precision(yk, predk, classCount: 3, average: avg), "precision_\(name)")
            check(Metrics.recall(yk, predk, classCount: 3, average: avg), "recall_\(name)")
            check(Metrics.f1(yk, predk, classCount: 3, average: avg), "f1_\(name)")
        }
    }

    @Test("ROC-AUC (binary with ties, weighted, one-vs-rest) and average precision")
    func ranking() {
        check(Metrics.rocAUC(yb, scores: scores), "roc_auc")
        check(Metrics.rocAUC(yb, scores: scores, sampleWeights: w), "roc_auc_weighted_rows")
        check(Metrics.rocAUCOneVsRest(yk, probabilities: proba), "roc_auc_ovr_macro")
        check(Metrics.rocAUCOneVsRest(yk, probabilities: proba, weighted: true), "roc_auc_ovr_weighted")
        check(Metrics.averagePrecision(yb, scores: scores), "average_precision")
        check(Metrics.averagePrecision(yb, scores: scores, sampleWeights: w), "average_precision_weighted_rows")
        #expect(Metrics.rocAUC([1, 1], scores: [0.2, 0.3]).isNaN, "one class: undefined, not a crash")
    }

    @Test("log loss and Brier score")
    func probabilistic() {
        check(Metrics.logLoss(yk, probabilities: proba), "log_loss")
        check(Metrics.logLoss(yk, probabilities: proba, sampleWeights: w), "log_loss_weighted")
        check(Metrics.brierScore(yb, probabilityOfPositive: scores), "brier")
        #expect(Metrics.logLoss([0], probabilities: [[0, 1]]).isFinite, "a zero probability is clipped")
    }

    @Test("regression errors and R²")
    func regression() {
        check(Metrics.meanSquaredError(yr, predr), "mse")
        check(Metrics.rootMeanSquaredError(yr, predr), "rmse")
        check(Metrics.meanAbsoluteError(yr, predr), "mae")
        check(Metrics.r2(yr, predr), "r2")
        check(Metrics.r2(yr, predr, sampleWeights: w), "r2_weighted")
        #expect(Metrics.r2([2, 2, 2], [2, 2, 2]) == 1 && Metrics.r2([2, 2, 2], [1, 2, 3]) == 0)
    }

    @Test("silhouette on standardised iris with its true classes")
    func silhouette() throws {
        let x = try Dataset.load("iris").standardizedFeatures
        check(Metrics.silhouette(x, labels: Self.ints("iris_labels")), "silhouette_iris")
    }
}

@Suite("Classification and regression reports")
struct ReportTests {
    @Test("the classification report's lines equal the metrics, in text and in JSON")
    func classification() throws {
        let yTrue = [0, 0, 1, 1, 2, 2, 2], yPred = [0, 1, 1, 1, 2, 0, 2]
        let r = ClassificationReport(yTrue, yPred, classNames: ["a", "b", "c"])
        #expect(r.classes.map(\.support) == [2, 2, 3])
        #expect(isApproximatelyEqual(r.macroAverage.f1, Metrics.f1(yTrue, yPred, classCount: 3, average: .macro)))
        #expect(isApproximatelyEqual(r.weightedAverage.recall, Metrics.recall(yTrue, yPred, classCount: 3, average: .weighted)))
        #expect(r.description.contains("accuracy") && r.description.contains("0.7143"))
        let decoded = try JSONDecoder().decode(ClassificationReport.self, from: Data(r.json().utf8))
        #expect(decoded == r)
    }

    @Test("the regression report carries MAE, MSE, RMSE and R²")
    func regression() throws {
        let r = RegressionReport([1, 2, 3], [1, 2, 4])
        #expect(r.meanAbsoluteError == 1.0 / 3 && r.rootMeanSquaredError == (1.0 / 3).squareRoot())
        #expect(try JSONDecoder().decode(RegressionReport.self, from: Data(r.json().utf8)) == r)
    }
}
