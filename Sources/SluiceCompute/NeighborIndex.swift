/// Reference points that answer k-nearest-neighbour queries from other points: the search
/// behind the k-NN learners.
///
/// A ``KDTree`` answers when scikit-learn's `algorithm='auto'` would choose one: the metric is
/// Euclidean or Manhattan, there are 1 to ``NearestNeighbors/treeDimensionLimit`` features and
/// `k < rows / 2`. Otherwise the search is brute force in blocks: 128 queries against 2048
/// reference rows at a time, the Euclidean and cosine products `q·r` in one `gemm` per block
/// (`‖r‖² − 2·q·r` orders Euclidean candidates, `−q̂·r̂` of unit rows cosine ones), Manhattan
/// distances summed directly; query blocks run in parallel, each with one block buffer
/// (2 MB), so memory stays bounded whatever the query count. The `k` chosen Euclidean
/// distances are then recomputed exactly from the coordinates. Candidates are ordered by
/// `(distance, index)`: ties go to the lower reference row.
public struct NeighborIndex: Sendable {
    /// The distance between two rows.
    public enum Metric: String, Sendable, Codable, Equatable, CaseIterable {
        /// `‖a − b‖₂`.
        case euclidean
        /// `‖a − b‖₁`.
        case manhattan
        /// `1 − a·b / (‖a‖·‖b‖)` (a zero row is at distance 1 from everything).
        case cosine
    }

    /// How neighbours are searched.
    public enum Algorithm: String, Sendable, Codable, Equatable {
        /// A k-d tree in few dimensions, brute force otherwise (scikit-learn's rule).
        case auto
        /// Always a ``KDTree`` (Euclidean and Manhattan only).
        case kdTree
        /// Always brute force.
        case brute
    }

    /// The reference points, `n × d`.
    public let points: Matrix<Double>
    public let metric: Metric
    /// The tree, when the search uses one.
    public let tree: KDTree?

    /// Whether a search of `k` neighbours among `rows × dimension` points uses a tree.
    public static func usesTree(rows: Int, dimension: Int, k: Int, metric: Metric, algorithm: Algorithm) -> Bool {
        guard metric != .cosine, dimension > 0 else { return false }
        switch algorithm {
        case .brute: return false
        case .kdTree: return true
        case .auto: return dimension <= NearestNeighbors.treeDimensionLimit && k < rows / 2
        }
    }

    /// Indexes `points`; `k` is the neighbour count the `auto` rule decides for.
    public init(points: Matrix<Double>, metric: Metric, algorithm: Algorithm = .auto, k: Int, leafSize: Int = 30) {
        self.points = points
        self.metric = metric
        tree = Self.usesTree(rows: points.rows, dimension: points.columns, k: k, metric: metric, algorithm: algorithm)
            ? KDTree(points, leafSize: leafSize) : nil
    }

    /// The `k` nearest reference rows to each row of `queries`: indices and distances,
    /// `m × k` row-major, nearest first. - Precondition: `0 < k ≤ points.rows`, same columns.
    public func query(_ queries: Matrix<Double>, k: Int) -> (indices: [Int], distances: [Double]) {
        precondition(k > 0 && k <= points.rows && queries.columns == points.columns, "NeighborIndex.query: bad k or width")
        if let tree { return tree.query(queries, k: k, metric: metric == .manhattan ? .manhattan : .euclidean) }
        return bruteForce(queries, k: k)
    }

    static let queryBlock = 128
    static let referenceBlock = 2048

