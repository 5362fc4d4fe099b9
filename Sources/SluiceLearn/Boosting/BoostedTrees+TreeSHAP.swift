import SluiceCompute

/// Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2), as the `shap`
/// package's `TreeExplainer(feature_perturbation="tree_path_dependent")` computes it: the
/// expectation of a feature subset is taken over the training rows that reached each node
/// (its cover). Each row's contributions plus the expected value equal its raw score.
extension BoostedTrees {
    /// One element of the path of unique features from the root.
    struct PathElement {
        var feature: Int
        var zeroFraction: Double
        var oneFraction: Double
        var weight: Double
    }

    /// The deepest a tree may be for contributions (recursion depth).
    static let maxExplainedDepth = 1024

    /// The depth of each node (edges from its tree's root) and the deepest of all.
    func depths() -> (depths: [Int], max: Int) {
        var depth = [Int](repeating: 0, count: nodeCount)
        var deepest = 0
        for t in 0..<treeCount {
            let s = treeStarts[t]
            for i in s..<treeStarts[t + 1] where features[i] >= 0 {
                for c in [s + Int(left[i]), s + Int(right[i])] where c < nodeCount {
                    depth[c] = max(depth[c], depth[i] + 1)
                    deepest = max(deepest, depth[c])
                }
            }
        }
        return (depth, deepest)
    }

    /// The cover-weighted mean leaf value of each tree.
    func treeMeans() -> [Double] {
        var mean = values.elements
        var out = [Double](repeating: 0, count: treeCount)
        for t in 0..<treeCount {
            let s = treeStarts[t]
            for i in stride(from: treeStarts[t + 1] - 1, through: s, by: -1) where features[i] >= 0 {
                let l = s + Int(left[i]), r = s + Int(right[i])
                mean[i] = (covers[0, l] * mean[l] + covers[0, r] * mean[r]) / covers[0, i]
            }
            out[t] = mean[s]
        }
        return out
    }

    /// The expected raw score of each output: the baseline plus its trees' cover-weighted means.
    func expectedValues() -> [Double] {
        var e = baseline
        for (t, m) in treeMeans().enumerated() { e[t % outputs] += m }
        return e
    }

    /// `n × (outputs · featureCount)` TreeSHAP contributions of the rows of `x`, parallel over rows.
    /// Trees deeper than ``maxExplainedDepth`` contribute nothing (never so when grown with a leaf limit).
    func contributions(_ x: Matrix<Double>) -> Matrix<Double> {
        let n = x.rows, p = featureCount, m = outputs
        var out = Matrix<Double>(rows: n, columns: m * p)
        let (_, deepest) = depths()
        guard n > 0, p > 0, deepest <= Self.maxExplainedDepth else { return out }
        let nodes = packed()
        let bits = categoryBits.isEmpty ? [UInt32](repeating: 0, count: 8) : categoryBits
        let cover = covers.elements
        let pathSize = (deepest + 3) * (deepest + 4) / 2
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { data in
                nodes.withUnsafeBufferPointer { nodes in
                    bits.withUnsafeBufferPointer { bits in
                        cover.withUnsafeBufferPointer { cover in
                            let shared = BoostUnchecked((o, data, nodes, bits, cover))
                            Parallel.forEachChunk(of: n, minimumChunk: 64) { range in
                                let (o, data, nodes, bits, cover) = shared.value
                                let path = UnsafeMutablePointer<PathElement>.allocate(capacity: pathSize)
                                defer { path.deallocate() }
                                for i in range {
                                    let row = data.baseAddress! + i * p
                                    for t in 0..<treeCount {
                                        let phi = o.baseAddress! + i * m * p + (t % m) * p
                                        var walk = SHAPWalk(nodes: nodes.baseAddress!, bits: bits.baseAddress!,
                                                            cover: cover.baseAddress!, row: row, phi: phi)
                                        walk.recurse(treeStarts[t], path, 0, 1, 1, -1)
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

/// One row's walk through one tree.
struct SHAPWalk {
    let nodes: UnsafePointer<BoostedTrees.PackedNode>
    let bits: UnsafePointer<UInt32>
    let cover: UnsafePointer<Double>
    let row: UnsafePointer<Double>
    let phi: UnsafeMutablePointer<Double>

    typealias Element = BoostedTrees.PathElement

    static func extend(_ path: UnsafeMutablePointer<Element>, _ depth: Int, _ zero: Double, _ one: Double, _ feature: Int) {
        path[depth] = Element(feature: feature, zeroFraction: zero, oneFraction: one, weight: depth == 0 ? 1 : 0)
        var i = depth - 1
        while i >= 0 {
            path[i + 1].weight += one * path[i].weight * Double(i + 1) / Double(depth + 1)
            path[i].weight = zero * path[i].weight * Double(depth - i) / Double(depth + 1)
            i -= 1
        }
    }

    static func unwind(_ path: UnsafeMutablePointer<Element>, _ depth: Int, _ index: Int) {
        let one = path[index].oneFraction, zero = path[index].zeroFraction
        var next = path[depth].weight
        var i = depth - 1
        while i >= 0 {
            if one != 0 {
                let tmp = path[i].weight
                path[i].weight = next * Double(depth + 1) / (Double(i + 1) * one)
                next = tmp - path[i].weight * zero * Double(depth - i) / Double(depth + 1)
            } else {
                path[i].weight = path[i].weight * Double(depth + 1) / (zero * Double(depth - i))
            }
            i -= 1
        }
        for j in index..<depth {
            path[j].feature = path[j + 1].feature
            path[j].zeroFraction = path[j + 1].zeroFraction
            path[j].oneFraction = path[j + 1].oneFraction
        }
    }

    static func unwoundSum(_ path: UnsafeMutablePointer<Element>, _ depth: Int, _ index: Int) -> Double {
        let one = path[index].oneFraction, zero = path[index].zeroFraction
        var next = path[depth].weight, total = 0.0
        var i = depth - 1
        if one != 0 {
            while i >= 0 {
                let tmp = next / (Double(i + 1) * one)
                total += tmp
                next = path[i].weight - tmp * zero * Double(depth - i)
                i -= 1
            }
        } else if zero != 0 {
            while i >= 0 {
                total += path[i].weight / (zero * Double(depth - i))
                i -= 1
            }
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
        if here.feature < 0 {
            if depth >= 1 {
                for i in 1...depth {
                    let w = Self.unwoundSum(path, depth, i)
                    phi[path[i].feature] += w * (path[i].oneFraction - path[i].zeroFraction) * here.threshold
                }
            }
            return
        }
        let f = Int(here.feature)
        let left = BoostedTrees.goesLeft(here, row[f], bits: bits)
        let hot = Int(left ? here.left : here.right), cold = Int(left ? here.right : here.left)
        let w = cover[node]
        let hotZero = cover[hot] / w, coldZero = cover[cold] / w
        var incomingZero = 1.0, incomingOne = 1.0
        var k = 0
        while k <= depth {
            if path[k].feature == f { break }
            k += 1
        }
        if k != depth + 1 {
            incomingZero = path[k].zeroFraction
            incomingOne = path[k].oneFraction
            Self.unwind(path, depth, k)
            depth -= 1
        }
        recurse(hot, path, depth + 1, hotZero * incomingZero, incomingOne, f)
        recurse(cold, path, depth + 1, coldZero * incomingZero, 0, f)
    }
}
