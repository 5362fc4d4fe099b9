import SluiceCompute
import SluicePipeline

/// A fitted decision tree as flat node arrays: node `i` splits on `feature[i]` at
/// `threshold[i]` (rows with `x ≤ threshold` go to `left[i]`, others to `right[i]`, a
/// missing value (NaN) to the side `missingGoesLeft[i]` says), or is a leaf when
/// `feature[i] == -1`. Node 0 is the root; every child's index is larger than its
/// parent's, so a walk from the root always ends, and prediction walks each row down the
/// arrays without recursion.
///
/// A node splits natively on a categorical feature (category codes `0…k-1`) when
/// `categorySets[i] ≥ 0`: rows whose code is in the set (``CategoryBitset``, 8 words of
/// ``categoryBits`` from `8 · categorySets[i]`) go left, the others right, a missing value or
/// a code unseen in training to the `missingGoesLeft[i]` side; its `threshold` is 0 and unused.
/// `categorySets` is empty when no node splits on categories.
///
/// `values` holds `outputCount` numbers per node: class probabilities for a classifier
/// (the weighted class fractions of the node's training rows), the prediction for a regressor.
public struct DecisionTree: Sendable, Equatable {
    /// The number of features the tree was grown on.
    public var featureCount: Int
    /// Numbers per node in ``values``: the class count, or 1 for regression.
    public var outputCount: Int
    public var feature: [Int32]
    public var threshold: [Double]
    public var left: [Int32]
    public var right: [Int32]
    public var missingGoesLeft: [Bool]
    /// The impurity of each node's training rows.
    public var impurity: [Double]
    /// The total sample weight of each node's training rows.
    public var weightedSamples: [Double]
    /// The number of training rows in each node.
    public var samples: [Int32]
    /// `nodeCount × outputCount`, row-major.
    public var values: [Double]
    /// Per node, its category set (see the type's description), or -1; empty when no node
    /// splits on categories.
    public var categorySets: [Int32] = []
    /// 8 words (256 bits) per category set.
    public var categoryBits: [UInt32] = []

    /// Node `i`'s category set, or -1 (a numeric split or a leaf).
    @inlinable public func categorySet(_ i: Int) -> Int32 { i < categorySets.count ? categorySets[i] : -1 }

    /// The category codes of node `i`'s set (those that go left), or nil for a numeric split.
    public func categories(_ i: Int) -> [Int]? {
        let s = Int(categorySet(i))
        guard s >= 0, (s + 1) * CategoryBitset.words <= categoryBits.count else { return nil }
        let set = categoryBits[s * CategoryBitset.words..<(s + 1) * CategoryBitset.words]
        return (0..<CategoryBitset.maxCategories).filter { CategoryBitset.contains(set, $0) }
    }

    /// The number of nodes.
    public var nodeCount: Int { feature.count }
    /// The number of leaves.
    public var leafCount: Int { feature.reduce(0) { $0 + ($1 < 0 ? 1 : 0) } }

    /// The depth of the deepest leaf (0 for a single leaf).
    public var depth: Int {
        var d = [Int](repeating: 0, count: nodeCount), deepest = 0
        for i in 0..<nodeCount where feature[i] >= 0 {
            d[Int(left[i])] = d[i] + 1
            d[Int(right[i])] = d[i] + 1
            deepest = max(deepest, d[i] + 1)
        }
        return deepest
    }

