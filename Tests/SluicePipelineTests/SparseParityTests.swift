import Foundation
import Testing
import SluiceCompute
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// scikit-learn's results for the sparse path, from `Scripts/sparse.py`.
enum SparseExpectations {
    nonisolated(unsafe) static let all = Expectations.load("sparse")
    static func entry(_ key: String) -> [String: Any] { all[key] as? [String: Any] ?? [:] }
    static func strings(_ key: String) -> [String] { all[key] as? [String] ?? [] }
    static func matrix(_ key: String, _ field: String) -> [[Double]] {
        (entry(key)[field] as? [[Any]] ?? []).map { $0.map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
    }
    static func numbers(_ key: String, _ field: String) -> [Double] {
        (entry(key)[field] as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan }
    }
}

@Suite("Sparse text vectorizer matches scikit-learn's TfidfVectorizer and CountVectorizer")
struct SparseTextVectorizerParityTests {
    @Test("vocabulary, idf, the training matrix and unseen documents", arguments: [
        ("tfidf_default", SparseTextVectorizer()),
        ("tfidf_bigrams_sublinear_mindf2", SparseTextVectorizer(ngrams: 1...2, minDF: .count(2), sublinearTF: true)),
        ("counts_bigrams_max12", SparseTextVectorizer.counts(ngrams: 1...2, maxFeatures: 12)),
        ("tfidf_23grams_l1_rough", SparseTextVectorizer(ngrams: 2...3, maxDF: .fraction(0.5), smoothIDF: false, norm: .l1)),
        ("counts_cased", SparseTextVectorizer.counts(lowercase: false)),
    ])
    func parity(key: String, vectorizer: SparseTextVectorizer) throws {
        let corpus = SparseExpectations.strings("corpus"), unseen = SparseExpectations.strings("unseen")
        #expect(corpus.count == 12)
        let (fitted, x) = try vectorizer.fitTransform(corpus)
        #expect(fitted.vocabulary == SparseExpectations.entry(key)["vocabulary"] as? [String])
        if vectorizer.useIDF {
            #expect(isApproximatelyEqual(fitted.idf ?? [], SparseExpectations.numbers(key, "idf"), relative: 1e-12))
        } else {
            #expect(fitted.idf == nil)
        }
        #expect(isApproximatelyEqual(x.dense().elements, SparseExpectations.matrix(key, "matrix").flatMap { $0 }, absolute: 1e-12))
        #expect(x == (try fitted.transform(corpus)))
        let u = try fitted.transform(unseen)
        #expect(isApproximatelyEqual(u.dense().elements, SparseExpectations.matrix(key, "unseen").flatMap { $0 }, absolute: 1e-12))
        try fitted.validate()
        let decoded = try JSONDecoder().decode(SparseTextVectorizer.Fitted.self, from: JSONEncoder().encode(fitted))
        #expect(decoded == fitted)
    }

