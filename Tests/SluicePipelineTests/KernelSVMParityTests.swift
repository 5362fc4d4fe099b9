import Foundation
import SluiceCompute
import SluiceLearn
import SluicePipeline
import SluiceTestSupport
import Testing

enum KernelSVMExpectations {
    nonisolated(unsafe) static let all = Expectations.load("kernel_svm")
    static func entry(_ key: String) -> [String: Any] { all[key] as? [String: Any] ?? [:] }
    static func numbers(_ key: String, _ field: String) -> [Double] { entry(key)[field] as? [Double] ?? [] }
    static func matrix(_ key: String, _ field: String) -> [[Double]] { entry(key)[field] as? [[Double]] ?? [] }
    static func ints(_ key: String, _ field: String) -> [Int] { entry(key)[field] as? [Int] ?? [] }
    /// The script's sample weights: 1, 2, 3, 1, 2, 3, …
    static func weights(_ n: Int) -> [Double] { (0..<n).map { Double(1 + $0 % 3) } }
}

/// SVC and SVR against scikit-learn's libsvm (Scripts/kernel_svm.py), both solved to a tolerance
/// of 1e-8 so that the solutions, not the stopping points, are compared. Both keep kernel rows
/// in single precision (libsvm's `Qfloat`), which bounds the agreement: dual coefficients and
/// decision values to 1e-4 (relative to their scale), the same support vectors and predictions.
@Suite("Kernel SVM matches scikit-learn's libsvm")
struct KernelSVMParityTests {
    @Test("SVC: support vectors, dual coefficients, rho, decision function and predictions", arguments: [
        ("svc_iris_rbf", "iris", SVC(c: 1), false),
        ("svc_breast_cancer_rbf", "breast_cancer", SVC(c: 10), false),
        ("svc_breast_cancer_poly", "breast_cancer", SVC(c: 1, kernel: .polynomial(degree: 3, coef0: 1)), false),
        ("svc_breast_cancer_sigmoid", "breast_cancer", SVC(c: 0.5, kernel: .sigmoid(), gamma: .value(0.01)), false),
        ("svc_wine_linear_balanced", "wine", SVC(c: 0.1, kernel: .linear, classWeight: .balanced), false),
        ("svc_breast_cancer_weighted", "breast_cancer", SVC(c: 2), true),
    ])
    func classifier(key: String, dataset: String, learner: SVC, weighted: Bool) throws {
        var l = learner
        l.tolerance = 1e-8
        let data = try Dataset.load(dataset)
        let x = data.standardizedFeatures
        var context = FitContext(seed: 1)
        let model = try l.fit(x, ClassLabels(data.target), sampleWeights: weighted ? KernelSVMExpectations.weights(x.rows) : nil,
                              context: &context)
        #expect(model.converged)
        #expect(model.classes == KernelSVMExpectations.entry(key)["classes"] as? [String])
        #expect(model.support == KernelSVMExpectations.ints(key, "support"))
        #expect(model.supportCounts == KernelSVMExpectations.ints(key, "n_support"))
        let dual = KernelSVMExpectations.matrix(key, "dual_coef").flatMap { $0 }
        let scale = max(1, dual.map(abs).max() ?? 1)
        #expect(isApproximatelyEqual(model.dualCoefficients.elements, dual, absolute: 1e-4 * scale))
        #expect(isApproximatelyEqual(model.rho, KernelSVMExpectations.numbers(key, "rho"), absolute: 1e-4))
        let expected = KernelSVMExpectations.entry(key)["decision"]
        let flat = (expected as? [[Double]])?.flatMap { $0 } ?? (expected as? [Double] ?? [])
        #expect(isApproximatelyEqual(try model.decisionFunction(x).elements, flat, absolute: 1e-4))
        let predictions = try model.predict(x).map { model.classes[$0] }
        #expect(predictions == KernelSVMExpectations.entry(key)["predictions"] as? [String])
    }

    @Test("SVR: support vectors, dual coefficients, intercept and predictions", arguments: [
        ("svr_diabetes_rbf", SVR(c: 100, epsilon: 5), false),
        ("svr_diabetes_linear", SVR(c: 10, epsilon: 1, kernel: .linear), false),
        ("svr_diabetes_weighted", SVR(c: 50, epsilon: 2), true),
    ])
    func regressor(key: String, learner: SVR, weighted: Bool) throws {
        var l = learner
        l.tolerance = 1e-8
        let data = try Dataset.load("diabetes")
        let x = data.standardizedFeatures, y = data.target.map { Double($0) ?? .nan }
        let model = try l.fit(x, y, sampleWeights: weighted ? KernelSVMExpectations.weights(x.rows) : nil)
        #expect(model.converged)
        #expect(model.support == KernelSVMExpectations.ints(key, "support"))
        let dual = KernelSVMExpectations.numbers(key, "dual_coef"), scale = max(1, dual.map(abs).max() ?? 1)
        #expect(isApproximatelyEqual(model.dualCoefficients, dual, absolute: 1e-4 * scale))
        #expect(abs(model.intercept - (KernelSVMExpectations.entry(key)["intercept"] as? Double ?? .nan)) < 1e-3)
        #expect(isApproximatelyEqual(try model.predict(x), KernelSVMExpectations.numbers(key, "predictions"), absolute: 1e-3))
    }

