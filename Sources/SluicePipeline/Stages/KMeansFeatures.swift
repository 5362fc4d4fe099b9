import SluiceCompute
import SluiceFrame

/// k-means cluster features as a stage: fits k-means on the chosen numeric columns
/// (``SluiceCompute/KMeansSolver``: greedy k-means++ from the pipeline's generator, then
/// Lloyd iterations, the best of ``initializations``) and appends each row's nearest cluster
/// as the `int64` column `prefix_cluster` and, with ``distances``, its Euclidean distance to
/// every centre as `prefix_distance_0…` (scikit-learn's `KMeans.predict` and `transform`).
/// The input columns pass through. Missing values are refused: impute first.
public struct KMeansFeatures: Transformer, Equatable {
    public var columns: ColumnSelector
    public var clusters: Int
    public var initializations: Int
    public var maxIterations: Int
    /// Relative to the mean feature variance (scikit-learn's `tol`).
    public var tolerance: Double
    public var distances: Bool
    public var prefix: String
    public var name: String { "KMeansFeatures" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), clusters: Int = 8, initializations: Int = 1,
                maxIterations: Int = 300, tolerance: Double = 1e-4, distances: Bool = true, prefix: String = "kmeans") {
        self.columns = columns
        self.clusters = clusters
        self.initializations = initializations
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.distances = distances
        self.prefix = prefix
    }

    public static func == (a: KMeansFeatures, b: KMeansFeatures) -> Bool {
        a.columns.description == b.columns.description && a.clusters == b.clusters && a.initializations == b.initializations
            && a.maxIterations == b.maxIterations && a.tolerance == b.tolerance && a.distances == b.distances && a.prefix == b.prefix
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        _ = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return try Fitted.schema(input, outputs: Fitted.outputNames(prefix, clusters, distances), stage: name)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        guard clusters >= 1, initializations >= 1, maxIterations >= 1, tolerance >= 0, tolerance.isFinite else {
            throw PipelineError.invalidConfiguration(stage: name,
                reason: "clusters, initializations and maxIterations must be ≥ 1 and tolerance finite and ≥ 0")
        }
        let x = try PCA.Fitted.features(frame, names, stage: name)
        guard x.rows >= clusters else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "\(clusters) clusters need at least \(clusters) rows, got \(x.rows)")
        }
        let weights = [Double](repeating: 1, count: x.rows)
        let variances = x.columnVariances()
        let tol = tolerance * (variances.isEmpty ? 0 : variances.reduce(0, +) / Double(variances.count))
        var best: KMeansSolver.Result?
        for _ in 0..<initializations {
            let initial = KMeansSolver.plusPlus(x, weights: weights, k: clusters, rng: &context.rng)
            let r = KMeansSolver.lloyd(x, weights: weights, initial: initial, maxIterations: maxIterations, tolerance: tol)
            if best == nil || r.inertia < best!.inertia { best = r }
        }
        let outputs = Fitted.outputNames(prefix, clusters, distances)
        return Fitted(columns: names, outputs: outputs, centers: best!.centers, inertia: best!.inertia,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try Fitted.schema(frame.schema, outputs: outputs, stage: name))
    }

    /// Fitted state: the cluster centres.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "KMeansFeatures"
        public var columns: [String]
        /// The cluster column, then one distance column per centre (when asked for).
        public var outputs: [String]
        /// `clusters × columns`.
        public var centers: Matrix<Double>
        public var inertia: Double
        public var inputSchema: Schema
        public var outputSchema: Schema

        static func outputNames(_ prefix: String, _ k: Int, _ distances: Bool) -> [String] {
            ["\(prefix)_cluster"] + (distances ? (0..<max(0, k)).map { "\(prefix)_distance_\($0)" } : [])
        }

        static func schema(_ input: Schema, outputs: [String], stage: String) throws -> Schema {
            let fields = outputs.enumerated().map { Field($0.element, $0.offset == 0 ? .int64 : .double, nullable: false) }
            return try framing(stage) { () throws(FrameError) in try Schema(input.fields + fields) }
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            let x = try PCA.Fitted.features(frame, columns, stage: Self.kind)
            let labels = KMeansSolver.assign(x, centers: centers)
            var out = frame
            try framing(Self.kind) { () throws(FrameError) in
                try out.set(outputs[0], to: .int64(labels.map(Int64.init)), nullable: false)
            }
            if outputs.count > 1 {
                let d = KMeansSolver.distances(x, centers: centers), k = centers.rows, n = x.rows
                try d.withUnsafeBufferPointer { dp in
                    for j in 0..<k {
                        try framing(Self.kind) { () throws(FrameError) in
                            try out.set(outputs[j + 1], to: .double((0..<n).map { dp[$0 * k + j] }), nullable: false)
                        }
                    }
                }
            }
            return out
        }

        public func validate() throws {
            let check = StateCheck(Self.kind)
            try check.columns(columns, in: inputSchema, types: numericTypes)
            try check.require(centers.rows >= 1 && centers.columns == columns.count, "centers",
                              "\(centers.rows)×\(centers.columns) for \(columns.count) columns")
            try check.require(outputs.count == 1 || outputs.count == centers.rows + 1, "outputs",
                              "\(outputs.count) for \(centers.rows) centres")
            try check.unique(outputs, "outputs")
            try check.finite(centers.elements, "centers")
            try check.outputs(outputs, in: outputSchema)
        }
    }
}
