import Foundation

/// Exact k-nearest-neighbour search within one set of points, for SMOTE and SMOTE-NC: a
/// ``KDTree`` in few dimensions, else the blocked brute force described here.
///
/// The squared distance of points `a` and `b` is `‖a − b‖²` over the numeric features plus
/// `penalty²` for each categorical feature on which they differ (imbalanced-learn's SMOTE-NC
/// distance, computed from the category codes without one-hot encoding anything).
///
/// The points are cut into tiles of ``tile`` rows. For each pair of tiles `I ≤ J`, one `gemm`
/// gives every `a·b`; the numeric part of the distance is then `‖b‖² − 2·a·b` for `a`'s list
/// and `‖a‖² − 2·a·b` for `b`'s (each point's own norm is a constant that does not change
/// its order), so every distance is computed once and serves both points. Each point keeps
/// its `k` best candidates in a small sorted list; eight candidates at a time are dropped
/// when their numeric part alone cannot beat either list's k-th, before any category is
/// compared. The cores take tile pairs from a shared queue, a few at a time (so a core slowed
/// by other work takes fewer), each into its own lists, merged at the end. Candidates are ordered by (distance, row index), so the result does not depend on
/// the thread count or the order of work.
public enum NearestNeighbors {
    /// Rows per tile of the blocked search.
    public static let tile = 256

    /// The most numeric columns for which ``search(_:k:categories:penalty:)`` uses a ``KDTree``
    /// (scikit-learn's `algorithm='auto'`: a tree up to 15 features, brute force beyond).
    public static let treeDimensionLimit = 15

    /// Points per leaf of the ``KDTree`` that ``search(_:k:categories:penalty:)`` builds. The
    /// answer is exact for any leaf size; 96 measured fastest for SMOTE's member queries (a
    /// leaf's distances go a vector at a time, so larger leaves than scikit-learn's 30 cost
    /// less than the extra box tests they save), and the tree builds in fewer levels.
    public static let treeLeafSize = 96

    /// For each of the `x.rows` points, the indices of its `k` nearest other points, nearest
    /// first (`rows × k`, row-major); ties go to the lower index. With 1 to
    /// ``treeDimensionLimit`` columns and `k < rows / 2` a ``KDTree`` answers (scikit-learn's
    /// `algorithm='auto'` rule), else ``bruteForceSearch(_:k:categories:penalty:)``.
    /// - Precondition: `0 < k < x.rows`; every categorical code array has `x.rows` entries.
    public static func search(_ x: Matrix<Double>, k: Int, categories: [[Int32]] = [], penalty: Double = 0) -> [Int] {
        precondition(k > 0 && k < x.rows, "k must be in 1..<rows")
        if x.columns >= 1 && x.columns <= treeDimensionLimit && k < x.rows / 2 {
            return KDTree(x, leafSize: treeLeafSize).neighborsOfMembers(k: k, categories: categories, penalty: penalty)
        }
        return bruteForceSearch(x, k: k, categories: categories, penalty: penalty)
    }

