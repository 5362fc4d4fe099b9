import SluiceCompute
import SluicePipeline

/// The fitted trees of a gradient-boosting model, flattened: every node of every tree in
/// one set of parallel arrays, trees one after another (tree `t` adds to output
/// `t % outputs`), children always after their parent.
///
/// A node with `features[i] < 0` is a leaf whose value is `values[i]`. Otherwise a row goes
/// to the left child `treeStart + left[i]` when its feature value `x` is NaN and
/// `missingLeft[i]`, or, not NaN, when `x ≤ thresholds[i]` (numeric), or when `x` is a
/// category code whose bit is set in the node's category set (categorical: `categorySets[i] ≥ 0`
/// indexes 8 words of `categoryBits`, 256 bits, bit `c` for code `c`). A code that is not an
/// integer in `0…254` takes the missing direction; a known but unset code goes right.
public struct BoostedTrees: Codable, Sendable, Equatable {
    /// The number of features.
    public var featureCount: Int
    /// Raw outputs per row (1, or the class count for multiclass).
    public var outputs: Int
    /// The raw starting value of each output.
    public var baseline: [Double]
    /// Where each tree starts in the node arrays, then the node count (`trees + 1` entries).
    public var treeStarts: [Int]
    public var features: [Int32]
    /// Child indices relative to their tree's start.
    public var left: [Int32]
    public var right: [Int32]
    public var missingLeft: [Bool]
    public var categorySets: [Int32]
    /// 8 words (256 bits) per categorical split.
    public var categoryBits: [UInt32]
    public var thresholds: Matrix<Double>
    /// Leaf values (learning rate applied); for internal nodes, the value the node would have.
    public var values: Matrix<Double>
    /// Training rows that reached each node (TreeSHAP's cover).
    public var covers: Matrix<Double>
    /// The loss reduction of each split (0 at leaves).
    public var gains: Matrix<Double>

    /// Trees from their flat arrays (see the type's description); check them with ``validate(kind:)``.
    public init(featureCount: Int, outputs: Int, baseline: [Double], treeStarts: [Int], features: [Int32], left: [Int32],
                right: [Int32], missingLeft: [Bool], categorySets: [Int32], categoryBits: [UInt32],
                thresholds: Matrix<Double>, values: Matrix<Double>, covers: Matrix<Double>, gains: Matrix<Double>) {
        self.featureCount = featureCount
        self.outputs = outputs
        self.baseline = baseline
        self.treeStarts = treeStarts
        self.features = features
        self.left = left
        self.right = right
        self.missingLeft = missingLeft
        self.categorySets = categorySets
        self.categoryBits = categoryBits
        self.thresholds = thresholds
        self.values = values
        self.covers = covers
        self.gains = gains
    }

    /// The number of trees.
    public var treeCount: Int { max(0, treeStarts.count - 1) }
    /// The number of nodes.
    public var nodeCount: Int { features.count }

    static let empty = BoostedTrees(featureCount: 0, outputs: 1, baseline: [0], treeStarts: [0], features: [], left: [],
                                    right: [], missingLeft: [], categorySets: [], categoryBits: [],
                                    thresholds: Matrix(rows: 1, columns: 0), values: Matrix(rows: 1, columns: 0),
                                    covers: Matrix(rows: 1, columns: 0), gains: Matrix(rows: 1, columns: 0))

    /// Checks every index and value, so that prediction never reads outside the arrays or loops.
    public func validate(kind k: String) throws {
        let n = nodeCount
        try FittedStateError.require(featureCount >= 0, k, field: "trees.featureCount", "is negative")
        try FittedStateError.require(outputs >= 1, k, field: "trees.outputs", "must be at least 1")
        try FittedStateError.require(baseline.count == outputs && baseline.allSatisfy(\.isFinite), k, field: "trees.baseline",
                                     "needs \(outputs) finite values")
        try FittedStateError.require(treeStarts.first == 0 && treeStarts.last == n, k, field: "trees.treeStarts",
                                     "must run from 0 to the node count \(n)")
        try FittedStateError.require(zip(treeStarts, treeStarts.dropFirst()).allSatisfy { $0 < $1 }, k,
                                     field: "trees.treeStarts", "must increase (no empty tree)")
        try FittedStateError.require(treeCount % outputs == 0, k, field: "trees.treeStarts",
                                     "\(treeCount) trees is not a multiple of \(outputs) outputs")
        for (name, count) in [("left", left.count), ("right", right.count), ("missingLeft", missingLeft.count),
                              ("categorySets", categorySets.count), ("thresholds", thresholds.count),
                              ("values", values.count), ("covers", covers.count), ("gains", gains.count)] {
            try FittedStateError.require(count == n, k, field: "trees.\(name)", "has \(count) entries for \(n) nodes")
        }
        try FittedStateError.require(categoryBits.count % 8 == 0, k, field: "trees.categoryBits", "must be 8 words per set")
        let sets = categoryBits.count / 8
        for t in 0..<treeCount {
            let start = treeStarts[t], size = treeStarts[t + 1] - start
            for i in start..<(start + size) {
                let local = i - start
                try FittedStateError.require(values[0, i].isFinite, k, field: "trees.values", "node \(i) is not finite")
                try FittedStateError.require(covers[0, i].isFinite && covers[0, i] > 0, k, field: "trees.covers",
                                             "node \(i) must be finite and positive")
                try FittedStateError.require(gains[0, i].isFinite, k, field: "trees.gains", "node \(i) is not finite")
                let f = Int(features[i])
                if f < 0 { continue }
                try FittedStateError.require(f < featureCount, k, field: "trees.features", "node \(i) splits on feature \(f) of \(featureCount)")
                try FittedStateError.require(Int(left[i]) > local && Int(left[i]) < size, k, field: "trees.left",
                                             "node \(i): child \(left[i]) outside its tree after it")
                try FittedStateError.require(Int(right[i]) > local && Int(right[i]) < size, k, field: "trees.right",
                                             "node \(i): child \(right[i]) outside its tree after it")
                try FittedStateError.require(!thresholds[0, i].isNaN, k, field: "trees.thresholds", "node \(i) is NaN")
                let s = Int(categorySets[i])
                try FittedStateError.require(s >= -1 && s < sets, k, field: "trees.categorySets",
                                             "node \(i): set \(s) of \(sets)")
            }
        }
    }

