import SluiceCompute
import SluiceFrame

/// Truncated SVD (latent semantic analysis) as a stage, as scikit-learn's `TruncatedSVD`: the
/// data are projected, *uncentred*, on their leading ``components`` right singular vectors,
/// found by ``SluiceCompute/TruncatedSVDSolver``'s randomized range finder (its test matrix drawn
/// from the pipeline's generator). Output columns are named `prefix0`, `prefix1`, ….
///
/// - With ``columns`` nil (the default), it reads the **sparse features** of the stages before it
///   (a TF-IDF or one-hot stage with `sparse: true`), all of them side by side, and appends its
///   columns to the frame: the sparse matrix is only ever multiplied, and after this stage the
///   pipeline has no sparse features left, so any learner can follow.
/// - With ``columns``, it reads those numeric frame columns and replaces them (as ``PCA`` does).
///
/// The fitted stage reports the singular values and the explained variance and its ratio per
/// component (the variance of each projected column over the data's summed column variances).
public struct TruncatedSVD: Transformer, SparseConsumingStage, Equatable {
    /// The frame columns to decompose, or nil for the sparse features of earlier stages.
    public var columns: ColumnSelector?
    public var components: Int
    /// Extra test vectors of the randomized sketch (scikit-learn's `n_oversamples`).
    public var oversamples: Int
    /// Power iterations (scikit-learn's `n_iter`).
    public var powerIterations: Int
    public var prefix: String
    public var name: String { "TruncatedSVD" }

    public init(columns: ColumnSelector? = nil, components: Int = 2, oversamples: Int = 10, powerIterations: Int = 5,
                prefix: String = "svd") {
        self.columns = columns
        self.components = components
        self.oversamples = oversamples
        self.powerIterations = powerIterations
        self.prefix = prefix
    }

    public static func == (a: TruncatedSVD, b: TruncatedSVD) -> Bool {
        a.columns?.description == b.columns?.description && a.components == b.components && a.oversamples == b.oversamples
            && a.powerIterations == b.powerIterations && a.prefix == b.prefix
    }

    private var outputs: [String] { PCA.Fitted.outputNames(prefix, components) }

    public func outputSchema(for input: Schema) throws -> Schema {
        let names = try columns.map { try ColumnValues.numericColumns($0, in: input, stage: name) } ?? []
        return try PCA.Fitted.schema(input, columns: names, outputs: outputs, stage: name)
    }

    /// Decomposes `a` (`n × p`), checking the sizes first.
    private func decompose(_ a: some TruncatedSVDOperand, columnVariance: Double, context: inout FitContext) throws
        -> TruncatedSVDSolver.Result {
        guard components >= 1, components < a.columns, components <= a.rows, oversamples >= 0, powerIterations >= 0 else {
            throw PipelineError.invalidConfiguration(stage: name, reason:
                "components \(components) must be at least 1, fewer than the \(a.columns) features and at most the "
                + "\(a.rows) rows; oversamples and powerIterations at least 0")
        }
        do {
            return try TruncatedSVDSolver.fit(a, keep: components, oversamples: oversamples, powerIterations: powerIterations,
                                              columnVariance: columnVariance, rng: &context.rng)
        } catch {
            throw PipelineError.invalidValue(stage: name, column: "features", reason: "\(error)")
        }
    }

    /// Fits on frame columns (``columns`` set).
    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        guard let columns else {
            throw PipelineError.invalidConfiguration(stage: name,
                reason: "without columns it reads the sparse features of an earlier stage, and none gives any")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        let x = try PCA.Fitted.features(frame, names, stage: name)
        let r = try decompose(x, columnVariance: x.columnVariances().reduce(0, +), context: &context)
        return Fitted(columns: names, consumedSparseNames: nil, outputs: outputs, result: r,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try PCA.Fitted.schema(frame.schema, columns: names, outputs: outputs, stage: name))
    }

