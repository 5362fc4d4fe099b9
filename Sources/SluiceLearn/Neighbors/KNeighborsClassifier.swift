import SluiceCompute
import SluicePipeline

/// k-nearest-neighbours classification, as scikit-learn's `KNeighborsClassifier`.
///
/// A row's class probabilities are the shares of its ``neighbors`` nearest training rows'
/// votes: each neighbour votes for its class with weight 1 (``NeighborWeights/uniform``) or
/// `1 / distance` (``NeighborWeights/distance``), times its sample weight when the fit had
/// weights (an extension: scikit-learn takes none; unit weights change nothing). Neighbours
/// are found exactly (see ``NeighborIndex``: a k-d tree in few dimensions, BLAS blocks
/// otherwise) and ties in distance go to the earlier training row. Fitting stores the rows.
public struct KNeighborsClassifier: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .classes }

    /// How many neighbours vote (scikit-learn's `n_neighbors`).
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

    /// A fitted k-NN classifier: the training rows and their class codes.
    public struct Model: ClassificationModel, Equatable {
        public static let kind = "k_neighbors_classifier"
        public var classes: [String]
        /// The class code of each training row.
        public var labels: [Int]
        public var search: NeighborSearch
        public var featureCount: Int { search.points.columns }

        public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
            let (indices, votes) = try search.votes(x, kind: Self.kind)
            let k = search.neighbors, m = classes.count
            var p = Matrix<Double>(rows: x.rows, columns: m)
            p.withUnsafeMutableBufferPointer { out in
                for r in 0..<x.rows {
                    var total = 0.0
                    for s in 0..<k {
                        out[r * m + labels[indices[r * k + s]]] += votes[r * k + s]
                        total += votes[r * k + s]
                    }
                    for c in 0..<m { out[r * m + c] /= total }
                }
            }
            return p
        }

        public func validate() throws {
            let k = Self.kind
            try FittedStateError.require(classes.count >= 1 && Set(classes).count == classes.count, k, field: "classes",
                                         "needs distinct classes")
            try FittedStateError.require(labels.allSatisfy { $0 >= 0 && $0 < classes.count }, k, field: "labels",
                                         "a code outside 0..<\(classes.count)")
            try search.validate(kind: k, targets: labels.count)
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    /// Fits on `x` (`n × p`, finite) and class labels `y`; `sampleWeights` scale each row's vote.
    public func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(TrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights), learner: name)
        try NeighborSearch.check(neighbors: neighbors, metric: metric, algorithm: algorithm, leafSize: leafSize,
                                 rows: x.rows, learner: name)
        return Model(classes: y.classes, labels: y.codes,
                     search: NeighborSearch(points: x, rowWeights: sampleWeights, neighbors: neighbors, weights: weights,
                                            metric: metric, algorithm: algorithm, leafSize: leafSize))
    }
}
