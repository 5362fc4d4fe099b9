import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// scikit-learn's results for sparse pipelines, from `Scripts/sparse_pipeline.py`.
enum SparsePipelineExpectations {
    nonisolated(unsafe) static let all = Expectations.load("sparse_pipeline")
    static func entry(_ key: String) -> [String: Any] { all[key] as? [String: Any] ?? [:] }
    static func column(_ split: String, _ name: String) -> [String] {
        (all[split] as? [String: Any])?[name] as? [String] ?? []
    }
    static func frame(_ split: String) throws -> Frame {
        try Frame(["text": .string(column(split, "text")), "category": .string(column(split, "category")),
                   "label": .string(column(split, "label"))])
    }
    static func flat(_ key: String, _ field: String) -> [Double] {
        (entry(key)[field] as? [[Any]] ?? []).flatMap { $0.map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
    }
}

@Suite("Sparse features through a pipeline: TF-IDF and one-hot as CSR into sparse learners, as scikit-learn's")
struct SparsePipelineTests {
    func pipeline<L: Learner>(_ learner: L) -> Pipeline<L> {
        Pipeline(target: "label", estimator: learner) {
            TfidfVectorizer(columns: .names("text"), sparse: true)
            OneHotEncoder(columns: .names("category"), sparse: true)
        }
    }

