import SluiceCompute
import SluicePipeline

/// A random forest of regression trees, squared or absolute error (scikit-learn's
/// `RandomForestRegressor`; with `splitter: .random` and `bootstrap: false`, its
/// `ExtraTreesRegressor`). Predictions are the mean of the trees'; growth as
/// ``RandomForestClassifier``.
public struct RandomForestRegressor: Learner, Codable, Equatable {
    public typealias Scalar = Float
    public var targetKind: TargetKind { .values }
    /// With ``categoricalSplits``, string features reach the trees as category codes (no one-hot
    /// encoding or imputation needed before them); missing values are always taken.
    public var featureRequirements: FeatureRequirements {
        FeatureRequirements(allowsMissing: true, categoricalCodes: categoricalSplits)
    }

    public var treeCount: Int
    /// The trees' criterion (see ``DecisionTreeRegressor``).
    public var criterion: RegressionCriterion
    public var splitter: TreeSplitter
    public var limits: TreeLimits
    /// Features drawn per split (default all, as scikit-learn ≥ 1.1).
    public var maxFeatures: MaxFeatures
    public var bootstrap: Bool
    public var maxSamples: ForestSamples
    /// Whether to compute the out-of-bag R² and predictions (needs `bootstrap`).
    public var oobScore: Bool
    /// Whether categorical features split natively on their category codes (see
    /// ``DecisionTreeClassifier/categoricalSplits``).
    public var categoricalSplits: Bool

    public init(treeCount: Int = 100, criterion: RegressionCriterion = .squaredError, splitter: TreeSplitter = .automatic,
                maxDepth: Int? = nil, minSamplesSplit: Int = 2, minSamplesLeaf: Int = 1, minImpurityDecrease: Double = 0,
                maxFeatures: MaxFeatures = .all, maxLeafNodes: Int? = nil, ccpAlpha: Double = 0, bootstrap: Bool = true,
                maxSamples: ForestSamples = .all, oobScore: Bool = false, categoricalSplits: Bool = false) {
        self.treeCount = treeCount
        self.categoricalSplits = categoricalSplits
        self.criterion = criterion
        self.splitter = splitter
        limits = TreeLimits(maxDepth: maxDepth, minSamplesSplit: minSamplesSplit, minSamplesLeaf: minSamplesLeaf,
                            minImpurityDecrease: minImpurityDecrease, maxLeafNodes: maxLeafNodes, ccpAlpha: ccpAlpha)
        self.maxFeatures = maxFeatures
        self.bootstrap = bootstrap
        self.maxSamples = maxSamples
        self.oobScore = oobScore
    }

    /// A fitted forest regressor.
    public struct Model: RegressionModel, FeatureImportances, Equatable {
        public typealias Scalar = Float
        public static let kind = "random_forest_regressor"
        public var featureNames: [String]
        public var trees: [DecisionTree]
        /// The out-of-bag R², when asked for.
        public var oobScore: Double?
        /// The out-of-bag prediction of each training row (0 for a row every tree trained on, which the score leaves out).
        public var oobPredictions: [Double]?
        public var featureCount: Int { featureNames.count }

        public func predict(_ x: Matrix<Float>) throws -> [Double] {
            try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
            return ForestFit.mean(trees, x, outputs: 1).elements
        }

        /// The leaf index of each row in each tree, `trees × rows`.
        public func apply(_ x: Matrix<Float>) throws -> [[Int]] {
            try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
            return trees.map { $0.apply(x) }
        }

        public var featureImportances: [Double] { ForestFit.importances(trees, features: featureCount) }

        public func validate() throws {
            try FittedStateError.require(!trees.isEmpty, Self.kind, field: "trees", "is empty")
            for tree in trees {
                try FittedStateError.require(tree.featureCount == featureCount, Self.kind, field: "trees",
                                             "a tree has \(tree.featureCount) features, the forest \(featureCount)")
                try tree.validate(kind: Self.kind, outputs: 1)
            }
        }
    }

    public func fit(_ data: TrainingSet<Float>, context: inout FitContext) throws -> Model {
        try fit(data, context: &context, threads: nil)
    }

    /// Fits with the trees grown one after another when `threads == 1` (tests compare it
    /// with the parallel fit), else in parallel.
    func fit(_ data: TrainingSet<Float>, context: inout FitContext, threads: Int?) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(data, learner: name, allowsMissing: true)
        try TreeFit.check(limits, splitter, maxFeatures, estimator: name)
        try ForestFit.checkCount(treeCount, estimator: name)
        if oobScore && !bootstrap {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "oobScore", reason: "needs bootstrap")
        }
        let y = try data.target.values(learner: name)
        let n = data.rows
        let drawCount = try maxSamples.resolve(n, estimator: name)
        let base = data.sampleWeights ?? [Double](repeating: 1, count: n)
        let categorical = try TreeFit.categorical(data, enabled: categoricalSplits, learner: name)
        let prepared = TreeFit.Prepared(data.features, splitter: splitter, categorical: categorical, rng: &context.rng)
        let k = maxFeatures.resolve(data.features.columns)
        let grown = try y.withUnsafeBufferPointer { yv in
            func grow<S: TreeStatistics>(_ stats: S) throws -> ForestFit.Grown {
                try ForestFit.grow(prepared, stats: stats, rows: n, baseWeights: base, treeCount: treeCount,
                                   bootstrap: bootstrap, drawCount: drawCount, maxFeatures: k, limits: limits,
                                   subsampleWeights: nil, context: &context, source: name, serial: threads == 1)
            }
            switch criterion {
            case .squaredError: return try grow(SquaredErrorStatistics(y: yv.baseAddress!))
            case .absoluteError: return try grow(AbsoluteErrorStatistics(y: yv.baseAddress!))
            }
        }
        var model = Model(featureNames: data.featureNames, trees: grown.trees)
        if oobScore, let bags = grown.inBag {
            let (pred, counts) = ForestFit.outOfBag(data.features, trees: grown.trees, inBag: bags, outputs: 1)
            let p = pred.elements
            let seen = (0..<n).filter { counts[$0] > 0 }
            let mean = seen.reduce(0) { $0 + y[$1] } / Double(max(1, seen.count))
            let ssRes = seen.reduce(0) { $0 + (y[$1] - p[$1]) * (y[$1] - p[$1]) }
            let ssTot = seen.reduce(0) { $0 + (y[$1] - mean) * (y[$1] - mean) }
            model.oobPredictions = p
            model.oobScore = seen.isEmpty ? .nan : (ssTot > 0 ? 1 - ssRes / ssTot : 0)
        }
        return model
    }
}

extension RandomForestRegressor {
    /// Decodes a forest's hyperparameters; one saved before ``criterion`` existed grows squared-error
    /// trees, one before ``categoricalSplits`` has it off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        treeCount = try c.decode(Int.self, forKey: .treeCount)
        criterion = try c.decodeIfPresent(RegressionCriterion.self, forKey: .criterion) ?? .squaredError
        splitter = try c.decode(TreeSplitter.self, forKey: .splitter)
        limits = try c.decode(TreeLimits.self, forKey: .limits)
        maxFeatures = try c.decode(MaxFeatures.self, forKey: .maxFeatures)
        bootstrap = try c.decode(Bool.self, forKey: .bootstrap)
        maxSamples = try c.decode(ForestSamples.self, forKey: .maxSamples)
        oobScore = try c.decode(Bool.self, forKey: .oobScore)
        categoricalSplits = try c.decodeIfPresent(Bool.self, forKey: .categoricalSplits) ?? false
    }
}