    @Test("nil documents are empty rows; bad settings and an empty vocabulary are refused")
    func edges() throws {
        let (fitted, x) = try SparseTextVectorizer().fitTransform(["alpha beta", nil, "beta"])
        #expect(x.rows == 3 && fitted.vocabulary == ["alpha", "beta"])
        #expect(x.rowOffsets[1] == x.rowOffsets[2])
        #expect(throws: EstimatorError.self) { try SparseTextVectorizer(ngrams: 0...1).fit(["a b"]) }
        #expect(throws: EstimatorError.self) { try SparseTextVectorizer(maxFeatures: 0).fit(["aa bb"]) }
        #expect(throws: EstimatorError.self) { try SparseTextVectorizer(minDF: .fraction(1.5)).fit(["aa bb"]) }
        #expect(throws: EstimatorError.self) { try SparseTextVectorizer(minDF: .count(3)).fit(["aa bb", "cc"]) }
        #expect(throws: EstimatorError.self) { try SparseTextVectorizer().fit(["a ! ?", nil]) }
        var bad = fitted
        bad.idf = [1]
        #expect(throws: FittedStateError.self) { try bad.validate() }
    }
}

@Suite("Logistic regression by L-BFGS and OWL-QN matches scikit-learn")
struct LogisticLBFGSParityTests {
    @Test("L2, dense and sparse input, the same optimum as Newton's and scikit-learn's", arguments: [
        ("logistic_breast_cancer", "breast_cancer", LogisticRegression(solver: .lbfgs)),
        ("logistic_breast_cancer_c001", "breast_cancer", LogisticRegression(c: 0.01, solver: .lbfgs)),
        ("logistic_iris", "iris", LogisticRegression(maxIterations: 1000, solver: .lbfgs)),
        ("logistic_wine_balanced_c05", "wine", LogisticRegression(c: 0.5, classWeight: .balanced, solver: .lbfgs)),
    ])
    func l2(key: String, dataset: String, learner: LogisticRegression) throws {
        let data = try Dataset.load(dataset)
        let x = data.standardizedFeatures
        let labels = ClassLabels(data.target)
        let expectedW = Expectations.matrix(key, "coefficients").flatMap { $0 }
        let expectedB = Expectations.numbers(key, "intercepts")
        for model in [try learner.fit(x, labels), try learner.fit(sparse: SparseMatrix(x), labels)] {
            #expect(model.converged)
            #expect(isApproximatelyEqual(model.coefficients.elements, expectedW, absolute: 1e-4, relative: 1e-5), "\(key)")
            #expect(isApproximatelyEqual(model.intercepts, expectedB, absolute: 1e-4, relative: 1e-5), "\(key)")
        }
        let dense = try learner.fit(x, labels), sparse = try learner.fit(sparse: SparseMatrix(x), labels)
        #expect(isApproximatelyEqual(try sparse.predictProbabilities(SparseMatrix(x)).elements,
                                     try sparse.predictProbabilities(x).elements, absolute: 1e-12))
        #expect(isApproximatelyEqual(dense.coefficients.elements, sparse.coefficients.elements, absolute: 1e-6))
    }

    @Test("L1 (OWL-QN): coefficients and exact zeros as scikit-learn's saga", arguments: [
        ("l1_logistic_breast_cancer", "breast_cancer", 0.5, false),
        ("l1_logistic_wine", "wine", 0.3, false),
        ("l1_logistic_breast_cancer_weighted", "breast_cancer", 0.25, true),
    ])
    func l1(key: String, dataset: String, c: Double, weighted: Bool) throws {
        let data = try Dataset.load(dataset)
        let x = data.standardizedFeatures
        let labels = ClassLabels(data.target)
        let weights = weighted ? (0..<labels.count).map { 1 + Double($0 % 3) } : nil
        let learner = LogisticRegression(c: c, maxIterations: 5000, tolerance: 1e-10, penalty: .l1, solver: .lbfgs)
        let model = try learner.fit(x, labels, sampleWeights: weights)
        let expected = SparseExpectations.matrix(key, "coefficients").flatMap { $0 }
        #expect(model.converged)
        #expect(isApproximatelyEqual(model.coefficients.elements, expected, absolute: 1e-4), "\(key)")
        #expect(isApproximatelyEqual(model.intercepts, SparseExpectations.numbers(key, "intercepts"), absolute: 1e-4), "\(key)")
        #expect(zip(model.coefficients.elements, expected).allSatisfy { ($0 == 0) == ($1 == 0) }, "\(key): the same zeros")
        let sparse = try learner.fit(sparse: SparseMatrix(x), labels, sampleWeights: weights)
        #expect(isApproximatelyEqual(sparse.coefficients.elements, model.coefficients.elements, absolute: 1e-6))
    }

    @Test("TF-IDF of generated documents: L2 and L1 coefficients on 1–2-grams", arguments: [
        ("text_logistic_l2", LogisticRegression(c: 4, maxIterations: 5000, solver: .lbfgs)),
        ("text_logistic_l1", LogisticRegression(c: 8, maxIterations: 5000, penalty: .l1, solver: .lbfgs)),
    ])
    func text(key: String, learner: LogisticRegression) throws {
        let docs = SparseExpectations.strings("text_documents")
        let labels = ClassLabels(SparseExpectations.strings("text_labels"))
        let (fitted, x) = try SparseTextVectorizer(ngrams: 1...2, minDF: .count(2), sublinearTF: true).fitTransform(docs)
        #expect(fitted.vocabulary.count == SparseExpectations.entry(key)["vocabulary_size"] as? Int)
        let model = try learner.fit(sparse: x, labels)
        #expect(model.converged)
        #expect(isApproximatelyEqual(model.coefficients.elements, SparseExpectations.matrix(key, "coefficients").flatMap { $0 },
                                     absolute: 1e-4), "\(key)")
        #expect(isApproximatelyEqual(model.intercepts, SparseExpectations.numbers(key, "intercepts"), absolute: 1e-4))
        let head = try model.predictProbabilities(x.rows(Array(0..<5)))
        #expect(isApproximatelyEqual(head.elements, SparseExpectations.matrix(key, "probabilities_head").flatMap { $0 }, absolute: 1e-5))
    }

    @Test("L1 with Newton, and bad sparse input, are refused; the same seedless fit gives the same bits")
    func refusals() throws {
        let x = Matrix<Double>([[0, 1], [1, 0], [1, 1], [0, 0]])
        let y = ClassLabels(["a", "b", "b", "a"])
        #expect(throws: EstimatorError.self) { try LogisticRegression(penalty: .l1).fit(x, y) }
        #expect(throws: EstimatorError.self) { try LogisticRegression(solver: .lbfgs).fit(sparse: SparseMatrix(x), ClassLabels(["a", "b"])) }
        let nan = try SparseMatrix<Double>(rows: 2, columns: 2, rowOffsets: [0, 1, 2], columnIndices: [0, 1], values: [1, .nan])
        #expect(throws: EstimatorError.nonFinite(estimator: "logistic_regression", row: 1, column: 1)) {
            try LogisticRegression().fit(sparse: nan, ClassLabels(["a", "b"]))
        }
        let model = try LogisticRegression(solver: .lbfgs).fit(sparse: SparseMatrix(x), y)
        #expect(throws: EstimatorError.self) { try model.predictProbabilities(SparseMatrix(Matrix<Double>([[1, 2, 3]]))) }
        #expect(model == (try LogisticRegression(solver: .lbfgs).fit(sparse: SparseMatrix(x), y)))
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(LogisticRegression(c: 2, penalty: .l1, solver: .lbfgs)))
            as? [String: Any] ?? [:]
        old["penalty"] = nil
        old["solver"] = nil
        let decoded = try JSONDecoder().decode(LogisticRegression.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.c == 2)
        #expect(decoded.solver == .newton && decoded.penalty == .l2)
    }
}
