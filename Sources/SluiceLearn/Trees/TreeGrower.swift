import SluiceCompute

/// A split a splitter proposes for a node.
struct CandidateSplit {
    var feature: Int
    var threshold: Double
    /// Whether rows missing the feature go left.
    var missingLeft: Bool
    /// Whether any of the node's rows miss the feature (else NaN follows the larger child).
    var sawMissing: Bool
    /// Rows going left.
    var leftCount: Int
    var proxy: Double
    /// Splitter-specific position (sorted index or bin) that ``TreeSplitEngine/apply`` uses.
    var position: Int
    /// The left child's accumulator.
    var left: [Double]
    /// The children's impurities, when the criterion does not take them from accumulators.
    var impurities: (left: Double, right: Double)? = nil
    /// A categorical split's category sets, nil for a numeric one.
    var categories: CategorySplit? = nil
}

/// The categories of a categorical split: those sent left, and those no row of the node has
/// (they follow the node's missing side, as categories unseen in training do).
struct CategorySplit {
    var left: [UInt32]
    var absent: [UInt32]

    /// Whether code `c` goes left in the node (the rows' partition).
    @inline(__always) func goesLeft(_ c: Int) -> Bool { CategoryBitset.contains(left[...], c) }

    /// The set stored in the tree: the left categories, and the absent ones when missing values go left.
    func stored(missingLeft: Bool) -> [UInt32] { missingLeft ? zip(left, absent).map { $0 | $1 } : left }
}

/// What a tree grower needs from a splitter: the rows of a node, the best split of a node,
/// and the partition of a node's rows by a split. Node rows are a contiguous range of
/// the splitter's row order; splitting a range leaves its left rows first.
protocol TreeSplitEngine: AnyObject {
    associatedtype Stats: TreeStatistics
    /// Per-node state a splitter keeps between proposing and applying (a histogram).
    associatedtype State
    var stats: Stats { get }
    /// The number of rows the tree grows on (with positive weight).
    var rowCount: Int { get }
    func weight(_ row: Int) -> Double
    /// The targets ranked per node, for the absolute error (nil for other criteria).
    var ranking: TargetRanking? { get }
    /// The rows of `range`, as row indices of the training matrix.
    func rows(_ range: Range<Int>) -> UnsafeBufferPointer<Int32>
    func rootState() -> State
    /// The best split of the rows in `range`, whose accumulator is `totals`, or nil.
    func bestSplit(_ range: Range<Int>, totals: [Double], state: State, rng: inout SeededGenerator) -> CandidateSplit?
    /// Reorders `range` so the left rows come first; returns the children's states.
    func apply(_ split: CandidateSplit, _ range: Range<Int>, state: State) -> (State, State)
}

/// The growth limits resolved for one fit.
struct GrowthLimits {
    var maxDepth: Int
    var minSamplesSplit: Int
    var minSamplesLeaf: Int
    var minImpurityDecrease: Double
    var maxLeafNodes: Int?

    init(_ l: TreeLimits) {
        maxDepth = l.maxDepth ?? Int.max
        minSamplesSplit = l.minSamplesSplit
        minSamplesLeaf = l.minSamplesLeaf
        minImpurityDecrease = l.minImpurityDecrease
        maxLeafNodes = l.maxLeafNodes
    }
}

/// Grows one tree with scikit-learn's rules (`_tree.pyx`): a node is a leaf when it is at
/// `maxDepth`, has fewer than `minSamplesSplit` or `2 · minSamplesLeaf` rows, is pure
/// (impurity ≤ machine epsilon), has no valid split, or its best split's weighted impurity
/// decrease plus epsilon is below `minImpurityDecrease`. Without `maxLeafNodes` the tree grows
/// depth-first (left child first); with it, best-first: the open node with the largest
/// impurity decrease is split next (ties: the earlier node), until `maxLeafNodes` leaves.
struct TreeGrower<Engine: TreeSplitEngine> {
    let engine: Engine
    let limits: GrowthLimits
    let featureCount: Int

    private struct Open {
        var node: Int
        var range: Range<Int>
        var depth: Int
        var split: CandidateSplit?
        var improvement: Double
        var state: Engine.State?
    }

