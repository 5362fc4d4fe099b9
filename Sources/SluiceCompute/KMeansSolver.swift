import CSluiceKernels
import Foundation

/// k-means clustering on the rows of a matrix, as scikit-learn's `KMeans`: greedy
/// k-means++ seeding and Lloyd iterations, with sample weights.
///
/// Every row-wise pass runs over fixed blocks of ``block`` rows in parallel, each block's
/// partial sums added in block order, so a run's result does not depend on the thread count.
/// Up to ``directLimit`` centres a row's nearest centre is found by exact `Σ (x − c)²`
/// (`sluice_sqdist_f64`: four rows against eight centres per AVX-512 vector, one FMA chain
/// over the features per distance, the same bits on every CPU); with more, from one `gemm`
/// per block (`‖c‖² − 2·x·c` orders the centres of a row). The inertia and the seeding use
/// the same exact `Σ (x − c)²`.
public enum KMeansSolver {
    /// Rows per block of the parallel passes.
    public static let block = 4096
    /// Up to this many centres, rows are assigned by exact distances in a direct loop; beyond,
    /// by one `gemm` per block (`‖c‖² − 2·x·c`).
    public static let directLimit = 32

    /// A clustering: centres, each row's cluster, the inertia and the iterations it took.
    public struct Result: Sendable {
        /// `k × p` cluster centres.
        public var centers: Matrix<Double>
        /// The cluster of each row (nearest centre, the first on ties).
        public var labels: [Int]
        /// `Σ wᵢ ‖xᵢ − c(xᵢ)‖²`.
        public var inertia: Double
        /// Lloyd iterations run.
        public var iterations: Int
    }

