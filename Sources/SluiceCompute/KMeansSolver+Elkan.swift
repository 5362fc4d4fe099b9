import Foundation

extension KMeansSolver {
    /// How Lloyd's iterations are computed.
    public enum Algorithm: String, Sendable, Codable, Equatable {
        /// Every row against every centre, one `gemm` per block.
        case lloyd
        /// Elkan's triangle-inequality bounds (Elkan, 2003): a row is compared only with the
        /// centres its bounds cannot rule out; `n × k` lower bounds are kept.
        case elkan
    }

    /// Lloyd's algorithm with Elkan's bounds: the same iterations, stopping rules and empty-
    /// cluster relocation as ``lloyd(_:weights:initial:maxIterations:tolerance:)``, with exact
    /// distances `√Σ (x − c)²`. An upper bound on each row's distance to its centre and a lower
    /// bound to every other centre skip most distance computations: a row whose upper bound is
    /// within half the distance from its centre to the nearest other centre keeps its label.
    public static func elkan(_ x: Matrix<Double>, weights: [Double], initial: Matrix<Double>,
                             maxIterations: Int, tolerance: Double) -> Result {
        let n = x.rows, p = x.columns, k = initial.rows
        var centers = initial
        var labels = [Int](repeating: 0, count: n)
        var upper = [Double](repeating: 0, count: n)
        var lower = [Double](repeating: 0, count: n * k)
        var iterations = 0
        var converged = false
        var first = true
        while iterations < maxIterations {
            iterations += 1
            // Half the distance between every pair of centres, and to each one's nearest other.
            var half = [Double](repeating: 0, count: k * k), nearest = [Double](repeating: .infinity, count: k)
            centers.withUnsafeBufferPointer { c in
                for a in 0..<k {
                    for b in 0..<k where b != a {
                        var s = 0.0
                        for t in 0..<p { s += (c[a * p + t] - c[b * p + t]) * (c[a * p + t] - c[b * p + t]) }
                        half[a * k + b] = 0.5 * s.squareRoot()
                        nearest[a] = min(nearest[a], half[a * k + b])
                    }
                }
            }
            let old = labels
            let isFirst = first
            let totals = x.withUnsafeBufferPointer { xp in
                centers.withUnsafeBufferPointer { cp in
                    labels.withUnsafeMutableBufferPointer { lp in
                        upper.withUnsafeMutableBufferPointer { up in
                            lower.withUnsafeMutableBufferPointer { lo in
                                let out = UncheckedSendable((lp.baseAddress!, up.baseAddress!, lo.baseAddress!))
                                return blockSums(rows: n, width: k * (p + 1)) { rows, acc in
                                    let (lab, ub, lb) = out.value
                                    @inline(__always) func distance(_ i: Int, _ j: Int) -> Double {
                                        let a = xp.baseAddress! + i * p, c = cp.baseAddress! + j * p
                                        var s = 0.0
                                        for t in 0..<p { s += (a[t] - c[t]) * (a[t] - c[t]) }
                                        return s.squareRoot()
                                    }
                                    for i in rows {
                                        if isFirst {
                                            var best = 0, bestD = distance(i, 0)
                                            lb[i * k] = bestD
                                            for j in 1..<max(1, k) where bestD > half[best * k + j] {
                                                let d = distance(i, j)
                                                lb[i * k + j] = d
                                                if d < bestD {
                                                    bestD = d
                                                    best = j
                                                }
                                            }
                                            lab[i] = best
                                            ub[i] = bestD
                                        } else if ub[i] > nearest[lab[i]] {
                                            var label = lab[i], tight = false
                                            for j in 0..<k where j != label && ub[i] > lb[i * k + j] && ub[i] > half[label * k + j] {
                                                if !tight {
                                                    ub[i] = distance(i, label)
                                                    lb[i * k + label] = ub[i]
                                                    tight = true
                                                    guard ub[i] > lb[i * k + j] && ub[i] > half[label * k + j] else { continue }
                                                }
                                                let d = distance(i, j)
                                                lb[i * k + j] = d
                                                if d < ub[i] || (d == ub[i] && j < label) {
                                                    label = j
                                                    ub[i] = d
                                                }
                                            }
                                            lab[i] = label
                                        }
                                        let w = weights[i], c = lab[i]
                                        acc[k * p + c] += w
                                        let a = xp.baseAddress! + i * p, s = acc + c * p
                                        for t in 0..<p { s[t] += w * a[t] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            first = false
            let mass = Array(totals[(k * p)...])
            var next = Matrix<Double>(rows: k, columns: p)
            next.withUnsafeMutableBufferPointer { c in
                centers.withUnsafeBufferPointer { o in
                    for j in 0..<k {
                        for t in 0..<p { c[j * p + t] = mass[j] > 0 ? totals[j * p + t] / mass[j] : o[j * p + t] }
                    }
                }
            }
            if mass.contains(where: { !($0 > 0) }) { relocateEmpty(x, labels: labels, mass: mass, centers: &next) }
            var shift = [Double](repeating: 0, count: k), total = 0.0
            next.withUnsafeBufferPointer { a in centers.withUnsafeBufferPointer { b in
                for j in 0..<k {
                    var s = 0.0
                    for t in 0..<p { s += (a[j * p + t] - b[j * p + t]) * (a[j * p + t] - b[j * p + t]) }
                    shift[j] = s.squareRoot()
                    total += s
                }
            } }
            centers = next
            for i in 0..<n {
                upper[i] += shift[labels[i]]
                for j in 0..<k { lower[i * k + j] = max(0, lower[i * k + j] - shift[j]) }
            }
            if iterations > 1 && labels == old {
                converged = true
                break
            }
            if total <= tolerance { break }
        }
        if !converged { labels = assign(x, centers: centers) }
        return Result(centers: centers, labels: labels, inertia: inertia(x, weights: weights, centers: centers, labels: labels),
                      iterations: iterations)
    }
}
