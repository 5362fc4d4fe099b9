import SluiceFrame

/// Drops training rows with an outlying value in any of the chosen numeric columns. A
/// sampler: it runs on the fit path only, so scoring never drops a row (clip at scoring
/// time with a transform instead).
///
/// - ``Rule/iqr(factor:)``: outside `[Q1 − factor·IQR, Q3 + factor·IQR]`, with the quartiles
///   interpolated linearly between order statistics (numpy's and pandas' default).
/// - ``Rule/zScore(threshold:)``: `|x − mean| / std > threshold`, with the population
///   standard deviation (ddof 0, as `scipy.stats.zscore`); a constant column drops nothing.
///
/// Statistics are computed over the column's present values; a null or `NaN` is never an
/// outlier (the row is kept for an imputer to fill).
public struct OutlierRemover: Sampler {
    public enum Rule: Sendable, Equatable {
        case iqr(factor: Double = 1.5)
        case zScore(threshold: Double = 3)
    }

    public var columns: ColumnSelector
    public var rule: Rule
    public var name: String { "OutlierRemover" }

    public init(columns: ColumnSelector = .numeric, rule: Rule = .iqr()) {
        self.columns = columns
        self.rule = rule
    }

    /// The bounds `[low, high]` of kept values of each chosen column, from `frame`.
    public func fences(_ frame: Frame) throws -> [(column: String, low: Double, high: Double)] {
        switch rule {
        case .iqr(let f) where !(f >= 0 && f.isFinite), .zScore(let f) where !(f > 0 && f.isFinite):
            throw PipelineError.invalidConfiguration(stage: name, reason: "\(rule) needs a positive, finite parameter")
        default: break
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        return try names.map { n in
            let v = ColumnValues.doubles(try framing(name) { () throws(FrameError) in try frame.column(n) }).filter { !$0.isNaN }
            guard !v.isEmpty else { return (n, -.infinity, .infinity) }
            switch rule {
            case .iqr(let factor):
                let s = v.sorted()
                let q1 = Self.quantile(s, 0.25), q3 = Self.quantile(s, 0.75), spread = factor * (q3 - q1)
                return (n, q1 - spread, q3 + spread)
            case .zScore(let t):
                let mean = v.reduce(0, +) / Double(v.count)
                let sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
                guard sd > 0 else { return (n, -.infinity, .infinity) }
                return (n, mean - t * sd, mean + t * sd)
            }
        }
    }

    public func resample(_ frame: Frame, target: Column, context: inout FitContext) throws -> (Frame, Column) {
        guard target.count == frame.rowCount else {
            throw PipelineError.invalidValue(stage: name, column: "target", reason: "\(target.count) labels for \(frame.rowCount) rows")
        }
        var keep = [Bool](repeating: true, count: frame.rowCount)
        for (n, low, high) in try fences(frame) {
            let v = ColumnValues.doubles(try framing(name) { () throws(FrameError) in try frame.column(n) })
            for i in v.indices where v[i] < low || v[i] > high { keep[i] = false }
        }
        let rows = keep.indices.filter { keep[$0] }
        if rows.count == frame.rowCount { return (frame, target) }
        return try Resampling.take(frame, target, rows, stage: name)
    }

    /// The `p` quantile of sorted `s`, linear between order statistics (numpy's default).
    static func quantile(_ s: [Double], _ p: Double) -> Double {
        let h = Double(s.count - 1) * p
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }
}
