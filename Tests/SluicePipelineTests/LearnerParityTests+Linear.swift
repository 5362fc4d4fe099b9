import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

@Suite("Lasso and elastic net match scikit-learn on diabetes")
struct ElasticNetParityTests {
    let data = try! Dataset.load("diabetes")
    var y: [Double] { data.target.map { Double($0)! } }
    var weights: [Double] { (0..<data.target.count).map { 1 + Double($0 % 3) } }

    @Test("coefficients and intercept at a fixed alpha", arguments: [
        ("lasso_diabetes", ElasticNet.lasso(alpha: 0.1, maxIterations: 100_000, tolerance: 1e-12), false),
        ("lasso_diabetes_small_alpha", ElasticNet.lasso(alpha: 0.005, maxIterations: 100_000, tolerance: 1e-12), false),
        ("enet_diabetes_weighted", ElasticNet(alpha: 0.01, l1Ratio: 0.3, maxIterations: 100_000, tolerance: 1e-12), true),
        ("enet_diabetes_no_intercept", ElasticNet(alpha: 0.02, l1Ratio: 0.7, fitIntercept: false, maxIterations: 100_000,
                                                  tolerance: 1e-12), false),
    ])
    func fixedAlpha(key: String, learner: ElasticNet, weighted: Bool) throws {
        let model = try learner.fit(data.features, y, sampleWeights: weighted ? weights : nil)
        #expect(model.converged)
        // Both solvers stop on a duality gap of 1e-12·‖y‖²: coefficients agree to ~1e-6 of their scale.
        #expect(isApproximatelyEqual(model.coefficients, LearnerExpectations.numbers(key, "coefficients"), absolute: 1e-4,
                                     relative: 1e-6))
        #expect(isApproximatelyEqual(model.intercept, LearnerExpectations.entry(key)["intercept"] as? Double ?? .nan,
                                     absolute: 1e-5))
    }

    @Test("LassoCV and ElasticNetCV choose scikit-learn's alpha on its grid")
    func crossValidated() throws {
        for (key, learner) in [("lassocv_diabetes", ElasticNetCV.lasso()),
                               ("enetcv_diabetes", ElasticNetCV(l1Ratio: 0.5, alphaCount: 30, folds: 4))] {
            var l = learner
            l.tolerance = 1e-10
            l.maxIterations = 100_000
            let model = try l.fit(data.features, y)
            #expect(isApproximatelyEqual(model.alpha, LearnerExpectations.entry(key)["alpha"] as? Double ?? .nan, relative: 1e-9), "\(key)")
            #expect(isApproximatelyEqual(model.coefficients, LearnerExpectations.numbers(key, "coefficients"), absolute: 1e-3,
                                         relative: 1e-6), "\(key)")
            let problemAlphas = LearnerExpectations.numbers(key, "alphas")
            let path = try ElasticNet(l1Ratio: l.l1Ratio).path(data.features, y, alphas: nil)
            if key == "lassocv_diabetes" {
                #expect(isApproximatelyEqual(path.map(\.alpha), problemAlphas, relative: 1e-9))
            }
        }
    }

    @Test("a path is warm-started from the largest alpha (all zero) down")
    func path() throws {
        let models = try ElasticNet.lasso().path(data.features, y, alphas: [0.01, 1, 100])
        #expect(models.map(\.alpha) == [100, 1, 0.01])
        #expect(models[0].coefficients.allSatisfy { $0 == 0 })
        #expect(models[2].coefficients.filter { $0 != 0 }.count > models[1].coefficients.filter { $0 != 0 }.count)
    }

    @Test("bad hyperparameters are refused")
    func refusals() {
        #expect(throws: EstimatorError.invalidHyperparameter(estimator: "elastic_net", name: "l1Ratio", reason: "must be in [0, 1]")) {
            try ElasticNet(l1Ratio: 2).fit(Matrix([[1], [2]]), [1, 2])
        }
        #expect(throws: EstimatorError.self) { try ElasticNet(alpha: -1).fit(Matrix([[1], [2]]), [1, 2]) }
        #expect(throws: EstimatorError.self) { try ElasticNetCV(folds: 5).fit(Matrix([[1], [2]]), [1, 2]) }
    }
}

