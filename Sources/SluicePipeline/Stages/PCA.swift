import SluiceCompute
import SluiceFrame

/// Principal component analysis as a stage, as scikit-learn's `PCA`: the chosen numeric
/// columns are replaced (where the first of them was) by their projections on the leading
/// ``components`` principal axes, named `prefix0`, `prefix1`, … (scikit-learn's `pca0`, …).
///
/// The decomposition is ``SluiceCompute/PrincipalComponents``'s (full SVD, covariance
/// eigenvectors or randomized, chosen as scikit-learn's `svd_solver='auto'`; the randomized
/// sketch draws from the pipeline's generator). With ``whiten`` each projection is divided
/// by the square root of its explained variance. The fitted stage reports the explained
/// variance and its ratio per component. Missing values are refused: impute first.
public struct PCA: Transformer, Equatable {
    public var columns: ColumnSelector
    /// Components kept; nil keeps one per input column.
    public var components: Int?
    public var whiten: Bool
    public var solver: PrincipalComponents.Solver
    /// The output column names' prefix.
    public var prefix: String
    public var name: String { "PCA" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), components: Int? = nil, whiten: Bool = false,
                solver: PrincipalComponents.Solver = .auto, prefix: String = "pca") {
        self.columns = columns
        self.components = components
        self.whiten = whiten
        self.solver = solver
        self.prefix = prefix
    }

    public static func == (a: PCA, b: PCA) -> Bool {
        a.columns.description == b.columns.description && a.components == b.components && a.whiten == b.whiten
            && a.solver == b.solver && a.prefix == b.prefix
    }

    func keep(_ names: [String]) throws -> Int {
        let k = components ?? names.count
        guard k >= 1, k <= names.count else {
            throw PipelineError.invalidConfiguration(stage: name,
                reason: "components \(k) must be between 1 and the \(names.count) input columns")
        }
        return k
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        let names = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return try Fitted.schema(input, columns: names, outputs: Fitted.outputNames(prefix, try keep(names)), stage: name)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        let k = try keep(names)
        let x = try Fitted.features(frame, names, stage: name)
        guard x.rows >= 2, k <= x.rows else {
            throw PipelineError.invalidConfiguration(stage: name,
                reason: "\(k) components need at least \(max(2, k)) rows, got \(x.rows)")
        }
        let result: PrincipalComponents.Result
        do {
            result = try PrincipalComponents.fit(x, keep: k, solver: solver, rng: &context.rng)
        } catch {
            throw PipelineError.invalidValue(stage: name, column: names.joined(separator: ","), reason: "\(error)")
        }
        let outputs = Fitted.outputNames(prefix, k)
        return Fitted(columns: names, outputs: outputs, mean: result.mean, components: result.components,
                      explainedVariance: result.explainedVariance,
                      explainedVarianceRatio: result.explainedVariance.map { result.totalVariance > 0 ? $0 / result.totalVariance : 0 },
                      whiten: whiten,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try Fitted.schema(frame.schema, columns: names, outputs: outputs, stage: name))
    }

    /// Fitted state: the mean, the axes and their variances.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "PCA"
        public var columns: [String]
        /// The output column names, one per component.
        public var outputs: [String]
        public var mean: [Double]
        /// `components × columns`, one unit axis per row.
        public var components: Matrix<Double>
        public var explainedVariance: [Double]
        public var explainedVarianceRatio: [Double]
        public var whiten: Bool
        public var inputSchema: Schema
        public var outputSchema: Schema

        static func outputNames(_ prefix: String, _ k: Int) -> [String] { (0..<k).map { "\(prefix)\($0)" } }

        static func schema(_ input: Schema, columns: [String], outputs: [String], stage: String) throws -> Schema {
            try ColumnValues.splicing(input, removing: columns, inserting: outputs.map { Field($0, .double, nullable: false) },
                                      stage: stage)
        }

        /// The columns as a matrix; a null or NaN is refused naming its column and row.
        static func features(_ frame: Frame, _ names: [String], stage: String) throws -> Matrix<Double> {
            var values = [[Double]]()
            for n in names {
                let v = ColumnValues.doubles(try ColumnValues.column(frame, n, stage: stage))
                if let r = v.firstIndex(where: { !$0.isFinite }) {
                    throw PipelineError.invalidValue(stage: stage, column: n, reason: "row \(r) is missing or not finite; impute first")
                }
                values.append(v)
            }
            let rows = frame.rowCount, p = names.count
            return Matrix(rows: rows, columns: p) { out in
                for i in 0..<rows { for j in 0..<p { out.initializeElement(at: i * p + j, to: values[j][i]) } }
            }
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            let x = try Self.features(frame, columns, stage: Self.kind)
            let z = PrincipalComponents.transform(x, mean: mean, components: components,
                                                  explainedVariance: explainedVariance, whiten: whiten)
            let k = outputs.count, n = x.rows
            var made = [String: Column]()
            z.withUnsafeBufferPointer { zp in
                for (j, o) in outputs.enumerated() { made[o] = .double((0..<n).map { zp[$0 * k + j] }) }
            }
            return try ColumnValues.assembling(try Self.schema(frame.schema, columns: columns, outputs: outputs, stage: Self.kind),
                                               from: frame, made: made, stage: Self.kind)
        }

        public func validate() throws {
            let check = StateCheck(Self.kind)
            try check.columns(columns, in: inputSchema, types: numericTypes)
            try check.require(!outputs.isEmpty, "outputs", "needs at least one component")
            try check.unique(outputs, "outputs")
            try check.count(mean.count, "mean", equals: columns.count)
            try check.require(components.rows == outputs.count && components.columns == columns.count, "components",
                              "\(components.rows)×\(components.columns) for \(outputs.count) outputs of \(columns.count) columns")
            try check.count(explainedVariance.count, "explainedVariance", equals: outputs.count, per: "outputs")
            try check.count(explainedVarianceRatio.count, "explainedVarianceRatio", equals: outputs.count, per: "outputs")
            try check.finite(mean, "mean")
            try check.finite(components.elements, "components")
            try check.finite(explainedVariance, "explainedVariance")
            try check.finite(explainedVarianceRatio, "explainedVarianceRatio")
            try check.outputs(outputs, in: outputSchema)
        }
    }
}
