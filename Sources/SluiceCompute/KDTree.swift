import CSluiceKernels

/// A k-d tree over the rows of a matrix, for exact k-nearest-neighbour queries in few
/// dimensions (scikit-learn's `KDTree`, chosen by its `algorithm='auto'` up to 15 features).
///
/// **Build.** Each node holds a contiguous range of the points (copied once into tree
/// order) and their bounding box. A node with more than ``leafSize`` points is split on the
/// dimension of largest spread at the median by count (a quickselect on `(value, index)`, so
/// the tree does not depend on the input's order of equal values), as scikit-learn's tree,
/// giving a balanced tree of depth about `log₂(n / leafSize)`.
///
/// **Query.** A depth-first descent visits the nearer child first and skips every node whose
/// box is farther than the current k-th candidate. Distances are exact sums over the
/// coordinates (squared differences for ``Metric/euclidean``, absolute ones for
/// ``Metric/manhattan``); candidates are ordered by `(distance, index)`, so ties go to the
/// lower row index and the result equals a full sort of every distance, whatever the thread
/// count. The box bound is summed in the same coordinate order as a point's distance, so in
/// floating point too it never exceeds the distance of a point inside the box.
public struct KDTree: Sendable {
    /// The distance the tree orders by.
    public enum Metric: String, Sendable, Codable, Equatable {
        /// `‖a − b‖₂`.
        case euclidean
        /// `‖a − b‖₁`.
        case manhattan
    }

    /// A node: the tree-order range of its points and its children (`left < 0` marks a leaf).
    typealias Node = sluice_kdnode

    /// The number of coordinates of each point.
    public let dimension: Int
    /// The number of points.
    public let count: Int
    /// The most points in a leaf.
    public let leafSize: Int
    /// The points in tree order, column-major: coordinate `j` of point `p` at `j·count + p`
    /// (a leaf's coordinates are contiguous, so its distances are computed a vector at a time).
    let columns: [Double]
    /// The original row of each point in tree order.
    let order: [Int]
    let nodes: [Node]
    /// Node `i`'s box: lower corner at `2·i·d`, upper corner at `(2·i + 1)·d`.
    let bounds: [Double]
    /// The depth of the deepest leaf (root at 1).
    let depth: Int

    /// Builds a tree over the rows of `x` (any values; NaN rows are kept but never near).
    public init(_ x: Matrix<Double>, leafSize: Int = 30) {
        let n = x.rows, d = x.columns
        let leaf = max(1, leafSize)
        dimension = d
        count = n
        self.leafSize = leaf
        var order = Array(0..<n)
        var nodes: [Node] = []
        var bounds: [Double] = []
        var depth = 0
        x.withUnsafeBufferPointer { xp in
            func build(_ start: Int, _ end: Int, level: Int) -> Int {
                let id = nodes.count
                depth = max(depth, level)
                nodes.append(Node(start: start, end: end, left: -1, right: -1))
                var lo = [Double](repeating: .infinity, count: d), hi = [Double](repeating: -.infinity, count: d)
                for p in start..<end {
                    let row = order[p] * d
                    for j in 0..<d {
                        let v = xp[row + j]
                        if v < lo[j] { lo[j] = v }
                        if v > hi[j] { hi[j] = v }
                    }
                }
                bounds.append(contentsOf: lo)
                bounds.append(contentsOf: hi)
                guard end - start > leaf, d > 0 else { return id }
                var dim = 0, spread = -1.0
                for j in 0..<d where hi[j] - lo[j] > spread {
                    spread = hi[j] - lo[j]
                    dim = j
                }
                guard spread > 0 else { return id }  // all points equal (or NaN): one leaf
                let mid = start + (end - start) / 2
                Self.select(&order, start..<end, nth: mid) { a, b in
                    let va = xp[a * d + dim], vb = xp[b * d + dim]
                    return va < vb || (va == vb && a < b)
                }
                let left = build(start, mid, level: level + 1)
                let right = build(mid, end, level: level + 1)
                nodes[id].left = left
                nodes[id].right = right
                return id
            }
            if n > 0 { _ = build(0, n, level: 1) }
        }
        var columns = [Double](repeating: 0, count: n * d)
        x.withUnsafeBufferPointer { xp in
            for p in 0..<n { for j in 0..<d { columns[j * n + p] = xp[order[p] * d + j] } }
        }
        self.columns = columns
        self.order = order
        self.nodes = nodes
        self.bounds = bounds
        self.depth = depth
    }

    /// Moves the element of rank `nth` (by `less`) within `range` to `nth`, smaller ones before
    /// it and larger after (quickselect with a median-of-three pivot and Lomuto partitions,
    /// whose loops stay in range whatever `less` answers).
    @inline(__always)
    static func select(_ a: inout [Int], _ range: Range<Int>, nth: Int, by less: (Int, Int) -> Bool) {
        var lo = range.lowerBound, hi = range.upperBound - 1
        while hi > lo {
            let m = lo + (hi - lo) / 2
            if less(a[m], a[lo]) { a.swapAt(m, lo) }
            if less(a[hi], a[lo]) { a.swapAt(hi, lo) }
            if less(a[hi], a[m]) { a.swapAt(hi, m) }
            a.swapAt(m, hi)  // the median of three as pivot, at hi
            let pivot = a[hi]
            var store = lo
            for i in lo..<hi where less(a[i], pivot) {
                a.swapAt(i, store)
                store += 1
            }
            a.swapAt(store, hi)
            if store == nth { return }
            if nth < store { hi = store - 1 } else { lo = store + 1 }
        }
    }

