import SluiceCompute

/// Exact path-dependent TreeSHAP for boosting, through the shared ``TreeSHAPEngine``: the
/// expectation of a feature subset is taken over the training rows that reached each node
/// (its cover). Each row's contributions plus the expected value equal its raw score.
extension BoostedTrees {
    /// The trees as TreeSHAP's flat view: one value per leaf, tree `t` adding to output `t % outputs`.
    func shapEngine() -> TreeSHAPEngine {
        let packed = packed()
        var nodes = [TreeSHAPEngine.Node](), depth = [Int](repeating: 0, count: nodeCount), deepest = 0
        nodes.reserveCapacity(nodeCount)
        for (i, node) in packed.enumerated() {
            guard node.feature >= 0 else {
                nodes.append(TreeSHAPEngine.Node(split: node, leftFraction: 0, rightFraction: 0))
                continue
            }
            let l = Int(node.left), r = Int(node.right), w = covers[0, i]
            nodes.append(TreeSHAPEngine.Node(split: node, leftFraction: covers[0, l] / w, rightFraction: covers[0, r] / w))
            for c in [l, r] where c < nodeCount {
                depth[c] = depth[i] + 1
                deepest = max(deepest, depth[c])
            }
        }
        return TreeSHAPEngine(nodes: nodes, values: packed.map { $0.feature < 0 ? $0.threshold : 0 },
                              width: 1, roots: Array(treeStarts.dropLast()), outputStart: (0..<treeCount).map { $0 % outputs },
                              outputs: outputs, featureCount: featureCount, categoryBits: categoryBits, depth: deepest)
    }

    /// The expected raw score of each output: the baseline plus its trees' cover-weighted means.
    func expectedValues() -> [Double] {
        zip(baseline, shapEngine().expectedValues()).map { $0 + $1 }
    }

    /// `n × (outputs · featureCount)` TreeSHAP contributions of the rows of `x`, parallel over rows.
    /// Trees deeper than ``TreeSHAPEngine/maxDepth`` contribute nothing (never so when grown with a leaf limit).
    func contributions(_ x: Matrix<Double>) -> Matrix<Double> {
        shapEngine().contributions(x)
    }
}
