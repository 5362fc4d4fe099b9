import SluiceCompute
import SluiceFrame

/// Clips numeric columns at fences learnt per column: a transform, so every row is kept
/// (removing outlier rows is a sampler's job, on the fit path only).
///
/// - ``Rule/iqr(_:)``: Tukey's fences `q1 − k·IQR` and `q3 + k·IQR` (`k` 1.5 by default).
/// - ``Rule/quantiles(lower:upper:)``: the given quantiles (fractions in `0...1`).
///
/// Quantiles are NumPy's linear `percentile`. Nulls and `NaN` are ignored when fitting and
/// stay missing; an infinite value at fit time is an error naming the column, and a column
/// entirely missing at fit time gets infinite fences (it passes unchanged). Output
/// columns are `double`, in place.
public struct OutlierClipper: Transformer {
    /// Where the fences are.
    public enum Rule: Sendable, Codable, Equatable {
        case iqr(Double)
        case quantiles(lower: Double, upper: Double)
    }

    public var columns: ColumnSelector
    public var rule: Rule
    public var name: String { "OutlierClipper" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), rule: Rule = .iqr(1.5)) {
        self.columns = columns
        self.rule = rule
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, ColumnValues.numericColumns(columns, in: input, stage: name))
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        switch rule {
        case .iqr(let k):
            guard k >= 0, k.isFinite else { throw PipelineError.invalidConfiguration(stage: name, reason: "IQR multiple must be finite and ≥ 0, got \(k)") }
        case let .quantiles(lo, hi):
            guard lo >= 0, hi <= 1, lo <= hi else {
                throw PipelineError.invalidConfiguration(stage: name, reason: "quantiles must satisfy 0 ≤ lower ≤ upper ≤ 1, got \(lo), \(hi)")
            }
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        var lower = [Double](), upper = [Double]()
        for n in names {
            let v = try Quantiles.sortedFinite(ColumnValues.doubles(ColumnValues.column(frame, n, stage: name)),
                                               stage: name, column: n)
            guard !v.isEmpty else { lower.append(-.infinity); upper.append(.infinity); continue }
            switch rule {
            case .iqr(let k):
                let q1 = Quantiles.quantile(sorted: v, 0.25), q3 = Quantiles.quantile(sorted: v, 0.75)
                lower.append(q1 - k * (q3 - q1))
                upper.append(q3 + k * (q3 - q1))
            case let .quantiles(lo, hi):
                lower.append(Quantiles.quantile(sorted: v, lo))
                upper.append(Quantiles.quantile(sorted: v, hi))
            }
        }
        return Fitted(columns: names, lower: lower, upper: upper,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: each column's lower and upper fence.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "OutlierClipper"
        public var columns: [String]
        public var lower: [Double]
        public var upper: [Double]
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            try ColumnValues.checkState(Self.kind, columns: columns.count, lower.count, upper.count)
            return try ColumnValues.mapping(frame, columns, stage: Self.kind) { j, v in
                let lo = lower[j], hi = upper[j]
                for i in v.indices where !v[i].isNaN { v[i] = Swift.min(Swift.max(v[i], lo), hi) }
            }
        }
    }
}

extension OutlierClipper.Fitted {
    /// One lower and one upper fence per numeric input column, neither NaN, lower ≤ upper
    /// (infinite fences pass a column unchanged).
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.count(lower.count, "lower", equals: columns.count)
        try check.count(upper.count, "upper", equals: columns.count)
        try check.notNaN(lower, "lower")
        try check.notNaN(upper, "upper")
        for (j, (lo, hi)) in zip(lower, upper).enumerated() {
            try check.require(lo <= hi, "lower", "the fences of '\(columns[j])' are reversed")
        }
        try check.outputs(columns, in: outputSchema)
    }
}
