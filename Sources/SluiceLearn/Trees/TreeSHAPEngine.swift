import SluiceCompute

/// Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2) over a flat view
/// of one or more trees, shared by the CART tree, the random forest and gradient boosting.
///
/// It computes what the `shap` package's `TreeExplainer(feature_perturbation="tree_path_dependent")`
/// computes: the expectation of the model over a feature subset is taken over the training
/// rows that reached each node (its *cover*), so each row's contributions plus the expected
/// value equal the model's output for the row.
///
/// The view: every node of every tree in one array (children after their parent, global
/// indices), each internal node with the fraction of its cover that went to each child
/// (precomputed, so a walk divides nothing), and `width` values per node of which only the
/// leaves' are read. Tree `t` adds its leaf values to outputs `outputStart[t] ..< outputStart[t] + width`,
/// already multiplied by the tree's weight (`1 / trees` in a forest).
struct TreeSHAPEngine: Sendable {
    /// One node: its split as prediction packs it, and its children's shares of its cover.
    struct Node {
        var split: BoostedTrees.PackedNode
        var leftFraction: Double
        var rightFraction: Double
    }

    /// One element of the path of unique features from the root.
    struct PathElement {
        var feature: Int
        var zeroFraction: Double
        var oneFraction: Double
        var weight: Double
    }

    /// The deepest a tree may be for contributions (the walk recurses once per level).
    static let maxDepth = 1024

    var nodes: [Node]
    /// `width` values per node (leaves only are read), each tree's weight applied.
    var values: [Double]
    /// Values per leaf: 1 for a boosting tree, the class count for a CART classifier.
    var width: Int
    /// Each tree's root in ``nodes``.
    var roots: [Int]
    /// The first output each tree's values add to.
    var outputStart: [Int]
    /// The number of outputs explained.
    var outputs: Int
    var featureCount: Int
    /// 8 words per categorical split (boosting), at least 8 so a pointer to it is valid.
    var categoryBits: [UInt32]
    /// The deepest leaf of any tree (edges from its root).
    var depth: Int

    /// The cover-weighted mean of each tree's leaf values, per output (`outputs` values, no baseline).
    func expectedValues() -> [Double] {
        var mean = values
        var out = [Double](repeating: 0, count: outputs)
        let w = width
        for (t, root) in roots.enumerated() {
            let end = t + 1 < roots.count ? roots[t + 1] : nodes.count
            for i in stride(from: end - 1, through: root, by: -1) where nodes[i].split.feature >= 0 {
                let n = nodes[i], l = Int(n.split.left), r = Int(n.split.right)
                for c in 0..<w { mean[i * w + c] = n.leftFraction * mean[l * w + c] + n.rightFraction * mean[r * w + c] }
            }
            for c in 0..<w { out[outputStart[t] + c] += mean[root * w + c] }
        }
        return out
    }

    /// How ``contributions(_:method:)`` explains the trees.
    enum Method {
        /// Fast TreeSHAP tables (``TreeSHAPTables``) for each tree within their limits whose
        /// tables cost less to build than the recursive walk of the rows; the walk for the others.
        case automatic
        /// Tables for every tree within their limits, however few the rows.
        case tables
        /// The recursive walk for every tree.
        case recursive
    }

