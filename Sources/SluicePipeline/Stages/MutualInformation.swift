import Foundation
import SluiceCompute

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
