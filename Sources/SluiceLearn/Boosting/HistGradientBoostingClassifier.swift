import Foundation
import SluiceCompute
import SluicePipeline

/// Histogram gradient boosting for classification (scikit-learn's `HistGradientBoostingClassifier`,
/// the LightGBM design): binary log loss on one logit, or softmax over `k > 2` classes with
/// one tree per class and iteration.
///
/// Features are binned once (at most 255 bins from a seeded subsample, see the binning), NaN
/// is its own bin with a learned direction at every split, and category codes
/// (``TrainingSet/categorical``) split natively by a gradient-sorted partition. Trees grow
/// leaf-wise up to ``maxLeafNodes`` leaves; each leaf's value is `-G / (H + λ)` times the
/// learning rate. The seed draws the binning subsample and the early-stopping split.
public struct HistGradientBoostingClassifier: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .classes }
    public var featureRequirements: FeatureRequirements { FeatureRequirements(allowsMissing: true, categoricalCodes: true) }

    public var learningRate: Double
    /// The most boosting iterations (trees per class).
    public var maxIterations: Int
    /// The most leaves per tree; nil for no limit.
    public var maxLeafNodes: Int?
    /// The deepest a leaf may be (edges from the root); nil for no limit.
    public var maxDepth: Int?
    public var minSamplesLeaf: Int
    /// The least hessian sum a leaf may have.
    public var minHessianLeaf: Double
    /// L2 regularisation of leaf values (λ).
    public var l2Regularization: Double
    /// Per feature: 1 increasing, -1 decreasing, 0 free (binary classification only); nil for none.
    public var monotonicConstraints: [Int]?
    public var classWeight: ClassWeight
    public var earlyStopping: EarlyStopping
    /// The share of training rows held out for early stopping (stratified), or nil to stop on
    /// the training loss. Unused when the training set carries its own validation rows.
    public var validationFraction: Double?
    /// Stop when the last `nIterNoChange` losses did not improve on the one before by `tolerance`.
    public var nIterNoChange: Int
    public var tolerance: Double
    /// The share of features drawn (without replacement, from the fit's seed) for each tree:
    /// the tree splits on those only (LightGBM's `feature_fraction`, `colsample_bytree`);
    /// nil for all. At least one feature is drawn.
    public var featureFraction: Double?
    /// The share of the tree's features drawn again at each split (scikit-learn's
    /// `max_features`, LightGBM's `feature_fraction_bynode`); nil for all.
    public var nodeFeatureFraction: Double?

    public init(learningRate: Double = 0.1, maxIterations: Int = 100, maxLeafNodes: Int? = 31, maxDepth: Int? = nil,
                minSamplesLeaf: Int = 20, minHessianLeaf: Double = 1e-3, l2Regularization: Double = 0,
                monotonicConstraints: [Int]? = nil, classWeight: ClassWeight = .uniform, earlyStopping: EarlyStopping = .auto,
                validationFraction: Double? = 0.1, nIterNoChange: Int = 10, tolerance: Double = 1e-7,
                featureFraction: Double? = nil, nodeFeatureFraction: Double? = nil) {
        self.learningRate = learningRate
        self.maxIterations = maxIterations
        self.maxLeafNodes = maxLeafNodes
        self.maxDepth = maxDepth
        self.minSamplesLeaf = minSamplesLeaf
        self.minHessianLeaf = minHessianLeaf
        self.l2Regularization = l2Regularization
        self.monotonicConstraints = monotonicConstraints
        self.classWeight = classWeight
        self.earlyStopping = earlyStopping
        self.validationFraction = validationFraction
        self.nIterNoChange = nIterNoChange
        self.tolerance = tolerance
        self.featureFraction = featureFraction
        self.nodeFeatureFraction = nodeFeatureFraction
    }

    /// A fitted boosting classifier.
    public struct Model: ClassificationModel, DecisionFunctionModel, Equatable {
        public static let kind = "hist_gradient_boosting_classifier"
        public var classes: [String]
        /// The trees: one output (the logit of `classes[1]`) for two classes, one per class otherwise.
        public var trees: BoostedTrees
        /// Boosting iterations run (fewer than the maximum when early stopping stopped).
        public var iterations: Int
        /// The training loss before the first tree and after each iteration (when early stopping
        /// ran or validation rows were given; empty otherwise).
        public var trainingLoss: [Double]
        /// The validation loss, likewise (empty without validation rows).
        public var validationLoss: [Double]
        public var featureCount: Int { trees.featureCount }

        /// The raw scores (`n × 1` logits for two classes, `n × k` otherwise).
        public func decisionFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind, allowsMissing: true)
            return trees.raw(x)
        }

        public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
            var z = try decisionFunction(x)
            if trees.outputs == 1 {
                z.apply(.sigmoid)
                return Matrix(rows: z.rows, columns: 2) { out in
                    z.withUnsafeBufferPointer { p in
                        for i in 0..<z.rows {
                            out.initializeElement(at: 2 * i, to: 1 - p[i])
                            out.initializeElement(at: 2 * i + 1, to: p[i])
                        }
                    }
                }
            }
            z.softmaxRows()
            return z
        }

        public func validate() throws {
            let k = Self.kind
            try FittedStateError.require(classes.count >= 2 && Set(classes).count == classes.count, k, field: "classes",
                                         "needs two or more distinct classes")
            try FittedStateError.require(trees.outputs == (classes.count == 2 ? 1 : classes.count), k, field: "trees.outputs",
                                         "\(trees.outputs) outputs for \(classes.count) classes")
            try trees.validate(kind: k)
            try FittedStateError.require(iterations >= 0, k, field: "iterations", "is negative")
            try FittedStateError.require(trainingLoss.allSatisfy(\.isFinite), k, field: "trainingLoss", "not finite")
            try FittedStateError.require(validationLoss.allSatisfy(\.isFinite), k, field: "validationLoss", "not finite")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(data, learner: name, allowsMissing: true)
        try GradientBoosting.check(learner: name, learningRate: learningRate, maxIterations: maxIterations,
                                   maxLeafNodes: maxLeafNodes, maxDepth: maxDepth, minSamplesLeaf: minSamplesLeaf,
                                   minHessianLeaf: minHessianLeaf, l2: l2Regularization,
                                   validationFraction: validationFraction, nIterNoChange: nIterNoChange, tolerance: tolerance,
                                   featureFraction: featureFraction, nodeFeatureFraction: nodeFeatureFraction)
        let labels = try data.target.classLabels(learner: name)
        let present = labels.classCounts.enumerated().filter { $0.element > 0 }
        guard present.count >= 2 else {
            throw EstimatorError.singleClass(estimator: name, className: present.first.map { labels.classes[$0.offset] })
        }
        if case .custom(let w) = classWeight, w.count != labels.classes.count || !w.allSatisfy({ $0.isFinite && $0 >= 0 }) {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "classWeight",
                                                       reason: "needs \(labels.classes.count) finite weights ≥ 0")
        }
        let k = labels.classes.count
        let categorical = try CategoryBitset.features(of: data, learner: name)
        let monotonic = try GradientBoosting.monotonic(monotonicConstraints, features: data.features.columns,
                                                       categorical: categorical, learner: name)
        if k > 2 && monotonic.contains(where: { $0 != 0 }) {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "monotonicConstraints",
                                                       reason: "apply to binary classification only")
        }
        let weights = classWeight.sampleWeights(for: labels, sampleWeights: data.sampleWeights)
        var validation: (x: Matrix<Double>, y: [Double], w: [Double])?
        if let v = data.validation {
            let vl = try v.target.classLabels(learner: name)
            try LearnerInput.predict(v.features, featureCount: data.features.columns, learner: name, allowsMissing: true)
            guard vl.classes == labels.classes, vl.count == v.features.rows else {
                throw EstimatorError.invalidHyperparameter(estimator: name, name: "validation",
                                                           reason: "must have the training classes and one label per row")
            }
            try LearnerInput.weights(v.sampleWeights, rows: v.features.rows, learner: name)
            validation = (v.features, vl.codes.map(Double.init), classWeight.sampleWeights(for: vl, sampleWeights: v.sampleWeights))
        }
        let configuration = BoostingConfiguration(
            loss: k == 2 ? .binary : .multinomial(k),
            grower: GrowerParameters(maxLeafNodes: maxLeafNodes, maxDepth: maxDepth, minSamplesLeaf: minSamplesLeaf,
                                     minHessianLeaf: minHessianLeaf, l2: l2Regularization, learningRate: learningRate,
                                     monotonic: monotonic, featureFraction: featureFraction ?? 1,
                                     nodeFeatureFraction: nodeFeatureFraction ?? 1),
            maxIterations: maxIterations, earlyStopping: earlyStopping, validationFraction: validationFraction,
            nIterNoChange: nIterNoChange, tolerance: tolerance, stratify: true)
        let result = try GradientBoosting.fit(data.features, y: labels.codes.map(Double.init), w: weights, classes: k,
                                              categorical: categorical, validation: validation,
                                              configuration: configuration, learner: name, context: &context)
        return Model(classes: labels.classes, trees: result.trees, iterations: result.iterations,
                     trainingLoss: result.trainingLoss, validationLoss: result.validationLoss)
    }
}
