import Foundation
import Testing
import SluiceCompute
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

@Suite("Naive Bayes matches scikit-learn")
struct NaiveBayesParityTests {
    static func weights(_ n: Int) -> [Double] { (0..<n).map { 1 + Double($0 % 4) } }

    static func fitted<L: Learner>(_ learner: L, _ dataset: String, weighted: Bool,
                                   fit: (L, Matrix<Double>, ClassLabels, [Double]?) throws -> L.Model)
        throws -> (L.Model, Matrix<Double>) {
        let data = try Dataset.load(dataset)
        let train = LearnerExpectations.half(data.features, odd: false)
        let y = ClassLabels(LearnerExpectations.half(data.target, odd: false))
        let model = try fit(learner, train, y, weighted ? weights(train.rows) : nil)
        let test = LearnerExpectations.half(data.features, odd: true)
        return (model, test.rows(0..<min(200, test.rows)).copy())
    }

    static func expectProbabilities(_ p: Matrix<Double>, _ key: String, tolerance: Double) {
        let expected = LearnerExpectations.matrix(key, "probabilities")
        #expect(expected.count == p.rows && !expected.isEmpty)
        for (i, row) in expected.enumerated() where i < p.rows {
            #expect(isApproximatelyEqual(p.row(i), row, absolute: tolerance), "\(key) row \(i)")
        }
    }

    @Test("Gaussian: means, variances, epsilon and probabilities", arguments: [
        ("gnb_iris", "iris", GaussianNaiveBayes(), false),
        ("gnb_wine_weighted", "wine", GaussianNaiveBayes(), true),
        ("gnb_breast_cancer_smoothing", "breast_cancer", GaussianNaiveBayes(varianceSmoothing: 1e-4, priors: [0.5, 0.5]), false),
    ])
    func gaussian(key: String, dataset: String, learner: GaussianNaiveBayes, weighted: Bool) throws {
        let (model, test) = try Self.fitted(learner, dataset, weighted: weighted) { try $0.fit($1, $2, sampleWeights: $3) }
        #expect(model.classes == LearnerExpectations.entry(key)["classes"] as? [String])
        #expect(isApproximatelyEqual(model.means.elements, LearnerExpectations.matrix(key, "means").flatMap { $0 }, relative: 1e-10))
        #expect(isApproximatelyEqual(model.variances.elements, LearnerExpectations.matrix(key, "variances").flatMap { $0 },
                                     relative: 1e-9))
        #expect(isApproximatelyEqual(model.epsilon, LearnerExpectations.entry(key)["epsilon"] as? Double ?? .nan, relative: 1e-9))
        Self.expectProbabilities(try model.predictProbabilities(test), key, tolerance: 1e-9)
    }

    @Test("multinomial, complement and Bernoulli: feature log-probabilities and probabilities", arguments: [
        ("mnb_digits", MultinomialNaiveBayes() as any Learner, false),
        ("mnb_digits_weighted", MultinomialNaiveBayes(alpha: 0.3, fitPrior: false), true),
        ("cnb_digits", ComplementNaiveBayes(), false),
        ("cnb_digits_norm", ComplementNaiveBayes(alpha: 0.5, normalize: true), true),
        ("bnb_digits", BernoulliNaiveBayes(binarize: 4), false),
        ("bnb_digits_weighted", BernoulliNaiveBayes(alpha: 2, binarize: 8), true),
    ])
    func discrete(key: String, learner: any Learner, weighted: Bool) throws {
        let (model, test): (DiscreteNaiveBayesModel, Matrix<Double>)
        switch learner {
        case let l as MultinomialNaiveBayes: (model, test) = try Self.fitted(l, "digits", weighted: weighted) { try $0.fit($1, $2, sampleWeights: $3) }
        case let l as ComplementNaiveBayes: (model, test) = try Self.fitted(l, "digits", weighted: weighted) { try $0.fit($1, $2, sampleWeights: $3) }
        case let l as BernoulliNaiveBayes: (model, test) = try Self.fitted(l, "digits", weighted: weighted) { try $0.fit($1, $2, sampleWeights: $3) }
        default: Issue.record("unexpected learner"); return
        }
        var flp = model.featureLogProbabilities
        if model.variant == .bernoulli {  // stored as log p − log(1 − p); scikit-learn reports log p
            flp.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = b[i] - log1p(exp(b[i])) } }
        }
        #expect(isApproximatelyEqual(flp.elements, LearnerExpectations.matrix(key, "feature_log_prob").flatMap { $0 },
                                     absolute: 1e-12, relative: 1e-10))
        Self.expectProbabilities(try model.predictProbabilities(test), key, tolerance: 1e-9)
    }

    @Test("bad inputs are refused, naming the learner")
    func refusals() throws {
        let x = Matrix<Double>([[1, 2], [0, 3], [2, -1]]), y = ClassLabels(["a", "b", "a"])
        #expect(throws: EstimatorError.self) { try MultinomialNaiveBayes().fit(x, y) }
        #expect(throws: EstimatorError.self) { try GaussianNaiveBayes(priors: [0.2, 0.2]).fit(x, y) }
        #expect(throws: EstimatorError.invalidSampleWeights(estimator: "gaussian_naive_bayes", reason: "give class 'b' no weight")) {
            try GaussianNaiveBayes().fit(x, y, sampleWeights: [1, 0, 1])
        }
        #expect(throws: EstimatorError.featureCountMismatch(estimator: "discrete_naive_bayes", expected: 2, got: 3)) {
            try BernoulliNaiveBayes().fit(x, y).predictProbabilities(Matrix([[1, 2, 3]]))
        }
    }
}
