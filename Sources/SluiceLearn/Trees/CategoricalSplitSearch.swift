import SluiceCompute

/// The best split of a node on a categorical feature (category codes `0…k-1`), for both
/// splitters: Breiman's ordering. The categories present in the node are sorted by
/// ``TreeStatistics/categoryKey(_:ordering:)`` (the mean target for regression, the fraction
/// of class 1 for binary classification; ties by code), and every prefix of that order is
/// tried as the left set — `k - 1` candidates instead of `2^(k-1)`, and the optimal partition
/// for squared error, Gini and entropy with two classes (Breiman et al., 1984, §9.4). With more
/// classes, each class's one-vs-rest ordering is scanned in turn (the first best split wins),
/// a heuristic (as the mean ordering is for the absolute error): scikit-learn's trees have no
/// native categorical splits to follow. Missing
/// values are tried on either side as for numeric features, and "every present category left,
/// the missing right"; categories absent from the node follow its missing side.
enum CategoricalSplitSearch {
    /// The sums of one node's rows per category of feature `feature`.
    struct Node {
        let feature: Int
        /// Category `c`'s accumulator at `sums + c · stride`.
        let sums: UnsafePointer<Double>
        let stride: Int
        /// Rows per category.
        let counts: [Int]
        let missing: UnsafePointer<Double>
        let missingCount: Int
        /// The node's accumulator and row count.
        let total: UnsafePointer<Double>
        let rows: Int
    }

    /// Updates `best` (and `bestProxy`) with the node's best categorical split when strictly
    /// better. With `random` (extra trees), one ordering and one prefix (and missing side) are
    /// drawn from `rng` instead of all tried. `rank` fills `scan` for the absolute error from a
    /// category order (missing rows first when asked); it is called only when `scan` is given.
    static func search<S: TreeStatistics>(_ node: Node, stats: S, minLeaf: Int, scan: TargetRanking.Scan?,
                                          rank: (_ order: [Int], _ missingFirst: Bool) -> Void,
                                          random: Bool, rng: inout SeededGenerator,
                                          bestProxy: inout Double, best: inout CandidateSplit?) {
        let width = stats.width, n = node.rows, missing = node.missingCount
        let present = node.counts.indices.filter { node.counts[$0] > 0 }
        guard present.count + (missing > 0 ? 1 : 0) >= 2 else { return }
        let absent = CategoryBitset.set((0..<(32 * CategoryBitset.words)).filter { $0 >= node.counts.count || node.counts[$0] == 0 })
        var left = [Double](repeating: 0, count: width), right = [Double](repeating: 0, count: width)
        let orderings = random ? 1 : stats.categoryOrderings
        var cut = -1, randomMissingLeft = false
        if random {
            cut = present.count >= 2 ? 1 + rng.nextInt(below: present.count - 1) : 1
            randomMissingLeft = missing > 0 && present.count >= 2 && rng.next() & 1 == 1
        }
        for ordering in 0..<orderings {
            let o = random && stats.categoryOrderings > 1 ? rng.nextInt(below: stats.categoryOrderings) : ordering
            let keys = present.map { stats.categoryKey(node.sums + $0 * node.stride, ordering: o) }
            let ranked = present.indices.sorted { (a: Int, b: Int) -> Bool in
                keys[a] < keys[b] || (keys[a] == keys[b] && a < b)
            }
            let order = ranked.map { present[$0] }
            for pass in 0..<(missing > 0 ? 2 : 1) {
                let missingLeft = pass == 1
                if random && missingLeft != randomMissingLeft { continue }
                if scan != nil { rank(order, missingLeft) }
                for j in 0..<width { left[j] = missingLeft ? node.missing[j] : 0 }
                var count = missingLeft ? missing : 0
                for (i, c) in order.enumerated() {
                    let sums = node.sums + c * node.stride
                    for j in 0..<width { left[j] += sums[j] }
                    count += node.counts[c]
                    if i == order.count - 1 && (missingLeft || missing == 0) { break }
                    if random && i + 1 != cut { continue }
                    if count < minLeaf || n - count < minLeaf || count == 0 || count == n { continue }
                    for j in 0..<width { right[j] = node.total[j] - left[j] }
                    let (proxy, impurities) = scan.map { $0.split(leftCount: count, leftWeight: left[0], rightWeight: right[0]) }
                        ?? (left.withUnsafeBufferPointer { l in
                            right.withUnsafeBufferPointer { r in stats.proxy(l.baseAddress!, r.baseAddress!) }
                        }, nil)
                    guard proxy > bestProxy else { continue }
                    bestProxy = proxy
                    best = CandidateSplit(feature: node.feature, threshold: 0, missingLeft: missingLeft, sawMissing: missing > 0,
                                          leftCount: count, proxy: proxy, position: -1, left: left, impurities: impurities,
                                          categories: CategorySplit(left: CategoryBitset.set(order[0...i]), absent: absent))
                }
            }
        }
    }
}
