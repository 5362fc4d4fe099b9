import SluiceCompute
import SluiceFrame

/// Maps numeric columns through their empirical CDF onto a uniform or a standard normal
/// distribution, as scikit-learn's `QuantileTransformer`.
///
/// Fitting takes `quantiles` evenly spaced quantiles of each column (linear
/// interpolation, NumPy's `nanpercentile`); with more rows than `subsample` it first draws
/// `subsample` rows without replacement from the seeded generator (the same rows for every
/// column). Transforming interpolates each value between those quantiles, averaging the
/// upward and downward interpolation where quantiles repeat, exactly as scikit-learn;
/// values beyond the fitted range map to the ends (0 and 1, or ±5.199… for normal output,
/// scikit-learn's clip).
///
/// - `quantiles` is capped at the number of rows, as scikit-learn's `n_quantiles_`.
/// - Nulls and `NaN` are ignored when fitting and stay missing; an infinite value at fit
///   time, or a column with no value at all, is an error naming the column.
/// - Output columns are `double`, in place.
public struct QuantileTransformer: Transformer {
    /// The distribution transformed values follow.
    public enum Output: String, Sendable, Codable, Equatable {
        case uniform, normal
    }

    public var columns: ColumnSelector
    public var quantiles: Int
    public var output: Output
    /// Fit on at most this many rows (drawn with the seeded generator).
    public var subsample: Int
    public var name: String { "QuantileTransformer" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), quantiles: Int = 1000, output: Output = .uniform,
                subsample: Int = 10_000) {
        self.columns = columns
        self.quantiles = quantiles
        self.output = output
        self.subsample = subsample
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, ColumnValues.numericColumns(columns, in: input, stage: name))
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        guard quantiles >= 1, subsample >= 1 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "quantiles and subsample must be at least 1")
        }
        guard quantiles <= subsample else {
            throw PipelineError.invalidConfiguration(stage: name,
                reason: "quantiles (\(quantiles)) cannot exceed subsample (\(subsample))")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        let rows = frame.rowCount
        let count = Swift.max(1, Swift.min(quantiles, rows))
        let references = Quantiles.linspace(0, 1, count)
        let chosenRows: [Int]? = rows > subsample ? context.rng.sample(subsample, from: rows) : nil
        var table = [[Double]]()
        for n in names {
            var v = ColumnValues.doubles(try ColumnValues.column(frame, n, stage: name))
            if let chosenRows { v = chosenRows.map { v[$0] } }
            let s = try Quantiles.sortedFinite(v, stage: name, column: n)
            guard !s.isEmpty else {
                throw PipelineError.invalidValue(stage: name, column: n, reason: "has no values to learn quantiles from")
            }
            // NumPy computes percentiles from `references · 100`, divided back by 100.
            var q = references.map { Quantiles.quantile(sorted: s, ($0 * 100) / 100) }
            for k in q.indices.dropFirst() where q[k] < q[k - 1] { q[k] = q[k - 1] }
            table.append(q)
        }
        return Fitted(columns: names, references: references, quantiles: table, output: output,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: the reference probabilities and each column's quantiles at them.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "QuantileTransformer"
        /// scikit-learn's `BOUNDS_THRESHOLD`.
        static let boundsThreshold = 1e-7
        public var columns: [String]
        /// Evenly spaced probabilities in `[0, 1]` (scikit-learn's `references_`).
        public var references: [Double]
        /// Per column, its quantile at each reference (scikit-learn's `quantiles_`, transposed).
        public var quantiles: [[Double]]
        public var output: Output
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            try ColumnValues.checkState(Self.kind, columns: columns.count, quantiles.count)
            let refs = references, negatedRefs = references.reversed().map { -$0 }
            let clipLow = NormalDistribution.quantile(Self.boundsThreshold - Double.ulpOfOne)
            let clipHigh = NormalDistribution.quantile(1 - (Self.boundsThreshold - Double.ulpOfOne))
            return try ColumnValues.mapping(frame, columns, stage: Self.kind) { j, v in
                let q = quantiles[j]
                guard let lowX = q.first, let highX = q.last, q.count == refs.count else {
                    throw PipelineError.invalidValue(stage: Self.kind, column: columns[j], reason: "fitted quantiles are malformed")
                }
                let negatedQ = q.reversed().map { -$0 }
                for i in v.indices where !v[i].isNaN {
                    let x = v[i]
                    let atLow: Bool, atHigh: Bool
                    switch output {
                    case .normal:
                        atLow = x - Self.boundsThreshold < lowX
                        atHigh = x + Self.boundsThreshold > highX
                    case .uniform:
                        atLow = x == lowX
                        atHigh = x == highX
                    }
                    var y = 0.5 * (Quantiles.interpolate(x, q, refs) - Quantiles.interpolate(-x, negatedQ, negatedRefs))
                    if atHigh { y = 1 }
                    if atLow { y = 0 }
                    if output == .normal { y = Swift.min(Swift.max(NormalDistribution.quantile(y), clipLow), clipHigh) }
                    v[i] = y
                }
            }
        }
    }
}

extension QuantileTransformer.Fitted {
    /// Nondecreasing references in `[0, 1]`; per numeric input column, one finite,
    /// nondecreasing quantile per reference.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.require(!references.isEmpty, "references", "is empty")
        try check.nondecreasing(references, "references")
        try check.require(references.allSatisfy { $0 >= 0 && $0 <= 1 }, "references", "not all in [0, 1]")
        try check.count(quantiles.count, "quantiles", equals: columns.count)
        for (n, q) in zip(columns, quantiles) {
            try check.count(q.count, "quantiles[\(n)]", equals: references.count, per: "references")
            try check.nondecreasing(q, "quantiles[\(n)]")
        }
        try check.outputs(columns, in: outputSchema)
    }
}
