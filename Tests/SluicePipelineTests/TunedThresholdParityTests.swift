import Foundation
import SluiceCompute
import SluiceLearn
import SluicePipeline
import SluiceTestSupport
import Testing

/// TunedThresholdClassifier against scikit-learn's TunedThresholdClassifierCV (Scripts/threshold.py):
/// logistic regression on four standardised breast_cancer columns, unshuffled 5-fold KFold.
@Suite("Threshold tuning matches scikit-learn's TunedThresholdClassifierCV")
struct TunedThresholdParityTests {
    nonisolated(unsafe) static let expectations = Expectations.load("threshold")
    static func entry(_ key: String) -> [String: Any] { expectations[key] as? [String: Any] ?? [:] }

    static func data() throws -> (Matrix<Double>, ClassLabels) {
        let d = try Dataset.load("breast_cancer")
        let x = d.standardizedFeatures.columns(0..<4).copy()
        return (x, ClassLabels(d.target))
    }

    @Test("threshold, mean score and predictions", arguments: [
        ("threshold_balanced_accuracy", TunedThresholdClassifier<LogisticRegression>.Objective.balancedAccuracy, false),
        ("threshold_f1", .f1, false),
        ("threshold_cost", .cost(falsePositive: 1, falseNegative: 5), false),
        ("threshold_cost_weighted", .cost(falsePositive: 1, falseNegative: 5), true),
    ])
    func parity(key: String, objective: TunedThresholdClassifier<LogisticRegression>.Objective, weighted: Bool) throws {
        let (x, y) = try Self.data()
        let weights = weighted ? (0..<x.rows).map { Double(1 + $0 % 3) } : nil
        var context = FitContext(seed: 0)
        let tuner = TunedThresholdClassifier(LogisticRegression(), objective: objective, stratified: false)
        let model = try tuner.fit(TrainingSet(features: x, target: .classes(y), sampleWeights: weights), context: &context)
        let expected = Self.entry(key)
        #expect(abs(model.threshold - (expected["threshold"] as? Double ?? .nan)) < 1e-6)
        #expect(abs(model.bestScore - (expected["score"] as? Double ?? .nan)) < 1e-6)
        let predicted = try model.predictClasses(x).map { model.classes[$0] }
        #expect(predicted == expected["predictions"] as? [String])
        // The pipeline's prediction (argmax of the probabilities) applies the threshold.
        #expect(try model.predict(x) == model.predictClasses(x))
        let p = try model.predictProbabilities(x)
        #expect((0..<x.rows).allSatisfy { abs(p[$0, 0] + p[$0, 1] - 1) < 1e-12 && p[$0, 1] >= 0 && p[$0, 1] <= 1 })
    }

    @Test("a decision-function model (SVC) is tuned on its margins; ranking is kept")
    func decisionFunction() throws {
        let (x, y) = try Self.data()
        var context = FitContext(seed: 0)
        let model = try TunedThresholdClassifier(SVC(), objective: .cost(falsePositive: 1, falseNegative: 5))
            .fit(TrainingSet(features: x, target: .classes(y)), context: &context)
        let margins = try model.model.decisionFunction(x).elements, p = try model.predictProbabilities(x)
        for i in 1..<x.rows where margins[i] > margins[i - 1] { #expect(p[i, 1] >= p[i - 1, 1]) }
        #expect(try model.predict(x) == margins.map { $0 >= model.threshold ? 1 : 0 })
    }

    @Test("more than two classes and constant scores are refused")
    func badInputs() throws {
        let d = try Dataset.load("iris")
        var context = FitContext(seed: 0)
        #expect(throws: EstimatorError.self) {
            try TunedThresholdClassifier(LogisticRegression()).fit(TrainingSet(features: d.features, target: .classes(ClassLabels(d.target))),
                                                                    context: &context)
        }
        let x = Matrix<Double>(rows: 20, columns: 1, repeating: 1)
        let y = ClassLabels((0..<20).map { $0 % 2 == 0 ? "a" : "b" })
        #expect(throws: EstimatorError.self) {
            try TunedThresholdClassifier(LogisticRegression()).fit(TrainingSet(features: x, target: .classes(y)), context: &context)
        }
    }
}
