import SluiceCompute
import SluicePipeline

/// k-means clustering, as scikit-learn's `KMeans` (`init='k-means++'`, `algorithm='lloyd'` or `'elkan'`).
///
/// Each of ``initializations`` runs seeds ``clusters`` centres by greedy k-means++ from the
/// fit's generator (see ``KMeansSolver/plusPlus(_:weights:k:rng:)`` for the draws), then runs
/// Lloyd iterations until the labels stop changing, the centres move less than
/// `tolerance × the mean feature variance` in total squared shift, or ``maxIterations``; the
/// run of lowest inertia wins (the first on ties). Sample weights weigh rows in the seeding,
/// the means and the inertia. The model outputs each row's cluster; ``Model/distances(_:)``
/// gives the distance to every centre (scikit-learn's `transform`).
public struct KMeans: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .none }

    /// The number of clusters (scikit-learn's `n_clusters`).
    public var clusters: Int
    /// Independent seedings; the best is kept (scikit-learn's `n_init`; its `'auto'` is 1 for k-means++).
    public var initializations: Int
    public var maxIterations: Int
    /// Relative to the mean feature variance (scikit-learn's `tol`).
    public var tolerance: Double
    /// Plain Lloyd iterations, or with Elkan's bounds (fewer distances, `n × k` more memory).
    public var algorithm: KMeansSolver.Algorithm

    public init(clusters: Int = 8, initializations: Int = 1, maxIterations: Int = 300, tolerance: Double = 1e-4,
                algorithm: KMeansSolver.Algorithm = .lloyd) {
        self.algorithm = algorithm
        self.clusters = clusters
        self.initializations = initializations
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// Fitted centres: each row's cluster is its nearest centre.
    public struct Model: FittedModel, Equatable {
        public static let kind = "k_means"
        /// `k × p` cluster centres.
        public var centers: Matrix<Double>
        /// The training inertia, `Σ wᵢ ‖xᵢ − c(xᵢ)‖²`.
        public var inertia: Double
        /// Lloyd iterations (or mini-batch steps) of the kept run.
        public var iterations: Int
        public var featureCount: Int { centers.columns }

        public func output(_ x: Matrix<Double>) throws -> ModelOutput { .clusters(try predict(x)) }

        /// The nearest centre of each row (the first on ties).
        public func predict(_ x: Matrix<Double>) throws -> [Int] {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            return KMeansSolver.assign(x, centers: centers)
        }

        /// The Euclidean distance of each row to each centre, `n × k`.
        public func distances(_ x: Matrix<Double>) throws -> Matrix<Double> {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            return KMeansSolver.distances(x, centers: centers)
        }

        /// `Σ wᵢ ‖xᵢ − c(xᵢ)‖²` of `x` under these centres (scikit-learn's `-score`).
        public func inertia(_ x: Matrix<Double>, sampleWeights: [Double]? = nil) throws -> Double {
            let labels = try predict(x)
            try LearnerInput.weights(sampleWeights, rows: x.rows, learner: Self.kind)
            return KMeansSolver.inertia(x, weights: sampleWeights, centers: centers, labels: labels)
        }

        public func validate() throws {
            let k = Self.kind
            try FittedStateError.require(centers.rows >= 1, k, field: "centers", "needs at least one centre")
            try FittedStateError.require(centers.elements.allSatisfy(\.isFinite), k, field: "centers", "not finite")
            try FittedStateError.require(inertia.isFinite && inertia >= 0, k, field: "inertia", "must be finite and ≥ 0")
            try FittedStateError.require(iterations >= 0, k, field: "iterations", "negative")
        }
    }

    static func check(clusters: Int, rows: Int, learner: String) throws {
        guard clusters >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "clusters", reason: "must be at least 1")
        }
        guard clusters <= rows else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "clusters",
                                                       reason: "\(clusters) is more than the \(rows) rows")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, sampleWeights: data.sampleWeights, context: &context)
    }

    /// Fits on `x` (`n × p`, finite), each row weighted by `sampleWeights`; seeds from `context.rng`.
    public func fit(_ x: Matrix<Double>, sampleWeights: [Double]? = nil, context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(TrainingSet(features: x, target: .none, sampleWeights: sampleWeights), learner: name)
        try Self.check(clusters: clusters, rows: x.rows, learner: name)
        guard initializations >= 1, maxIterations >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: initializations < 1 ? "initializations" : "maxIterations",
                                                       reason: "must be at least 1")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "tolerance", reason: "must be finite and ≥ 0")
        }
        let weights = sampleWeights ?? [Double](repeating: 1, count: x.rows)
        let variances = x.columnVariances()
        let tol = tolerance * (variances.isEmpty ? 0 : variances.reduce(0, +) / Double(variances.count))
        var best: KMeansSolver.Result?
        for run in 0..<initializations {
            try context.checkCancellation(name)
            let initial = KMeansSolver.plusPlus(x, weights: weights, k: clusters, rng: &context.rng)
            let result = algorithm == .elkan
                ? KMeansSolver.elkan(x, weights: weights, initial: initial, maxIterations: maxIterations, tolerance: tol)
                : KMeansSolver.lloyd(x, weights: weights, initial: initial, maxIterations: maxIterations, tolerance: tol)
            context.observe(FitProgress(source: name, unit: .candidate, step: run + 1, total: initializations,
                                        metrics: ["inertia": result.inertia, "iterations": Double(result.iterations)]))
            if best == nil || result.inertia < best!.inertia { best = result }
        }
        guard let best else { throw EstimatorError.empty(estimator: name) }
        return Model(centers: best.centers, inertia: best.inertia, iterations: best.iterations)
    }
}
