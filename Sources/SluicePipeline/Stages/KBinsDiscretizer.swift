import SluiceCompute
import SluiceFrame

/// Bins numeric columns into ordinal bin numbers `0 ..< bins`, as scikit-learn's
/// `KBinsDiscretizer(encode="ordinal")`.
///
/// - ``Strategy/uniform``: equal-width bins between the column's min and max.
/// - ``Strategy/quantile``: edges at evenly spaced quantiles, by default with
///   scikit-learn 1.9's `quantile_method="averaged_inverted_cdf"` (``Quantiles/Method``
///   `.linear` gives the older behaviour). Bins narrower than 1e-8 are merged away, so a
///   column may get fewer bins (``Fitted/edges`` says how many).
/// - A constant column gets one bin (every value 0).
/// - A value is placed by the inner edges (`searchsorted(…, side="right")`), so values
///   beyond the fitted range land in the first or last bin.
/// - Output columns are `int64` (ready for ``OneHotEncoder``), in place. Nulls stay null,
///   and a `NaN` becomes null: a bin number cannot be `NaN`.
/// - Nulls and `NaN` are ignored when fitting; an infinite value, or a column with no
///   value at all, is an error naming the column. With more rows than `subsample`, the
///   quantile strategy draws `subsample` rows with replacement from the seeded generator
///   (as scikit-learn); the uniform strategy always uses every row.
public struct KBinsDiscretizer: Transformer {
    public enum Strategy: String, Sendable, Codable, Equatable {
        case uniform, quantile
    }

    public var columns: ColumnSelector
    public var bins: Int
    public var strategy: Strategy
    /// How the quantile strategy interpolates.
    var quantileMethod: Quantiles.Method
    public var subsample: Int
    public var name: String { "KBinsDiscretizer" }

    /// - Parameter linearQuantiles: interpolate quantile edges linearly (scikit-learn
    ///   before 1.9) instead of the averaged inverted CDF.
    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), bins: Int = 5, strategy: Strategy = .quantile,
                linearQuantiles: Bool = false, subsample: Int = 200_000) {
        self.columns = columns
        self.bins = bins
        self.strategy = strategy
        self.quantileMethod = linearQuantiles ? .linear : .averagedInvertedCDF
        self.subsample = subsample
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        let names = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return try Fitted.schema(input, names)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        guard bins >= 2, subsample >= 1 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "bins must be at least 2 and subsample at least 1")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        let rows = frame.rowCount
        let drawn: [Int]? = strategy == .quantile && rows > subsample
            ? (0..<subsample).map { _ in context.rng.nextInt(below: rows) } : nil
        var edges = [[Double]]()
        for n in names {
            var v = ColumnValues.doubles(try ColumnValues.column(frame, n, stage: name))
            if let drawn { v = drawn.map { v[$0] } }
            let s = try Quantiles.sortedFinite(v, stage: name, column: n)
            guard let lo = s.first, let hi = s.last else {
                throw PipelineError.invalidValue(stage: name, column: n, reason: "has no values to learn bins from")
            }
            if lo == hi { edges.append([-.infinity, .infinity]); continue }
            switch strategy {
            case .uniform:
                edges.append(Quantiles.linspace(lo, hi, bins + 1))
            case .quantile:
                let e = Quantiles.linspace(0, 100, bins + 1).map {
                    Quantiles.quantile(sorted: s, $0 / 100, method: quantileMethod)
                }
                var kept = [e[0]]
                for k in 1..<e.count where e[k] - e[k - 1] > 1e-8 { kept.append(e[k]) }
                edges.append(kept)
            }
        }
        return Fitted(columns: names, edges: edges,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try Fitted.schema(frame.schema, names))
    }

    /// Fitted state: each column's bin edges (`bins + 1` of them, fewer where bins merged).
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "KBinsDiscretizer"
        public var columns: [String]
        public var edges: [[Double]]
        public var inputSchema: Schema
        public var outputSchema: Schema

        /// The number of bins of each column.
        public var binCounts: [Int] { edges.map { Swift.max(1, $0.count - 1) } }

        static func schema(_ input: Schema, _ names: [String]) throws -> Schema {
            let chosen = Set(names)
            return try framing(kind) { () throws(FrameError) in
                try Schema(input.fields.map { chosen.contains($0.name) ? Field($0.name, .int64, nullable: true) : $0 })
            }
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            try ColumnValues.checkState(Self.kind, columns: columns.count, edges.count)
            var out = frame
            for (j, n) in columns.enumerated() {
                let c = try ColumnValues.column(frame, n, stage: Self.kind)
                let v = ColumnValues.doubles(c)
                let inner = edges[j].count > 2 ? Array(edges[j][1..<(edges[j].count - 1)]) : []
                var bins = [Int64](repeating: 0, count: v.count)
                for i in v.indices where !v[i].isNaN {
                    // searchsorted(inner, x, side: right): the count of inner edges ≤ x.
                    var lo = 0, hi = inner.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if inner[mid] <= v[i] { lo = mid + 1 } else { hi = mid }
                    }
                    bins[i] = Int64(lo)
                }
                let validity = ValidityMask(valid: v.lazy.map { !$0.isNaN })
                try framing(Self.kind) { () throws(FrameError) in
                    try out.set(n, to: Column(.int64(bins), validity: validity), nullable: true)
                }
            }
            return out
        }
    }
}

extension KBinsDiscretizer.Fitted {
    /// Per numeric input column, a list of finite, nondecreasing bin edges.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.count(edges.count, "edges", equals: columns.count)
        for (n, e) in zip(columns, edges) { try check.nondecreasing(e, "edges[\(n)]") }
        try check.outputs(columns, in: outputSchema)
    }
}