    /// `n × (outputs · featureCount)` contributions of the rows of `x` (`featureCount` columns),
    /// output `k`'s feature `j` in column `k · featureCount + j`; parallel over rows, blocks of
    /// rows going through each tree in turn. Zero when a tree is deeper than ``maxDepth``.
    func contributions<S: BLASScalar>(_ x: Matrix<S>, method: Method = .automatic) -> Matrix<Double> {
        let n = x.rows, p = featureCount
        var out = Matrix<Double>(rows: n, columns: outputs * p)
        guard n > 0, p > 0, !roots.isEmpty, depth <= Self.maxDepth, x.columns == p else { return out }
        let tables: TreeSHAPTables
        switch method {
        case .automatic: tables = TreeSHAPTables(self, rows: n)
        case .tables: tables = TreeSHAPTables(self, rows: nil)
        case .recursive: tables = TreeSHAPTables(recursive: roots.count)
        }
        let pathSize = (depth + 3) * (depth + 4) / 2
        let bits = categoryBits.count >= 8 ? categoryBits : [UInt32](repeating: 0, count: 8)
        let stride = outputs * p
        let reciprocals = (0...(depth + 3)).map { $0 == 0 ? 0 : 1 / Double($0) }
        let recursiveTrees = tables.recursive.map { SIMD2<Int>(roots[$0], outputStart[$0] * p) }
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { data in
                nodes.withUnsafeBufferPointer { nodes in
                    values.withUnsafeBufferPointer { values in
                        bits.withUnsafeBufferPointer { bits in
                            recursiveTrees.withUnsafeBufferPointer { trees in
                                reciprocals.withUnsafeBufferPointer { reciprocals in
                                    tables.withWalk(values: values.baseAddress!, bits: bits.baseAddress!, width: width,
                                                    featureCount: p) { (walkTables: TreeSHAPTableWalk<S>) in
                                        let shared = BoostUnchecked((o, data, nodes, values, bits, trees, reciprocals))
                                        Parallel.forEachChunk(of: n, minimumChunk: 64) { range in
                                            let (o, data, nodes, values, bits, trees, reciprocals) = shared.value
                                            let path = UnsafeMutablePointer<PathElement>.allocate(capacity: pathSize)
                                            defer { path.deallocate() }
                                            var walk = TreeSHAPWalk(nodes: nodes.baseAddress!, values: values.baseAddress!,
                                                                    bits: bits.baseAddress!, width: width, featureCount: p,
                                                                    reciprocals: reciprocals.baseAddress!, row: data.baseAddress!,
                                                                    phi: o.baseAddress!)
                                            var block = range.lowerBound
                                            while block < range.upperBound {
                                                let blockEnd = min(block + 64, range.upperBound)
                                                walkTables.add(block..<blockEnd, x: data.baseAddress!, out: o.baseAddress!, stride: stride)
                                                for i in block..<blockEnd {
                                                    walk.row = data.baseAddress! + i * p
                                                    for tree in trees {
                                                        walk.phi = o.baseAddress! + i * stride + tree[1]
                                                        walk.recurse(tree[0], path, 0, 1, 1, -1)
                                                    }
                                                }
                                                block = blockEnd
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// One row's walk through one tree, generic over the row's scalar (trees read `Float` rows,
/// boosting `Double`; a value is compared as a `Double`, as prediction does).
struct TreeSHAPWalk<S: BLASScalar> {
    let nodes: UnsafePointer<TreeSHAPEngine.Node>
    let values: UnsafePointer<Double>
    let bits: UnsafePointer<UInt32>
    let width: Int
    let featureCount: Int
    /// `reciprocals[k] = 1 / k` for `k ≤` the depth + 2.
    let reciprocals: UnsafePointer<Double>
    var row: UnsafePointer<S>
    var phi: UnsafeMutablePointer<Double>

    typealias Element = TreeSHAPEngine.PathElement

    /// Appends an element and updates the weights: the new weight of position `i` is
    /// `(zero · wᵢ · (d − i) + one · wᵢ₋₁ · i) / (d + 1)`, each from the old weights only, so the
    /// loop carries nothing from one position to the next.
    static func extend(_ path: UnsafeMutablePointer<Element>, _ depth: Int, _ zero: Double, _ one: Double, _ feature: Int) {
        path[depth] = Element(feature: feature, zeroFraction: zero, oneFraction: one, weight: depth == 0 ? 1 : 0)
        guard depth > 0 else { return }
        let scale = 1 / Double(depth + 1)
        var previous = 0.0
        for i in 0...depth {
            let w = path[i].weight
            path[i].weight = (zero * w * Double(depth - i) + one * previous * Double(i)) * scale
            previous = w
        }
    }

    /// Removes element `index` from the path's weights (the inverse of ``extend``); `reciprocals[k]` is `1 / k`.
    static func unwind(_ path: UnsafeMutablePointer<Element>, _ depth: Int, _ index: Int, reciprocals: UnsafePointer<Double>) {
        let one = path[index].oneFraction, zero = path[index].zeroFraction
        let whole = Double(depth + 1), part = reciprocals[depth + 1]
        var next = path[depth].weight
        var i = depth - 1
        if one != 0 {
            let inverseOne = 1 / one
            while i >= 0 {
                let tmp = path[i].weight
                path[i].weight = next * whole * reciprocals[i + 1] * inverseOne
                next = tmp - path[i].weight * zero * Double(depth - i) * part
                i -= 1
            }
        } else {
            let inverseZero = 1 / zero
            while i >= 0 {
                path[i].weight = path[i].weight * whole * inverseZero * reciprocals[depth - i]
                i -= 1
            }
        }
        for j in index..<depth {
            path[j].feature = path[j + 1].feature
            path[j].zeroFraction = path[j + 1].zeroFraction
            path[j].oneFraction = path[j + 1].oneFraction
        }
    }

    /// The total weight of the path with an element of fractions `one` (not 0) and `zero`
    /// unwound, without changing the path; `reciprocals[k]` is `1 / k`.
    @inline(__always)
    static func unwoundSum(_ path: UnsafeMutablePointer<Element>, _ depth: Int, one: Double, zero: Double,
                           reciprocals: UnsafePointer<Double>) -> Double {
        // tmpᵢ = nextᵢ / ((i + 1) · one), nextᵢ₋₁ = wᵢ − tmpᵢ · zero · (d − i): with the factors
        // taken out of the chain, each step waits on one multiply and one subtract.
        let inverseOne = 1 / one
        var next = path[depth].weight, total = 0.0
        var i = depth - 1
        while i >= 0 {
            let c = reciprocals[i + 1] * inverseOne
            let k = c * zero * Double(depth - i)
            total += next * c
            next = path[i].weight - next * k
            i -= 1
        }
        return total * Double(depth + 1)
    }

    mutating func recurse(_ node: Int, _ parentPath: UnsafeMutablePointer<Element>, _ depthIn: Int,
                          _ parentZero: Double, _ parentOne: Double, _ parentFeature: Int) {
        var depth = depthIn
        let path = parentPath + depth + 1
        path.update(from: parentPath, count: depth)
        Self.extend(path, depth, parentZero, parentOne, parentFeature)
        let here = nodes[node]
        if here.split.feature < 0 {
            guard depth >= 1 else { return }
            let leaf = values + node * width
            // A feature the row did not follow here (one = 0) has the unwound sum
            // (d+1)/zero · Σⱼ wⱼ/(d−j), so its contribution factor (one − zero) · sum is the
            // same for all of them: −(d+1) · Σⱼ wⱼ/(d−j), computed once per leaf.
            var cold = 0.0, coldKnown = false
            for i in 1...depth {
                let one = path[i].oneFraction, zero = path[i].zeroFraction
                let w: Double
                if one != 0 {
                    w = Self.unwoundSum(path, depth, one: one, zero: zero, reciprocals: reciprocals) * (one - zero)
                } else if zero != 0 {
                    if !coldKnown {
                        var total = 0.0
                        for j in 0..<depth { total += path[j].weight * reciprocals[depth - j] }
                        cold = -total * Double(depth + 1)
                        coldKnown = true
                    }
                    w = cold
                } else {
                    w = 0
                }
                let target = phi + path[i].feature
                for c in 0..<width { target[c * featureCount] += w * leaf[c] }
            }
            return
        }
        let f = Int(here.split.feature)
        let left = BoostedTrees.goesLeft(here.split, Double(row[f]), bits: bits)
        let hot = Int(left ? here.split.left : here.split.right), cold = Int(left ? here.split.right : here.split.left)
        let hotZero = left ? here.leftFraction : here.rightFraction
        let coldZero = left ? here.rightFraction : here.leftFraction
        var incomingZero = 1.0, incomingOne = 1.0
        var k = 0
        while k <= depth {
            if path[k].feature == f { break }
            k += 1
        }
        if k != depth + 1 {
            incomingZero = path[k].zeroFraction
            incomingOne = path[k].oneFraction
            Self.unwind(path, depth, k, reciprocals: reciprocals)
            depth -= 1
        }
        recurse(hot, path, depth + 1, hotZero * incomingZero, incomingOne, f)
        recurse(cold, path, depth + 1, coldZero * incomingZero, 0, f)
    }
}
