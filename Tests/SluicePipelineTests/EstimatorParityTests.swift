import Foundation
import Testing
import SluiceCompute
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// scikit-learn's results, written by `make_expectations.py`.
struct Expectations {
    nonisolated(unsafe) static let all = load("estimators")

    static func load(_ name: String) -> [String: Any] {
        guard let url = Bundle.module.url(forResource: "Expectations/\(name)", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }

    static func entry(_ key: String) -> [String: Any] { all[key] as? [String: Any] ?? [:] }
    static func numbers(_ key: String, _ field: String) -> [Double] { entry(key)[field] as? [Double] ?? [] }
    static func matrix(_ key: String, _ field: String) -> [[Double]] { entry(key)[field] as? [[Double]] ?? [] }
}

@Suite("Linear regression matches scikit-learn on diabetes")
struct LinearRegressionParityTests {
    let data = try! Dataset.load("diabetes")
    var y: [Double] { data.target.map { Double($0)! } }
    var weights: [Double] { (0..<data.target.count).map { 1 + Double($0 % 3) } }

    @Test("OLS, ridge, weighted and through-the-origin fits", arguments: [
        ("diabetes_ols", LinearRegression(), false),
        ("diabetes_ridge", LinearRegression(alpha: 1), false),
        ("diabetes_ols_weighted", LinearRegression(), true),
        ("diabetes_ridge_weighted", LinearRegression(alpha: 2.5), true),
        ("diabetes_ols_no_intercept", LinearRegression(fitIntercept: false), false),
    ])
    func parity(key: String, estimator: LinearRegression, weighted: Bool) throws {
        let model = try estimator.fit(data.features, y, sampleWeights: weighted ? weights : nil)
        #expect(isApproximatelyEqual(model.coefficients, Expectations.numbers(key, "coefficients"), absolute: 1e-8, relative: 1e-9))
        #expect(isApproximatelyEqual(model.intercept, Expectations.entry(key)["intercept"] as? Double ?? .nan, absolute: 1e-9))
        let head = try model.predict(data.features.rows(0..<5).copy())
        #expect(isApproximatelyEqual(head, Expectations.numbers(key, "predictions_head"), absolute: 1e-8, relative: 1e-9))
    }

    @Test("collinear features get the minimum-norm solution, not a crash")
    func collinear() throws {
        let x = Matrix<Double>([[1, 2], [2, 4], [3, 6], [4, 8]])
        let model = try LinearRegression().fit(x, [1, 2, 3, 4], sampleWeights: nil)
        #expect(model.rank == 1)
        #expect(isApproximatelyEqual(model.coefficients, [0.2, 0.4], absolute: 1e-12))
    }

    @Test("bad input is refused with a clear error")
    func badInput() {
        let x = Matrix<Double>([[1], [.nan]])
        #expect(throws: EstimatorError.nonFinite(estimator: "linear_regression", row: 1, column: 0)) {
            try LinearRegression().fit(x, [1, 2], sampleWeights: nil)
        }
        #expect(throws: EstimatorError.lengthMismatch(estimator: "linear_regression", rows: 2, targets: 3)) {
            try LinearRegression().fit(Matrix([[1], [2]]), [1, 2, 3], sampleWeights: nil)
        }
        #expect(throws: EstimatorError.empty(estimator: "linear_regression")) {
            try LinearRegression().fit(Matrix(rows: 0, columns: 2), [], sampleWeights: nil)
        }
        #expect(throws: EstimatorError.self) {
            try LinearRegression().fit(Matrix([[1], [2]]), [1, 2], sampleWeights: [-1, 1])
        }
        #expect(throws: EstimatorError.featureCountMismatch(estimator: "linear_regression", expected: 1, got: 2)) {
            try LinearRegression().fit(Matrix([[1], [2]]), [1, 2], sampleWeights: nil).predict(Matrix([[1, 2]]))
        }
    }
}

@Suite("Logistic regression matches scikit-learn (binary and multinomial)")
struct LogisticRegressionParityTests {
    @Test("coefficients, intercepts and probabilities", arguments: [
        ("logistic_breast_cancer", "breast_cancer", LogisticRegression()),
        ("logistic_breast_cancer_c001", "breast_cancer", LogisticRegression(c: 0.01)),
        ("logistic_iris", "iris", LogisticRegression()),
        ("logistic_wine_balanced_c05", "wine", LogisticRegression(c: 0.5, classWeight: .balanced)),
    ])
    func parity(key: String, dataset: String, estimator: LogisticRegression) throws {
        let data = try Dataset.load(dataset)
        let x = data.standardizedFeatures
        let labels = ClassLabels(data.target)
        let model = try estimator.fit(x, labels, sampleWeights: nil)
        #expect(model.converged)
        #expect(model.classes == Expectations.entry(key)["classes"] as? [String])
        let expectedW = Expectations.matrix(key, "coefficients")
        #expect(model.coefficients.rows == expectedW.count)
        #expect(isApproximatelyEqual(model.coefficients.elements, expectedW.flatMap { $0 }, absolute: 1e-6, relative: 1e-6))
        #expect(isApproximatelyEqual(model.intercepts, Expectations.numbers(key, "intercepts"), absolute: 1e-6, relative: 1e-6))
        let proba = try model.predictProbabilities(x.rows(0..<5).copy())
        #expect(isApproximatelyEqual(proba.elements, Expectations.matrix(key, "probabilities_head").flatMap { $0 }, absolute: 1e-8))
        let predicted = try model.predict(x)
        let accuracy = Double(zip(predicted, labels.codes).filter { $0 == $1 }.count) / Double(labels.count)
        #expect(isApproximatelyEqual(accuracy, Expectations.entry(key)["accuracy"] as? Double ?? .nan))
    }

    @Test("one class, or a wrong number of class weights, is refused")
    func badInput() {
        let x = Matrix<Double>([[1], [2], [3]])
        #expect(throws: EstimatorError.singleClass(estimator: "logistic_regression", className: "a")) {
            try LogisticRegression().fit(x, ClassLabels(["a", "a", "a"]), sampleWeights: nil)
        }
        #expect(throws: EstimatorError.self) {
            try LogisticRegression(classWeight: .custom([1])).fit(x, ClassLabels(["a", "b", "a"]), sampleWeights: nil)
        }
    }

    @Test("the fit is deterministic and the model round-trips through Codable")
    func determinismAndCodable() throws {
        let data = try Dataset.load("iris")
        let x = data.standardizedFeatures, y = ClassLabels(data.target)
        let a = try LogisticRegression().fit(x, y, sampleWeights: nil)
        let b = try LogisticRegression().fit(x, y, sampleWeights: nil)
        #expect(a == b)
        let decoded = try JSONDecoder().decode(LogisticRegression.Model.self, from: JSONEncoder().encode(a))
        #expect(try decoded.predictProbabilities(x) == a.predictProbabilities(x))
    }
}