    /// ``search(_:k:categories:penalty:)`` by blocked brute force (see the type's description).
    public static func bruteForceSearch(_ x: Matrix<Double>, k: Int, categories: [[Int32]] = [],
                                        penalty: Double = 0) -> [Int] {
        let n = x.rows, d = x.columns
        precondition(k > 0 && k < n, "k must be in 1..<rows")
        // Centre the columns: distances are unchanged and ‖b‖² − 2a·b loses less to rounding.
        var centred = x
        let means = x.columnMeans()
        var norms = [Double](repeating: 0, count: n)
        centred.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                var s = 0.0
                for j in 0..<d {
                    let v = p[i * d + j] - means[j]
                    p[i * d + j] = v
                    s += v * v
                }
                norms[i] = s
            }
        }
        let tiles = (n + tile - 1) / tile
        var pairs: [(Int, Int)] = []
        for a in 0..<tiles { for b in a..<tiles { pairs.append((a, b)) } }
        let workers = max(1, min(Parallel.threadCount, pairs.count))
        // Per worker: distances and indices (n × k), and each row's current k-th distance.
        let bestD = UnsafeMutablePointer<Double>.allocate(capacity: workers * n * k)
        let bestI = UnsafeMutablePointer<Int>.allocate(capacity: workers * n * k)
        let worst = UnsafeMutablePointer<Double>.allocate(capacity: workers * n)
        defer { bestD.deallocate(); bestI.deallocate(); worst.deallocate() }
        bestD.initialize(repeating: .infinity, count: workers * n * k)
        bestI.initialize(repeating: .max, count: workers * n * k)
        worst.initialize(repeating: .infinity, count: workers * n)
        let scan = Scan(k: k, categories: categories, penalty2: penalty * penalty)

        centred.withUnsafeBufferPointer { xp in
            norms.withUnsafeBufferPointer { np in
                guard let xBase = xp.baseAddress, let nBase = np.baseAddress else { return }
                let queue = WorkQueue(count: pairs.count, step: 4)
                Parallel.forEachChunk(of: workers, minimumChunk: 1) { range in
                    let c = UnsafeMutablePointer<Double>.allocate(capacity: tile * tile)
                    defer { c.deallocate() }
                    for w in range {
                        let lists = Lists(d: bestD + w * n * k, i: bestI + w * n * k, worst: worst + w * n)
                        while let taken = queue.take() {
                            for p in taken {
                                let (a, b) = pairs[p]
                                let a0 = a * tile, a1 = min(n, a0 + tile), b0 = b * tile, b1 = min(n, b0 + tile)
                                if d > 0 {
                                    Double.gemm(false, true, a1 - a0, b1 - b0, d, -2, xBase + a0 * d, d, xBase + b0 * d, d,
                                                0, c, tile)
                                } else {
                                    for i in 0..<(a1 - a0) { (c + i * tile).initialize(repeating: 0, count: b1 - b0) }
                                }
                                scan.tilePair(c, rows: a0..<a1, columns: b0..<b1, norms: nBase, lists: lists)
                            }
                        }
                    }
                }
            }
        }

        // Merge the workers' lists of each row: the k smallest by (distance, index).
        var result = [Int](repeating: 0, count: n * k)
        var candidates: [(Double, Int)] = []
        candidates.reserveCapacity(workers * k)
        for i in 0..<n {
            candidates.removeAll(keepingCapacity: true)
            for w in 0..<workers {
                let base = w * n * k + i * k
                for s in 0..<k where bestI[base + s] != .max { candidates.append((bestD[base + s], bestI[base + s])) }
            }
            candidates.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            for s in 0..<k { result[i * k + s] = candidates[s].1 }
        }
        return result
    }

    /// Hands out `0..<count` in steps, to whichever worker asks first.
    final class WorkQueue: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private let count: Int, step: Int

        init(count: Int, step: Int) {
            self.count = count
            self.step = step
        }

        func take() -> Range<Int>? {
            lock.lock()
            defer { lock.unlock() }
            guard next < count else { return nil }
            let r = next..<min(count, next + step)
            next = r.upperBound
            return r
        }
    }

    /// One worker's candidate lists.
    struct Lists {
        var d: UnsafeMutablePointer<Double>
        var i: UnsafeMutablePointer<Int>
        var worst: UnsafeMutablePointer<Double>
    }

    /// The scan of one tile of `−2·a·b` values.
    struct Scan {
        var k: Int
        var categories: [[Int32]]
        var penalty2: Double

        /// Offers every pair of the tile to both points' lists (only to the row's list on the
        /// diagonal, where each pair appears twice).
        @inline(__always)
        func tilePair(_ c: UnsafeMutablePointer<Double>, rows: Range<Int>, columns: Range<Int>,
                      norms: UnsafePointer<Double>, lists: Lists) {
            let diagonal = rows.lowerBound == columns.lowerBound
            let b0 = columns.lowerBound, width = columns.count
            let nb = norms + b0, wb = lists.worst + b0
            for a in rows {
                let row = c + (a - rows.lowerBound) * NearestNeighbors.tile
                let na = norms[a]
                var t = 0
                while t < width {
                    let end = min(width, t &+ 8)
                    if end &- t == 8 && minimumOfSums(row + t, nb + t) > lists.worst[a]
                        && (diagonal || minimumOfDifferences(row + t, na, wb + t) > 0) {
                        t = end
                        continue
                    }
                    while t < end {
                        let b = b0 &+ t
                        let dot = row[t]
                        t &+= 1
                        if b == a { continue }
                        let forA = nb[t &- 1] + dot, forB = na + dot
                        let offerA = forA <= lists.worst[a], offerB = !diagonal && forB <= lists.worst[b]
                        if !offerA && !offerB { continue }
                        var extra = 0.0
                        if !categories.isEmpty {
                            var differ = 0
                            for cat in categories where cat[a] != cat[b] { differ &+= 1 }
                            extra = penalty2 * Double(differ)
                        }
                        if offerA { offer(forA + extra, index: b, to: a, lists) }
                        if offerB { offer(forB + extra, index: a, to: b, lists) }
                    }
                }
            }
        }

        /// Inserts candidate `index` at distance `v` into row `row`'s list if it beats the k-th.
        @inline(__always)
        func offer(_ v: Double, index: Int, to row: Int, _ lists: Lists) {
            let d = lists.d + row * k, ix = lists.i + row * k
            guard v < d[k - 1] || (v == d[k - 1] && index < ix[k - 1]) else { return }
            var p = k - 1
            while p > 0 && (d[p - 1] > v || (d[p - 1] == v && ix[p - 1] > index)) {
                d[p] = d[p - 1]
                ix[p] = ix[p - 1]
                p -= 1
            }
            d[p] = v
            ix[p] = index
            lists.worst[row] = d[k - 1]
        }
    }

    /// `min(a[i] + b[i])` over eight values, branch-free so that it compiles to vector code.
    @inline(__always)
    static func minimumOfSums(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>) -> Double {
        let v0 = a[0] + b[0], v1 = a[1] + b[1], v2 = a[2] + b[2], v3 = a[3] + b[3]
        let v4 = a[4] + b[4], v5 = a[5] + b[5], v6 = a[6] + b[6], v7 = a[7] + b[7]
        return smallest(v0, v1, v2, v3, v4, v5, v6, v7)
    }

    /// `min(a[i] + s − w[i])` over eight values, branch-free.
    @inline(__always)
    static func minimumOfDifferences(_ a: UnsafePointer<Double>, _ s: Double, _ w: UnsafePointer<Double>) -> Double {
        let v0 = a[0] + s - w[0], v1 = a[1] + s - w[1], v2 = a[2] + s - w[2], v3 = a[3] + s - w[3]
        let v4 = a[4] + s - w[4], v5 = a[5] + s - w[5], v6 = a[6] + s - w[6], v7 = a[7] + s - w[7]
        return smallest(v0, v1, v2, v3, v4, v5, v6, v7)
    }

    @inline(__always)
    static func smallest(_ v0: Double, _ v1: Double, _ v2: Double, _ v3: Double,
                         _ v4: Double, _ v5: Double, _ v6: Double, _ v7: Double) -> Double {
        let w0 = v0 < v4 ? v0 : v4, w1 = v1 < v5 ? v1 : v5, w2 = v2 < v6 ? v2 : v6, w3 = v3 < v7 ? v3 : v7
        let x0 = w0 < w2 ? w0 : w2, x1 = w1 < w3 ? w1 : w3
        return x0 < x1 ? x0 : x1
    }
}
