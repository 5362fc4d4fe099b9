import SluiceCompute

extension Metrics {
    private static func weightedMean(_ values: [Double], _ weights: [Double]?) -> Double {
        guard let w = weights else { return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
        let total = w.reduce(0, +)
        return zip(values, w).reduce(0) { $0 + $1.0 * $1.1 } / total
    }

    /// Mean squared error.
    public static func meanSquaredError(_ yTrue: [Double], _ yPred: [Double], sampleWeights: [Double]? = nil) -> Double {
        precondition(yTrue.count == yPred.count, "\(yTrue.count) targets, \(yPred.count) predictions")
        return weightedMean(zip(yTrue, yPred).map { ($0 - $1) * ($0 - $1) }, sampleWeights)
    }

    /// Root mean squared error.
    public static func rootMeanSquaredError(_ yTrue: [Double], _ yPred: [Double], sampleWeights: [Double]? = nil) -> Double {
        meanSquaredError(yTrue, yPred, sampleWeights: sampleWeights).squareRoot()
    }

    /// Mean absolute error.
    public static func meanAbsoluteError(_ yTrue: [Double], _ yPred: [Double], sampleWeights: [Double]? = nil) -> Double {
        precondition(yTrue.count == yPred.count, "\(yTrue.count) targets, \(yPred.count) predictions")
        return weightedMean(zip(yTrue, yPred).map { abs($0 - $1) }, sampleWeights)
    }

    /// The coefficient of determination, `1 - SSres / SStot`. For a constant target it is 1
    /// when predictions are perfect and 0 otherwise, as scikit-learn's `force_finite`.
    public static func r2(_ yTrue: [Double], _ yPred: [Double], sampleWeights: [Double]? = nil) -> Double {
        precondition(yTrue.count == yPred.count, "\(yTrue.count) targets, \(yPred.count) predictions")
        let w = sampleWeights ?? [Double](repeating: 1, count: yTrue.count)
        let mean = weightedMean(yTrue, w)
        var ssRes = 0.0, ssTot = 0.0
        for i in yTrue.indices {
            ssRes += w[i] * (yTrue[i] - yPred[i]) * (yTrue[i] - yPred[i])
            ssTot += w[i] * (yTrue[i] - mean) * (yTrue[i] - mean)
        }
        if ssTot == 0 { return ssRes == 0 ? 1 : 0 }
        return 1 - ssRes / ssTot
    }

    /// The mean silhouette coefficient of a clustering under Euclidean distance:
    /// `(b - a) / max(a, b)` per row, `a` the mean distance to its own cluster and `b` to
    /// the nearest other cluster; 0 for a row alone in its cluster.
    ///
    /// Distances come from one `gemm` (`‖x‖² + ‖y‖² - 2x·y`, as scikit-learn computes
    /// them), in row blocks, so memory stays `O(block · n)`.
    /// - Precondition: 2 ≤ number of clusters ≤ n - 1.
    public static func silhouette(_ x: Matrix<Double>, labels: [Int]) -> Double {
        let n = x.rows
        precondition(labels.count == n, "silhouette: \(n) rows, \(labels.count) labels")
        let k = (labels.max() ?? -1) + 1
        var sizes = [Double](repeating: 0, count: k)
        for l in labels { sizes[l] += 1 }
        let norms = (0..<n).map { i in x.row(i).reduce(0) { $0 + $1 * $1 } }
        var total = 0.0
        let block = 512
        for start in stride(from: 0, to: n, by: block) {
            let rows = min(block, n - start)
            var d = Matrix<Double>(rows: rows, columns: n)
            d.gemm(x.rows(start..<(start + rows)), x.transposed, alpha: -2)
            d.withUnsafeMutableBufferPointer { d in
                for i in 0..<rows {
                    var sums = [Double](repeating: 0, count: k)
                    for j in 0..<n {
                        var dist = (d[i * n + j] + norms[start + i] + norms[j]).squareRoot()
                        if start + i == j || !(dist > 0) { dist = 0 }
                        sums[labels[j]] += dist
                    }
                    let own = labels[start + i]
                    guard sizes[own] > 1 else { continue }
                    let a = sums[own] / (sizes[own] - 1)
                    var b = Double.infinity
                    for c in 0..<k where c != own && sizes[c] > 0 { b = min(b, sums[c] / sizes[c]) }
                    total += (b - a) / max(a, b)
                }
            }
        }
        return total / Double(n)
    }
}
