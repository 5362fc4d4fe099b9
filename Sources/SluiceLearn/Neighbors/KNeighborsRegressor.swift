import SluiceCompute
import SluicePipeline

/// k-nearest-neighbours regression, as scikit-learn's `KNeighborsRegressor`.
///
/// A row's prediction is the mean of its ``neighbors`` nearest training rows' targets,
/// weighted by 1 (``NeighborWeights/uniform``) or `1 / distance` (``NeighborWeights/distance``),
/// times each row's sample weight when the fit had weights (an extension: scikit-learn takes
/// none; unit weights change nothing). The search is ``NeighborIndex``'s: exact, ties in
/// distance to the earlier training row. Fitting stores the rows.
public struct KNeighborsRegressor: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .values }

    /// How many neighbours are averaged (scikit-learn's `n_neighbors`).
    public var neighbors: Int
    public var weights: NeighborWeights
    public var metric: NeighborIndex.Metric
    public var algorithm: NeighborIndex.Algorithm
    /// The most rows in a k-d tree leaf.
    public var leafSize: Int

    public init(neighbors: Int = 5, weights: NeighborWeights = .uniform, metric: NeighborIndex.Metric = .euclidean,
                algorithm: NeighborIndex.Algorithm = .auto, leafSize: Int = 30) {
        self.neighbors = neighbors
        self.weights = weights
        self.metric = metric
        self.algorithm = algorithm
        self.leafSize = leafSize
    }

    /// A fitted k-NN regressor: the training rows and their targets.
    public struct Model: RegressionModel, Equatable {
        public static let kind = "k_neighbors_regressor"
        /// The target of each training row.
        public var targets: [Double]
        public var search: NeighborSearch
        public var featureCount: Int { search.points.columns }

        public func predict(_ x: Matrix<Double>) throws -> [Double] {
            let (indices, votes) = try search.votes(x, kind: Self.kind)
            let k = search.neighbors
            return (0..<x.rows).map { r in
                var sum = 0.0, total = 0.0
                for s in 0..<k {
                    sum += votes[r * k + s] * targets[indices[r * k + s]]
                    total += votes[r * k + s]
                }
                return sum / total
            }
        }

        public func validate() throws {
            try FittedStateError.require(targets.allSatisfy(\.isFinite), Self.kind, field: "targets", "not finite")
            try search.validate(kind: Self.kind, targets: targets.count)
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.values(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    /// Fits on `x` (`n × p`, finite) and targets `y`; `sampleWeights` scale each row's share.
    public func fit(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(TrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights), learner: name)
        try NeighborSearch.check(neighbors: neighbors, metric: metric, algorithm: algorithm, leafSize: leafSize,
                                 rows: x.rows, learner: name)
        return Model(targets: y, search: NeighborSearch(points: x, rowWeights: sampleWeights, neighbors: neighbors,
                                                        weights: weights, metric: metric, algorithm: algorithm,
                                                        leafSize: leafSize))
    }
}
