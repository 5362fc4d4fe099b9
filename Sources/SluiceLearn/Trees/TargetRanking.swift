/// The absolute-error criterion's order statistics, as scikit-learn's `MAE` criterion
/// (`_criterion.pyx`, `precompute_absolute_errors`, and `_utils.pyx`'s `WeightedFenwickTree`).
///
/// For a node, the rows are ranked once by target (``prepare(_:)``). A scan of the node's
/// rows in some order (a feature's sorted order, or its bins', or its categories') activates
/// one row at a time at its rank in a Fenwick tree of weights and weighted targets, finds the
/// weighted median where the cumulative weight crosses half the total (the midpoint of two
/// targets when a prefix holds exactly half), and gets the absolute deviation from it by the
/// pinball identity `(Σ_{≥m} wy - m·W_{≥m}) + (m·W_{<m} - Σ_{<m} wy)`: every prefix's error
/// forward, every suffix's backward, `O(n log n)` for the whole scan. The arithmetic follows
/// scikit-learn's term for term, so equal inputs give equal errors and so the same splits.
///
/// One per tree (a splitter owns it); ``prepare(_:)`` writes, the scans only read it, so
/// features may be scanned in parallel, each with its own ``Scan``.
final class TargetRanking {
    let y: UnsafePointer<Double>
    let weights: UnsafePointer<Double>
    /// Per training row: its rank among the current node's targets.
    private let rankOf: UnsafeMutablePointer<Int32>
    /// The current node's targets, sorted.
    private let sortedY: UnsafeMutablePointer<Double>
    private(set) var count = 0
    /// The most rows a node has.
    let capacity: Int

    /// `rows` is the number of training rows (targets and weights), `capacity` the most rows a node has.
    init(y: UnsafePointer<Double>, weights: UnsafePointer<Double>, rows: Int, capacity: Int) {
        self.y = y
        self.weights = weights
        self.capacity = capacity
        rankOf = .allocate(capacity: max(1, rows))
        sortedY = .allocate(capacity: max(1, capacity))
    }

    deinit {
        rankOf.deallocate()
        sortedY.deallocate()
    }

    /// Ranks the rows of a node by target (ties by position).
    func prepare(_ rows: UnsafeBufferPointer<Int32>) {
        let n = rows.count
        count = n
        var order = [Int32](repeating: 0, count: n)
        for i in 0..<n { order[i] = Int32(i) }
        let y = y
        order.sort { a, b in
            let ya = y[Int(rows[Int(a)])], yb = y[Int(rows[Int(b)])]
            return ya < yb || (ya == yb && a < b)
        }
        for (rank, i) in order.enumerated() {
            let row = Int(rows[Int(i)])
            rankOf[row] = Int32(rank)
            sortedY[rank] = y[row]
        }
    }

    /// Scratch for one scan of a node: the Fenwick tree and each prefix's and suffix's error.
    final class Scan {
        let capacity: Int
        let treeW: UnsafeMutablePointer<Double>
        let treeWY: UnsafeMutablePointer<Double>
        /// `prefix[k]`: the absolute error of the scan's first `k + 1` rows.
        let prefix: UnsafeMutablePointer<Double>
        /// `suffix[k]`: the absolute error of the scan's rows from `k` on.
        let suffix: UnsafeMutablePointer<Double>
        /// A splitter's buffer for the order of the rows it scans.
        let sequence: UnsafeMutablePointer<Int32>
        /// The weighted median of the last forward pass's rows.
        var median = 0.0

        init(capacity: Int) {
            self.capacity = max(1, capacity)
            treeW = .allocate(capacity: self.capacity + 1)
            treeWY = .allocate(capacity: self.capacity + 1)
            prefix = .allocate(capacity: self.capacity)
            suffix = .allocate(capacity: self.capacity)
            sequence = .allocate(capacity: self.capacity)
        }

        deinit {
            treeW.deallocate(); treeWY.deallocate(); prefix.deallocate(); suffix.deallocate(); sequence.deallocate()
        }

