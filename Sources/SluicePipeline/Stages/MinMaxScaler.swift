import SluiceCompute
import SluiceFrame

/// Scales numeric columns linearly onto `range` (by default `0...1`), as scikit-learn's
/// `MinMaxScaler`: `x · scale + offset` with `scale = (upper − lower) / (max − min)` and
/// `offset = lower − min · scale`.
///
/// - Nulls and `NaN` are ignored when fitting and stay missing; an infinite value at fit
///   time is an error naming the column.
/// - A constant column (range below `10·eps`) gets scale 1, as scikit-learn; a column
///   entirely missing at fit time is kept, with scale 1 and offset `lower`.
/// - Values outside the fitted min and max map outside `range` unless `clip` is set.
/// - Output columns are `double`, in place, under the same names.
public struct MinMaxScaler: Transformer {
    public var columns: ColumnSelector
    /// The target interval; `lower < upper`.
    public var range: ClosedRange<Double>
    /// Clip transformed values into `range` (scikit-learn's `clip=True`).
    public var clip: Bool
    public var name: String { "MinMaxScaler" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), range: ClosedRange<Double> = 0...1, clip: Bool = false) {
        self.columns = columns
        self.range = range
        self.clip = clip
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, ColumnValues.numericColumns(columns, in: input, stage: name))
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        guard range.lowerBound < range.upperBound, range.lowerBound.isFinite, range.upperBound.isFinite else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "range must be finite with lower < upper, got \(range)")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        var mins = [Double](), maxs = [Double](), scales = [Double](), offsets = [Double]()
        for n in names {
            let v = try Quantiles.sortedFinite(ColumnValues.doubles(ColumnValues.column(frame, n, stage: name)),
                                               stage: name, column: n)
            let lo = v.first ?? 0, hi = v.last ?? 0
            let scale = (range.upperBound - range.lowerBound) / Quantiles.nonZeroScale(hi - lo)
            mins.append(lo)
            maxs.append(hi)
            scales.append(scale)
            offsets.append(range.lowerBound - lo * scale)
        }
        return Fitted(columns: names, dataMin: mins, dataMax: maxs, scales: scales, offsets: offsets,
                      clipRange: clip ? [range.lowerBound, range.upperBound] : nil,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: each column's observed min and max, and the scale and offset applied.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "MinMaxScaler"
        public var columns: [String]
        public var dataMin: [Double]
        public var dataMax: [Double]
        /// Multiplies each value (scikit-learn's `scale_`).
        public var scales: [Double]
        /// Added after scaling (scikit-learn's `min_`).
        public var offsets: [Double]
        /// `[lower, upper]` when transformed values are clipped into the range.
        public var clipRange: [Double]?
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            try ColumnValues.checkState(Self.kind, columns: columns.count, scales.count, offsets.count)
            return try ColumnValues.mapping(frame, columns, stage: Self.kind) { j, v in
                let s = scales[j], o = offsets[j]
                for i in v.indices { v[i] = v[i] * s + o }
                if let r = clipRange, r.count == 2 {
                    for i in v.indices where !v[i].isNaN { v[i] = Swift.min(Swift.max(v[i], r[0]), r[1]) }
                }
            }
        }
    }
}

extension MinMaxScaler.Fitted {
    /// One finite min, max, scale and offset per numeric input column; a clip range of two
    /// ordered finite bounds.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        for (field, values) in [("dataMin", dataMin), ("dataMax", dataMax), ("scales", scales), ("offsets", offsets)] {
            try check.count(values.count, field, equals: columns.count)
            try check.finite(values, field)
        }
        if let r = clipRange {
            try check.require(r.count == 2 && r.allSatisfy(\.isFinite) && r[0] <= r[1], "clipRange", "is not [lower, upper]")
        }
        try check.outputs(columns, in: outputSchema)
    }
}
