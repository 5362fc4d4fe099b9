import Foundation
import SluiceCompute

/// Special functions the selectors need, in double precision.
enum SpecialFunctions {
    /// The survival function of the F distribution, `P(F(d1, d2) > f)` (scipy's `fdtrc`):
    /// the regularised incomplete beta `I_x(d2/2, d1/2)` at `x = d2 / (d2 + d1·f)`.
    static func fSurvival(_ f: Double, _ d1: Double, _ d2: Double) -> Double {
        guard !f.isNaN, d1 > 0, d2 > 0 else { return .nan }
        if f <= 0 { return 1 }
        if f == .infinity { return 0 }
        return incompleteBeta(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))
    }

    /// The regularised incomplete beta function `I_x(a, b)` (Lentz's continued fraction).
    static func incompleteBeta(_ a: Double, _ b: Double, _ x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        if x < (a + 1) / (a + b + 2) { return front * betaFraction(a, b, x) / a }
        return 1 - front * betaFraction(b, a, 1 - x) / b
    }

    private static func betaFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }

    /// The digamma function ψ(x) for x > 0 (recurrence up to 6, then the asymptotic series).
    static func digamma(_ x: Double) -> Double {
        var x = x, result = 0.0
        while x < 6 {
            result -= 1 / x
            x += 1
        }
        let f = 1 / (x * x)
        let series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))))
        return result + log(x) - 0.5 / x - series
    }
}

/// scikit-learn's `mutual_info_classif` for continuous features.
enum MutualInformation {
    /// Mutual information between each column and the classes, in nats.
    static func classif(_ columns: [[Double]], _ y: ClassLabels, neighbors: Int, rng: inout SeededGenerator) -> [Double] {
        let n = y.count, p = columns.count
        guard n > 0 else { return [Double](repeating: 0, count: p) }
        // Scale each column to unit (population) deviation, then jitter (scikit-learn's order).
        var scaled = columns.map { v -> [Double] in
            let mean = v.reduce(0, +) / Double(n)
            let sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
            let s = sd == 0 ? 1 : sd
            return v.map { $0 / s }
        }
        let magnitudes = scaled.map { max(1, $0.reduce(0) { $0 + abs($1) } / Double(n)) }
        for i in 0..<n {
            for j in 0..<p { scaled[j][i] += 1e-10 * magnitudes[j] * rng.normal() }
        }
        return scaled.map { continuousDiscrete($0, y, neighbors: neighbors) }
    }

    /// Kraskov–Ross estimate for a continuous `x` and discrete `y` (scikit-learn's `_compute_mi_cd`).
    static func continuousDiscrete(_ x: [Double], _ y: ClassLabels, neighbors: Int) -> Double {
        let n = x.count, counts = y.classCounts
        var radius = [Double](repeating: 0, count: n), kAll = [Int](repeating: 0, count: n)
        var rowsOfClass = [[Int]](repeating: [], count: y.classes.count)
        for i in 0..<n { rowsOfClass[y.codes[i]].append(i) }
        for rows in rowsOfClass where rows.count > 1 {
            let k = min(neighbors, rows.count - 1)
            let sorted = rows.sorted { x[$0] < x[$1] }
            for (pos, i) in sorted.enumerated() {
                var l = pos - 1, r = pos + 1, d = 0.0
                for _ in 0..<k {
                    let dl = l >= 0 ? x[i] - x[sorted[l]] : .infinity
                    let dr = r < sorted.count ? x[sorted[r]] - x[i] : .infinity
                    if dl <= dr { d = dl; l -= 1 } else { d = dr; r += 1 }
                }
                radius[i] = d > 0 ? d.nextDown : 0
                kAll[i] = k
            }
        }
        let kept = (0..<n).filter { counts[y.codes[$0]] > 1 }
        guard !kept.isEmpty else { return 0 }
        let values = kept.map { x[$0] }.sorted()
        var sumK = 0.0, sumLabels = 0.0, sumM = 0.0
        for i in kept {
            let v = x[i], rad = radius[i]
            let lo = partition(values) { v - $0 <= rad }
            let hi = partition(values) { $0 - v > rad }
            sumM += SpecialFunctions.digamma(Double(hi - lo))
            sumK += SpecialFunctions.digamma(Double(kAll[i]))
            sumLabels += SpecialFunctions.digamma(Double(counts[y.codes[i]]))
        }
        let m = Double(kept.count)
        let mi = SpecialFunctions.digamma(m) + sumK / m - sumLabels / m - sumM / m
        return max(0, mi)
    }

    /// The first index of sorted `values` where `test` (false, then true) holds.
    private static func partition(_ values: [Double], _ test: (Double) -> Bool) -> Int {
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if test(values[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
