import Foundation
import SluiceCompute
import SluicePipeline

/// The score a binary classifier's threshold is tuned on, as scikit-learn's
/// `response_method="auto"`: the probability of `classes[1]` when the model has real
/// probabilities, the decision function when it has only votes (the SVMs).
public protocol ThresholdScoring: ClassificationModel where Scalar == Double {
    /// One score per row, larger for `classes[1]`.
    func thresholdScores(_ x: Matrix<Double>) throws -> [Double]
    /// The threshold the model applies on its own (0.5 for probabilities, 0 for decision values).
    var defaultThreshold: Double { get }
}

extension ThresholdScoring {
    public func thresholdScores(_ x: Matrix<Double>) throws -> [Double] {
        let p = try predictProbabilities(x)
        return (0..<p.rows).map { p[$0, 1] }
    }
    public var defaultThreshold: Double { 0.5 }
}

extension LogisticRegression.Model: ThresholdScoring {}
extension GaussianNaiveBayes.Model: ThresholdScoring {}
extension DiscreteNaiveBayesModel: ThresholdScoring {}
extension KNeighborsClassifier.Model: ThresholdScoring {}
extension CalibratedClassifier.Model: ThresholdScoring {}
extension HistGradientBoostingClassifier.Model: ThresholdScoring {}
extension LinearSVC.Model: ThresholdScoring {
    public func thresholdScores(_ x: Matrix<Double>) throws -> [Double] { try decisionFunction(x).elements }
    public var defaultThreshold: Double { 0 }
}
extension SVC.Model: ThresholdScoring {
    public func thresholdScores(_ x: Matrix<Double>) throws -> [Double] {
        guard probabilityA.isEmpty else {
            let p = try predictProbabilities(x)
            return (0..<p.rows).map { p[$0, 1] }
        }
        return try decisionFunction(x).elements
    }
    public var defaultThreshold: Double { probabilityA.isEmpty ? 0 : 0.5 }
}