    /// The `k` nearest points of the tree to each row of `queries` (`m × dimension`): row
    /// indices (`m × k`, nearest first, ties to the lower index) and their distances. Queries
    /// run in parallel. - Precondition: `0 < k ≤ count`, `queries.columns == dimension`.
    public func query(_ queries: Matrix<Double>, k: Int, metric: Metric = .euclidean) -> (indices: [Int], distances: [Double]) {
        precondition(k > 0 && k <= count && queries.columns == dimension, "KDTree.query: k in 1...count, same dimension")
        let m = queries.rows
        var indices = [Int](repeating: 0, count: m * k), distances = [Double](repeating: 0, count: m * k)
        let manhattan = metric == .manhattan
        queries.withUnsafeBufferPointer { qp in
            indices.withUnsafeMutableBufferPointer { ip in
                distances.withUnsafeMutableBufferPointer { dp in
                    let out = UncheckedSendable((ip.baseAddress!, dp.baseAddress!))
                    Parallel.forEachChunk(of: m, minimumChunk: 64) { range in
                        var search = Search(tree: self, k: k)
                        for r in range {
                            search.run(qp.baseAddress! + r * dimension, exclude: -1, manhattan: manhattan)
                            for s in 0..<k {
                                out.value.0[r * k + s] = search.bestI[s]
                                let v = search.bestD[s]
                                out.value.1[r * k + s] = manhattan ? v : v.squareRoot()
                            }
                        }
                    }
                }
            }
        }
        return (indices, distances)
    }

    /// For each point of the tree, the indices of its `k` nearest other points by squared
    /// Euclidean distance plus `penalty²` per categorical code that differs (SMOTE-NC's
    /// distance; codes indexed by original row), nearest first, ties to the lower index:
    /// `count × k`, row-major by original row.
    /// - Precondition: `0 < k < count`; every code array has `count` entries.
    public func neighborsOfMembers(k: Int, categories: [[Int32]] = [], penalty: Double = 0) -> [Int] {
        precondition(k > 0 && k < count, "KDTree.neighborsOfMembers: k in 1..<count")
        precondition(categories.allSatisfy { $0.count == count }, "KDTree.neighborsOfMembers: one code per point")
        var result = [Int](repeating: 0, count: count * k)
        let codes = Array(categories.joined())
        let n = count, d = dimension, penalty2 = penalty * penalty
        columns.withUnsafeBufferPointer { cp in
            codes.withUnsafeBufferPointer { codes in
                result.withUnsafeMutableBufferPointer { rp in
                    let out = UncheckedSendable(rp.baseAddress!)
                    // Queries in tree order: neighbouring queries visit the same nodes.
                    Parallel.forEachChunk(of: n, minimumChunk: 256) { range in
                        var search = Search(tree: self, k: k)
                        var q = [Double](repeating: 0, count: d)
                        for p in range {
                            let row = order[p]
                            for j in 0..<d { q[j] = cp[j * n + p] }
                            q.withUnsafeBufferPointer { qp in
                                search.run(qp.baseAddress!, position: p, exclude: row, manhattan: false, codes: codes,
                                           categoryCount: categories.count, member: row, penalty2: penalty2)
                            }
                            for s in 0..<k { out.value[row * k + s] = search.bestI[s] }
                        }
                    }
                }
            }
        }
        return result
    }

    /// One thread's query state: the candidate list and the descent stack.
    struct Search {
        let tree: KDTree
        let k: Int
        var bestD: [Double]
        var bestI: [Int]
        var stackNode: [Int]
        var stackBound: [Double]

        init(tree: KDTree, k: Int) {
            self.tree = tree
            self.k = k
            bestD = [Double](repeating: .infinity, count: k)
            bestI = [Int](repeating: .max, count: k)
            stackNode = [Int](repeating: 0, count: 2 * tree.depth + 2)
            stackBound = [Double](repeating: 0, count: 2 * tree.depth + 2)
        }

        /// Fills `bestD`/`bestI` with the `k` nearest points to `q` other than row `exclude`
        /// (`sluice_kdtree_nearest`), `q` being the tree's point at tree `position` for a member
        /// query (−1 otherwise); `codes` holds `categoryCount` arrays of `count` codes.
        mutating func run(_ q: UnsafePointer<Double>, position: Int = -1, exclude: Int, manhattan: Bool,
                          codes: UnsafeBufferPointer<Int32> = UnsafeBufferPointer(start: nil, count: 0),
                          categoryCount: Int = 0, member: Int = 0, penalty2: Double = 0) {
            let k = self.k
            tree.columns.withUnsafeBufferPointer { cols in
            tree.bounds.withUnsafeBufferPointer { box in
            tree.nodes.withUnsafeBufferPointer { nodes in
            tree.order.withUnsafeBufferPointer { order in
            bestD.withUnsafeMutableBufferPointer { bd in
            bestI.withUnsafeMutableBufferPointer { bi in
            stackNode.withUnsafeMutableBufferPointer { sn in
            stackBound.withUnsafeMutableBufferPointer { sb in
                var view = sluice_kdtree(columns: cols.baseAddress, order: order.baseAddress, nodes: nodes.baseAddress,
                                         bounds: box.baseAddress, n: tree.count, d: tree.dimension)
                sluice_kdtree_nearest(&view, q, k, position, exclude, manhattan ? 1 : 0, codes.baseAddress, categoryCount,
                                      tree.count, member, penalty2, bd.baseAddress, bi.baseAddress,
                                      sn.baseAddress, sb.baseAddress)
            }}}}}}}}
        }
    }
}
