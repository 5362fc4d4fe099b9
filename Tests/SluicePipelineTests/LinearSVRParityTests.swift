import Foundation
import Testing
import SluiceCompute
import SluiceLearn
import SluicePipeline
import SluiceTestSupport

/// scikit-learn's `LinearSVR(dual=True, tol=1e-10)` on standardised diabetes, target / 100
/// (Scripts/linear_svr.py → Expectations/linear_svr.json).
@Suite("Linear SVR matches scikit-learn's liblinear")
struct LinearSVRParityTests {
    nonisolated(unsafe) static let expectations = Expectations.load("linear_svr")
    static func entry(_ key: String) -> [String: Any] { expectations[key] as? [String: Any] ?? [:] }

    let data = try! Dataset.load("diabetes")
    var x: Matrix<Double> { data.standardizedFeatures }
    var y: [Double] { data.target.map { Double($0)! / 100 } }
    var weights: [Double] { (0..<data.target.count).map { 1 + Double($0 % 3) } }

    static let cases: [(String, LinearSVR, Bool)] = [
        ("linsvr_squared", LinearSVR(c: 0.5, epsilon: 0.1, loss: .squaredEpsilonInsensitive), false),
        ("linsvr_squared_weighted", LinearSVR(c: 2, epsilon: 0.3, loss: .squaredEpsilonInsensitive, interceptScaling: 2), true),
        ("linsvr_l1", LinearSVR(c: 0.2, epsilon: 0.2), false),
        ("linsvr_l1_weighted", LinearSVR(c: 0.3, epsilon: 0.1), true),
    ]

    func tight(_ learner: LinearSVR) -> LinearSVR {
        var l = learner
        l.tolerance = 1e-10
        l.maxIterations = 1_000_000
        return l
    }

    func check(_ model: LinearSVR.Model, key: String, predictions: [Double]) {
        // Both stop on the summed violation at 1e-10 of the first pass's: w agrees to ~1e-7.
        let e = Self.entry(key)
        #expect(model.converged, "\(key)")
        #expect(isApproximatelyEqual(model.coefficients, e["coefficients"] as? [Double] ?? [], absolute: 1e-6), "\(key)")
        #expect(isApproximatelyEqual(model.intercept, e["intercept"] as? Double ?? .nan, absolute: 1e-6), "\(key)")
        #expect(isApproximatelyEqual(predictions, e["predictions_head"] as? [Double] ?? [], absolute: 1e-6), "\(key)")
    }

    @Test("coefficients, intercept and predictions on dense rows", arguments: cases)
    func dense(key: String, learner: LinearSVR, weighted: Bool) throws {
        // The squared loss has both solvers (`.auto` picks the primal here); the other only the dual.
        let solvers: [LinearSVMSolver] = learner.loss == .squaredEpsilonInsensitive ? [.dual, .primal, .auto] : [.dual, .auto]
        for solver in solvers {
            var l = tight(learner), context = FitContext(seed: 3)
            l.solver = solver
            let model = try l.fit(x, y, sampleWeights: weighted ? weights : nil, context: &context)
            check(model, key: key, predictions: try model.predict(x.rows(0..<10).copy()))
        }
    }

    @Test("the same optimum on CSR rows", arguments: cases)
    func sparse(key: String, learner: LinearSVR, weighted: Bool) throws {
        var context = FitContext(seed: 5)
        let csr = SparseMatrix(x)
        let model = try tight(learner).fit(sparse: csr, y, sampleWeights: weighted ? weights : nil, context: &context)
        check(model, key: key, predictions: try model.predict(sparse: SparseMatrix(x.rows(0..<10).copy())))
        #expect(isApproximatelyEqual(try model.predict(sparse: csr), try model.predict(x), absolute: 1e-12))
    }

    @Test("a zero-weight row is the same as no row")
    func zeroWeight() throws {
        var w = weights
        w[0] = 0
        let learner = tight(LinearSVR(c: 0.5, epsilon: 0.1, loss: .squaredEpsilonInsensitive))
        var c1 = FitContext(seed: 1), c2 = FitContext(seed: 1)
        let a = try learner.fit(x, y, sampleWeights: w, context: &c1)
        let rest = Array(1..<x.rows)
        let b = try learner.fit(x.gatheringRows(rest), rest.map { y[$0] }, sampleWeights: rest.map { w[$0] }, context: &c2)
        #expect(isApproximatelyEqual(a.coefficients, b.coefficients, absolute: 1e-8))
        #expect(isApproximatelyEqual(a.intercept, b.intercept, absolute: 1e-8))
    }

    @Test("seeded: the same seed gives the same model; an artifact round trip predicts the same")
    func seeded() throws {
        let learner = LinearSVR(c: 0.5, epsilon: 0.05)
        var c1 = FitContext(seed: 11), c2 = FitContext(seed: 11)
        let a = try learner.fit(x, y, context: &c1), b = try learner.fit(x, y, context: &c2)
        #expect(a == b)
        let decoded = try JSONDecoder().decode(LinearSVR.Model.self, from: JSONEncoder().encode(a))
        #expect(try decoded.predict(x) == a.predict(x))
    }

    @Test("bad inputs are refused")
    func badInputs() throws {
        var context = FitContext(seed: 1)
        #expect(throws: EstimatorError.self) { try LinearSVR(c: 0).fit(x, y, context: &context) }
        #expect(throws: EstimatorError.self) { try LinearSVR(epsilon: -1).fit(x, y, context: &context) }
        #expect(throws: EstimatorError.self) { try LinearSVR(solver: .primal).fit(x, y, context: &context) }
        #expect(throws: EstimatorError.self) {
            try LinearSVR(loss: .squaredEpsilonInsensitive, solver: .primal).fit(sparse: SparseMatrix(x), y, context: &context)
        }
        #expect(throws: EstimatorError.self) { try LinearSVR().fit(x, Array(y.dropLast()), context: &context) }
        var bad = y
        bad[3] = .nan
        #expect(throws: EstimatorError.self) { try LinearSVR().fit(x, bad, context: &context) }
        let model = try LinearSVR().fit(x, y, context: &context)
        #expect(throws: EstimatorError.self) { try model.predict(Matrix(rows: 2, columns: 3)) }
    }
}
