import SluiceFrame

/// Standardises numeric columns to mean 0 and standard deviation 1, as scikit-learn's
/// `StandardScaler`: the population standard deviation (ddof 0), a zero deviation
/// replaced by 1. Nulls and `NaN` are ignored when fitting and stay missing.
public struct StandardScaler: Transformer, Equatable {
    public var columns: ColumnSelector
    /// Subtract the mean.
    public var withMean: Bool
    /// Divide by the standard deviation.
    public var withStd: Bool
    public var name: String { "StandardScaler" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), withMean: Bool = true, withStd: Bool = true) {
        self.columns = columns
        self.withMean = withMean
        self.withStd = withStd
    }

    public static func == (a: StandardScaler, b: StandardScaler) -> Bool {
        a.columns.description == b.columns.description && a.withMean == b.withMean && a.withStd == b.withStd
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, ColumnValues.numericColumns(columns, in: input, stage: name))
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        var means = [Double](), scales = [Double]()
        for n in names {
            let v = ColumnValues.doubles(try framing(name) { () throws(FrameError) in try frame.column(n) })
            var count = 0.0, sum = 0.0
            for x in v where !x.isNaN { count += 1; sum += x }
            let mean = count > 0 ? sum / count : 0
            var ss = 0.0
            for x in v where !x.isNaN { ss += (x - mean) * (x - mean) }
            let sd = count > 0 ? (ss / count).squareRoot() : 0
            means.append(withMean ? mean : 0)
            scales.append(withStd && sd > 0 && sd.isFinite ? sd : 1)
        }
        return Fitted(columns: names, means: means, scales: scales,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: the mean and scale of each column.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "StandardScaler"
        public var columns: [String]
        public var means: [Double]
        public var scales: [Double]
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            var out = frame
            for (j, n) in columns.enumerated() {
                let c = try framing(Self.kind) { () throws(FrameError) in try frame.column(n) }
                let mean = means[j], inv = 1 / scales[j]
                let scaled = ColumnValues.doubles(c).map { ($0 - mean) * inv }
                try framing(Self.kind) { () throws(FrameError) in
                    try out.set(n, to: Column(.double(scaled), validity: c.validity))
                }
            }
            return out
        }
    }
}

extension StandardScaler.Fitted {
    /// One finite mean and one finite, nonzero scale per numeric input column.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.count(means.count, "means", equals: columns.count)
        try check.count(scales.count, "scales", equals: columns.count)
        try check.finite(means, "means")
        try check.divisors(scales, "scales")
        try check.outputs(columns, in: outputSchema)
    }
}