    /// One node packed for prediction (32 bytes): for a leaf, `feature < 0` and `threshold` is its value.
    struct PackedNode {
        var threshold: Double
        var feature: Int32
        var left: Int32
        var right: Int32
        var categorySet: Int32
        var missingLeft: Bool
    }

    /// The nodes packed with global child indices.
    func packed() -> [PackedNode] {
        (0..<treeCount).flatMap { t -> [PackedNode] in
            let start = treeStarts[t]
            return (start..<treeStarts[t + 1]).map { i in
                features[i] < 0
                    ? PackedNode(threshold: values[0, i], feature: -1, left: 0, right: 0, categorySet: -1, missingLeft: false)
                    : PackedNode(threshold: thresholds[0, i], feature: features[i], left: left[i] + Int32(start),
                                 right: right[i] + Int32(start), categorySet: categorySets[i], missingLeft: missingLeft[i])
            }
        }
    }

    /// Whether value `v` goes left at an internal node.
    @inline(__always)
    static func goesLeft(_ node: PackedNode, _ v: Double, bits: UnsafePointer<UInt32>) -> Bool {
        if v.isNaN { return node.missingLeft }
        if node.categorySet >= 0 {
            return CategoryBitset.goesLeft(v, bits: bits + Int(node.categorySet) * CategoryBitset.words,
                                           missingLeft: node.missingLeft)
        }
        return v <= node.threshold
    }

    /// The raw scores of `x` (`n × outputs`, row-major), parallel over blocks of rows, each
    /// block running every tree over its rows in turn.
    func raw(_ x: Matrix<Double>, trees: Int? = nil) -> Matrix<Double> {
        let n = x.rows, p = x.columns, m = outputs, used = min(trees ?? treeCount, treeCount)
        let nodes = packed()
        var out = Matrix<Double>(rows: n, columns: m)
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<n { for k in 0..<m { o[i * m + k] = baseline[k] } }
        }
        guard n > 0, used > 0 else { return out }
        let roots = Array(treeStarts.prefix(used))
        let bits = categoryBits.isEmpty ? [UInt32](repeating: 0, count: 8) : categoryBits
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { data in
                nodes.withUnsafeBufferPointer { nodes in
                    bits.withUnsafeBufferPointer { bits in
                        let shared = BoostUnchecked((o, data, nodes, bits))
                        Parallel.forEachChunk(of: n, minimumChunk: 2048) { range in
                            let (o, data, nodes, bits) = shared.value
                            let bitBase = bits.baseAddress!
                            var blockStart = range.lowerBound
                            while blockStart < range.upperBound {
                                let blockEnd = min(blockStart + 256, range.upperBound)
                                for (t, root) in roots.enumerated() {
                                    let k = t % m
                                    for i in blockStart..<blockEnd {
                                        let row = data.baseAddress! + i * p
                                        var node = nodes[root]
                                        while node.feature >= 0 {
                                            let next = Self.goesLeft(node, row[Int(node.feature)], bits: bitBase) ? node.left : node.right
                                            node = nodes[Int(next)]
                                        }
                                        o[i * m + k] += node.threshold
                                    }
                                }
                                blockStart = blockEnd
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Per feature: the total gain of its splits, and how many splits use it.
    func importances() -> (gain: [Double], splits: [Int]) {
        var gain = [Double](repeating: 0, count: featureCount), splits = [Int](repeating: 0, count: featureCount)
        for i in 0..<nodeCount where features[i] >= 0 && Int(features[i]) < featureCount {
            gain[Int(features[i])] += gains[0, i]
            splits[Int(features[i])] += 1
        }
        return (gain, splits)
    }
}