    func bruteForce(_ queries: Matrix<Double>, k: Int) -> (indices: [Int], distances: [Double]) {
        let m = queries.rows, n = points.rows, d = points.columns
        var indices = [Int](repeating: 0, count: m * k), distances = [Double](repeating: 0, count: m * k)
        if m == 0 { return (indices, distances) }
        let metric = self.metric
        var reference = points, asked = queries
        if metric == .cosine {
            Self.normaliseRows(&reference)
            Self.normaliseRows(&asked)
        }
        var norms = [Double](repeating: 0, count: n)
        if metric == .euclidean {
            reference.withUnsafeBufferPointer { r in
                for i in 0..<n {
                    var s = 0.0
                    for j in 0..<d { s += r[i * d + j] * r[i * d + j] }
                    norms[i] = s
                }
            }
        }
        let blocks = (m + Self.queryBlock - 1) / Self.queryBlock
        reference.withUnsafeBufferPointer { rp in
        asked.withUnsafeBufferPointer { qp in
        norms.withUnsafeBufferPointer { np in
        indices.withUnsafeMutableBufferPointer { ip in
        distances.withUnsafeMutableBufferPointer { dp in
            let out = UncheckedSendable((ip.baseAddress!, dp.baseAddress!))
            let r = rp.baseAddress!, q = qp.baseAddress!
            Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
                let tile = Self.referenceBlock
                let c = UnsafeMutablePointer<Double>.allocate(capacity: Self.queryBlock * tile)
                let bestD = UnsafeMutablePointer<Double>.allocate(capacity: Self.queryBlock * k)
                let bestI = UnsafeMutablePointer<Int>.allocate(capacity: Self.queryBlock * k)
                defer { c.deallocate(); bestD.deallocate(); bestI.deallocate() }
                for block in range {
                    let q0 = block * Self.queryBlock, q1 = min(m, q0 + Self.queryBlock), qn = q1 - q0
                    bestD.initialize(repeating: .infinity, count: qn * k)
                    bestI.initialize(repeating: .max, count: qn * k)
                    var r0 = 0
                    while r0 < n {
                        let r1 = min(n, r0 + tile), rn = r1 - r0
                        switch metric {
                        case .euclidean, .cosine:
                            if d > 0 {
                                Double.gemm(false, true, qn, rn, d, metric == .cosine ? -1 : -2, q + q0 * d, d, r + r0 * d, d,
                                            0, c, tile)
                            } else {
                                for i in 0..<qn { (c + i * tile).initialize(repeating: 0, count: rn) }
                            }
                            if metric == .euclidean {
                                for i in 0..<qn { for j in 0..<rn { c[i * tile + j] += np[r0 + j] } }
                            }
                        case .manhattan:
                            for i in 0..<qn {
                                let a = q + (q0 + i) * d
                                for j in 0..<rn {
                                    let b = r + (r0 + j) * d
                                    var s = 0.0
                                    for t in 0..<d { s += abs(a[t] - b[t]) }
                                    c[i * tile + j] = s
                                }
                            }
                        }
                        for i in 0..<qn {
                            let row = c + i * tile, bd = bestD + i * k, bi = bestI + i * k
                            for j in 0..<rn {
                                let v = row[j]
                                guard v <= bd[k - 1] else { continue }
                                Self.offer(v, r0 + j, bd, bi, k)
                            }
                        }
                        r0 = r1
                    }
                    for i in 0..<qn {
                        let bd = bestD + i * k, bi = bestI + i * k, a = (q0 + i)
                        var pairs: [(Double, Int)] = []
                        pairs.reserveCapacity(k)
                        for s in 0..<k {
                            let j = bi[s]
                            switch metric {
                            case .euclidean:  // exact, from the unnormalised coordinates
                                pairs.append((Self.euclidean(queries, a, points, j), j))
                            case .cosine: pairs.append((min(2, max(0, 1 + bd[s])), j))
                            case .manhattan: pairs.append((bd[s], j))
                            }
                        }
                        pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                        for s in 0..<k {
                            out.value.0[a * k + s] = pairs[s].1
                            out.value.1[a * k + s] = pairs[s].0
                        }
                    }
                }
            }
        }}}}}
        return (indices, distances)
    }

    /// Inserts `(v, index)` into a sorted list of `k` if it beats the k-th by (distance, index).
    @inline(__always)
    static func offer(_ v: Double, _ index: Int, _ d: UnsafeMutablePointer<Double>, _ ix: UnsafeMutablePointer<Int>, _ k: Int) {
        guard v < d[k - 1] || (v == d[k - 1] && index < ix[k - 1]) else { return }
        var p = k - 1
        while p > 0 && (d[p - 1] > v || (d[p - 1] == v && ix[p - 1] > index)) {
            d[p] = d[p - 1]
            ix[p] = ix[p - 1]
            p -= 1
        }
        d[p] = v
        ix[p] = index
    }

    static func euclidean(_ a: Matrix<Double>, _ i: Int, _ b: Matrix<Double>, _ j: Int) -> Double {
        let d = a.columns
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var s = 0.0
                for t in 0..<d {
                    let u = pa[i * d + t] - pb[j * d + t]
                    s += u * u
                }
                return s.squareRoot()
            }
        }
    }

    /// Scales every nonzero row to unit Euclidean norm.
    static func normaliseRows(_ x: inout Matrix<Double>) {
        let d = x.columns, n = x.rows
        x.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                var s = 0.0
                for j in 0..<d { s += p[i * d + j] * p[i * d + j] }
                guard s > 0 else { continue }
                let inv = 1 / s.squareRoot()
                for j in 0..<d { p[i * d + j] *= inv }
            }
        }
    }
}
