import Foundation
import SluiceCompute
import SluicePipeline

/// The fitted model of the discrete naive Bayes learners (``MultinomialNaiveBayes``,
/// ``ComplementNaiveBayes``, ``BernoulliNaiveBayes``): a linear score per class,
/// `x · featureLogProbabilities[c] + bias[c]`, softmaxed into probabilities.
public struct DiscreteNaiveBayesModel: ClassificationModel, DecisionFunctionModel, Equatable {
    public static let kind = "discrete_naive_bayes"

    /// Which learner fitted the model (how a row enters the score).
    public enum Variant: String, Sendable, Codable, Equatable {
        case multinomial, complement, bernoulli
    }

    public var variant: Variant
    public var classes: [String]
    /// `classes × p`: scikit-learn's `feature_log_prob_` (for Bernoulli, its `log p − log(1 − p)`).
    public var featureLogProbabilities: Matrix<Double>
    /// The per-class constant of the score (log prior, plus `Σ log(1 − p)` for Bernoulli).
    public var bias: [Double]
    /// Bernoulli only: a value above it counts as 1, else 0.
    public var binarize: Double?
    public var featureCount: Int { featureLogProbabilities.columns }

    /// The joint log-likelihood (up to a per-row constant) of each row and class, `n × classes`.
    public func decisionFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
        try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
        var input = x
        if variant == .bernoulli, let t = binarize {
            input.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = p[i] > t ? 1 : 0 } }
        }
        var z = Matrix<Double>(rows: x.rows, columns: classes.count)
        if x.columns > 0 { z.gemm(input, featureLogProbabilities.transposed) }
        z.add(toEachRow: bias)
        return z
    }

    public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
        var z = try decisionFunction(x)
        z.softmaxRows()
        return z
    }

    public func validate() throws {
        let k = Self.kind, m = classes.count
        try FittedStateError.require(m >= 1 && Set(classes).count == m, k, field: "classes", "needs distinct classes")
        try FittedStateError.require(featureLogProbabilities.rows == m, k, field: "featureLogProbabilities",
                                     "\(featureLogProbabilities.rows) rows for \(m) classes")
        try FittedStateError.require(bias.count == m, k, field: "bias", "\(bias.count) for \(m) classes")
        try FittedStateError.require(featureLogProbabilities.elements.allSatisfy(\.isFinite), k,
                                     field: "featureLogProbabilities", "not finite")
        try FittedStateError.require(bias.allSatisfy(\.isFinite), k, field: "bias", "not finite")
        try FittedStateError.require((variant == .bernoulli) == (binarize != nil), k, field: "binarize",
                                     "set for Bernoulli models only")
        try FittedStateError.require(binarize?.isFinite ?? true, k, field: "binarize", "not finite")
    }
}

/// The parts the discrete naive Bayes learners share.
enum DiscreteNaiveBayes {
    static func check(alpha: Double, learner: String) throws {
        guard alpha >= 0, alpha.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "alpha", reason: "must be finite and ≥ 0")
        }
    }

    /// Refuses a negative feature value (counts and frequencies only), naming its place.
    static func requireNonNegative(_ x: Matrix<Double>, learner: String) throws {
        let p = x.columns
        let bad = x.withUnsafeBufferPointer { $0.firstIndex { $0 < 0 } }
        if let bad {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "features",
                reason: "must be non-negative counts or frequencies; row \(bad / max(1, p)), feature \(bad % max(1, p)) is negative")
        }
    }

    /// The class log priors: uniform when `fitPrior` is false, else as ``NaiveBayesPriors``.
    static func logPriors(_ priors: [Double]?, fitPrior: Bool, labels y: ClassLabels, sampleWeights: [Double]?,
                          learner: String) throws -> [Double] {
        let fitted = try NaiveBayesPriors.logPriors(priors, labels: y, sampleWeights: sampleWeights, learner: learner)
        if priors == nil && !fitPrior { return [Double](repeating: -log(Double(y.classes.count)), count: y.classes.count) }
        return fitted
    }
}