@Suite("k-means reaches scikit-learn's inertia")
struct KMeansParityTests {
    @Test("inertia within 0.5 % of scikit-learn's best of 10 initialisations, for each of 5 seeds (10 initialisations each)", arguments: [
        ("kmeans_iris", "iris", 3, false), ("kmeans_wine", "wine", 3, true), ("kmeans_breast_cancer", "breast_cancer", 5, true),
    ])
    func inertia(key: String, dataset: String, k: Int, standardise: Bool) throws {
        let data = try Dataset.load(dataset)
        let x = standardise ? data.standardizedFeatures : data.features
        let target = LearnerExpectations.entry(key)["inertia"] as? Double ?? .nan
        for seed in UInt64(1)...5 {
            var context = FitContext(seed: seed)
            let model = try KMeans(clusters: k, initializations: 10).fit(x, context: &context)
            #expect(model.inertia <= target * 1.005, "\(key) seed \(seed): \(model.inertia) vs \(target)")
            #expect(isApproximatelyEqual(try model.inertia(x), model.inertia, relative: 1e-9))
        }
    }

    @Test("the same seed gives the same centres; labels are the nearest centres")
    func determinism() throws {
        let x = try Dataset.load("wine").standardizedFeatures
        var a = FitContext(seed: 9), b = FitContext(seed: 9)
        let m1 = try KMeans(clusters: 4).fit(x, context: &a), m2 = try KMeans(clusters: 4).fit(x, context: &b)
        #expect(m1 == m2)
        let labels = try m1.predict(x), d = try m1.distances(x)
        for i in 0..<x.rows { #expect(d.row(i).enumerated().min { $0.element < $1.element }?.offset == labels[i]) }
    }

    @Test("Elkan's bounds give Lloyd's clustering")
    func elkan() throws {
        let x = try Dataset.load("digits").features
        for seed in UInt64(1)...3 {
            var a = FitContext(seed: seed), b = FitContext(seed: seed)
            let lloyd = try KMeans(clusters: 10).fit(x, context: &a)
            let elkan = try KMeans(clusters: 10, algorithm: .elkan).fit(x, context: &b)
            #expect(try lloyd.predict(x) == elkan.predict(x))
            #expect(isApproximatelyEqual(lloyd.inertia, elkan.inertia, relative: 1e-9))
            #expect(isApproximatelyEqual(lloyd.centers, elkan.centers, absolute: 1e-9))
        }
    }

    @Test("mini-batch k-means comes within 5 % of full k-means' inertia, deterministically")
    func miniBatch() throws {
        let x = try Dataset.load("digits").features
        var a = FitContext(seed: 2), b = FitContext(seed: 2), c = FitContext(seed: 2)
        let full = try KMeans(clusters: 10, initializations: 3).fit(x, context: &a)
        let mini = try MiniBatchKMeans(clusters: 10, batchSize: 256).fit(x, context: &b)
        #expect(mini.inertia <= full.inertia * 1.05, "\(mini.inertia) vs \(full.inertia)")
        #expect(try MiniBatchKMeans(clusters: 10, batchSize: 256).fit(x, context: &c) == mini)
    }

    @Test("more clusters than rows is refused")
    func refusals() {
        var context = FitContext(seed: 1)
        #expect(throws: EstimatorError.invalidHyperparameter(estimator: "k_means", name: "clusters", reason: "3 is more than the 2 rows")) {
            try KMeans(clusters: 3).fit(Matrix([[1], [2]]), context: &context)
        }
    }
}

