import SluiceCompute
import SluicePipeline

/// A random forest of classification trees (scikit-learn's `RandomForestClassifier`; with
/// `splitter: .random` and `bootstrap: false`, its `ExtraTreesClassifier`).
///
/// Trees grow in parallel on every core, each from its own generator split from the fit's
/// seed in tree order (see ``ForestFit``), so the forest is identical whatever the core
/// count. Probabilities are the mean of the trees' leaf class fractions.
public struct RandomForestClassifier: Learner, Codable, Equatable {
    public typealias Scalar = Float
    public var targetKind: TargetKind { .classes }
    /// With ``categoricalSplits``, string features reach the trees as category codes (no one-hot
    /// encoding or imputation needed before them); missing values are always taken.
    public var featureRequirements: FeatureRequirements {
        FeatureRequirements(allowsMissing: true, categoricalCodes: categoricalSplits)
    }

    public var treeCount: Int
    public var criterion: ClassificationCriterion
    public var splitter: TreeSplitter
    public var limits: TreeLimits
    /// Features drawn per split (default `√p`, as scikit-learn).
    public var maxFeatures: MaxFeatures
    /// Whether each tree trains on a bootstrap sample (else on every row).
    public var bootstrap: Bool
    /// Rows drawn per bootstrap sample.
    public var maxSamples: ForestSamples
    /// Whether to compute the out-of-bag accuracy and probabilities (needs `bootstrap`).
    public var oobScore: Bool
    public var classWeight: ForestClassWeight
    /// Whether categorical features split natively on their category codes (see
    /// ``DecisionTreeClassifier/categoricalSplits``).
    public var categoricalSplits: Bool

    public init(treeCount: Int = 100, criterion: ClassificationCriterion = .gini, splitter: TreeSplitter = .automatic,
                maxDepth: Int? = nil, minSamplesSplit: Int = 2, minSamplesLeaf: Int = 1, minImpurityDecrease: Double = 0,
                maxFeatures: MaxFeatures = .sqrt, maxLeafNodes: Int? = nil, ccpAlpha: Double = 0, bootstrap: Bool = true,
                maxSamples: ForestSamples = .all, oobScore: Bool = false, classWeight: ForestClassWeight = .uniform,
                categoricalSplits: Bool = false) {
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
        self.classWeight = classWeight
    }

    /// A fitted forest classifier.
    public struct Model: ClassificationModel, FeatureImportances, Equatable {
        public typealias Scalar = Float
        public static let kind = "random_forest_classifier"
        public var classes: [String]
        public var featureNames: [String]
        public var trees: [DecisionTree]
        /// The out-of-bag accuracy, when asked for.
        public var oobScore: Double?
        /// The out-of-bag class probabilities of each training row (0 for a row every
        /// tree trained on, which the score leaves out), when asked for.
        public var oobProbabilities: Matrix<Double>?
        public var featureCount: Int { featureNames.count }

        public func predictProbabilities(_ x: Matrix<Float>) throws -> Matrix<Double> {
            try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
            return ForestFit.mean(trees, x, outputs: classes.count)
        }

        /// The leaf index of each row in each tree, `rows × trees`.
        public func apply(_ x: Matrix<Float>) throws -> [[Int]] {
            try TreeFit.checkPredict(x, featureCount: featureCount, kind: Self.kind)
            return trees.map { $0.apply(x) }
        }

        public var featureImportances: [Double] { ForestFit.importances(trees, features: featureCount) }

        public func validate() throws {
            try FittedStateError.require(classes.count >= 2 && Set(classes).count == classes.count, Self.kind,
                                         field: "classes", "needs two or more distinct classes, has \(classes.count)")
            try FittedStateError.require(!trees.isEmpty, Self.kind, field: "trees", "is empty")
            for tree in trees {
                try FittedStateError.require(tree.featureCount == featureCount, Self.kind, field: "trees",
                                             "a tree has \(tree.featureCount) features, the forest \(featureCount)")
                try tree.validate(kind: Self.kind, outputs: classes.count)
            }
            if let o = oobProbabilities {
                try FittedStateError.require(o.columns == classes.count, Self.kind, field: "oobProbabilities",
                                             "\(o.columns) columns for \(classes.count) classes")
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
        let y = try data.target.classLabels(learner: name)
        try TreeFit.classes(y, classWeight.whole, estimator: name)
        let n = data.rows, k = y.classes.count
        let drawCount = try maxSamples.resolve(n, estimator: name)
        let base = classWeight.whole.sampleWeights(for: y, sampleWeights: data.sampleWeights)
        let codes = y.codes.map { Int32($0) }
        var subsample: (([Int32]) -> [Double])?
        if classWeight == .balancedSubsample {
            subsample = { counts in
                var perClass = [Double](repeating: 0, count: k)
                var drawn = 0.0
                for i in 0..<n where counts[i] > 0 { perClass[Int(codes[i])] += Double(counts[i]); drawn += Double(counts[i]) }
                let present = Double(perClass.filter { $0 > 0 }.count)
                let w = perClass.map { $0 > 0 ? drawn / (present * $0) : 0 }
                return codes.map { w[Int($0)] }
            }
        }
        let categorical = try TreeFit.categorical(data, enabled: categoricalSplits, learner: name)
        let prepared = TreeFit.Prepared(data.features, splitter: splitter, categorical: categorical, rng: &context.rng)
        let grown = try codes.withUnsafeBufferPointer { c in
            try ForestFit.grow(prepared, stats: ClassStatistics(codes: c.baseAddress!, classes: k, entropy: criterion != .gini),
                               rows: n, baseWeights: base, treeCount: treeCount, bootstrap: bootstrap, drawCount: drawCount,
                               maxFeatures: maxFeatures.resolve(data.features.columns), limits: limits,
                               subsampleWeights: subsample, context: &context, source: name,
                               serial: threads == 1)
        }
        var model = Model(classes: y.classes, featureNames: data.featureNames, trees: grown.trees)
        if oobScore, let bags = grown.inBag {
            let (proba, counts) = ForestFit.outOfBag(data.features, trees: grown.trees, inBag: bags, outputs: k)
            let predicted = proba.rowArgmax()
            var right = 0, seen = 0
            for i in 0..<n where counts[i] > 0 {
                seen += 1
                if predicted[i] == y.codes[i] { right += 1 }
            }
            model.oobProbabilities = proba
            model.oobScore = seen > 0 ? Double(right) / Double(seen) : .nan
        }
        return model
    }
}

extension RandomForestClassifier {
    /// Decodes the hyperparameters; ones saved before ``categoricalSplits`` existed have it off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        treeCount = try c.decode(Int.self, forKey: .treeCount)
        criterion = try c.decode(ClassificationCriterion.self, forKey: .criterion)
        splitter = try c.decode(TreeSplitter.self, forKey: .splitter)
        limits = try c.decode(TreeLimits.self, forKey: .limits)
        maxFeatures = try c.decode(MaxFeatures.self, forKey: .maxFeatures)
        bootstrap = try c.decode(Bool.self, forKey: .bootstrap)
        maxSamples = try c.decode(ForestSamples.self, forKey: .maxSamples)
        oobScore = try c.decode(Bool.self, forKey: .oobScore)
        classWeight = try c.decode(ForestClassWeight.self, forKey: .classWeight)
        categoricalSplits = try c.decodeIfPresent(Bool.self, forKey: .categoricalSplits) ?? false
    }
}
