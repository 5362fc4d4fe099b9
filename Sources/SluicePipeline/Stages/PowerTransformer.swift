import Foundation
import SluiceCompute
import SluiceFrame

/// Makes numeric columns more Gaussian with the Yeo-Johnson power transform, as
/// scikit-learn's `PowerTransformer(method="yeo-johnson")`.
///
/// Each column's λ maximises the Yeo-Johnson log-likelihood, found as SciPy finds it
/// (`yeojohnson_normmax`: bounded Brent minimisation within overflow-safe bounds, `xtol`
/// 1.48e-8). With `standardize` (the default) the transformed column is then scaled to
/// mean 0 and standard deviation 1.
///
/// - Nulls and `NaN` are ignored when fitting and stay missing; an infinite value at fit
///   time is an error naming the column.
/// - A constant column (and one entirely missing at fit time) gets λ = 1, the identity,
///   as scikit-learn.
/// - Output columns are `double`, in place.
public struct PowerTransformer: Transformer {
    public var columns: ColumnSelector
    /// Scale the transformed columns to mean 0 and standard deviation 1.
    public var standardize: Bool
    public var name: String { "PowerTransformer" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), standardize: Bool = true) {
        self.columns = columns
        self.standardize = standardize
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, ColumnValues.numericColumns(columns, in: input, stage: name))
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        var lambdas = [Double](), means = [Double](), scales = [Double]()
        for n in names {
            let raw = ColumnValues.doubles(try ColumnValues.column(frame, n, stage: name))
            let v = raw.filter { !$0.isNaN }  // row order, as SciPy sees it
            if v.contains(where: { !$0.isFinite }) {
                throw PipelineError.invalidValue(stage: name, column: n, reason: "holds an infinite value; clip or drop it first")
            }
            let (mean, variance) = Self.meanAndVariance(v)
            let lambda = v.isEmpty || Self.isConstant(variance: variance, mean: mean, count: v.count)
                ? 1 : Self.optimalLambda(v)
            lambdas.append(lambda)
            if standardize {
                let t = v.map { Self.yeoJohnson($0, lambda) }
                let (m, s2) = Self.meanAndVariance(t)
                let constant = Self.isConstant(variance: s2, mean: m, count: t.count)
                means.append(t.isEmpty ? 0 : m)
                scales.append(t.isEmpty || constant ? 1 : s2.squareRoot())
            }
        }
        return Fitted(columns: names, lambdas: lambdas, means: standardize ? means : nil,
                      scales: standardize ? scales : nil,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// The mean and population variance of `v` (two passes, with NumPy's correction term).
    static func meanAndVariance(_ v: [Double]) -> (Double, Double) {
        guard !v.isEmpty else { return (0, 0) }
        let n = Double(v.count)
        let mean = v.reduce(0, +) / n
        var ss = 0.0, c = 0.0
        for x in v { let d = x - mean; ss += d * d; c += d }
        return (mean, (ss - c * c / n) / n)
    }

    /// scikit-learn's `_is_constant_feature`: the variance is within rounding of zero.
    static func isConstant(variance: Double, mean: Double, count: Int) -> Bool {
        let eps = Double.ulpOfOne, n = Double(count)
        let bound = n * eps * variance + (n * mean * eps) * (n * mean * eps)
        return variance <= bound
    }

    /// The Yeo-Johnson transform of `x` with parameter `lambda` (SciPy's stable form).
    static func yeoJohnson(_ x: Double, _ lambda: Double) -> Double {
        let eps = Double.ulpOfOne
        if x >= 0 {
            return abs(lambda) < eps ? log1p(x) : expm1(lambda * log1p(x)) / lambda
        }
        return abs(lambda - 2) > eps ? -expm1((2 - lambda) * log1p(-x)) / (2 - lambda) : -log1p(-x)
    }

    /// The λ maximising the Yeo-Johnson log-likelihood of `x` (finite, not empty, in row
    /// order), as SciPy's `yeojohnson_normmax` with no bracket; sums are NumPy's pairwise
    /// sums so the minimiser follows SciPy's path.
    static func optimalLambda(_ x: [Double]) -> Double {
        if x.allSatisfy({ $0 == 0 }) { return 1 }
        let n = Double(x.count)
        let signedLogSum = Quantiles.pairwiseSum(x.map { ($0 > 0 ? 1 : ($0 < 0 ? -1 : 0)) * log1p(abs($0)) })
        var t = [Double](repeating: 0, count: x.count)
        func negativeLogLikelihood(_ lambda: Double) -> Double {
            for i in x.indices { t[i] = yeoJohnson(x[i], lambda) }
            // NumPy's var: the mean by pairwise sum, then the pairwise sum of squared deviations.
            let mean = Quantiles.pairwiseSum(t) / n
            for i in t.indices { let d = t[i] - mean; t[i] = d * d }
            let variance = Quantiles.pairwiseSum(t) / n
            let logSigma = variance >= Double.leastNormalMagnitude ? log(variance) : -.infinity
            let llf = -n / 2 * logSigma + (lambda - 1) * signedLogSum
            return llf.isInfinite ? .infinity : -llf
        }
        let maxAbs = x.reduce(0.0) { Swift.max($0, abs($1)) }
        let log1pMax = log1p(20 * maxAbs)
        let logEps = log(Double.ulpOfOne)
        let logTiny = (log(Double.leastNormalMagnitude) - logEps) / 2
        let logMax = (log(Double.greatestFiniteMagnitude) + logEps) / 2
        var lower = logTiny / log1pMax, upper = logMax / log1pMax
        if x.allSatisfy({ $0 < 0 }) {
            (lower, upper) = (2 - upper, 2 - lower)
        } else if x.contains(where: { $0 < 0 }) {
            (lower, upper) = (Swift.max(2 - upper, lower), Swift.min(2 - lower, upper))
        }
        return BoundedMinimizer.minimize(negativeLogLikelihood, lower: lower, upper: upper, xatol: 1.48e-08)
    }

    /// Fitted state: each column's λ and, with standardisation, the mean and scale of the
    /// transformed column.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "PowerTransformer"
        public var columns: [String]
        public var lambdas: [Double]
        public var means: [Double]?
        public var scales: [Double]?
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            try ColumnValues.checkState(Self.kind, columns: columns.count, lambdas.count, means?.count ?? columns.count, scales?.count ?? columns.count)
            return try ColumnValues.mapping(frame, columns, stage: Self.kind) { j, v in
                let lambda = lambdas[j]
                for i in v.indices where !v[i].isNaN { v[i] = PowerTransformer.yeoJohnson(v[i], lambda) }
                if let means, let scales, j < means.count, j < scales.count {
                    let m = means[j], s = scales[j]
                    for i in v.indices { v[i] = (v[i] - m) / s }
                }
            }
        }
    }
}

extension PowerTransformer.Fitted {
    /// One finite λ per numeric input column; means and scales both present (one finite
    /// mean, one finite nonzero scale per column) or both absent.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.count(lambdas.count, "lambdas", equals: columns.count)
        try check.finite(lambdas, "lambdas")
        try check.require((means == nil) == (scales == nil), "means", "means and scales come together")
        if let means, let scales {
            try check.count(means.count, "means", equals: columns.count)
            try check.count(scales.count, "scales", equals: columns.count)
            try check.finite(means, "means")
            try check.divisors(scales, "scales")
        }
        try check.outputs(columns, in: outputSchema)
    }
}
