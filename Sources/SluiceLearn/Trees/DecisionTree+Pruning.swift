/// Minimal cost-complexity pruning (Breiman et al., 1984; scikit-learn's `ccp_alpha`).
///
/// A node's cost is `R(t) = W_t / W · impurity(t)`; a subtree's, the sum over its leaves.
/// Weakest-link pruning repeatedly turns into a leaf the internal node with the smallest
/// effective alpha `(R(t) - R(subtree)) / (leaves - 1)` (the first such node in node order),
/// while that alpha is at most the target.
public struct PruningPath: Sendable, Equatable, Codable {
    /// The effective alpha of each pruning step, starting at 0 (the full tree).
    public var alphas: [Double]
    /// The total leaf cost `Σ R(leaf)` of the tree after each step.
    public var impurities: [Double]
}

extension DecisionTree {
    /// Prunes with `alpha` (or to the root when `alpha` is nil) and reports each step.
    private func weakestLinks(upTo alpha: Double?) -> (inTree: [Bool], isLeaf: [Bool], path: PruningPath) {
        let n = nodeCount
        let total = weightedSamples[0]
        let r = (0..<n).map { weightedSamples[$0] * impurity[$0] / total }
        var parent = [Int](repeating: -1, count: n)
        for i in 0..<n where feature[i] >= 0 { parent[Int(left[i])] = i; parent[Int(right[i])] = i }
        var isLeaf = feature.map { $0 < 0 }
        var inTree = [Bool](repeating: true, count: n)
        var leaves = [Int](repeating: 1, count: n), branch = r
        for i in stride(from: n - 1, through: 0, by: -1) where !isLeaf[i] {  // children come after parents
            leaves[i] = leaves[Int(left[i])] + leaves[Int(right[i])]
            branch[i] = branch[Int(left[i])] + branch[Int(right[i])]
        }
        var path = PruningPath(alphas: [0], impurities: [branch[0]])
        while !isLeaf[0] {
            var best = -1, bestAlpha = Double.greatestFiniteMagnitude
            for i in 0..<n where inTree[i] && !isLeaf[i] {
                let a = (r[i] - branch[i]) / Double(leaves[i] - 1)
                if a < bestAlpha { bestAlpha = a; best = i }
            }
            if let alpha, bestAlpha > alpha { break }
            var stack = [Int(left[best]), Int(right[best])]
            while let j = stack.popLast() {
                inTree[j] = false
                if !isLeaf[j] { stack.append(Int(left[j])); stack.append(Int(right[j])) }
            }
            isLeaf[best] = true
            let dLeaves = leaves[best] - 1, dBranch = branch[best] - r[best]
            var a = best
            while a >= 0 {
                leaves[a] -= dLeaves
                branch[a] -= dBranch
                a = parent[a]
            }
            path.alphas.append(bestAlpha)
            path.impurities.append(branch[0])
        }
        return (inTree, isLeaf, path)
    }

    /// The effective alphas and leaf costs of every weakest-link pruning step down to the
    /// root (scikit-learn's `cost_complexity_pruning_path`).
    public var pruningPath: PruningPath { weakestLinks(upTo: nil).path }

    /// The tree pruned with complexity parameter `alpha` (≥ 0): the subtree minimising
    /// `R(T) + alpha · |leaves(T)|` by weakest-link pruning. Node order is kept.
    public func pruned(alpha: Double) -> DecisionTree {
        guard alpha > 0, nodeCount > 1 else { return self }
        let kept = weakestLinks(upTo: alpha)
        var map = [Int32](repeating: -1, count: nodeCount), next: Int32 = 0
        for i in 0..<nodeCount where kept.inTree[i] { map[i] = next; next += 1 }
        var t = DecisionTree(featureCount: featureCount, outputCount: outputCount, feature: [], threshold: [], left: [],
                             right: [], missingGoesLeft: [], impurity: [], weightedSamples: [], samples: [], values: [])
        for i in 0..<nodeCount where kept.inTree[i] {
            let leaf = kept.isLeaf[i]
            t.feature.append(leaf ? -1 : feature[i])
            t.threshold.append(leaf ? 0 : threshold[i])
            t.left.append(leaf ? -1 : map[Int(left[i])])
            t.right.append(leaf ? -1 : map[Int(right[i])])
            t.missingGoesLeft.append(leaf ? false : missingGoesLeft[i])
            t.impurity.append(impurity[i])
            t.weightedSamples.append(weightedSamples[i])
            t.samples.append(samples[i])
            t.values.append(contentsOf: values[i * outputCount..<(i + 1) * outputCount])
            if !categorySets.isEmpty { t.categorySets.append(leaf ? -1 : categorySets[i]) }
        }
        t.categoryBits = categoryBits
        return t
    }
}