    /// The leaf index (into the node arrays) each row of `x` ends in.
    /// - Precondition: `x.columns == featureCount` and the tree is valid (``validate(kind:)``).
    @inlinable
    public func apply<S: BLASScalar>(_ x: Matrix<S>) -> [Int] {
        var out = [Int](repeating: 0, count: x.rows)
        let p = x.columns
        let sets = categorySets.count == nodeCount ? categorySets : [Int32](repeating: -1, count: nodeCount)
        let words = categoryBits.count >= CategoryBitset.words ? categoryBits : [UInt32](repeating: 0, count: CategoryBitset.words)
        sets.withUnsafeBufferPointer { cs in words.withUnsafeBufferPointer { bits in
        feature.withUnsafeBufferPointer { f in
            threshold.withUnsafeBufferPointer { t in
                left.withUnsafeBufferPointer { l in
                    right.withUnsafeBufferPointer { r in
                        missingGoesLeft.withUnsafeBufferPointer { m in
                            x.withUnsafeBufferPointer { xs in
                                out.withUnsafeMutableBufferPointer { o in
                                    Parallel.forEachChunk(of: x.rows, minimumChunk: 8192) { range in
                                        for i in range {
                                            let row = xs.baseAddress! + i * p
                                            var node = 0
                                            while f[node] >= 0 {
                                                let v = Double(row[Int(f[node])]), set = Int(cs[node])
                                                let goLeft = v.isNaN ? m[node]
                                                    : set < 0 ? v <= t[node]
                                                    : CategoryBitset.goesLeft(v, bits: bits.baseAddress! + set * CategoryBitset.words,
                                                                              missingLeft: m[node])
                                                node = Int(goLeft ? l[node] : r[node])
                                            }
                                            o[i] = node
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        } }
        return out
    }

    /// Adds `weight ×` the leaf values of each row of `x` into `out` (`x.rows × outputCount`).
    @inlinable
    public func accumulate<S: BLASScalar>(_ x: Matrix<S>, weight: Double, into out: inout Matrix<Double>) {
        let leaves = apply(x)
        let k = outputCount
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for (i, leaf) in leaves.enumerated() {
                    for c in 0..<k { o[i * k + c] += weight * v[leaf * k + c] }
                }
            }
        }
    }

    /// Impurity-based importance of each feature: the total weighted impurity decrease of
    /// its splits, normalised to sum to 1 (all zero for a single leaf), as scikit-learn's
    /// `feature_importances_`.
    public var featureImportances: [Double] {
        var imp = unnormalisedImportances
        let total = imp.reduce(0, +)
        if total > 0 { imp = imp.map { $0 / total } }
        return imp
    }

    /// The weighted impurity decrease of each feature's splits, divided by the root's weight.
    var unnormalisedImportances: [Double] {
        var imp = [Double](repeating: 0, count: featureCount)
        guard nodeCount > 0, weightedSamples[0] > 0 else { return imp }
        for i in 0..<nodeCount where feature[i] >= 0 {
            let l = Int(left[i]), r = Int(right[i])
            imp[Int(feature[i])] += weightedSamples[i] * impurity[i] - weightedSamples[l] * impurity[l]
                - weightedSamples[r] * impurity[r]
        }
        return imp.map { $0 / weightedSamples[0] }
    }

    /// Checks the arrays: equal lengths, children in range and after their parent (so no
    /// cycle), features in range, thresholds not NaN, values finite.
    public func validate(kind: String, outputs: Int? = nil) throws {
        let n = nodeCount
        try FittedStateError.require(n >= 1, kind, field: "tree", "has no nodes")
        try FittedStateError.require(featureCount >= 0, kind, field: "featureCount", "is negative")
        try FittedStateError.require(outputCount >= 1 && (outputs == nil || outputCount == outputs), kind,
                                     field: "tree.outputCount", "\(outputCount) does not fit the model")
        for (name, count) in [("threshold", threshold.count), ("left", left.count), ("right", right.count),
                              ("missingGoesLeft", missingGoesLeft.count), ("impurity", impurity.count),
                              ("weightedSamples", weightedSamples.count), ("samples", samples.count)] {
            try FittedStateError.require(count == n, kind, field: "tree.\(name)", "\(count) entries for \(n) nodes")
        }
        let (total, overflow) = n.multipliedReportingOverflow(by: outputCount)
        try FittedStateError.require(!overflow && values.count == total, kind, field: "tree.values",
                                     "\(values.count) entries for \(n) nodes × \(outputCount)")
        for i in 0..<n {
            let f = Int(feature[i])
            if f < 0 {
                try FittedStateError.require(f == -1, kind, field: "tree.feature", "node \(i) has feature \(f)")
                continue
            }
            try FittedStateError.require(f < featureCount, kind, field: "tree.feature",
                                         "node \(i) splits on feature \(f) of \(featureCount)")
            try FittedStateError.require(!threshold[i].isNaN, kind, field: "tree.threshold", "node \(i) is NaN")
            let l = Int(left[i]), r = Int(right[i])
            try FittedStateError.require(l > i && l < n && r > i && r < n && l != r, kind, field: "tree.children",
                                         "node \(i) has children \(l), \(r) (each must come after it, below \(n))")
        }
        try FittedStateError.require(values.allSatisfy(\.isFinite), kind, field: "tree.values", "not finite")
        try FittedStateError.require(categorySets.isEmpty || categorySets.count == n, kind, field: "tree.categorySets",
                                     "\(categorySets.count) entries for \(n) nodes")
        try FittedStateError.require(categoryBits.count % CategoryBitset.words == 0, kind, field: "tree.categoryBits",
                                     "must be \(CategoryBitset.words) words per set")
        let sets = categoryBits.count / CategoryBitset.words
        for (i, s) in categorySets.enumerated() {
            try FittedStateError.require(s >= -1 && Int(s) < sets && (s < 0 || feature[i] >= 0), kind,
                                         field: "tree.categorySets", "node \(i): set \(s) of \(sets)")
        }
    }
}

extension DecisionTree: Codable {
    private enum CodingKeys: String, CodingKey { case featureCount, outputCount, nodes, values, categorySets, categoryBits }

    /// Nodes as one `nodeCount × 8` matrix (feature, threshold, left, right, missing goes
    /// left, impurity, weighted samples, samples), values as `nodeCount × outputCount`: both
    /// go to the artifact as raw tensors; the category sets only when a node splits on
    /// categories (a tree without them encodes as before they existed).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(featureCount, forKey: .featureCount)
        try c.encode(outputCount, forKey: .outputCount)
        let n = nodeCount
        let nodes = Matrix<Double>(rows: n, columns: 8) { out in
            for i in 0..<n {
                let row = [Double(feature[i]), threshold[i], Double(left[i]), Double(right[i]),
                           missingGoesLeft[i] ? 1 : 0, impurity[i], weightedSamples[i], Double(samples[i])]
                for j in 0..<8 { out.initializeElement(at: i * 8 + j, to: row[j]) }
            }
        }
        try c.encode(nodes, forKey: .nodes)
        try c.encode(Matrix(rows: n, columns: outputCount, elements: values), forKey: .values)
        if categorySets.contains(where: { $0 >= 0 }) {
            try c.encode(categorySets, forKey: .categorySets)
            try c.encode(categoryBits, forKey: .categoryBits)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        featureCount = try c.decode(Int.self, forKey: .featureCount)
        outputCount = try c.decode(Int.self, forKey: .outputCount)
        let nodes = try c.decode(Matrix<Double>.self, forKey: .nodes)
        let v = try c.decode(Matrix<Double>.self, forKey: .values)
        guard nodes.columns == 8 else {
            throw DecodingError.dataCorruptedError(forKey: .nodes, in: c, debugDescription: "nodes need 8 columns")
        }
        let n = nodes.rows
        // An index that is not a small integer becomes -2, which validate() refuses.
        func index(_ x: Double) -> Int32 { x == x.rounded() && abs(x) < 2e9 ? Int32(x) : -2 }
        let e = nodes.elements
        feature = (0..<n).map { index(e[$0 * 8]) }
        threshold = (0..<n).map { e[$0 * 8 + 1] }
        left = (0..<n).map { index(e[$0 * 8 + 2]) }
        right = (0..<n).map { index(e[$0 * 8 + 3]) }
        missingGoesLeft = (0..<n).map { e[$0 * 8 + 4] != 0 }
        impurity = (0..<n).map { e[$0 * 8 + 5] }
        weightedSamples = (0..<n).map { e[$0 * 8 + 6] }
        samples = (0..<n).map { index(e[$0 * 8 + 7]) }
        values = v.elements
        categorySets = try c.decodeIfPresent([Int32].self, forKey: .categorySets) ?? []
        categoryBits = try c.decodeIfPresent([UInt32].self, forKey: .categoryBits) ?? []
        if v.rows != n || v.columns != outputCount { values = [] }  // refused by validate()
    }
}
