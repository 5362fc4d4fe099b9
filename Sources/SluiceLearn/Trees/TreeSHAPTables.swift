import SluiceCompute

/// Fast TreeSHAP v2 (Yang 2021, "Fast TreeSHAP: Accelerating SHAP Value Computation for Trees"):
/// per leaf, a table of the path-dependent Shapley weights of every pattern of its path's
/// features, so that explaining a row costs one pass over the tree's nodes and one look-up
/// per leaf-path feature instead of the O(D²) EXTEND / UNWIND of the recursive walk.
///
/// A leaf whose path splits on the unique features `U` (`d = |U|`, each feature's zero fraction
/// `zⱼ` the product of the cover shares of its nodes on the path) adds to feature `i ∈ U`, for a
/// row that follows the path on the features of `A ⊆ U` (and not on the others),
///
///     v · Π_{j ∉ A} zⱼ · (1 − zᵢ) · G(A ∖ {i})    when i ∈ A,
///    −v · Π_{j ∉ A} zⱼ · G(A)                     when i ∉ A,
///
/// with `G(B) = Σ_{S ⊆ B} |S|! (d − |S| − 1)! / d! · Π_{j ∈ B ∖ S} zⱼ`, the table (`2^d` entries,
/// bit `k` of a pattern for the leaf's `k`-th feature in order of first appearance from the root).
/// Nothing is divided, so zero covers need no care. A node's feature has the same bit for every
/// leaf below it, so one top-down pass over the nodes gives every leaf's pattern: all bits set
/// at the root, a node's bit cleared on the way to the child the row does not take.
///
/// Trees beyond the limits (a leaf with more than ``maxPathFeatures`` features, more than
/// ``maxTreeEntries`` table entries in a tree, more than ``maxEntries`` in all) are left to the
/// recursive walk.
struct TreeSHAPTables: Sendable {
    /// An internal node: its split (global child indices unused) and its children in its tree.
    struct Node {
        var split: BoostedTrees.PackedNode
        /// The node's own index in its tree.
        var index: Int32
        var left: Int32
        var right: Int32
        /// The bit of the node's feature in the patterns of the leaves below it.
        var bit: UInt32
    }

    /// A leaf with a non-empty path.
    struct Leaf {
        /// The leaf's index in its tree (its pattern's slot).
        var index: Int32
        /// The number of unique features on its path (`d`).
        var count: Int32
        /// The first of its `2^d` entries in ``weights``.
        var table: Int
        /// The first of its `d` features in ``features``, ``zero`` and ``hot``.
        var path: Int
        /// The first of its values in the engine's values (global node index × width).
        var value: Int
    }

    /// One tree explained by tables.
    struct Tree {
        var nodes: Range<Int>
        var leaves: Range<Int>
        /// The tree's node count (patterns slots).
        var size: Int
        /// The first contribution column it adds to (its output × feature count).
        var output: Int
    }

    /// The most unique features on a leaf's path for a table (`2^16` entries).
    static let maxPathFeatures = 16
    /// The most table entries in one tree.
    static let maxTreeEntries = 1 << 18
    /// The most table entries in all (64 MiB of `Double`).
    static let maxEntries = 1 << 23

    var nodes: [Node] = []
    var leaves: [Leaf] = []
    var features: [Int32] = []
    /// Each leaf-path feature's zero fraction `zⱼ`.
    var zero: [Double] = []
    /// Each leaf-path feature's `1 − zⱼ`.
    var hot: [Double] = []
    var weights: [Double] = []
    var trees: [Tree] = []
    /// The engine's trees (indices into its roots) left to the recursive walk.
    var recursive: [Int] = []
    /// The largest ``Tree/size``.
    var largestTree = 0

    /// The tables of the engine's trees within the limits; with `rows` set, a tree gets tables
    /// only when building them costs less than the recursive walk of that many rows would.
    init(_ engine: TreeSHAPEngine, rows: Int?) {
        var total = 0
        for t in engine.roots.indices {
            let root = engine.roots[t], end = t + 1 < engine.roots.count ? engine.roots[t + 1] : engine.nodes.count
            guard let shape = Self.shape(engine, root: root, end: end) else {
                recursive.append(t)
                continue
            }
            let entries = shape.leaves.reduce(0) { $0 + (1 << $1.features.count) }
            let build = shape.leaves.reduce(0) { $0 + (1 << $1.features.count) * ($1.features.count + 1) }
            let walk = shape.leaves.reduce(0) { $0 + ($1.features.count + 1) * ($1.features.count + 2) }
            let pays = rows.map { build <= $0 * walk } ?? true
            guard entries <= Self.maxTreeEntries, total + entries <= Self.maxEntries, pays else {
                recursive.append(t)
                continue
            }
            total += entries
            append(shape, engine: engine, root: root, end: end, output: engine.outputStart[t] * engine.featureCount)
        }
    }

    /// No tables: every one of `trees` trees left to the recursive walk.
    init(recursive trees: Int) {
        recursive = Array(0..<trees)
    }

