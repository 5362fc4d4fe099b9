import Foundation
import SluiceCompute
import SluicePipeline

/// Histogram gradient boosting for regression (scikit-learn's `HistGradientBoostingRegressor`):
/// squared error, absolute error (leaves set to the median residual) or Poisson (log link).
/// See ``HistGradientBoostingClassifier`` for the trees, binning, missing values and categories.
public struct HistGradientBoostingRegressor: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .values }
    public var featureRequirements: FeatureRequirements { FeatureRequirements(allowsMissing: true, categoricalCodes: true) }

    /// The loss minimised.
    public enum Loss: String, Sendable, Codable, Equatable {
        case squaredError = "squared_error"
        case absoluteError = "absolute_error"
        /// Targets must be ≥ 0 with a positive sum; predictions are `exp(raw)`.
        case poisson
    }

    public var loss: Loss
    public var learningRate: Double
    public var maxIterations: Int
    public var maxLeafNodes: Int?
    public var maxDepth: Int?
    public var minSamplesLeaf: Int
    public var minHessianLeaf: Double
    public var l2Regularization: Double
    /// Per feature: 1 increasing, -1 decreasing, 0 free; nil for none.
    public var monotonicConstraints: [Int]?
    public var earlyStopping: EarlyStopping
    public var validationFraction: Double?
    public var nIterNoChange: Int
    public var tolerance: Double
    /// The share of features drawn (without replacement, from the fit's seed) for each tree:
    /// the tree splits on those only (LightGBM's `feature_fraction`, `colsample_bytree`);
    /// nil for all. At least one feature is drawn.
    public var featureFraction: Double?
    /// The share of the tree's features drawn again at each split (scikit-learn's
    /// `max_features`, LightGBM's `feature_fraction_bynode`); nil for all.
    public var nodeFeatureFraction: Double?

    public init(loss: Loss = .squaredError, learningRate: Double = 0.1, maxIterations: Int = 100,
                maxLeafNodes: Int? = 31, maxDepth: Int? = nil, minSamplesLeaf: Int = 20, minHessianLeaf: Double = 1e-3,
                l2Regularization: Double = 0, monotonicConstraints: [Int]? = nil, earlyStopping: EarlyStopping = .auto,
                validationFraction: Double? = 0.1, nIterNoChange: Int = 10, tolerance: Double = 1e-7,
                featureFraction: Double? = nil, nodeFeatureFraction: Double? = nil) {
        self.loss = loss
        self.learningRate = learningRate
        self.maxIterations = maxIterations
        self.maxLeafNodes = maxLeafNodes
        self.maxDepth = maxDepth
        self.minSamplesLeaf = minSamplesLeaf
        self.minHessianLeaf = minHessianLeaf
        self.l2Regularization = l2Regularization
        self.monotonicConstraints = monotonicConstraints
        self.earlyStopping = earlyStopping
        self.validationFraction = validationFraction
        self.nIterNoChange = nIterNoChange
        self.tolerance = tolerance
        self.featureFraction = featureFraction
        self.nodeFeatureFraction = nodeFeatureFraction
    }

    /// A fitted boosting regressor.
    public struct Model: RegressionModel, Equatable {
        public static let kind = "hist_gradient_boosting_regressor"
        public var loss: Loss
        public var trees: BoostedTrees
        public var iterations: Int
        /// The training loss before the first tree and after each iteration (when early stopping
        /// ran or validation rows were given; empty otherwise).
        public var trainingLoss: [Double]
        public var validationLoss: [Double]
        public var featureCount: Int { trees.featureCount }

        /// The raw scores before the link (`log` of the prediction for Poisson).
        public func rawPredict(_ x: Matrix<Double>) throws -> [Double] {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind, allowsMissing: true)
            return trees.raw(x).elements
        }

        public func predict(_ x: Matrix<Double>) throws -> [Double] {
            let raw = try rawPredict(x)
            return loss == .poisson ? raw.map { exp($0) } : raw
        }

        public func validate() throws {
            let k = Self.kind
            try FittedStateError.require(trees.outputs == 1, k, field: "trees.outputs", "must be 1")
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
        let y = try data.target.values(learner: name)
        if loss == .poisson {
            guard y.allSatisfy({ $0 >= 0 }), y.contains(where: { $0 > 0 }) else {
                throw EstimatorError.invalidHyperparameter(estimator: name, name: "target",
                                                           reason: "must be ≥ 0 with a positive sum for the Poisson loss")
            }
        }
        let categorical = try CategoryBitset.features(of: data, learner: name)
        let monotonic = try GradientBoosting.monotonic(monotonicConstraints, features: data.features.columns,
                                                       categorical: categorical, learner: name)
        let weights = data.sampleWeights ?? [Double](repeating: 1, count: y.count)
        var validation: (x: Matrix<Double>, y: [Double], w: [Double])?
        if let v = data.validation {
            let vy = try v.target.values(learner: name)
            try LearnerInput.predict(v.features, featureCount: data.features.columns, learner: name, allowsMissing: true)
            guard vy.count == v.features.rows, vy.allSatisfy(\.isFinite) else {
                throw EstimatorError.invalidHyperparameter(estimator: name, name: "validation",
                                                           reason: "needs one finite target per row")
            }
            try LearnerInput.weights(v.sampleWeights, rows: v.features.rows, learner: name)
            validation = (v.features, vy, v.sampleWeights ?? [Double](repeating: 1, count: vy.count))
        }
        let boostingLoss: BoostingLoss
        switch loss {
        case .squaredError: boostingLoss = .squared
        case .absoluteError: boostingLoss = .absolute
        case .poisson: boostingLoss = .poisson
        }
        let configuration = BoostingConfiguration(
            loss: boostingLoss,
            grower: GrowerParameters(maxLeafNodes: maxLeafNodes, maxDepth: maxDepth, minSamplesLeaf: minSamplesLeaf,
                                     minHessianLeaf: minHessianLeaf, l2: l2Regularization, learningRate: learningRate,
                                     monotonic: monotonic, featureFraction: featureFraction ?? 1,
                                     nodeFeatureFraction: nodeFeatureFraction ?? 1),
            maxIterations: maxIterations, earlyStopping: earlyStopping, validationFraction: validationFraction,
            nIterNoChange: nIterNoChange, tolerance: tolerance, stratify: false)
        let result = try GradientBoosting.fit(data.features, y: y, w: weights, classes: 0, categorical: categorical,
                                              validation: validation, configuration: configuration, learner: name,
                                              context: &context)
        return Model(loss: loss, trees: result.trees, iterations: result.iterations,
                     trainingLoss: result.trainingLoss, validationLoss: result.validationLoss)
    }
}
