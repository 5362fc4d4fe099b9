import Foundation
import SluiceCompute
import SluicePipeline

/// Gaussian naive Bayes, as scikit-learn's `GaussianNB`.
///
/// Each class gets the (sample-weighted) mean and population variance of every feature and a
/// prior, its share of the total weight (or ``priors`` when given). Every variance is
/// increased by `varianceSmoothing × the largest feature variance` over all rows (unweighted,
/// as scikit-learn computes it), so constant features do not divide by zero. A row's class
/// log-likelihood is `log prior − ½ Σⱼ log(2π σ²ⱼ) − ½ Σⱼ (xⱼ − μⱼ)² / σ²ⱼ`, and its
/// probabilities their softmax. Sums run in fixed row blocks in parallel, so the fit does not
/// depend on the thread count.
public struct GaussianNaiveBayes: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .classes }

    /// The fraction of the largest feature variance added to every variance (scikit-learn's `var_smoothing`).
    public var varianceSmoothing: Double
    /// Class priors in class order, or nil to use the classes' weight shares.
    public var priors: [Double]?

    public init(varianceSmoothing: Double = 1e-9, priors: [Double]? = nil) {
        self.varianceSmoothing = varianceSmoothing
        self.priors = priors
    }

    /// A fitted Gaussian naive Bayes model.
    public struct Model: ClassificationModel, Equatable {
        public static let kind = "gaussian_naive_bayes"
        public var classes: [String]
        /// `classes × p` per-class feature means.
        public var means: Matrix<Double>
        /// `classes × p` per-class feature variances, smoothing included.
        public var variances: Matrix<Double>
        /// The log prior of each class.
        public var logPriors: [Double]
        /// The variance added to every variance.
        public var epsilon: Double
        public var featureCount: Int { means.columns }

        /// The joint log-likelihood of each row and class (`n × classes`).
        public func jointLogLikelihood(_ x: Matrix<Double>) throws -> Matrix<Double> {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            let m = classes.count, p = featureCount, n = x.rows
            var constant = logPriors
            var inverse = variances
            variances.withUnsafeBufferPointer { v in
                inverse.withUnsafeMutableBufferPointer { iv in
                    for c in 0..<m {
                        var s = 0.0
                        for j in 0..<p {
                            s += log(2 * Double.pi * v[c * p + j])
                            iv[c * p + j] = 1 / v[c * p + j]
                        }
                        constant[c] -= 0.5 * s
                    }
                }
            }
            var out = Matrix<Double>(rows: n, columns: m)
            x.withUnsafeBufferPointer { xp in
                means.withUnsafeBufferPointer { mu in
                    inverse.withUnsafeBufferPointer { iv in
                        out.withUnsafeMutableBufferPointer { op in
                            let o = UncheckedBox(op.baseAddress!)
                            Parallel.forEachChunk(of: n, minimumChunk: 8192) { rows in
                                for i in rows {
                                    let row = xp.baseAddress! + i * p
                                    for c in 0..<m {
                                        var s = 0.0
                                        for j in 0..<p {
                                            let d = row[j] - mu[c * p + j]
                                            s += d * d * iv[c * p + j]
                                        }
                                        o.value[i * m + c] = constant[c] - 0.5 * s
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return out
        }

        public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
            var z = try jointLogLikelihood(x)
            z.softmaxRows()
            return z
        }

        public func validate() throws {
            let k = Self.kind, m = classes.count
            try FittedStateError.require(m >= 1 && Set(classes).count == m, k, field: "classes", "needs distinct classes")
            try FittedStateError.require(means.rows == m, k, field: "means", "\(means.rows) rows for \(m) classes")
            try FittedStateError.require(variances.rows == m && variances.columns == means.columns, k, field: "variances",
                                         "\(variances.rows)×\(variances.columns), means are \(means.rows)×\(means.columns)")
            try FittedStateError.require(logPriors.count == m, k, field: "logPriors", "\(logPriors.count) for \(m) classes")
            try FittedStateError.require(means.elements.allSatisfy(\.isFinite), k, field: "means", "not finite")
            try FittedStateError.require(variances.elements.allSatisfy { $0.isFinite && $0 > 0 }, k, field: "variances",
                                         "must be finite and positive")
            try FittedStateError.require(logPriors.allSatisfy { $0.isFinite && $0 <= 0 }, k, field: "logPriors",
                                         "must be finite log-probabilities")
            try FittedStateError.require(epsilon.isFinite && epsilon >= 0, k, field: "epsilon", "must be finite and ≥ 0")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    /// Fits on `x` (`n × p`, finite) and class labels `y`, each row weighted by `sampleWeights`.
    public func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        guard varianceSmoothing >= 0, varianceSmoothing.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "varianceSmoothing", reason: "must be finite and ≥ 0")
        }
        try LearnerInput.check(TrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights), learner: name)
        let m = y.classes.count, p = x.columns, n = x.rows
        let logPriors = try NaiveBayesPriors.logPriors(priors, labels: y, sampleWeights: sampleWeights, learner: name)
        let (counts, sums) = BayesClassStatistics.weightedSums(x, codes: y.codes, classes: m, weights: sampleWeights)
        var means = [Double](repeating: 0, count: m * p)
        for c in 0..<m where counts[c] > 0 { for j in 0..<p { means[c * p + j] = sums[c * p + j] / counts[c] } }
        // Unweighted column means for epsilon, then both sums of squared deviations in one pass.
        let columnMeans = x.columnMeans()
        let codes = y.codes
        let squares = x.withUnsafeBufferPointer { xp in
            BayesClassStatistics.blockSums(rows: n, width: (m + 1) * p) { rows, acc in
                for i in rows {
                    let c = codes[i], w = sampleWeights?[i] ?? 1
                    let row = xp.baseAddress! + i * p, s = acc + c * p, t = acc + m * p
                    for j in 0..<p {
                        let d = row[j] - means[c * p + j], e = row[j] - columnMeans[j]
                        s[j] += w * d * d
                        t[j] += e * e
                    }
                }
            }
        }
        let largest = (0..<p).map { squares[m * p + $0] / Double(n) }.max() ?? 0
        let epsilon = varianceSmoothing * largest
        var variances = [Double](repeating: epsilon, count: m * p)
        for c in 0..<m where counts[c] > 0 { for j in 0..<p { variances[c * p + j] += squares[c * p + j] / counts[c] } }
        if let bad = variances.firstIndex(where: { !($0 > 0) }) {
            throw EstimatorError.numerical(estimator: name,
                reason: "feature \(bad % max(1, p)) has zero variance in class '\(y.classes[bad / max(1, p)])' (raise varianceSmoothing)")
        }
        return Model(classes: y.classes, means: Matrix(rows: m, columns: p, elements: means),
                     variances: Matrix(rows: m, columns: p, elements: variances), logPriors: logPriors, epsilon: epsilon)
    }
}

/// The class priors naive Bayes learners share.
enum NaiveBayesPriors {
    /// `log` of `priors` when given (checked: one per class, non-negative, summing to 1),
    /// else of each class's share of the total weight. A class with no weight is refused.
    static func logPriors(_ priors: [Double]?, labels y: ClassLabels, sampleWeights: [Double]?, learner: String) throws -> [Double] {
        let m = y.classes.count
        var weight = [Double](repeating: 0, count: m)
        for (i, c) in y.codes.enumerated() { weight[c] += sampleWeights?[i] ?? 1 }
        if let c = weight.firstIndex(where: { !($0 > 0) }) {
            throw EstimatorError.invalidSampleWeights(estimator: learner, reason: "give class '\(y.classes[c])' no weight")
        }
        if let priors {
            guard priors.count == m, priors.allSatisfy({ $0 > 0 && $0.isFinite }),
                  abs(priors.reduce(0, +) - 1) < 1e-8 else {
                throw EstimatorError.invalidHyperparameter(estimator: learner, name: "priors",
                    reason: "must be \(m) positive values summing to 1")
            }
            return priors.map { log($0) }
        }
        let total = weight.reduce(0, +)
        return weight.map { log($0 / total) }
    }
}