    /// Calls `body` with a walk over the tables' trees, reading leaf values from `values` and
    /// category sets from `bits` (the engine's).
    func withWalk<S: BLASScalar, R>(values: UnsafePointer<Double>, bits: UnsafePointer<UInt32>, width: Int,
                                    featureCount: Int, _ body: (TreeSHAPTableWalk<S>) -> R) -> R {
        nodes.withUnsafeBufferPointer { nodes in
            leaves.withUnsafeBufferPointer { leaves in
                features.withUnsafeBufferPointer { features in
                    zero.withUnsafeBufferPointer { zero in
                        hot.withUnsafeBufferPointer { hot in
                            weights.withUnsafeBufferPointer { weights in
                                trees.withUnsafeBufferPointer { trees in
                                    body(TreeSHAPTableWalk(nodes: nodes, leaves: leaves, features: features, zero: zero, hot: hot,
                                                           weights: weights, values: values, bits: bits,
                                                           width: width, featureCount: featureCount, trees: trees,
                                                           largestTree: largestTree))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A tree's nodes' bits, and its leaves' paths (features in order of first appearance, zero fractions).
    private struct Shape {
        var bits: [UInt32]
        var leaves: [(index: Int, features: [Int32], zero: [Double])]
    }

    /// The shape of the tree of nodes `root ..< end`, or nil when a leaf's path has more than
    /// ``maxPathFeatures`` features (or the nodes are not a tree with children after parents).
    private static func shape(_ engine: TreeSHAPEngine, root: Int, end: Int) -> Shape? {
        var shape = Shape(bits: [UInt32](repeating: 0, count: end - root), leaves: [])
        var features = [Int32](), zero = [Double](), fits = true
        func visit(_ node: Int, _ level: Int) {
            guard fits else { return }
            let n = engine.nodes[node]
            if n.split.feature < 0 {
                if !features.isEmpty { shape.leaves.append((node - root, features, zero)) }
                return
            }
            guard level < TreeSHAPEngine.maxDepth else { fits = false; return }
            let k = features.firstIndex(of: n.split.feature) ?? features.count
            let appended = k == features.count
            if appended {
                guard k < maxPathFeatures else { fits = false; return }
                features.append(n.split.feature)
                zero.append(1)
            }
            shape.bits[node - root] = 1 << UInt32(k)
            let saved = zero[k]
            for (child, share) in [(Int(n.split.left), n.leftFraction), (Int(n.split.right), n.rightFraction)] {
                guard child > node, child < end else { fits = false; return }
                zero[k] = saved * share
                visit(child, level + 1)
            }
            zero[k] = saved
            if appended {
                features.removeLast()
                zero.removeLast()
            }
        }
        visit(root, 0)
        return fits ? shape : nil
    }

    /// Adds a tree within the limits: its internal nodes in order, its leaves and their tables.
    private mutating func append(_ shape: Shape, engine: TreeSHAPEngine, root: Int, end: Int, output: Int) {
        let nodeStart = nodes.count, leafStart = leaves.count
        for i in root..<end where engine.nodes[i].split.feature >= 0 {
            let split = engine.nodes[i].split
            nodes.append(Node(split: split, index: Int32(i - root), left: split.left - Int32(root),
                              right: split.right - Int32(root), bit: shape.bits[i - root]))
        }
        for leaf in shape.leaves {
            let d = leaf.features.count
            leaves.append(Leaf(index: Int32(leaf.index), count: Int32(d), table: weights.count, path: features.count,
                               value: (root + leaf.index) * engine.width))
            features.append(contentsOf: leaf.features)
            zero.append(contentsOf: leaf.zero)
            hot.append(contentsOf: leaf.zero.map { 1 - $0 })
            weights.append(contentsOf: Self.table(leaf.zero))
        }
        trees.append(Tree(nodes: nodeStart..<nodes.count, leaves: leafStart..<leaves.count, size: end - root, output: output))
        largestTree = max(largestTree, end - root)
    }

    /// `G(B)` for every pattern `B` of a leaf's `d` features of zero fractions `z` (`2^d` values;
    /// the full pattern, never looked up, is 0): depth first over the patterns, each extending
    /// its parent's elementary symmetric polynomials of the `zⱼ` by one feature.
    static func table(_ z: [Double]) -> [Double] {
        let d = z.count
        var g = [Double](repeating: 0, count: 1 << d)
        // shapley[s] = s! (d − s − 1)! / d! = 1 / (d · C(d − 1, s)).
        var shapley = [Double](repeating: 0, count: d), binomial = 1.0
        for s in 0..<d {
            shapley[s] = 1 / (Double(d) * binomial)
            binomial = binomial * Double(d - 1 - s) / Double(s + 1)
        }
        // Level m holds e₀ … e_m of the pattern being visited at size m.
        var poly = [Double](repeating: 0, count: (d + 1) * (d + 1))
        poly[0] = 1
        func visit(_ pattern: Int, _ next: Int, _ m: Int) {
            if m < d {
                var total = 0.0
                for k in 0...m { total += shapley[m - k] * poly[m * (d + 1) + k] }
                g[pattern] = total
            }
            for b in next..<d {
                let from = m * (d + 1), to = (m + 1) * (d + 1)
                poly[to] = 1
                for k in 1...(m + 1) { poly[to + k] = (k <= m ? poly[from + k] : 0) + z[b] * poly[from + k - 1] }
                visit(pattern | 1 << b, b + 1, m + 1)
            }
        }
        visit(0, 0, 0)
        return g
    }
}