    /// libsvm's internal shuffle is not Sluice's, so probabilities agree within a margin: the
    /// mean over 5 seeds within 0.05 of scikit-learn's mean over 5 seeds on every row, and the
    /// Platt slopes within scikit-learn's range across its seeds, widened by half of it.
    @Test("SVC probability: cross-fitted Platt scaling within a margin over 5 seeds", arguments: [
        ("svc_iris_probability", "iris"), ("svc_breast_cancer_probability", "breast_cancer"),
    ])
    func probability(key: String, dataset: String) throws {
        let data = try Dataset.load(dataset)
        let x = data.standardizedFeatures, y = ClassLabels(data.target)
        var mean = Matrix<Double>(rows: x.rows, columns: y.classes.count)
        var slopes: [[Double]] = []
        for seed in 0..<5 {
            var context = FitContext(seed: UInt64(seed))
            let model = try SVC(probability: true).fit(x, y, context: &context)
            let p = try model.predictProbabilities(x)
            #expect((0..<x.rows).allSatisfy { abs(p.row($0).reduce(0, +) - 1) < 1e-9 })
            mean.axpy(0.2, p)
            slopes.append(model.probabilityA)
        }
        let expected = KernelSVMExpectations.matrix(key, "probabilities")
        var worst = 0.0
        for i in 0..<x.rows { for c in 0..<y.classes.count { worst = max(worst, abs(mean[i, c] - expected[i][c])) } }
        #expect(worst < 0.05, "largest difference \(worst)")
        let theirs = KernelSVMExpectations.matrix(key, "probA")
        for q in 0..<(theirs.first?.count ?? 0) {
            let values = theirs.map { $0[q] }, lo = values.min() ?? 0, hi = values.max() ?? 0, slack = max(0.5 * (hi - lo), 0.1 * abs(lo))
            #expect(slopes.allSatisfy { $0[q] >= lo - slack && $0[q] <= hi + slack }, "pair \(q): \(slopes.map { $0[q] }) vs \(values)")
        }
    }

    @Test("seeded: the same seed gives the same probability model")
    func seeded() throws {
        let data = try Dataset.load("iris")
        let x = data.standardizedFeatures, y = ClassLabels(data.target)
        var a = FitContext(seed: 9), b = FitContext(seed: 9)
        #expect(try SVC(probability: true).fit(x, y, context: &a) == SVC(probability: true).fit(x, y, context: &b))
    }

    @Test("a tiny cache and no shrinking reach the same solution")
    func cacheAndShrinking() throws {
        let data = try Dataset.load("breast_cancer")
        let x = data.standardizedFeatures, y = ClassLabels(data.target)
        var context = FitContext(seed: 0)
        let reference = try SVC(c: 10, tolerance: 1e-8).fit(x, y, context: &context)
        let small = try SVC(c: 10, tolerance: 1e-8, shrinking: false, cacheSizeMB: 0.001).fit(x, y, context: &context)
        #expect(small.support == reference.support)
        #expect(isApproximatelyEqual(small.dualCoefficients.elements, reference.dualCoefficients.elements, absolute: 1e-4))
    }

    @Test("bad hyperparameters and single-class data are refused")
    func badInputs() throws {
        let x = Matrix<Double>([[0, 1], [1, 0], [1, 1], [0, 0]])
        var context = FitContext(seed: 0)
        #expect(throws: EstimatorError.self) { try SVC(c: 0).fit(x, ClassLabels(["a", "b", "a", "b"]), context: &context) }
        #expect(throws: EstimatorError.self) { try SVC(gamma: .value(-1)).fit(x, ClassLabels(["a", "b", "a", "b"]), context: &context) }
        #expect(throws: EstimatorError.self) { try SVC(cacheSizeMB: 0).fit(x, ClassLabels(["a", "b", "a", "b"]), context: &context) }
        #expect(throws: EstimatorError.self) { try SVC().fit(x, ClassLabels(["a", "a", "a", "a"]), context: &context) }
        #expect(throws: EstimatorError.self) { try SVR(epsilon: -1).fit(x, [1, 2, 3, 4]) }
        #expect(throws: EstimatorError.self) { try SVR().fit(x, [1, 2, 3, 4], sampleWeights: [0, 0, 0, 0]) }
    }
}