    @Test("TF-IDF + one-hot → logistic regression fits, saves, loads and scores identically, as scikit-learn's")
    func logistic() throws {
        let train = try SparsePipelineExpectations.frame("train"), test = try SparsePipelineExpectations.frame("test")
        let e = SparsePipelineExpectations.entry("logistic")
        let fitted = try pipeline(LogisticRegression(c: 4, maxIterations: 10_000, solver: .lbfgs)).fit(train, seed: 3)
        #expect(fitted.featureNames.count == e["feature_count"] as? Int)
        #expect(fitted.features.names.isEmpty && fitted.features.sparseNames?.first == "text=w00")
        var report = TransformReport()
        let p = try fitted.predict(test, report: &report)
        #expect(report.totalUnknown == 1, "the unseen category is counted")
        #expect(isApproximatelyEqual(p.probabilities?.elements ?? [], SparsePipelineExpectations.flat("logistic", "probabilities"),
                                     absolute: 1e-5))
        #expect(isApproximatelyEqual(try fitted.decisionFunction(test).elements, SparsePipelineExpectations.flat("logistic", "decision"),
                                     absolute: 1e-4))
        let dir = try Fixtures.temporaryDirectory("sparse-pipeline")
        let url = dir.appendingPathComponent("text.sluice")
        try Artifact.save(fitted, to: url)
        let loaded = try Artifact.load(from: url, checking: test.schema)
        #expect(try loaded.score(test) == (try fitted.score(test)))
        #expect(try loaded.predictProbabilities(test).elements == p.probabilities?.elements)
        let x = try fitted.sparseFeatures(test, report: &report)
        #expect(x.rows == test.rowCount && x.columns == fitted.featureNames.count)
        #expect(throws: PipelineError.self) { try fitted.features(test) }
        let refit = try pipeline(LogisticRegression(c: 4, maxIterations: 10_000, solver: .lbfgs)).fit(train, seed: 3)
        #expect(try refit.predictProbabilities(test).elements == p.probabilities?.elements, "seeded: the same bits")
    }

    @Test("multinomial naive Bayes and linear SVM take the same sparse features, as scikit-learn's")
    func otherLearners() throws {
        let train = try SparsePipelineExpectations.frame("train"), test = try SparsePipelineExpectations.frame("test")
        let nb = try pipeline(MultinomialNaiveBayes(alpha: 0.5)).fit(train)
        #expect(isApproximatelyEqual(try nb.predictProbabilities(test).elements,
                                     SparsePipelineExpectations.flat("multinomial_nb", "probabilities"), absolute: 1e-10))
        let svc = try pipeline(LinearSVC(c: 0.5, maxIterations: 100_000, tolerance: 1e-10)).fit(train, seed: 1)
        #expect(isApproximatelyEqual(try svc.decisionFunction(test).elements,
                                     SparsePipelineExpectations.flat("linear_svc", "decision"), absolute: 1e-4))
        let predictions = SparsePipelineExpectations.entry("linear_svc")["predictions"] as? [String] ?? []
        let codes = try svc.predict(test).codes ?? []
        #expect(codes.map { ["ham", "spam"][$0] } == predictions)
    }

    @Test("sparse and dense stages give the same features; dense learners and samplers after a sparse stage are refused")
    func routing() throws {
        let train = try SparsePipelineExpectations.frame("train"), test = try SparsePipelineExpectations.frame("test")
        let dense = try Pipeline(target: "label", estimator: LogisticRegression(c: 4, maxIterations: 10_000, solver: .lbfgs)) {
            TfidfVectorizer(columns: .names("text"))
            OneHotEncoder(columns: .names("category"))
        }.fit(train, seed: 3)
        let sparse = try pipeline(LogisticRegression(c: 4, maxIterations: 10_000, solver: .lbfgs)).fit(train, seed: 3)
        #expect(dense.featureNames == sparse.featureNames)
        var report = TransformReport()
        #expect(isApproximatelyEqual(try sparse.sparseFeatures(test, report: &report).dense().elements,
                                     try dense.features(test).elements, absolute: 1e-15))
        #expect(isApproximatelyEqual(try sparse.predictProbabilities(test).elements, try dense.predictProbabilities(test).elements,
                                     absolute: 1e-6))
        #expect(throws: PipelineError.self) { try pipeline(GaussianNaiveBayes()).fit(train) }
        #expect(throws: PipelineError.self) {
            try Pipeline(target: "label", estimator: LogisticRegression(solver: .lbfgs)) {
                TfidfVectorizer(columns: .names("text"), sparse: true)
                RandomOverSampler()
            }.fit(train)
        }
        // Hashing and counts as CSR equal their dense columns.
        for stages in [[PipelineStep.transformer(HashingVectorizer(columns: .names("text"), features: 64, alternateSign: false, sparse: true))],
                       [PipelineStep.transformer(CountVectorizer(columns: .names("text"), sparse: true))]] {
            var p = Pipeline(target: "label", estimator: MultinomialNaiveBayes())
            p.steps = stages + [.transformer(OneHotEncoder(columns: .names("category")))]
            let f = try p.fit(train)
            var d = p
            d.steps = stages.map { step in
                guard case .transformer(let t) = step else { return step }
                if let h = t as? HashingVectorizer { var h = h; h.sparse = false; return .transformer(h) }
                if var c = t as? CountVectorizer { c.sparse = false; return .transformer(c) }
                return step
            } + [.transformer(OneHotEncoder(columns: .names("category")))]
            let g = try d.fit(train)
            #expect(f.featureNames.count == g.featureNames.count)
            #expect(isApproximatelyEqual(try f.predictProbabilities(test).elements, try g.predictProbabilities(test).elements,
                                         absolute: 1e-9))
        }
    }

    @Test("Bernoulli and complement naive Bayes fit CSR as they fit the dense matrix")
    func bayes() throws {
        let x = Matrix<Double>([[0, 2, 0, 1], [1, 0, 0, 3], [0, 0, 4, 0], [2, 1, 0, 0], [0, 0, 1, 1], [3, 0, 0, 0]])
        let y = ClassLabels(["a", "b", "a", "b", "a", "b"])
        let w = [1, 2, 1, 0.5, 1, 3.0]
        var context = FitContext(seed: 0)
        let set = SparseTrainingSet(features: SparseMatrix(x), target: .classes(y), sampleWeights: w)
        let pairs: [(DiscreteNaiveBayesModel, DiscreteNaiveBayesModel)] = [
            (try BernoulliNaiveBayes(alpha: 0.7, binarize: 0.5).fit(x, y, sampleWeights: w),
             try BernoulliNaiveBayes(alpha: 0.7, binarize: 0.5).fit(sparse: set, context: &context)),
            (try ComplementNaiveBayes(normalize: true).fit(x, y, sampleWeights: w),
             try ComplementNaiveBayes(normalize: true).fit(sparse: set, context: &context)),
            (try MultinomialNaiveBayes().fit(x, y, sampleWeights: w), try MultinomialNaiveBayes().fit(sparse: set, context: &context)),
        ]
        for (dense, sparse) in pairs {
            #expect(isApproximatelyEqual(dense.featureLogProbabilities.elements, sparse.featureLogProbabilities.elements, absolute: 1e-12))
            #expect(isApproximatelyEqual(dense.bias, sparse.bias, absolute: 1e-12))
            guard case .probabilities(let p) = try sparse.output(sparse: SparseMatrix(x)) else { Issue.record("no probabilities"); continue }
            #expect(isApproximatelyEqual(p.elements, try dense.predictProbabilities(x).elements, absolute: 1e-12))
        }
        #expect(throws: EstimatorError.self) { try BernoulliNaiveBayes(binarize: -1).fit(sparse: set, context: &context) }
        let negative = SparseTrainingSet(features: SparseMatrix(Matrix<Double>([[-1, 0], [0, 1]])), target: .classes(ClassLabels(["a", "b"])))
        #expect(throws: EstimatorError.self) { try MultinomialNaiveBayes().fit(sparse: negative, context: &context) }
    }

    @Test("linear SVM on CSR: the same margins as on the dense matrix, same seed")
    func linearSVC() throws {
        let x = Matrix<Double>([[0, 2, 0.5], [1, 0, 0], [0, 0, 4], [2, 1, 0], [0, 3, 1], [3, 0, 0], [0, 1, 1], [1, 1, 0]])
        let y = ClassLabels(["a", "b", "a", "b", "a", "b", "c", "c"])
        for loss in [LinearSVC.Loss.hinge, .squaredHinge] {
            let svc = LinearSVC(c: 2, loss: loss, maxIterations: 5000, tolerance: 1e-9, solver: .dual)
            var c1 = FitContext(seed: 4), c2 = FitContext(seed: 4)
            let dense = try svc.fit(x, y, context: &c1), sparse = try svc.fit(sparse: SparseMatrix(x), y, context: &c2)
            #expect(isApproximatelyEqual(dense.coefficients.elements, sparse.coefficients.elements, absolute: 1e-9))
            #expect(isApproximatelyEqual(dense.intercepts, sparse.intercepts, absolute: 1e-9))
            #expect(isApproximatelyEqual(try sparse.decisionFunction(sparse: SparseMatrix(x)).elements,
                                         try dense.decisionFunction(x).elements, absolute: 1e-12))
        }
    }

    @Test("TruncatedSVD of CSR and dense rows: scikit-learn's singular values, variances and components (up to sign)")
    func truncatedSVD() throws {
        let e = SparsePipelineExpectations.entry("truncated_svd")
        let rows = SparsePipelineExpectations.flat("truncated_svd", "matrix")
        let dense = Matrix(rows: 20, columns: 8, elements: rows), x = SparseMatrix(dense)
        let expected = SparsePipelineExpectations.flat("truncated_svd", "components")
        let numbers = { (f: String) in (e[f] as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
        var rng = SeededGenerator(seed: 5)
        let results = [
            try TruncatedSVDSolver.fit(SparseSVDOperand(x), keep: 3, columnVariance: x.totalColumnVariance(), rng: &rng),
            try TruncatedSVDSolver.fit(dense, keep: 3, columnVariance: dense.columnVariances().reduce(0, +), rng: &rng),
        ]
        for r in results {
            #expect(isApproximatelyEqual(r.singularValues, numbers("singular_values"), relative: 1e-10))
            #expect(isApproximatelyEqual(r.explainedVariance, numbers("explained_variance"), relative: 1e-9))
            #expect(isApproximatelyEqual(r.explainedVarianceRatio, numbers("explained_variance_ratio"), relative: 1e-9))
            for k in 0..<3 {
                let mine = Array(r.components.elements[(k * 8)..<(k * 8 + 8)]), theirs = Array(expected[(k * 8)..<(k * 8 + 8)])
                let sign = zip(mine, theirs).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1.0 : 1.0
                #expect(isApproximatelyEqual(mine.map { $0 * sign }, theirs, absolute: 1e-9), "component \(k)")
            }
        }
    }

    @Test("TF-IDF (sparse) → TruncatedSVD → a dense learner: fits, saves, loads and scores identically")
    func svdPipeline() throws {
        let train = try SparsePipelineExpectations.frame("train"), test = try SparsePipelineExpectations.frame("test")
        let pipeline = Pipeline(target: "label", estimator: GaussianNaiveBayes()) {
            TfidfVectorizer(columns: .names("text"), sparse: true)
            OneHotEncoder(columns: .names("category"), sparse: true)
            TruncatedSVD(components: 6)
        }
        let fitted = try pipeline.fit(train, seed: 9)
        #expect(fitted.featureNames == (0..<6).map { "svd\($0)" })
        guard let svd = fitted.stages.last?.base as? TruncatedSVD.Fitted else {
            Issue.record("the last stage is not a TruncatedSVD")
            return
        }
        #expect(svd.consumedSparseNames?.count == 44)
        #expect(svd.explainedVarianceRatio.allSatisfy { $0 > 0 && $0 < 1 })
        let dir = try Fixtures.temporaryDirectory("sparse-svd")
        let url = dir.appendingPathComponent("svd.sluice")
        try Artifact.save(fitted, to: url)
        let loaded = try Artifact.load(from: url, checking: test.schema)
        #expect(try loaded.score(test) == (try fitted.score(test)))
        #expect(try pipeline.fit(train, seed: 9).predictProbabilities(test) == (try fitted.predictProbabilities(test)))
        #expect(throws: PipelineError.self) {
            try Pipeline(target: "label", estimator: GaussianNaiveBayes()) { TruncatedSVD() }.fit(train)
        }
    }
}