/// Multinomial naive Bayes for counts (word counts, TF-IDF), as scikit-learn's `MultinomialNB`.
///
/// A class's feature probabilities are its (weighted) feature totals plus ``alpha``,
/// normalised; a row scores `Σⱼ xⱼ log pⱼ + log prior`. Features must be non-negative.
public struct MultinomialNaiveBayes: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public typealias Model = DiscreteNaiveBayesModel
    public var targetKind: TargetKind { .classes }
    /// Additive (Laplace/Lidstone) smoothing.
    public var alpha: Double
    /// Whether to learn class priors (else uniform), when ``priors`` is nil.
    public var fitPrior: Bool
    public var priors: [Double]?

    public init(alpha: Double = 1, fitPrior: Bool = true, priors: [Double]? = nil) {
        self.alpha = alpha
        self.fitPrior = fitPrior
        self.priors = priors
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    public func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        try DiscreteNaiveBayes.check(alpha: alpha, learner: name)
        try LearnerInput.check(TrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights), learner: name)
        try DiscreteNaiveBayes.requireNonNegative(x, learner: name)
        let (_, sums) = BayesClassStatistics.weightedSums(x, codes: y.codes, classes: y.classes.count, weights: sampleWeights)
        return try model(sums: sums, features: x.columns, y, sampleWeights: sampleWeights)
    }

    /// The model from the per-class feature totals (`classes × p`).
    func model(sums: [Double], features p: Int, _ y: ClassLabels, sampleWeights: [Double]?) throws -> Model {
        let name = Model.kind, m = y.classes.count
        let prior = try DiscreteNaiveBayes.logPriors(priors, fitPrior: fitPrior, labels: y, sampleWeights: sampleWeights,
                                                     learner: name)
        var flp = [Double](repeating: 0, count: m * p)
        for c in 0..<m {
            var total = 0.0
            for j in 0..<p { total += sums[c * p + j] + alpha }
            for j in 0..<p { flp[c * p + j] = log(sums[c * p + j] + alpha) - log(total) }
        }
        try finiteOrRefuse(flp, learner: name)
        return Model(variant: .multinomial, classes: y.classes, featureLogProbabilities: Matrix(rows: m, columns: p, elements: flp),
                     bias: prior, binarize: nil)
    }
}

/// Complement naive Bayes (Rennie et al., 2003), as scikit-learn's `ComplementNB`: suited to
/// imbalanced text classes.
///
/// A class's weights come from the feature totals of every *other* class plus ``alpha``,
/// `wⱼ = −log(complementⱼ / Σ complement)` (divided by `Σ |w|` when ``normalize``); a row
/// scores `Σⱼ xⱼ wⱼ`, plus the log prior only when there is a single class, as scikit-learn.
public struct ComplementNaiveBayes: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public typealias Model = DiscreteNaiveBayesModel
    public var targetKind: TargetKind { .classes }
    public var alpha: Double
    /// Whether to normalise each class's weights (scikit-learn's `norm`).
    public var normalize: Bool
    public var fitPrior: Bool

    public init(alpha: Double = 1, normalize: Bool = false, fitPrior: Bool = true) {
        self.alpha = alpha
        self.normalize = normalize
        self.fitPrior = fitPrior
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    public func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        try DiscreteNaiveBayes.check(alpha: alpha, learner: name)
        try LearnerInput.check(TrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights), learner: name)
        try DiscreteNaiveBayes.requireNonNegative(x, learner: name)
        let (_, sums) = BayesClassStatistics.weightedSums(x, codes: y.codes, classes: y.classes.count, weights: sampleWeights)
        return try model(sums: sums, features: x.columns, y, sampleWeights: sampleWeights)
    }

    /// The model from the per-class feature totals (`classes × p`).
    func model(sums: [Double], features p: Int, _ y: ClassLabels, sampleWeights: [Double]?) throws -> Model {
        let name = Model.kind, m = y.classes.count
        let prior = try DiscreteNaiveBayes.logPriors(nil, fitPrior: fitPrior, labels: y, sampleWeights: sampleWeights,
                                                     learner: name)
        var all = [Double](repeating: 0, count: p)
        for c in 0..<m { for j in 0..<p { all[j] += sums[c * p + j] } }
        var flp = [Double](repeating: 0, count: m * p)
        for c in 0..<m {
            var total = 0.0
            for j in 0..<p { total += all[j] + alpha - sums[c * p + j] }
            var logged = (0..<p).map { log((all[$0] + alpha - sums[c * p + $0]) / total) }
            if normalize {
                let s = logged.reduce(0, +)
                logged = logged.map { $0 / s }
            } else {
                logged = logged.map { -$0 }
            }
            for j in 0..<p { flp[c * p + j] = logged[j] }
        }
        try finiteOrRefuse(flp, learner: name)
        return Model(variant: .complement, classes: y.classes, featureLogProbabilities: Matrix(rows: m, columns: p, elements: flp),
                     bias: m == 1 ? prior : [Double](repeating: 0, count: m), binarize: nil)
    }
}