        /// The proxy and the children's impurities of the split after the scan's first
        /// `leftCount` rows (``AbsoluteErrorStatistics/proxy(leftError:leftWeight:rightError:rightWeight:)``).
        @inline(__always)
        func split(leftCount: Int, leftWeight: Double, rightWeight: Double)
            -> (proxy: Double, impurities: (left: Double, right: Double)?) {
            let r = AbsoluteErrorStatistics.proxy(leftError: prefix[leftCount - 1], leftWeight: leftWeight,
                                                  rightError: suffix[leftCount], rightWeight: rightWeight)
            return (r.proxy, (r.left, r.right))
        }
    }

    /// Fills `scan.prefix` and `scan.suffix` for the node's rows in the order of `rows`
    /// (`count` of them, the node's ``count``).
    func scan(_ rows: UnsafePointer<Int32>, _ scan: Scan) {
        let n = count
        pass(rows, n, forward: true, scan, into: scan.prefix)
        pass(rows, n, forward: false, scan, into: scan.suffix)
    }

    /// The absolute error and weighted median of the whole node (its rows in `rows`' order).
    func node(_ rows: UnsafePointer<Int32>, _ scan: Scan) -> (error: Double, median: Double) {
        let n = count
        guard n > 0 else { return (0, 0) }
        pass(rows, n, forward: true, scan, into: scan.prefix)
        return (scan.prefix[n - 1], scan.median)
    }

    /// One of scikit-learn's passes: rows activated in order (or in reverse), each prefix's
    /// (suffix's) error written at the position of the row just activated.
    private func pass(_ rows: UnsafePointer<Int32>, _ n: Int, forward: Bool, _ scan: Scan,
                      into errors: UnsafeMutablePointer<Double>) {
        let tw = scan.treeW, twy = scan.treeWY
        tw.initialize(repeating: 0, count: n + 1)
        twy.initialize(repeating: 0, count: n + 1)
        var maxPow2 = 1
        while maxPow2 <= n { maxPow2 <<= 1 }
        maxPow2 >>= 1
        var totalW = 0.0, totalWY = 0.0
        for step in 0..<n {
            let p = forward ? step : n - 1 - step
            let row = Int(rows[p]), w = weights[row]
            let rank = Int(rankOf[row])
            let yv = sortedY[rank], wy = w * yv
            var i = rank + 1
            while i <= n {
                tw[i] += w
                twy[i] += wy
                i += i & -i
            }
            totalW += w
            totalWY += wy
            let (medianRank, previous, wLeft, wyLeft) = Self.search(0.5 * totalW, tw, twy, size: n, maxPow2: maxPow2)
            let median = medianRank != previous ? (sortedY[previous] + sortedY[medianRank]) / 2 : sortedY[medianRank]
            let wRight = totalW - wLeft, wyRight = totalWY - wyLeft
            errors[p] = (wyRight - median * wRight) + (median * wLeft - wyLeft)
            scan.median = median
        }
    }

    /// scikit-learn's `WeightedFenwickTree.search`: the smallest rank whose cumulative weight
    /// reaches `target`, the largest rank below it, and the weight and weighted target before it;
    /// on an exact match of a prefix with `target`, the ranks either side of it.
    @inline(__always)
    private static func search(_ target: Double, _ tw: UnsafeMutablePointer<Double>, _ twy: UnsafeMutablePointer<Double>,
                               size: Int, maxPow2: Int) -> (Int, Int, Double, Double) {
        var current = 0, cumW = 0.0, cumWY = 0.0, bit = maxPow2, t = target
        var equalBit = 0, equalTarget = 0.0
        while bit != 0 {
            let next = current + bit
            if next <= size {
                let w = tw[next]
                if t == w {
                    equalTarget = t
                    equalBit = bit
                    break
                } else if t > w {
                    t -= w
                    current = next
                    cumW += w
                    cumWY += twy[next]
                }
            }
            bit >>= 1
        }
        if bit == 0 { return (current, current, cumW, cumWY) }
        var previous = current
        while bit != 0 {
            let next = previous + bit
            if next <= size {
                let w = tw[next]
                if t > w {
                    t -= w
                    previous = next
                }
            }
            bit >>= 1
        }
        bit = equalBit
        t = equalTarget
        while bit != 0 {
            let next = current + bit
            if next <= size {
                let w = tw[next]
                if t >= w {
                    t -= w
                    current = next
                    cumW += w
                    cumWY += twy[next]
                }
            }
            bit >>= 1
        }
        return (current, previous, cumW, cumWY)
    }
}