@Suite("PCA matches scikit-learn")
struct PCAParityTests {
    /// `a` equals `b` up to the sign of each row.
    static func sameUpToSign(_ a: [[Double]], _ b: [[Double]], tolerance: Double) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { r, s in
            isApproximatelyEqual(r, s, absolute: tolerance) || isApproximatelyEqual(r, s.map { -$0 }, absolute: tolerance)
        }
    }

    @Test("components, explained variance and projections (full, covariance, randomized)", arguments: [
        ("pca_wine_full", "wine", PCA(solver: .full), true),
        ("pca_diabetes_eigh", "diabetes", PCA(components: 4, whiten: true, solver: .covarianceEigh), false),
        ("pca_digits_randomized", "digits", PCA(components: 3, solver: .randomized), false),
    ])
    func parity(key: String, dataset: String, stage: PCA, standardise: Bool) throws {
        let data = try Dataset.load(dataset)
        let x = standardise ? data.standardizedFeatures : data.features
        let frame = try Frame(named: data.featureNames.enumerated().map { j, n in (n, Column.double((0..<x.rows).map { x[$0, j] })) })
        var context = FitContext(seed: 4)
        let fitted = try stage.fit(frame, context: &context)
        let tolerance = key.contains("randomized") ? 1e-6 : 1e-9
        #expect(isApproximatelyEqual(fitted.explainedVariance, LearnerExpectations.numbers(key, "explained_variance"),
                                     relative: tolerance))
        #expect(isApproximatelyEqual(fitted.explainedVarianceRatio, LearnerExpectations.numbers(key, "explained_variance_ratio"),
                                     relative: tolerance))
        let components = (0..<fitted.components.rows).map { fitted.components.row($0) }
        #expect(Self.sameUpToSign(components, LearnerExpectations.matrix(key, "components"), tolerance: 1e-6))
        let out = try fitted.transform(frame.head(5))
        #expect(out.columnNames == (0..<fitted.outputs.count).map { "pca\($0)" })
        let head = (0..<5).map { i in fitted.outputs.map { (try? out.doubles($0)[i]) ?? .nan } }
        // Column by column, up to the component's sign.
        let expected = LearnerExpectations.matrix(key, "transformed_head")
        for j in 0..<fitted.outputs.count {
            let got = head.map { $0[j] }, want = expected.map { $0[j] }
            #expect(Self.sameUpToSign([got], [want], tolerance: key.contains("randomized") ? 1e-4 : 1e-6), "\(key) component \(j)")
        }
    }

    @Test("missing values and too many components are refused, naming the stage")
    func refusals() throws {
        var context = FitContext(seed: 1)
        let holes = try Frame(named: [("a", Column.double([1, .nan, 3])), ("b", .double([1, 2, 4]))])
        #expect(throws: PipelineError.invalidValue(stage: "PCA", column: "a", reason: "row 1 is missing or not finite; impute first")) {
            try PCA().fit(holes, context: &context)
        }
        #expect(throws: PipelineError.self) { try PCA(components: 3).fit(holes, context: &context) }
    }
}

@Suite("Linear SVM matches scikit-learn's liblinear")
struct LinearSVCParityTests {
    @Test("coefficients, intercepts and margins at a tight tolerance", arguments: [
        ("linsvc_breast_cancer", "breast_cancer", LinearSVC(c: 0.1)),
        ("linsvc_breast_cancer_hinge", "breast_cancer", LinearSVC(c: 0.05, loss: .hinge)),
        ("linsvc_wine_balanced", "wine", LinearSVC(c: 0.5, classWeight: .balanced)),
    ])
    func parity(key: String, dataset: String, learner: LinearSVC) throws {
        // The squared hinge has both solvers (`.auto` picks the primal here); the hinge only the dual.
        for solver in learner.loss == .squaredHinge ? [LinearSVMSolver.dual, .primal] : [.dual] {
            var l = learner
            l.solver = solver
            try checkParity(key: key, dataset: dataset, tight: l)
        }
    }

    func checkParity(key: String, dataset: String, tight learner: LinearSVC) throws {
        var l = learner
        l.tolerance = 1e-10
        l.maxIterations = 1_000_000
        let data = try Dataset.load(dataset)
        let x = data.standardizedFeatures
        var context = FitContext(seed: 3)
        let model = try l.fit(x, ClassLabels(data.target), context: &context)
        #expect(model.converged)
        #expect(model.classes == LearnerExpectations.entry(key)["classes"] as? [String])
        #expect(isApproximatelyEqual(model.coefficients.elements, LearnerExpectations.matrix(key, "coefficients").flatMap { $0 },
                                     absolute: 1e-5))
        #expect(isApproximatelyEqual(model.intercepts, LearnerExpectations.numbers(key, "intercepts"), absolute: 1e-5))
        let z = try model.decisionFunction(x.rows(0..<5).copy())
        let expected = LearnerExpectations.entry(key)["decision_head"]
        let flat = (expected as? [[Double]])?.flatMap { $0 } ?? (expected as? [Double] ?? [])
        #expect(isApproximatelyEqual(z.elements, flat, absolute: 1e-5))
        let p = try model.predictProbabilities(x.rows(0..<5).copy())
        #expect((0..<5).allSatisfy { p.row($0).reduce(0, +) == 1 })
    }
}