/// A binary classifier whose decision threshold is chosen by cross-validation, as
/// scikit-learn's `TunedThresholdClassifierCV`: imbalanced nightly jobs act on a threshold
/// picked for their metric or their costs, not on 0.5.
///
/// For each of ``folds`` (stratified or plain K-fold, unshuffled), the base learner is fitted on
/// the other folds and its scores on the held-out fold (``ThresholdScoring``) are turned into
/// predictions (`score ≥ t` is `classes[1]`) at ``thresholds`` evenly spaced `t` from the fold's
/// smallest to its largest score, each scored by the ``Objective``. The scores are then
/// interpolated linearly onto ``thresholds`` evenly spaced values over all folds' range and
/// averaged; the threshold of the best mean (the first on ties) is kept, and the base learner is
/// refitted on all rows. Sample weights reach the fits and the objective.
///
/// The model's probabilities are the base model's, moved monotonically so that the tuned
/// threshold lands on ½ (so a pipeline's prediction applies it, and rankings and AUC are the
/// base model's): a probability `s` becomes `s/(2t)` below `t` and `½ + (s − t)/(2(1 − t))` above;
/// a decision value `s` becomes `σ(s − t)`.
public struct TunedThresholdClassifier<Base: Learner>: Learner, Encodable
where Base.Model: ThresholdScoring, Base.Scalar == Double {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .classes }

    /// What the threshold maximises.
    public enum Objective: Sendable, Codable, Equatable {
        /// The mean of the recalls of both classes (scikit-learn's default, `balanced_accuracy`).
        case balancedAccuracy
        case accuracy
        case f1
        /// `F_β` of `classes[1]`.
        case fBeta(Double)
        /// Minus the total cost of the confusion counts (a cost-sensitive threshold): each
        /// cell's count times its cost; gains are negative costs.
        case cost(falsePositive: Double, falseNegative: Double, truePositive: Double = 0, trueNegative: Double = 0)

        /// The objective's value (larger is better) of one confusion table.
        public func score(_ c: BinaryConfusion) -> Double {
            switch self {
            case .balancedAccuracy:
                let tnr = c.trueNegatives + c.falsePositives > 0 ? c.trueNegatives / (c.trueNegatives + c.falsePositives) : 0
                return (c.recall + tnr) / 2
            case .accuracy:
                let total = c.truePositives + c.falsePositives + c.trueNegatives + c.falseNegatives
                return total > 0 ? (c.truePositives + c.trueNegatives) / total : 0
            case .f1: return c.f1
            case .fBeta(let beta):
                let b2 = beta * beta, denominator = (1 + b2) * c.truePositives + b2 * c.falseNegatives + c.falsePositives
                return denominator > 0 ? (1 + b2) * c.truePositives / denominator : 0
            case let .cost(fp, fn, tp, tn):
                return -(fp * c.falsePositives + fn * c.falseNegatives + tp * c.truePositives + tn * c.trueNegatives)
            }
        }
    }

    public var base: Base
    public var objective: Objective
    public var folds: Int
    public var stratified: Bool
    /// The number of candidate thresholds (scikit-learn's `thresholds=100`).
    public var thresholds: Int

    public init(_ base: Base, objective: Objective = .balancedAccuracy, folds: Int = 5, stratified: Bool = true,
                thresholds: Int = 100) {
        self.base = base
        self.objective = objective
        self.folds = folds
        self.stratified = stratified
        self.thresholds = thresholds
    }

    public var featureRequirements: FeatureRequirements { base.featureRequirements }

    /// The refitted base model and the tuned threshold.
    public struct Model: ClassificationModel, DecisionFunctionModel {
        /// `tuned_threshold_` and the base model's kind.
        public static var kind: String { "tuned_threshold_" + Base.Model.kind }
        public var model: Base.Model
        /// The threshold on ``ThresholdScoring/thresholdScores(_:)`` at and above which a row is `classes[1]`.
        public var threshold: Double
        /// The objective's mean over the folds at ``threshold``.
        public var bestScore: Double
        public var classes: [String] { model.classes }
        public var featureCount: Int { model.featureCount }

        /// The base model's scores minus the threshold: `≥ 0` is `classes[1]`.
        public func decisionFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
            let s = try model.thresholdScores(x)
            return Matrix(rows: s.count, columns: 1, elements: s.map { $0 - threshold })
        }

        /// The class at or above the threshold: 1 for `classes[1]`, else 0.
        public func predictClasses(_ x: Matrix<Double>) throws -> [Int] {
            try model.thresholdScores(x).map { $0 >= threshold ? 1 : 0 }
        }

        public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
            let s = try model.thresholdScores(x), t = threshold, probabilities = model.defaultThreshold == 0.5
            var out = Matrix<Double>(rows: s.count, columns: 2)
            for (i, v) in s.enumerated() {
                var p: Double
                if probabilities {
                    p = v < t ? (t > 0 ? v / (2 * t) : 0) : (t < 1 ? 0.5 + (v - t) / (2 * (1 - t)) : 1)
                    p = min(1, max(0, p))
                } else {
                    let z = v - t
                    p = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
                }
                // At the threshold exactly the row is classes[1] (the first class wins argmax ties).
                if v >= t && p <= 0.5 { p = 0.5.nextUp }
                out[i, 0] = 1 - p
                out[i, 1] = p
            }
            return out
        }

        public func validate() throws {
            let k = Self.kind
            try model.validate()
            try FittedStateError.require(model.classes.count == 2, k, field: "model.classes", "needs two classes")
            try FittedStateError.require(threshold.isFinite, k, field: "threshold", "not finite")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(data, learner: name, allowsMissing: base.featureRequirements.allowsMissing)
        let y = try data.target.classLabels(learner: name)
        guard y.classes.count == 2 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "target",
                                                       reason: "tunes a binary threshold; has \(y.classes.count) classes")
        }
        guard folds >= 2, thresholds >= 2 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "folds",
                                                       reason: "folds and thresholds must be at least 2")
        }
        let splits: [Split]
        do {
            splits = stratified ? try Splitter.stratifiedKFold(y, folds: folds) : try Splitter.kFold(rows: data.rows, folds: folds)
        } catch {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "folds", reason: "\(error)")
        }
        var curves: [(thresholds: [Double], scores: [Double])] = []
        for (f, split) in splits.enumerated() {
            try context.checkCancellation(name)
            let member = try base.fit(FoldData.subset(data, split.train, y), context: &context)
            let s = try member.thresholdScores(data.features.gatheringRows(split.test))
            let lo = s.min() ?? 0, hi = s.max() ?? 0
            guard hi > lo, !(abs(hi - lo) <= 1e-8 + 1e-5 * abs(hi)) else {
                throw EstimatorError.numerical(estimator: name,
                                               reason: "the base model's scores are constant on fold \(f + 1): no threshold to tune")
            }
            let grid = Self.linspace(lo, hi, thresholds)
            let confusion = Metrics.confusionByThreshold(split.test.map { y.codes[$0] }, scores: s, positive: 1,
                                                         thresholds: grid,
                                                         sampleWeights: data.sampleWeights.map { w in split.test.map { w[$0] } })
            curves.append((grid, confusion.map(objective.score)))
            context.observe(FitProgress(source: name, unit: .fold, step: f + 1, total: splits.count))
        }
        let lo = curves.map { $0.thresholds[0] }.min() ?? 0, hi = curves.map { $0.thresholds[$0.thresholds.count - 1] }.max() ?? 0
        let grid = Self.linspace(lo, hi, thresholds)
        var mean = [Double](repeating: 0, count: grid.count)
        for curve in curves {
            for (i, t) in grid.enumerated() { mean[i] += Self.interpolate(t, curve.thresholds, curve.scores) / Double(curves.count) }
        }
        var best = 0
        for i in 1..<mean.count where mean[i] > mean[best] { best = i }
        let model = try base.fit(data, context: &context)
        return Model(model: model, threshold: grid[best], bestScore: mean[best])
    }

    /// NumPy's `linspace(lo, hi, n)`.
    static func linspace(_ lo: Double, _ hi: Double, _ n: Int) -> [Double] {
        let step = (hi - lo) / Double(n - 1)
        return (0..<n).map { $0 == n - 1 ? hi : lo + Double($0) * step }
    }

    /// NumPy's `interp(t, xs, ys)` (`xs` ascending; clipped to the end values outside).
    static func interpolate(_ t: Double, _ xs: [Double], _ ys: [Double]) -> Double {
        if t <= xs[0] { return ys[0] }
        if t >= xs[xs.count - 1] { return ys[ys.count - 1] }
        var lo = 0, hi = xs.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if xs[mid] <= t { lo = mid } else { hi = mid }
        }
        return xs[hi] == xs[lo] ? ys[hi] : ys[lo] + (t - xs[lo]) * (ys[hi] - ys[lo]) / (xs[hi] - xs[lo])
    }
}

extension TunedThresholdClassifier.Model: Equatable where Base.Model: Equatable {}
