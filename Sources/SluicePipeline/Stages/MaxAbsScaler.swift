import SluiceCompute
import SluiceFrame

/// Divides numeric columns by their largest absolute value, as scikit-learn's
/// `MaxAbsScaler`, so values fall in `[-1, 1]` without shifting them (zeros stay zeros).
///
/// Nulls and `NaN` are ignored when fitting and stay missing; an infinite value at fit
/// time is an error naming the column. A column of zeros, or entirely missing, gets
/// scale 1. Output columns are `double`, in place.
public struct MaxAbsScaler: Transformer {
    public var columns: ColumnSelector
    public var name: String { "MaxAbsScaler" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric)) { self.columns = columns }

    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, ColumnValues.numericColumns(columns, in: input, stage: name))
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        var maxAbs = [Double]()
        for n in names {
            let v = try Quantiles.sortedFinite(ColumnValues.doubles(ColumnValues.column(frame, n, stage: name)),
                                               stage: name, column: n)
            maxAbs.append(Swift.max(abs(v.first ?? 0), abs(v.last ?? 0)))
        }
        return Fitted(columns: names, maxAbs: maxAbs, scales: maxAbs.map(Quantiles.nonZeroScale),
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: each column's largest absolute value and the divisor used.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "MaxAbsScaler"
        public var columns: [String]
        public var maxAbs: [Double]
        public var scales: [Double]
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            try ColumnValues.checkState(Self.kind, columns: columns.count, scales.count)
            return try ColumnValues.mapping(frame, columns, stage: Self.kind) { j, v in
                let s = scales[j]
                for i in v.indices { v[i] /= s }
            }
        }
    }
}

extension MaxAbsScaler.Fitted {
    /// One finite maximum and one finite, nonzero divisor per numeric input column.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.count(maxAbs.count, "maxAbs", equals: columns.count)
        try check.count(scales.count, "scales", equals: columns.count)
        try check.finite(maxAbs, "maxAbs")
        try check.divisors(scales, "scales")
        try check.outputs(columns, in: outputSchema)
    }
}
