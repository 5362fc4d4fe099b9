import Foundation
import Testing
import SluiceCompute
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

@Suite("Poisson, gamma and Tweedie regression match scikit-learn on diabetes")
struct GLMParityTests {
    nonisolated(unsafe) static let expected = Expectations.load("glm")
    let data = try! Dataset.load("diabetes")
    var y: [Double] { data.target.map { Double($0)! } }
    /// The target minus 100, clipped at 0: many exact zeros.
    var zeros: [Double] { y.map { max($0 - 100, 0) } }
    var weights: [Double] { (0..<data.target.count).map { 1 + Double($0 % 3) } }

    @Test("coefficients, intercept, predictions and D² at a tight tolerance", arguments: [
        ("poisson", GeneralizedLinearRegressor.poisson(alpha: 1), false, false),
        ("poisson_weak_weighted", GeneralizedLinearRegressor.poisson(alpha: 0.01), false, true),
        ("poisson_zeros_no_intercept", GeneralizedLinearRegressor.poisson(alpha: 0.1, fitIntercept: false), true, false),
        ("gamma", GeneralizedLinearRegressor.gamma(alpha: 0.5), false, false),
        ("tweedie_1_5_zeros", GeneralizedLinearRegressor.tweedie(power: 1.5, alpha: 0.05), true, true),
        ("tweedie_3", GeneralizedLinearRegressor.tweedie(power: 3, alpha: 0.2), false, false),
        ("tweedie_0_log", GeneralizedLinearRegressor.tweedie(power: 0, alpha: 0.1), false, false),
    ])
    func parity(key: String, learner: GeneralizedLinearRegressor, zeroInflated: Bool, weighted: Bool) throws {
        var l = learner
        l.tolerance = 1e-10
        l.maxIterations = 10_000
        let target = zeroInflated ? zeros : y
        let w = weighted ? weights : nil
        let model = try l.fit(data.standardizedFeatures, target, sampleWeights: w)
        let entry = Self.expected[key] as? [String: Any] ?? [:]
        #expect(model.converged, "\(key)")
        #expect(isApproximatelyEqual(model.coefficients, entry["coefficients"] as? [Double] ?? [], absolute: 1e-6, relative: 1e-5),
                "\(key)")
        #expect(isApproximatelyEqual(model.intercept, entry["intercept"] as? Double ?? .nan, absolute: 1e-6, relative: 1e-6))
        let head = try model.predict(data.standardizedFeatures.rows(0..<5).copy())
        #expect(isApproximatelyEqual(head, entry["predictions_head"] as? [Double] ?? [], relative: 1e-5), "\(key)")
        let d2 = try model.d2Score(data.standardizedFeatures, target, sampleWeights: w)
        #expect(isApproximatelyEqual(d2, entry["d2"] as? Double ?? .nan, absolute: 1e-6), "\(key)")
    }

    @Test("targets outside the family's support and bad settings are refused")
    func refusals() {
        let x = Matrix<Double>([[0], [1], [2]])
        #expect(throws: EstimatorError.self) { try GeneralizedLinearRegressor.poisson().fit(x, [1, -1, 2]) }
        #expect(throws: EstimatorError.self) { try GeneralizedLinearRegressor.poisson().fit(x, [0, 0, 0]) }
        #expect(throws: EstimatorError.self) { try GeneralizedLinearRegressor.gamma().fit(x, [1, 0, 2]) }
        #expect(throws: EstimatorError.self) { try GeneralizedLinearRegressor.tweedie(power: 0.5).fit(x, [1, 2, 3]) }
        #expect(throws: EstimatorError.self) { try GeneralizedLinearRegressor.tweedie(power: 2.5).fit(x, [1, 0, 3]) }
        #expect(throws: EstimatorError.self) { try GeneralizedLinearRegressor.poisson(alpha: -1).fit(x, [1, 2, 3]) }
        #expect(throws: EstimatorError.self) { try GeneralizedLinearRegressor.poisson().fit(x, [1, 2]) }
    }
}
