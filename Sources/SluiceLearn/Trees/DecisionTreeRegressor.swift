import SluiceCompute
import SluicePipeline

/// A CART regression tree (scikit-learn's `DecisionTreeRegressor`): with squared error,
/// leaves predict the weighted mean of their rows; with absolute error, their weighted
/// median. The splitters, limits, missing values and tie-breaking are those of
/// ``DecisionTreeClassifier`` (scikit-learn refuses missing values with the absolute error;
/// Sluice learns their side as for the squared error).
public struct DecisionTreeRegressor: Learner, Codable, Equatable {
    public typealias Scalar = Float
    public var targetKind: TargetKind { .values }
    /// With ``categoricalSplits``, string features reach the tree as category codes (no one-hot
    /// encoding or imputation needed before it); missing values are always taken.
    public var featureRequirements: FeatureRequirements {
        FeatureRequirements(allowsMissing: true, categoricalCodes: categoricalSplits)
    }

    public var criterion: RegressionCriterion
    public var splitter: TreeSplitter
    public var limits: TreeLimits
    public var maxFeatures: MaxFeatures
    /// Whether categorical features (``TrainingSet/categorical``, string columns in a pipeline)
    /// split natively on their category codes, a category set per split (Breiman's ordering:
    /// ``CategoricalSplitSearch``), instead of being refused (one-hot encode them first).
    public var categoricalSplits: Bool

    public init(criterion: RegressionCriterion = .squaredError, splitter: TreeSplitter = .automatic, maxDepth: Int? = nil,
                minSamplesSplit: Int = 2, minSamplesLeaf: Int = 1, minImpurityDecrease: Double = 0,
                maxFeatures: MaxFeatures = .all, maxLeafNodes: Int? = nil, ccpAlpha: Double = 0,
                categoricalSplits: Bool = false) {
        self.criterion = criterion
        self.categoricalSplits = categoricalSplits
        self.splitter = splitter
        limits = TreeLimits(maxDepth: maxDepth, minSamplesSplit: minSamplesSplit, minSamplesLeaf: minSamplesLeaf,
                            minImpurityDecrease: minImpurityDecrease, maxLeafNodes: maxLeafNodes, ccpAlpha: ccpAlpha)
        self.maxFeatures = maxFeatures
    }

    /// A fitted regression tree.
    public struct Model: RegressionModel, FeatureImportances, Equatable {
        public typealias Scalar = Float
        public static let kind = "decision_tree_regressor"
        public var featureNames: [String]
        public var tree: DecisionTree
        /// The features split on category codes, with their categories (for ``rules(target:)``).
        public var categorical: [CategoricalFeature] = []
        public var featureCount: Int { tree.featureCount }

        public func predict(_ x: Matrix<Float>) throws -> [Double] {
            try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
            return tree.predictValues(x).elements
        }

        /// The index (into ``DecisionTree``'s node arrays) of the leaf each row ends in.
        public func apply(_ x: Matrix<Float>) throws -> [Int] {
            try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
            return tree.apply(x)
        }

        public var featureImportances: [Double] { tree.featureImportances }

        public func validate() throws {
            try FittedStateError.require(featureNames.count == tree.featureCount, Self.kind, field: "featureNames",
                                         "\(featureNames.count) names for \(tree.featureCount) features")
            try tree.validate(kind: Self.kind, outputs: 1)
        }
    }

    public func fit(_ data: TrainingSet<Float>, context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(data, learner: name, allowsMissing: true)
        try TreeFit.check(limits, splitter, maxFeatures, estimator: name)
        let y = try data.target.values(learner: name)
        let weights = data.sampleWeights ?? [Double](repeating: 1, count: data.rows)
        let categorical = try TreeFit.categorical(data, enabled: categoricalSplits, learner: name)
        let prepared = TreeFit.Prepared(data.features, splitter: splitter, categorical: categorical, rng: &context.rng)
        let k = maxFeatures.resolve(data.features.columns)
        let tree = y.withUnsafeBufferPointer { yv in
            weights.withUnsafeBufferPointer { w in
                switch criterion {
                case .squaredError:
                    TreeFit.grow(prepared, stats: SquaredErrorStatistics(y: yv.baseAddress!), weights: w.baseAddress!,
                                 maxFeatures: k, limits: limits, rng: &context.rng)
                case .absoluteError:
                    TreeFit.grow(prepared, stats: AbsoluteErrorStatistics(y: yv.baseAddress!), weights: w.baseAddress!,
                                 maxFeatures: k, limits: limits, rng: &context.rng)
                }
            }
        }
        context.observe(FitProgress(source: name, unit: .tree, step: 1, total: 1,
                                    metrics: ["nodes": Double(tree.nodeCount), "depth": Double(tree.depth)]))
        return Model(featureNames: data.featureNames, tree: tree,
                     categorical: data.categorical.filter { categorical[$0.index] != nil })
    }
}

extension DecisionTreeRegressor {
    /// Decodes the hyperparameters; ones saved before ``categoricalSplits`` existed have it off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        criterion = try c.decode(RegressionCriterion.self, forKey: .criterion)
        splitter = try c.decode(TreeSplitter.self, forKey: .splitter)
        limits = try c.decode(TreeLimits.self, forKey: .limits)
        maxFeatures = try c.decode(MaxFeatures.self, forKey: .maxFeatures)
        categoricalSplits = try c.decodeIfPresent(Bool.self, forKey: .categoricalSplits) ?? false
    }
}

extension DecisionTreeRegressor.Model {
    /// Decodes a fitted tree; one saved before categorical splits existed has none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        featureNames = try c.decode([String].self, forKey: .featureNames)
        tree = try c.decode(DecisionTree.self, forKey: .tree)
        categorical = try c.decodeIfPresent([CategoricalFeature].self, forKey: .categorical) ?? []
    }
}
