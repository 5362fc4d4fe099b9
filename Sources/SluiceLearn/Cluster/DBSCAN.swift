import SluiceCompute
import SluicePipeline

/// Density-based clustering, as scikit-learn's `DBSCAN`.
///
/// A row is a core sample when the rows within ``eps`` of it (itself included; a k-d tree's
/// radius query, ``SluiceCompute/KDTree/neighbors(within:of:metric:)``) weigh at least
/// ``minSamples`` (their count, or their sample weights' sum). Clusters grow from the core
/// samples in row order, depth first, through the neighbourhoods of core samples; rows no
/// cluster reaches are noise (`-1`). Nothing is drawn, so there is no seed.
///
/// scikit-learn's DBSCAN labels only its training rows; the model also labels new rows as
/// the cluster of their nearest core sample when it lies within ``eps``, else noise.
public struct DBSCAN: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .none }

    /// The neighbourhood radius (scikit-learn's `eps`).
    public var eps: Double
    /// The weight a neighbourhood needs for its centre to be a core sample (scikit-learn's `min_samples`).
    public var minSamples: Double
    public var metric: KDTree.Metric
    public var leafSize: Int

    public init(eps: Double = 0.5, minSamples: Double = 5, metric: KDTree.Metric = .euclidean, leafSize: Int = 30) {
        self.eps = eps
        self.minSamples = minSamples
        self.metric = metric
        self.leafSize = leafSize
    }

    /// The core samples and their clusters, and the training rows' labels.
    public struct Model: FittedModel, Equatable {
        public static let kind = "dbscan"
        public var eps: Double
        public var metric: KDTree.Metric
        /// The core samples (scikit-learn's `components_`), in row order.
        public var coreSamples: Matrix<Double>
        /// The training row of each core sample (`core_sample_indices_`).
        public var coreIndices: [Int]
        /// The cluster of each core sample.
        public var coreLabels: [Int]
        /// The cluster of each training row, `-1` for noise (`labels_`).
        public var labels: [Int]
        public var featureCount: Int { coreSamples.columns }
        /// The number of clusters found.
        public var clusterCount: Int { (labels.max() ?? -1) + 1 }

        public func output(_ x: Matrix<Double>) throws -> ModelOutput { .clusters(try predict(x)) }

        /// The cluster of each row's nearest core sample within ``eps``, else `-1`.
        public func predict(_ x: Matrix<Double>) throws -> [Int] {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            guard coreSamples.rows > 0 else { return [Int](repeating: -1, count: x.rows) }
            let (indices, distances) = KDTree(coreSamples).query(x, k: 1, metric: metric)
            return zip(indices, distances).map { $1 <= eps ? coreLabels[$0] : -1 }
        }

        public func validate() throws {
            let k = Self.kind
            try FittedStateError.require(eps > 0 && eps.isFinite, k, field: "eps", "must be finite and > 0")
            try FittedStateError.require(coreIndices.count == coreSamples.rows && coreLabels.count == coreSamples.rows, k,
                                         field: "coreLabels", "needs one index and label per core sample")
            try FittedStateError.require(coreLabels.allSatisfy { $0 >= 0 } && labels.allSatisfy { $0 >= -1 }, k,
                                         field: "labels", "labels are clusters ≥ 0 or -1")
            try FittedStateError.require(coreSamples.elements.allSatisfy(\.isFinite), k, field: "coreSamples", "not finite")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, sampleWeights: data.sampleWeights)
    }

    /// Clusters the rows of `x` (`n × p`, finite); `sampleWeights` count toward ``minSamples``.
    public func fit(_ x: Matrix<Double>, sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(TrainingSet(features: x, target: .none, sampleWeights: sampleWeights), learner: name)
        guard eps > 0, eps.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "eps", reason: "must be finite and > 0")
        }
        guard minSamples >= 1, minSamples.isFinite, leafSize >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "minSamples",
                                                       reason: "minSamples and leafSize must be at least 1")
        }
        let n = x.rows
        let neighborhoods = KDTree(x, leafSize: leafSize).neighbors(within: eps, of: x, metric: metric)
        let core = neighborhoods.map { hood in
            (sampleWeights.map { w in hood.reduce(0) { $0 + w[$1] } } ?? Double(hood.count)) >= minSamples
        }
        // scikit-learn's dbscan_inner: depth first from each unlabelled core sample.
        var labels = [Int](repeating: -1, count: n), cluster = 0, stack: [Int] = []
        for start in 0..<n where labels[start] == -1 && core[start] {
            var i = start
            while true {
                if labels[i] == -1 {
                    labels[i] = cluster
                    if core[i] { for v in neighborhoods[i] where labels[v] == -1 { stack.append(v) } }
                }
                guard let next = stack.popLast() else { break }
                i = next
            }
            cluster += 1
        }
        let coreIndices = (0..<n).filter { core[$0] }
        return Model(eps: eps, metric: metric, coreSamples: x.gatheringRows(coreIndices), coreIndices: coreIndices,
                     coreLabels: coreIndices.map { labels[$0] }, labels: labels)
    }
}