/// Bernoulli naive Bayes for binary features, as scikit-learn's `BernoulliNB`.
///
/// Values above ``binarize`` count as 1, others as 0. A class's probability of each feature
/// being 1 is `(its weighted count of ones + alpha) / (its weight + 2·alpha)`; a row scores
/// `Σⱼ [xⱼ log pⱼ + (1 − xⱼ) log(1 − pⱼ)] + log prior`.
public struct BernoulliNaiveBayes: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public typealias Model = DiscreteNaiveBayesModel
    public var targetKind: TargetKind { .classes }
    public var alpha: Double
    /// The threshold above which a value is 1.
    public var binarize: Double
    public var fitPrior: Bool
    public var priors: [Double]?

    public init(alpha: Double = 1, binarize: Double = 0, fitPrior: Bool = true, priors: [Double]? = nil) {
        self.alpha = alpha
        self.binarize = binarize
        self.fitPrior = fitPrior
        self.priors = priors
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    public func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        try DiscreteNaiveBayes.check(alpha: alpha, learner: name)
        guard binarize.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "binarize", reason: "must be finite")
        }
        try LearnerInput.check(TrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights), learner: name)
        let t = binarize
        let (counts, sums) = BayesClassStatistics.weightedSums(x, codes: y.codes, classes: y.classes.count,
                                                               weights: sampleWeights) { $0 > t ? 1 : 0 }
        return try model(counts: counts, sums: sums, features: x.columns, y, sampleWeights: sampleWeights)
    }

    /// The model from the per-class weights and counts of ones (`classes × p`).
    func model(counts: [Double], sums: [Double], features p: Int, _ y: ClassLabels, sampleWeights: [Double]?) throws -> Model {
        let name = Model.kind, m = y.classes.count
        var prior = try DiscreteNaiveBayes.logPriors(priors, fitPrior: fitPrior, labels: y, sampleWeights: sampleWeights,
                                                     learner: name)
        var flp = [Double](repeating: 0, count: m * p)
        for c in 0..<m {
            let denominator = log(counts[c] + 2 * alpha)
            for j in 0..<p {
                let logP = log(sums[c * p + j] + alpha) - denominator
                let logNot = log1p(-exp(logP))
                flp[c * p + j] = logP - logNot
                prior[c] += logNot
            }
        }
        try finiteOrRefuse(flp + prior, learner: name)
        return Model(variant: .bernoulli, classes: y.classes, featureLogProbabilities: Matrix(rows: m, columns: p, elements: flp),
                     bias: prior, binarize: binarize)
    }
}

/// A zero ``alpha`` with a feature never seen in a class gives `log 0`: refused.
private func finiteOrRefuse(_ values: [Double], learner: String) throws {
    guard values.allSatisfy(\.isFinite) else {
        throw EstimatorError.numerical(estimator: learner, reason: "a feature never occurs in a class: use alpha > 0")
    }
}
