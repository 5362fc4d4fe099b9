extension KDTree {
    /// For each row of `queries` (`m × dimension`), the rows of the tree within distance
    /// `radius` (inclusive), ascending. Nodes whose box lies farther than `radius` are skipped;
    /// queries run in parallel. - Precondition: `queries.columns == dimension`, `radius ≥ 0`.
    public func neighbors(within radius: Double, of queries: Matrix<Double>, metric: Metric = .euclidean) -> [[Int]] {
        precondition(queries.columns == dimension && radius >= 0, "KDTree.neighbors(within:): same dimension, radius ≥ 0")
        let m = queries.rows, d = dimension, manhattan = metric == .manhattan
        let limit = manhattan ? radius : radius * radius
        var result = [[Int]](repeating: [], count: m)
        guard count > 0 else { return result }
        queries.withUnsafeBufferPointer { qp in
            result.withUnsafeMutableBufferPointer { rp in
                let out = UncheckedSendable(rp.baseAddress!)
                Parallel.forEachChunk(of: m, minimumChunk: 64) { range in
                    var stack: [Int] = []
                    for r in range {
                        let q = qp.baseAddress! + r * d
                        var found: [Int] = []
                        stack.append(0)
                        while let id = stack.popLast() {
                            // Distance from q to the node's box.
                            var gap = 0.0
                            let lo = 2 * id * d, hi = (2 * id + 1) * d
                            for j in 0..<d {
                                let g = max(bounds[lo + j] - q[j], 0, q[j] - bounds[hi + j])
                                gap += manhattan ? g : g * g
                            }
                            guard gap <= limit else { continue }
                            let node = nodes[id]
                            if node.left >= 0 {
                                stack.append(node.right)
                                stack.append(node.left)
                                continue
                            }
                            for p in node.start..<node.end {
                                var s = 0.0
                                for j in 0..<d {
                                    let v = columns[j * count + p] - q[j]
                                    s += manhattan ? abs(v) : v * v
                                }
                                if s <= limit { found.append(order[p]) }
                            }
                        }
                        found.sort()
                        (out.value + r).pointee = found
                    }
                }
            }
        }
        return result
    }
}
