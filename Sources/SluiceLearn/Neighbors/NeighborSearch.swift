import SluiceCompute
import SluicePipeline

/// How the neighbours of a query share its prediction.
public enum NeighborWeights: String, Sendable, Codable, Equatable {
    /// Every neighbour counts the same (scikit-learn's `weights='uniform'`).
    case uniform
    /// A neighbour counts `1 / distance`; neighbours at distance 0 (or so close that `1 / distance`
    /// overflows), when there are any, take all the weight, shared equally (scikit-learn's `weights='distance'`).
    case distance
}

/// The fitted state k-NN models share: the training rows, each row's sample weight, and the
/// search over them (a ``KDTree`` or brute force, see ``NeighborIndex``).
///
/// Only the rows and the configuration are stored; the tree is rebuilt when an artifact is
/// decoded (the same rows give the same tree), so a crafted artifact cannot carry a tree that
/// disagrees with its rows.
public struct NeighborSearch: Codable, Sendable, Equatable {
    /// The training rows, `n × p`.
    public var points: Matrix<Double>
    /// Each training row's weight, or nil for all 1.
    public var rowWeights: [Double]?
    public var neighbors: Int
    public var weights: NeighborWeights
    public var metric: NeighborIndex.Metric
    public var algorithm: NeighborIndex.Algorithm
    public var leafSize: Int
    let index: NeighborIndex

    enum CodingKeys: String, CodingKey { case points, rowWeights, neighbors, weights, metric, algorithm, leafSize }

    init(points: Matrix<Double>, rowWeights: [Double]?, neighbors: Int, weights: NeighborWeights,
         metric: NeighborIndex.Metric, algorithm: NeighborIndex.Algorithm, leafSize: Int) {
        self.points = points
        self.rowWeights = rowWeights
        self.neighbors = neighbors
        self.weights = weights
        self.metric = metric
        self.algorithm = algorithm
        self.leafSize = leafSize
        index = NeighborIndex(points: points, metric: metric, algorithm: algorithm, k: neighbors, leafSize: leafSize)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(points: try c.decode(Matrix<Double>.self, forKey: .points),
                  rowWeights: try c.decodeIfPresent([Double].self, forKey: .rowWeights),
                  neighbors: try c.decode(Int.self, forKey: .neighbors),
                  weights: try c.decode(NeighborWeights.self, forKey: .weights),
                  metric: try c.decode(NeighborIndex.Metric.self, forKey: .metric),
                  algorithm: try c.decode(NeighborIndex.Algorithm.self, forKey: .algorithm),
                  leafSize: try c.decode(Int.self, forKey: .leafSize))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(points, forKey: .points)
        try c.encodeIfPresent(rowWeights, forKey: .rowWeights)
        try c.encode(neighbors, forKey: .neighbors)
        try c.encode(weights, forKey: .weights)
        try c.encode(metric, forKey: .metric)
        try c.encode(algorithm, forKey: .algorithm)
        try c.encode(leafSize, forKey: .leafSize)
    }

    public static func == (a: NeighborSearch, b: NeighborSearch) -> Bool {
        a.points == b.points && a.rowWeights == b.rowWeights && a.neighbors == b.neighbors && a.weights == b.weights
            && a.metric == b.metric && a.algorithm == b.algorithm && a.leafSize == b.leafSize
    }

    /// Checks the configuration a learner was given, before fitting on `rows` rows.
    static func check(neighbors: Int, metric: NeighborIndex.Metric, algorithm: NeighborIndex.Algorithm, leafSize: Int,
                      rows: Int, learner: String) throws {
        guard neighbors >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "neighbors", reason: "must be at least 1")
        }
        guard leafSize >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "leafSize", reason: "must be at least 1")
        }
        guard !(algorithm == .kdTree && metric == .cosine) else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "algorithm",
                                                       reason: "kdTree does not support the cosine metric (use auto or brute)")
        }
        guard neighbors <= rows else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "neighbors",
                                                       reason: "\(neighbors) is more than the \(rows) training rows")
        }
    }

    /// Checks decoded state: sizes agree, values finite, `neighbors` within the rows.
    func validate(kind: String, targets: Int) throws {
        try FittedStateError.require(points.rows == targets, kind, field: "points", "\(points.rows) rows for \(targets) targets")
        try FittedStateError.require(neighbors >= 1 && neighbors <= points.rows, kind, field: "neighbors",
                                     "\(neighbors) for \(points.rows) training rows")
        try FittedStateError.require(leafSize >= 1, kind, field: "leafSize", "must be at least 1")
        try FittedStateError.require(points.withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) }, kind, field: "points",
                                     "not finite")
        if let w = rowWeights {
            try FittedStateError.require(w.count == points.rows, kind, field: "rowWeights", "\(w.count) for \(points.rows) rows")
            try FittedStateError.require(w.allSatisfy { $0.isFinite && $0 >= 0 }, kind, field: "rowWeights",
                                         "must be finite and non-negative")
        }
        try FittedStateError.require(!(algorithm == .kdTree && metric == .cosine), kind, field: "algorithm",
                                     "kdTree with the cosine metric")
    }

    /// The ``neighbors`` nearest training rows of each row of `x` and their distances
    /// (`m × neighbors`, row-major, nearest first; ties to the earlier training row), as
    /// scikit-learn's `kneighbors`.
    public func neighbours(_ x: Matrix<Double>, kind: String = "k_neighbors") throws -> (indices: [Int], distances: [Double]) {
        try LearnerInput.predict(x, featureCount: points.columns, learner: kind)
        guard x.rows > 0 else { return ([], []) }
        return index.query(x, k: neighbors)
    }

    /// Each query row's neighbours and their vote weights (`m × neighbors`, row-major): the
    /// row weight times 1 or `1 / distance`; a row whose weights are all zero gets uniform ones.
    func votes(_ x: Matrix<Double>, kind: String) throws -> (indices: [Int], weights: [Double]) {
        let k = neighbors
        let (indices, distances) = try neighbours(x, kind: kind)
        var w = [Double](repeating: 1, count: indices.count)
        for r in 0..<x.rows {
            let base = r * k
            if weights == .distance {
                var zero = false
                for s in 0..<k where !(1 / distances[base + s]).isFinite { zero = true }
                for s in 0..<k {
                    let d = distances[base + s]
                    w[base + s] = zero ? ((1 / d).isFinite ? 0 : 1) : 1 / d
                }
            }
            if let rw = rowWeights {
                var total = 0.0
                for s in 0..<k {
                    w[base + s] *= rw[indices[base + s]]
                    total += w[base + s]
                }
                if !(total > 0) { for s in 0..<k { w[base + s] = 1 } }
            }
        }
        return (indices, w)
    }
}
