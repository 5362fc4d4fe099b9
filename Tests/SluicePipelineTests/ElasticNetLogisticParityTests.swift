import Foundation
import SluiceCompute
import SluiceLearn
import SluicePipeline
import SluiceTestSupport
import Testing

/// Elastic-net logistic regression (OWL-QN on `½(1 − ρ)‖W‖²` plus `ρ‖W‖₁`) against scikit-learn's
/// saga at a tight tolerance (Scripts/elastic_logistic.py).
@Suite("Elastic-net logistic regression matches scikit-learn's saga")
struct ElasticNetLogisticParityTests {
    nonisolated(unsafe) static let expectations = Expectations.load("elastic_logistic")
    static func entry(_ key: String) -> [String: Any] { expectations[key] as? [String: Any] ?? [:] }

    @Test("coefficients, intercepts and the same exact zeros", arguments: [
        ("enet_logistic_breast_cancer", "breast_cancer", 0.5, 0.5, false),
        ("enet_logistic_wine", "wine", 0.3, 0.7, false),
        ("enet_logistic_breast_cancer_weighted", "breast_cancer", 0.25, 0.3, true),
    ])
    func parity(key: String, dataset: String, c: Double, ratio: Double, weighted: Bool) throws {
        let data = try Dataset.load(dataset)
        let x = data.standardizedFeatures, labels = ClassLabels(data.target)
        let weights = weighted ? (0..<labels.count).map { 1 + Double($0 % 3) } : nil
        let learner = LogisticRegression(c: c, maxIterations: 5000, tolerance: 1e-10, penalty: .elasticNet(l1Ratio: ratio),
                                         solver: .lbfgs)
        let model = try learner.fit(x, labels, sampleWeights: weights)
        let expected = (Self.entry(key)["coefficients"] as? [[Double]] ?? []).flatMap { $0 }
        #expect(model.converged)
        #expect(model.classes == Self.entry(key)["classes"] as? [String])
        #expect(isApproximatelyEqual(model.coefficients.elements, expected, absolute: 1e-4))
        #expect(isApproximatelyEqual(model.intercepts, Self.entry(key)["intercepts"] as? [Double] ?? [], absolute: 1e-4))
        #expect(zip(model.coefficients.elements, expected).allSatisfy { ($0 == 0) == ($1 == 0) }, "the same zeros")
    }

    @Test("the ratio's ends are L2 and L1; bad ratios and Newton are refused; the penalty round-trips")
    func ends() throws {
        let data = try Dataset.load("breast_cancer")
        let x = data.standardizedFeatures, labels = ClassLabels(data.target)
        let l1 = try LogisticRegression(penalty: .l1, solver: .lbfgs).fit(x, labels)
        let enet1 = try LogisticRegression(penalty: .elasticNet(l1Ratio: 1), solver: .lbfgs).fit(x, labels)
        #expect(l1.coefficients == enet1.coefficients)
        let l2 = try LogisticRegression(solver: .lbfgs).fit(x, labels)
        let enet0 = try LogisticRegression(penalty: .elasticNet(l1Ratio: 0), solver: .lbfgs).fit(x, labels)
        #expect(isApproximatelyEqual(l2.coefficients.elements, enet0.coefficients.elements, absolute: 1e-12))
        #expect(throws: EstimatorError.self) { try LogisticRegression(penalty: .elasticNet(l1Ratio: 1.5), solver: .lbfgs).fit(x, labels) }
        #expect(throws: EstimatorError.self) { try LogisticRegression(penalty: .elasticNet(l1Ratio: 0.5)).fit(x, labels) }
        for penalty in [LogisticPenalty.l1, .l2, .elasticNet(l1Ratio: 0.25)] {
            let learner = LogisticRegression(penalty: penalty, solver: .lbfgs)
            #expect(try JSONDecoder().decode(LogisticRegression.self, from: JSONEncoder().encode(learner)) == learner)
        }
        #expect(String(decoding: try JSONEncoder().encode(LogisticPenalty.l1), as: UTF8.self) == "\"l1\"")
    }
}