    /// Greedy k-means++ (Arthur & Vassilvitskii; scikit-learn's variant): the first centre is
    /// a row drawn with probability proportional to its weight; each next centre is the best
    /// of `2 + ⌊ln k⌋` candidate rows, each drawn with probability proportional to `w · D²`
    /// (its weighted squared distance to the nearest centre so far: a uniform `u` in `[0, 1)`
    /// times the total, located by binary search in the running sums), keeping the candidate
    /// that lowers the total `Σ w · D²` most. Draws: one `nextDouble()` for the first centre,
    /// then `2 + ⌊ln k⌋` per further centre. - Precondition: `1 ≤ k ≤ rows`, weights not all 0.
    public static func plusPlus(_ x: Matrix<Double>, weights: [Double], k: Int, rng: inout SeededGenerator) -> Matrix<Double> {
        let n = x.rows, p = x.columns
        precondition(k >= 1 && k <= n && weights.count == n, "KMeans.plusPlus: 1 ≤ k ≤ rows")
        let trials = 2 + Int(log(Double(k)))
        var centers = Matrix<Double>(rows: k, columns: p)
        func pick(_ cumulative: [Double], _ value: Double) -> Int {
            var lo = 0, hi = n - 1  // first index with cumulative ≥ value (numpy searchsorted, left)
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] < value { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        func prefix(_ v: [Double]) -> [Double] {
            var out = v, s = 0.0
            for i in 0..<n { s += v[i]; out[i] = s }
            return out
        }
        let first = pick(prefix(weights), rng.nextDouble() * weights.reduce(0, +))
        var closest = squaredDistances(x, toRow: first)
        setRow(&centers, 0, from: x, row: first)
        var potential = weightedSum(closest, weights)
        var candidates = [Double](repeating: 0, count: trials * n)
        for c in 1..<k {
            let cumulative = prefix(zip(weights, closest).map { $0 * $1 })
            let rows = (0..<trials).map { _ in min(n - 1, pick(cumulative, rng.nextDouble() * potential)) }
            // One pass over the rows for every candidate: its distances, capped by the current ones.
            let transposed = transposedRows(x, rows)
            let potentials = x.withUnsafeBufferPointer { xp in
                closest.withUnsafeBufferPointer { cl in
                    candidates.withUnsafeMutableBufferPointer { cp in
                        let out = UncheckedSendable(cp.baseAddress!)
                        return blockSums(rows: n, width: trials) { range, acc in
                            let m = range.count
                            let d = UnsafeMutablePointer<Double>.allocate(capacity: m * trials)
                            defer { d.deallocate() }
                            sluice_sqdist_f64(xp.baseAddress! + range.lowerBound * p, p, m, p, transposed, trials, d)
                            for r in 0..<m {
                                let i = range.lowerBound + r
                                for t in 0..<trials {
                                    let v = min(d[r * trials + t], cl[i])
                                    out.value[t * n + i] = v
                                    acc[t] += weights[i] * v
                                }
                            }
                        }
                    }
                }
            }
            var best = 0
            for t in 1..<trials where potentials[t] < potentials[best] { best = t }
            setRow(&centers, c, from: x, row: rows[best])
            closest = Array(candidates[(best * n)..<((best + 1) * n)])
            potential = potentials[best]
        }
        return centers
    }

    /// Lloyd's algorithm from `initial` centres: assign every row to its nearest centre, move
    /// each centre to the weighted mean of its rows, until the labels stop changing or the
    /// centres move less than `tolerance` in total squared shift (scikit-learn's rule), or
    /// `maxIterations`. A centre left without rows is moved to the row farthest from its own
    /// centre (the farthest first, as scikit-learn). The labels and inertia returned are those
    /// of the final centres.
    public static func lloyd(_ x: Matrix<Double>, weights: [Double], initial: Matrix<Double>,
                             maxIterations: Int, tolerance: Double) -> Result {
        let n = x.rows, p = x.columns, k = initial.rows
        var centers = initial
        var labels = [Int](repeating: -1, count: n)
        var iterations = 0
        var converged = false
        while iterations < maxIterations {
            iterations += 1
            let (newLabels, sums, mass) = assignAndSum(x, weights: weights, centers: centers)
            var next = Matrix<Double>(rows: k, columns: p)
            next.withUnsafeMutableBufferPointer { c in
                centers.withUnsafeBufferPointer { old in
                    for j in 0..<k {
                        for t in 0..<p { c[j * p + t] = mass[j] > 0 ? sums[j * p + t] / mass[j] : old[j * p + t] }
                    }
                }
            }
            if mass.contains(where: { !($0 > 0) }) { relocateEmpty(x, labels: newLabels, mass: mass, centers: &next) }
            let changed = newLabels != labels
            labels = newLabels
            var shift = 0.0
            next.withUnsafeBufferPointer { a in centers.withUnsafeBufferPointer { b in
                for i in 0..<(k * p) { shift += (a[i] - b[i]) * (a[i] - b[i]) }
            } }
            centers = next
            if !changed {  // strict convergence: these centres are the means of these labels
                converged = true
                break
            }
            if shift <= tolerance { break }
        }
        if !converged { labels = assign(x, centers: centers) }
        return Result(centers: centers, labels: labels, inertia: inertia(x, weights: weights, centers: centers, labels: labels),
                      iterations: iterations)
    }

    /// The nearest centre of each row (the first on ties), by one `gemm` per block.
    public static func assign(_ x: Matrix<Double>, centers: Matrix<Double>) -> [Int] {
        assignAndSum(x, weights: nil, centers: centers, sums: false).labels
    }

    /// `Σ wᵢ ‖xᵢ − c(labelᵢ)‖²`, exact differences, summed in blocks.
    public static func inertia(_ x: Matrix<Double>, weights: [Double]?, centers: Matrix<Double>, labels: [Int]) -> Double {
        let p = x.columns
        return x.withUnsafeBufferPointer { xp in
            centers.withUnsafeBufferPointer { cp in
                labels.withUnsafeBufferPointer { lp in
                    withOptionalPointer(weights) { wp in
                        blockSums(rows: x.rows, width: 1) { rows, acc in
                            acc[0] += sluice_labelled_sqdist_sum_f64(xp.baseAddress! + rows.lowerBound * p, rows.count, p,
                                                                     cp.baseAddress!, lp.baseAddress! + rows.lowerBound,
                                                                     wp.map { $0 + rows.lowerBound })
                        }[0]
                    }
                }
            }
        }
    }

    /// The Euclidean distance of every row to every centre, `n × k` (scikit-learn's `transform`).
    public static func distances(_ x: Matrix<Double>, centers: Matrix<Double>) -> Matrix<Double> {
        let n = x.rows, p = x.columns, k = centers.rows
        var out = Matrix<Double>(rows: n, columns: k)
        let transposed = transposedRows(centers, Array(0..<k))
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                let o = UncheckedSendable(op.baseAddress!)
                Parallel.forEachChunk(of: n, minimumChunk: 4096) { rows in
                    let d = o.value + rows.lowerBound * k
                    sluice_sqdist_f64(xp.baseAddress! + rows.lowerBound * p, p, rows.count, p, transposed, k, d)
                    for i in 0..<(rows.count * k) { d[i] = d[i].squareRoot() }
                }
            }
        }
        return out
    }

    // MARK: - Passes

    /// Labels, and per cluster the weighted sums of its rows and its weight.
    static func assignAndSum(_ x: Matrix<Double>, weights: [Double]?, centers: Matrix<Double>,
                             sums wantSums: Bool = true) -> (labels: [Int], sums: [Double], mass: [Double]) {
        let n = x.rows, p = x.columns, k = centers.rows
        var labels = [Int](repeating: 0, count: n)
        var norms = [Double](repeating: 0, count: k)
        centers.withUnsafeBufferPointer { c in
            for j in 0..<k { for t in 0..<p { norms[j] += c[j * p + t] * c[j * p + t] } }
        }
        let width = wantSums ? k * (p + 1) : 0
        let transposed = transposedRows(centers, Array(0..<k))
        let totals = x.withUnsafeBufferPointer { xp in
            centers.withUnsafeBufferPointer { cp in
                labels.withUnsafeMutableBufferPointer { lp in
                    let out = UncheckedSendable(lp.baseAddress!)
                    return withOptionalPointer(weights) { wp in blockSums(rows: n, width: width) { rows, acc in
                        let m = rows.count, a = xp.baseAddress! + rows.lowerBound * p
                        let dots = UnsafeMutablePointer<Double>.allocate(capacity: max(1, m * k))
                        defer { dots.deallocate() }
                        if k <= directLimit {
                            sluice_sqdist_f64(a, p, m, p, transposed, k, dots)
                        } else if p > 0 {
                            Double.gemm(false, true, m, k, p, -2, a, p, cp.baseAddress!, p, 0, dots, k)
                            for r in 0..<m { for j in 0..<k { dots[r * k + j] += norms[j] } }
                        } else {
                            dots.initialize(repeating: 0, count: m * k)
                        }
                        sluice_nearest_accumulate_f64(dots, m, k, a, p, wp.map { $0 + rows.lowerBound }, out.value + rows.lowerBound,
                                                      wantSums ? acc : nil, wantSums ? acc + k * p : nil)
                    } }
                }
            }
        }
        return (labels, Array(totals.prefix(k * p)), Array(totals.dropFirst(k * p)))
    }

    /// The given rows of `m` transposed, `p × rows.count` (feature `t` of every row is a row):
    /// the centres' layout of `sluice_sqdist_f64`.
    static func transposedRows(_ m: Matrix<Double>, _ rows: [Int]) -> [Double] {
        let p = m.columns, k = rows.count
        var out = [Double](repeating: 0, count: max(1, k * p))
        m.withUnsafeBufferPointer { mp in
            for (j, r) in rows.enumerated() { for t in 0..<p { out[t * k + j] = mp[r * p + t] } }
        }
        return out
    }

    /// Moves each empty cluster's centre to a row far from its own centre: the rows farthest
    /// from their centres, farthest first (ties to the lower row), one per empty cluster.
    static func relocateEmpty(_ x: Matrix<Double>, labels: [Int], mass: [Double], centers: inout Matrix<Double>) {
        let empty = mass.indices.filter { !(mass[$0] > 0) }
        let p = x.columns
        var far = [Double](repeating: 0, count: x.rows)
        x.withUnsafeBufferPointer { xp in
            centers.withUnsafeBufferPointer { cp in
                for i in 0..<x.rows {
                    var s = 0.0
                    for t in 0..<p { s += (xp[i * p + t] - cp[labels[i] * p + t]) * (xp[i * p + t] - cp[labels[i] * p + t]) }
                    far[i] = s
                }
            }
        }
        let order = far.indices.sorted { far[$0] > far[$1] || (far[$0] == far[$1] && $0 < $1) }
        for (j, row) in zip(empty, order) { setRow(&centers, j, from: x, row: row) }
    }

    static func squaredDistances(_ x: Matrix<Double>, toRow r: Int) -> [Double] {
        let n = x.rows, p = x.columns
        var out = [Double](repeating: 0, count: n)
        let c = transposedRows(x, [r])
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                let o = UncheckedSendable(op.baseAddress!)
                Parallel.forEachChunk(of: n, minimumChunk: 8192) { rows in
                    sluice_sqdist_f64(xp.baseAddress! + rows.lowerBound * p, p, rows.count, p, c, 1, o.value + rows.lowerBound)
                }
            }
        }
        return out
    }

    static func weightedSum(_ v: [Double], _ w: [Double]) -> Double {
        v.withUnsafeBufferPointer { vp in
            blockSums(rows: v.count, width: 1) { rows, acc in for i in rows { acc[0] += w[i] * vp[i] } }[0]
        }
    }

    static func setRow(_ m: inout Matrix<Double>, _ i: Int, from x: Matrix<Double>, row r: Int) {
        let p = x.columns
        x.withUnsafeBufferPointer { xp in
            m.withUnsafeMutableBufferPointer { mp in for t in 0..<p { mp[i * p + t] = xp[r * p + t] } }
        }
    }

    /// `body(rows, partial)` adds into its block's `width` partial sums; the partials of all
    /// blocks, added in block order (independent of the thread count).
    static func blockSums(rows n: Int, width: Int, _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        let blocks = max(1, (n + block - 1) / block)
        var partial = [Double](repeating: 0, count: max(1, blocks * width))
        partial.withUnsafeMutableBufferPointer { pp in
            let out = UncheckedSendable(pp.baseAddress!)
            Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
                for b in range where b * block < n || n == 0 {
                    body((b * block)..<min(n, (b + 1) * block), out.value + b * width)
                }
            }
        }
        var total = [Double](repeating: 0, count: width)
        for b in 0..<blocks { for j in 0..<width { total[j] += partial[b * width + j] } }
        return total
    }
}
