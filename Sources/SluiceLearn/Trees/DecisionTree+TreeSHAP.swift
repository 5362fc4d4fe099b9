import SluiceCompute
import SluicePipeline

extension DecisionTree {
    /// The trees as TreeSHAP's flat view (``TreeSHAPEngine``): every tree adds `1 / trees.count`
    /// of its leaf values (class fractions, or the regression value) to outputs `0 ..< outputCount`,
    /// as a forest's mean does. A node's cover is its weighted training rows (sample, class and
    /// bootstrap weights: scikit-learn's `weighted_n_node_samples`, which `shap` uses); a node
    /// whose weight is 0 falls back on its row count, and one without rows splits its cover evenly.
    static func shapEngine(_ trees: [DecisionTree], outputs: Int, featureCount: Int) -> TreeSHAPEngine {
        let total = trees.reduce(0) { $0 + $1.nodeCount }
        let scale = 1 / Double(max(1, trees.count))
        var nodes = [TreeSHAPEngine.Node](), values = [Double](), roots = [Int](), deepest = 0, bits = [UInt32]()
        nodes.reserveCapacity(total)
        values.reserveCapacity(total * outputs)
        for tree in trees {
            let start = nodes.count
            roots.append(start)
            deepest = max(deepest, tree.depth)
            let setBase = Int32(bits.count / CategoryBitset.words)  // the tree's category sets after the others'
            bits.append(contentsOf: tree.categoryBits)
            for i in 0..<tree.nodeCount {
                for c in 0..<outputs { values.append(c < tree.outputCount ? tree.values[i * tree.outputCount + c] * scale : 0) }
                let f = tree.feature[i]
                guard f >= 0 else {
                    nodes.append(TreeSHAPEngine.Node(
                        split: BoostedTrees.PackedNode(threshold: 0, feature: -1, left: 0, right: 0, categorySet: -1, missingLeft: false),
                        leftFraction: 0, rightFraction: 0))
                    continue
                }
                let l = Int(tree.left[i]), r = Int(tree.right[i])
                let ws = tree.weightedSamples, rows = tree.samples
                let (fl, fr) = Self.fractions(ws[l], ws[r], of: ws[i])
                    ?? Self.fractions(Double(rows[l]), Double(rows[r]), of: Double(rows[i])) ?? (0.5, 0.5)
                nodes.append(TreeSHAPEngine.Node(
                    split: BoostedTrees.PackedNode(threshold: tree.threshold[i], feature: f, left: Int32(start + l),
                                                   right: Int32(start + r),
                                                   categorySet: tree.categorySet(i) >= 0 ? setBase + tree.categorySet(i) : -1,
                                                   missingLeft: tree.missingGoesLeft[i]),
                    leftFraction: fl, rightFraction: fr))
            }
        }
        return TreeSHAPEngine(nodes: nodes, values: values, width: outputs, roots: roots,
                              outputStart: [Int](repeating: 0, count: trees.count), outputs: outputs,
                              featureCount: featureCount, categoryBits: bits, depth: deepest)
    }

    /// The children's shares `(a / whole, b / whole)` of a node's cover, or nil when it is not positive and finite.
    private static func fractions(_ a: Double, _ b: Double, of whole: Double) -> (Double, Double)? {
        whole > 0 && whole.isFinite && a.isFinite && b.isFinite ? (a / whole, b / whole) : nil
    }
}

extension DecisionTreeClassifier.Model: ContributionModel {
    public var contributionOutputs: Int { classes.count }
    /// Each class's probability over the training rows (the root's weighted class fractions).
    public var expectedValues: [Double] {
        DecisionTree.shapEngine([tree], outputs: classes.count, featureCount: featureCount).expectedValues()
    }

    /// Exact path-dependent TreeSHAP contributions to each class's **probability** (the leaf's
    /// class fraction), one block of features per class, as `shap`'s `TreeExplainer` explains
    /// scikit-learn's classification trees.
    public func contributions(_ x: Matrix<Float>) throws -> Matrix<Double> {
        try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
        return DecisionTree.shapEngine([tree], outputs: classes.count, featureCount: featureCount).contributions(x)
    }
}

extension DecisionTreeRegressor.Model: ContributionModel {
    public var contributionOutputs: Int { 1 }
    /// The mean training target (the root's value).
    public var expectedValues: [Double] {
        DecisionTree.shapEngine([tree], outputs: 1, featureCount: featureCount).expectedValues()
    }

    /// Exact path-dependent TreeSHAP contributions to the predicted value.
    public func contributions(_ x: Matrix<Float>) throws -> Matrix<Double> {
        try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
        return DecisionTree.shapEngine([tree], outputs: 1, featureCount: featureCount).contributions(x)
    }
}

extension RandomForestClassifier.Model: ContributionModel {
    public var contributionOutputs: Int { classes.count }
    /// Each class's mean probability over the trees' training rows.
    public var expectedValues: [Double] {
        DecisionTree.shapEngine(trees, outputs: classes.count, featureCount: featureCount).expectedValues()
    }

    /// Exact path-dependent TreeSHAP contributions to each class's **probability** (the mean of
    /// the trees' leaf class fractions), one block of features per class, as `shap`'s
    /// `TreeExplainer` explains scikit-learn's forests.
    public func contributions(_ x: Matrix<Float>) throws -> Matrix<Double> {
        try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
        return DecisionTree.shapEngine(trees, outputs: classes.count, featureCount: featureCount).contributions(x)
    }
}

extension RandomForestRegressor.Model: ContributionModel {
    public var contributionOutputs: Int { 1 }
    /// The mean over the trees of their training rows' mean target.
    public var expectedValues: [Double] {
        DecisionTree.shapEngine(trees, outputs: 1, featureCount: featureCount).expectedValues()
    }

    /// Exact path-dependent TreeSHAP contributions to the predicted value (the trees' mean).
    public func contributions(_ x: Matrix<Float>) throws -> Matrix<Double> {
        try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
        return DecisionTree.shapEngine(trees, outputs: 1, featureCount: featureCount).contributions(x)
    }
}
