import SluiceCompute
import SluiceFrame

/// Centres numeric columns on their median and divides by their interquartile range, as
/// scikit-learn's `RobustScaler`: quantiles by linear interpolation (NumPy's default
/// `percentile`), so outliers barely move the fitted state.
///
/// - `quantileRange` is in percent, `0 ≤ low < high ≤ 100` (default 25…75).
/// - `unitVariance` divides the scale further by the normal distribution's spread over
///   the same quantiles, so normal data ends with variance 1.
/// - Nulls and `NaN` are ignored when fitting and stay missing; an infinite value at fit
///   time is an error naming the column. A range below `10·eps` becomes 1; a column
///   entirely missing at fit time gets centre 0 and scale 1.
/// - Output columns are `double`, in place.
public struct RobustScaler: Transformer {
    public var columns: ColumnSelector
    public var withCentering: Bool
    public var withScaling: Bool
    /// Percentiles bounding the range the scale is taken from.
    public var quantileRange: ClosedRange<Double>
    public var unitVariance: Bool
    public var name: String { "RobustScaler" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), withCentering: Bool = true, withScaling: Bool = true,
                quantileRange: ClosedRange<Double> = 25...75, unitVariance: Bool = false) {
        self.columns = columns
        self.withCentering = withCentering
        self.withScaling = withScaling
        self.quantileRange = quantileRange
        self.unitVariance = unitVariance
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, ColumnValues.numericColumns(columns, in: input, stage: name))
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let (qLow, qHigh) = (quantileRange.lowerBound, quantileRange.upperBound)
        guard qLow >= 0, qHigh <= 100, qLow < qHigh else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "quantileRange must lie in 0...100 with low < high, got \(quantileRange)")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        let adjust = unitVariance ? NormalDistribution.quantile(qHigh / 100) - NormalDistribution.quantile(qLow / 100) : 1
        var centers = [Double](), scales = [Double]()
        for n in names {
            let v = try Quantiles.sortedFinite(ColumnValues.doubles(ColumnValues.column(frame, n, stage: name)),
                                               stage: name, column: n)
            guard !v.isEmpty else { centers.append(0); scales.append(1); continue }
            centers.append(withCentering ? Quantiles.median(sorted: v) : 0)
            if withScaling {
                let iqr = Quantiles.quantile(sorted: v, qHigh / 100) - Quantiles.quantile(sorted: v, qLow / 100)
                scales.append(Quantiles.nonZeroScale(iqr) / adjust)
            } else {
                scales.append(1)
            }
        }
        return Fitted(columns: names, centers: centers, scales: scales,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: each column's centre (median) and scale (quantile range).
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "RobustScaler"
        public var columns: [String]
        public var centers: [Double]
        public var scales: [Double]
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            try ColumnValues.checkState(Self.kind, columns: columns.count, centers.count, scales.count)
            return try ColumnValues.mapping(frame, columns, stage: Self.kind) { j, v in
                let c = centers[j], s = scales[j]
                for i in v.indices { v[i] = (v[i] - c) / s }
            }
        }
    }
}

extension RobustScaler.Fitted {
    /// One finite centre and one finite, nonzero scale per numeric input column.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.count(centers.count, "centers", equals: columns.count)
        try check.count(scales.count, "scales", equals: columns.count)
        try check.finite(centers, "centers")
        try check.divisors(scales, "scales")
        try check.outputs(columns, in: outputSchema)
    }
}