    func grow(rng: inout SeededGenerator) -> DecisionTree {
        let stats = engine.stats, width = stats.width, k = stats.outputs
        var tree = DecisionTree(featureCount: featureCount, outputCount: k, feature: [], threshold: [], left: [], right: [],
                                missingGoesLeft: [], impurity: [], weightedSamples: [], samples: [], values: [])
        var rootWeight = 0.0
        let epsilon = Double.ulpOfOne
        var value = [Double](repeating: 0, count: k)

        let scan = engine.ranking.map { TargetRanking.Scan(capacity: $0.capacity) }

        /// Opens a node; `known` is its impurity as its parent's split computed it (the
        /// absolute error's, as scikit-learn keeps it), nil to compute it here.
        func open(_ range: Range<Int>, depth: Int, state: Engine.State, known: Double?, rng: inout SeededGenerator) -> Open {
            var acc = [Double](repeating: 0, count: width)
            let rows = engine.rows(range)
            acc.withUnsafeMutableBufferPointer { a in
                for r in rows { let row = Int(r); stats.add(row, engine.weight(row), a.baseAddress!) }
            }
            let w = acc[0]
            var impurity = acc.withUnsafeBufferPointer { stats.impurity($0.baseAddress!) }
            if tree.nodeCount == 0 { rootWeight = w }
            let id = tree.nodeCount
            value.withUnsafeMutableBufferPointer { v in acc.withUnsafeBufferPointer { stats.value($0.baseAddress!, v.baseAddress!) } }
            if let ranking = engine.ranking, let scan, let base = rows.baseAddress {
                ranking.prepare(rows)  // the ranks bestSplit's scans read
                let node = ranking.node(base, scan)
                impurity = known ?? node.error / w
                value[0] = node.median
            }
            tree.feature.append(-1); tree.threshold.append(0); tree.left.append(-1); tree.right.append(-1)
            tree.missingGoesLeft.append(false); tree.impurity.append(impurity); tree.weightedSamples.append(w)
            tree.samples.append(Int32(clamping: range.count)); tree.values.append(contentsOf: value)
            if !tree.categorySets.isEmpty { tree.categorySets.append(-1) }
            let n = range.count
            let leaf = depth >= limits.maxDepth || n < limits.minSamplesSplit || n < 2 * limits.minSamplesLeaf
                || impurity <= epsilon
            guard !leaf, let split = engine.bestSplit(range, totals: acc, state: state, rng: &rng) else {
                return Open(node: id, range: range, depth: depth, split: nil, improvement: 0, state: nil)
            }
            let right = zip(acc, split.left).map { $0 - $1 }
            let (il, ir) = split.impurities ?? split.left.withUnsafeBufferPointer { l in
                right.withUnsafeBufferPointer { r in (stats.impurity(l.baseAddress!), stats.impurity(r.baseAddress!)) }
            }
            let wl = split.left[0], wr = right[0]
            let improvement = (w / rootWeight) * (impurity - (wr / w) * ir - (wl / w) * il)
            if improvement + epsilon < limits.minImpurityDecrease {
                return Open(node: id, range: range, depth: depth, split: nil, improvement: 0, state: nil)
            }
            return Open(node: id, range: range, depth: depth, split: split, improvement: improvement, state: state)
        }

        var frontier = [open(0..<engine.rowCount, depth: 0, state: engine.rootState(), known: nil, rng: &rng)]
        var splitsLeft = (limits.maxLeafNodes ?? Int.max) - 1
        let bestFirst = limits.maxLeafNodes != nil
        while !frontier.isEmpty {
            let index: Int
            if bestFirst {
                var best = 0
                for i in 1..<frontier.count where frontier[i].improvement > frontier[best].improvement
                    || (frontier[i].improvement == frontier[best].improvement && frontier[i].node < frontier[best].node) {
                    best = i
                }
                index = best
            } else {
                index = frontier.count - 1
            }
            let o = frontier.remove(at: index)
            guard let split = o.split, let state = o.state, splitsLeft > 0 else { continue }
            splitsLeft -= 1
            let (ls, rs) = engine.apply(split, o.range, state: state)
            let mid = o.range.lowerBound + split.leftCount
            let l = open(o.range.lowerBound..<mid, depth: o.depth + 1, state: ls, known: split.impurities?.left, rng: &rng)
            let r = open(mid..<o.range.upperBound, depth: o.depth + 1, state: rs, known: split.impurities?.right, rng: &rng)
            tree.feature[o.node] = Int32(split.feature)
            tree.threshold[o.node] = split.threshold
            tree.left[o.node] = Int32(l.node)
            tree.right[o.node] = Int32(r.node)
            let missingLeft = split.sawMissing ? split.missingLeft : split.leftCount > o.range.count - split.leftCount
            tree.missingGoesLeft[o.node] = missingLeft
            if let categories = split.categories {
                if tree.categorySets.isEmpty { tree.categorySets = [Int32](repeating: -1, count: tree.nodeCount) }
                tree.categorySets[o.node] = Int32(tree.categoryBits.count / CategoryBitset.words)
                tree.categoryBits.append(contentsOf: categories.stored(missingLeft: missingLeft))
            }
            if bestFirst {
                frontier.append(l); frontier.append(r)
            } else {
                frontier.append(r); frontier.append(l)  // left popped first
            }
        }
        return tree
    }
}

/// Draws candidate features for a node as scikit-learn does: features in a random order
/// (Fisher–Yates, one `nextInt(below:)` per draw), skipping constant ones, until `k`
/// non-constant ones are found or none are left. With `k == p` no draw is made and features
/// come in index order: the lowest feature index wins a tie between equal splits.
func drawFeatures(_ p: Int, _ k: Int, rng: inout SeededGenerator, isConstant: (Int) -> Bool) -> [Int] {
    var chosen = [Int]()
    chosen.reserveCapacity(k)
    if k >= p {
        for f in 0..<p where !isConstant(f) { chosen.append(f) }
        return chosen
    }
    var pool = Array(0..<p), remaining = p
    while chosen.count < k && remaining > 0 {
        let j = rng.nextInt(below: remaining)
        let f = pool[j]
        pool.swapAt(j, remaining - 1)
        remaining -= 1
        if !isConstant(f) { chosen.append(f) }
    }
    return chosen
}
