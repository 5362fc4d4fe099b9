import SluiceCompute
import SluicePipeline

/// A CART classification tree (scikit-learn's `DecisionTreeClassifier`).
///
/// With the ``TreeSplitter/exact`` splitter and every feature (`maxFeatures: .all`) the
/// tree makes the same splits as scikit-learn's, and so the same predictions, except where
/// two splits decrease the impurity by exactly the same amount: scikit-learn then keeps the
/// one of the feature that comes first in a random permutation; Sluice keeps the lowest
/// feature index (and within a feature the lowest threshold, as scikit-learn). Features are
/// taken as `Float`, as scikit-learn's `float32`, so thresholds are the same numbers.
///
/// Missing values (NaN) are handled natively: each split learns which side they go to
/// (rows missing the split's feature during training decide; a split that saw none sends
/// them to the child with more rows), as scikit-learn ≥ 1.3.
public struct DecisionTreeClassifier: Learner, Codable, Equatable {
    public typealias Scalar = Float
    public var targetKind: TargetKind { .classes }
    /// With ``categoricalSplits``, string features reach the tree as category codes (no one-hot
    /// encoding or imputation needed before it); missing values are always taken.
    public var featureRequirements: FeatureRequirements {
        FeatureRequirements(allowsMissing: true, categoricalCodes: categoricalSplits)
    }

    public var criterion: ClassificationCriterion
    public var splitter: TreeSplitter
    public var limits: TreeLimits
    /// Features drawn per split; with fewer than all, the draw order comes from the seed.
    public var maxFeatures: MaxFeatures
    /// Class weights multiply each row's sample weight (`.balanced`: `n / (k · count)`).
    public var classWeight: ClassWeight
    /// Whether categorical features (``TrainingSet/categorical``, string columns in a pipeline)
    /// split natively on their category codes, a category set per split (Breiman's ordering:
    /// ``CategoricalSplitSearch``), instead of being refused (one-hot encode them first).
    public var categoricalSplits: Bool

    public init(criterion: ClassificationCriterion = .gini, splitter: TreeSplitter = .automatic, maxDepth: Int? = nil,
                minSamplesSplit: Int = 2, minSamplesLeaf: Int = 1, minImpurityDecrease: Double = 0,
                maxFeatures: MaxFeatures = .all, maxLeafNodes: Int? = nil, ccpAlpha: Double = 0,
                classWeight: ClassWeight = .uniform, categoricalSplits: Bool = false) {
        self.criterion = criterion
        self.categoricalSplits = categoricalSplits
        self.splitter = splitter
        limits = TreeLimits(maxDepth: maxDepth, minSamplesSplit: minSamplesSplit, minSamplesLeaf: minSamplesLeaf,
                            minImpurityDecrease: minImpurityDecrease, maxLeafNodes: maxLeafNodes, ccpAlpha: ccpAlpha)
        self.maxFeatures = maxFeatures
        self.classWeight = classWeight
    }

    /// A fitted classification tree.
    public struct Model: ClassificationModel, FeatureImportances, Equatable {
        public typealias Scalar = Float
        public static let kind = "decision_tree_classifier"
        public var classes: [String]
        public var featureNames: [String]
        public var tree: DecisionTree
        /// The features split on category codes, with their categories (for ``rules(target:)``).
        public var categorical: [CategoricalFeature] = []
        public var featureCount: Int { tree.featureCount }

        /// The class fractions of the leaf each row ends in (weighted by sample and class weights).
        public func predictProbabilities(_ x: Matrix<Float>) throws -> Matrix<Double> {
            try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
            return tree.predictValues(x)
        }

        /// The index (into ``DecisionTree``'s node arrays) of the leaf each row ends in.
        public func apply(_ x: Matrix<Float>) throws -> [Int] {
            try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
            return tree.apply(x)
        }

        public var featureImportances: [Double] { tree.featureImportances }

        public func validate() throws {
            try FittedStateError.require(classes.count >= 2 && Set(classes).count == classes.count, Self.kind,
                                         field: "classes", "needs two or more distinct classes, has \(classes.count)")
            try FittedStateError.require(featureNames.count == tree.featureCount, Self.kind, field: "featureNames",
                                         "\(featureNames.count) names for \(tree.featureCount) features")
            try tree.validate(kind: Self.kind, outputs: classes.count)
        }
    }

    public func fit(_ data: TrainingSet<Float>, context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(data, learner: name, allowsMissing: true)
        try TreeFit.check(limits, splitter, maxFeatures, estimator: name)
        let y = try data.target.classLabels(learner: name)
        try TreeFit.classes(y, classWeight, estimator: name)
        let weights = classWeight.sampleWeights(for: y, sampleWeights: data.sampleWeights)
        let categorical = try TreeFit.categorical(data, enabled: categoricalSplits, learner: name)
        let prepared = TreeFit.Prepared(data.features, splitter: splitter, categorical: categorical, rng: &context.rng)
        let codes = y.codes.map { Int32($0) }
        let tree = codes.withUnsafeBufferPointer { c in
            weights.withUnsafeBufferPointer { w in
                TreeFit.grow(prepared, stats: ClassStatistics(codes: c.baseAddress!, classes: y.classes.count,
                                                              entropy: criterion != .gini),
                             weights: w.baseAddress!, maxFeatures: maxFeatures.resolve(data.features.columns),
                             limits: limits, rng: &context.rng)
            }
        }
        context.observe(FitProgress(source: name, unit: .tree, step: 1, total: 1,
                                    metrics: ["nodes": Double(tree.nodeCount), "depth": Double(tree.depth)]))
        return Model(classes: y.classes, featureNames: data.featureNames, tree: tree,
                     categorical: data.categorical.filter { categorical[$0.index] != nil })
    }
}

extension DecisionTreeClassifier {
    /// Decodes the hyperparameters; ones saved before ``categoricalSplits`` existed have it off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        criterion = try c.decode(ClassificationCriterion.self, forKey: .criterion)
        splitter = try c.decode(TreeSplitter.self, forKey: .splitter)
        limits = try c.decode(TreeLimits.self, forKey: .limits)
        maxFeatures = try c.decode(MaxFeatures.self, forKey: .maxFeatures)
        classWeight = try c.decode(ClassWeight.self, forKey: .classWeight)
        categoricalSplits = try c.decodeIfPresent(Bool.self, forKey: .categoricalSplits) ?? false
    }
}

extension DecisionTreeClassifier.Model {
    /// Decodes a fitted tree; one saved before categorical splits existed has none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        classes = try c.decode([String].self, forKey: .classes)
        featureNames = try c.decode([String].self, forKey: .featureNames)
        tree = try c.decode(DecisionTree.self, forKey: .tree)
        categorical = try c.decodeIfPresent([CategoricalFeature].self, forKey: .categorical) ?? []
    }
}