    public func fit(_ frame: Frame, sparse: SparseFeatureBlock, context: inout FitContext) throws
        -> (fitted: any SparseFeatureConsumer, frame: Frame) {
        guard columns == nil else {
            let (fitted, out) = try fitTransform(frame, context: &context)
            return (fitted, out)
        }
        let x = sparse.matrix
        let r = try decompose(SparseSVDOperand(x), columnVariance: x.totalColumnVariance(), context: &context)
        let fitted = Fitted(columns: [], consumedSparseNames: sparse.names, outputs: outputs, result: r,
                            inputSchema: try framing(name) { () throws(FrameError) in try Schema([]) },
                            outputSchema: try PCA.Fitted.schema(frame.schema, columns: [], outputs: outputs, stage: name))
        var report = TransformReport()
        return (fitted, try fitted.transform(frame, sparse: sparse, report: &report))
    }

    /// Fitted state: the components and their singular values and variances.
    public struct Fitted: SparseFeatureConsumer, Equatable {
        public static let kind = "TruncatedSVD"
        /// The frame columns read (empty when fitted on sparse features).
        public var columns: [String]
        public var consumedSparseNames: [String]?
        public var outputs: [String]
        /// `components × features`, one unit row per component.
        public var components: Matrix<Double>
        public var singularValues: [Double]
        public var explainedVariance: [Double]
        public var explainedVarianceRatio: [Double]
        public var inputSchema: Schema
        public var outputSchema: Schema

        init(columns: [String], consumedSparseNames: [String]?, outputs: [String], result r: TruncatedSVDSolver.Result,
             inputSchema: Schema, outputSchema: Schema) {
            self.columns = columns
            self.consumedSparseNames = consumedSparseNames
            self.outputs = outputs
            components = r.components
            singularValues = r.singularValues
            explainedVariance = r.explainedVariance
            explainedVarianceRatio = r.explainedVarianceRatio
            self.inputSchema = inputSchema
            self.outputSchema = outputSchema
        }

        /// The projections as columns by output name.
        private func made(_ z: Matrix<Double>) -> [String: Column] {
            let k = outputs.count, n = z.rows
            var made = [String: Column]()
            z.withUnsafeBufferPointer { zp in
                for (j, o) in outputs.enumerated() { made[o] = .double((0..<n).map { zp[$0 * k + j] }) }
            }
            return made
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            guard consumedSparseNames == nil else {
                throw PipelineError.invalidConfiguration(stage: Self.kind,
                    reason: "was fitted on sparse features: it transforms inside its pipeline only")
            }
            try inputSchema.check(frame, stage: Self.kind)
            let x = try PCA.Fitted.features(frame, columns, stage: Self.kind)
            var z = Matrix<Double>(rows: x.rows, columns: outputs.count)
            if x.rows > 0 { z.gemm(x, components.transposed) }
            return try ColumnValues.assembling(try PCA.Fitted.schema(frame.schema, columns: columns, outputs: outputs, stage: Self.kind),
                                               from: frame, made: made(z), stage: Self.kind)
        }

        public func transform(_ frame: Frame, sparse: SparseFeatureBlock, report: inout TransformReport) throws -> Frame {
            guard sparse.matrix.columns == components.columns else {
                throw PipelineError.invalidValue(stage: Self.kind, column: "features",
                    reason: "\(sparse.matrix.columns) sparse features, fitted on \(components.columns)")
            }
            let z = sparse.matrix.multiplied(by: components.transposed.copy())
            return try ColumnValues.assembling(try PCA.Fitted.schema(frame.schema, columns: [], outputs: outputs, stage: Self.kind),
                                               from: frame, made: made(z), stage: Self.kind)
        }

        public func validate() throws {
            let check = StateCheck(Self.kind)
            try check.columns(columns, in: inputSchema, types: numericTypes)
            try check.require(!outputs.isEmpty, "outputs", "needs at least one component")
            try check.unique(outputs, "outputs")
            let width = consumedSparseNames?.count ?? columns.count
            try check.require(components.rows == outputs.count && components.columns == width, "components",
                              "\(components.rows)×\(components.columns) for \(outputs.count) outputs of \(width) features")
            try check.count(singularValues.count, "singularValues", equals: outputs.count, per: "outputs")
            try check.count(explainedVariance.count, "explainedVariance", equals: outputs.count, per: "outputs")
            try check.count(explainedVarianceRatio.count, "explainedVarianceRatio", equals: outputs.count, per: "outputs")
            try check.finite(components.elements, "components")
            try check.finite(singularValues + explainedVariance + explainedVarianceRatio, "singularValues")
            try check.outputs(outputs, in: outputSchema)
        }
    }
}
