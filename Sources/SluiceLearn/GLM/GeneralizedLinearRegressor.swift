import Foundation
import SluiceCompute
import SluicePipeline

/// The distribution of a ``GeneralizedLinearRegressor``'s target, with a log link
/// (`μ = exp(x·w + b)`).
public enum GLMFamily: Sendable, Codable, Equatable {
    /// Counts (scikit-learn's `PoissonRegressor`): `y ≥ 0`, not all zero.
    case poisson
    /// Positive amounts (`GammaRegressor`): `y > 0`.
    case gamma
    /// Tweedie with variance power `p` (`TweedieRegressor(link="log")`): `p ≤ 0` (any `y`),
    /// `1 ≤ p < 2` (`y ≥ 0`, compound Poisson–gamma: claims with many zeros), `p ≥ 2` (`y > 0`).
    /// Powers in `(0, 1)` have no distribution and are refused.
    case tweedie(power: Double)

    /// The variance power: 1 Poisson, 2 gamma.
    public var power: Double {
        switch self {
        case .poisson: return 1
        case .gamma: return 2
        case .tweedie(let p): return p
        }
    }

    /// Half the unit deviance's `η`-dependent part at `η` (scikit-learn's `HalfTweedieLoss`
    /// without its constant), and its derivative in `η`.
    func halfLoss(_ y: Double, _ eta: Double) -> (loss: Double, derivative: Double) {
        let p = power
        if p == 1 { let mu = exp(eta); return (mu - y * eta, mu - y) }
        if p == 2 { let r = y * exp(-eta); return (eta + r, 1 - r) }
        let a = exp(eta * (1 - p)), b = exp(eta * (2 - p))
        return (b / (2 - p) - y * a / (1 - p), b - y * a)
    }

    /// Why `y` is outside the family's support, or nil.
    func supportProblem(_ y: [Double]) -> String? {
        let p = power
        if p > 0 && p < 1 { return "Tweedie power in (0, 1) has no distribution" }
        if !p.isFinite { return "Tweedie power must be finite" }
        if p >= 2 { return y.allSatisfy { $0 > 0 } ? nil : "needs a positive target (y > 0)" }
        if p >= 1 {
            guard y.allSatisfy({ $0 >= 0 }) else { return "needs a non-negative target (y ≥ 0)" }
            return y.contains { $0 > 0 } ? nil : "needs some positive target values"
        }
        return nil
    }

    /// The total unit deviance `2 Σ sᵢ d(yᵢ, μᵢ)` (sklearn's `mean_tweedie_deviance` numerator).
    func deviance(_ y: Double, _ mu: Double) -> Double {
        let p = power
        if p == 1 { return 2 * ((y > 0 ? y * log(y / mu) : 0) - y + mu) }
        if p == 2 { return 2 * (log(mu / y) + y / mu - 1) }
        let first = p < 1 || y > 0 ? pow(max(y, 0), 2 - p) / ((1 - p) * (2 - p)) : 0
        return 2 * (first - y * pow(mu, 1 - p) / (1 - p) + pow(mu, 2 - p) / (2 - p))
    }
}

/// A generalized linear model with a log link — Poisson, gamma or Tweedie regression, as
/// scikit-learn's `PoissonRegressor`, `GammaRegressor` and `TweedieRegressor(link="log")`.
///
/// It minimises scikit-learn's objective
/// `(1 / Σsᵢ) Σ sᵢ · ½ deviance(yᵢ, exp(xᵢ·w + b)) + (α / 2)‖w‖²` (the intercept is not
/// penalised) with L-BFGS from `w = 0`, `b = log(mean y)`; it converges when the largest
/// gradient entry is below ``tolerance`` (scikit-learn's `tol` for `lbfgs`). Predictions are
/// the means `exp(x·w + b)`.
public struct GeneralizedLinearRegressor: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .values }

    public var family: GLMFamily
    /// The L2 penalty strength `α` (scikit-learn's `alpha`, default 1).
    public var alpha: Double
    public var fitIntercept: Bool
    public var maxIterations: Int
    public var tolerance: Double

    public init(family: GLMFamily, alpha: Double = 1, fitIntercept: Bool = true, maxIterations: Int = 100,
                tolerance: Double = 1e-4) {
        self.family = family
        self.alpha = alpha
        self.fitIntercept = fitIntercept
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// scikit-learn's `PoissonRegressor`.
    public static func poisson(alpha: Double = 1, fitIntercept: Bool = true, maxIterations: Int = 100,
                               tolerance: Double = 1e-4) -> GeneralizedLinearRegressor {
        GeneralizedLinearRegressor(family: .poisson, alpha: alpha, fitIntercept: fitIntercept, maxIterations: maxIterations,
                                   tolerance: tolerance)
    }

    /// scikit-learn's `GammaRegressor`.
    public static func gamma(alpha: Double = 1, fitIntercept: Bool = true, maxIterations: Int = 100,
                             tolerance: Double = 1e-4) -> GeneralizedLinearRegressor {
        GeneralizedLinearRegressor(family: .gamma, alpha: alpha, fitIntercept: fitIntercept, maxIterations: maxIterations,
                                   tolerance: tolerance)
    }

    /// scikit-learn's `TweedieRegressor(power:, link="log")`.
    public static func tweedie(power: Double, alpha: Double = 1, fitIntercept: Bool = true, maxIterations: Int = 100,
                               tolerance: Double = 1e-4) -> GeneralizedLinearRegressor {
        GeneralizedLinearRegressor(family: .tweedie(power: power), alpha: alpha, fitIntercept: fitIntercept,
                                   maxIterations: maxIterations, tolerance: tolerance)
    }

    /// A fitted log-link GLM.
    public struct Model: RegressionModel, Equatable {
        public static let kind = "glm_regressor"
        public var family: GLMFamily
        public var coefficients: [Double]
        public var intercept: Double
        public var iterations: Int
        public var converged: Bool
        public var featureCount: Int { coefficients.count }

        /// The linear predictor `η = x·w + b` of each row.
        public func linearPredictor(_ x: Matrix<Double>) throws -> [Double] {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            var z = Matrix<Double>(rows: x.rows, columns: 1, repeating: intercept)
            if x.columns > 0 { z.gemm(x, Matrix(rows: featureCount, columns: 1, elements: coefficients).view, beta: 1) }
            return z.elements
        }

        /// The predicted means `exp(η)`.
        public func predict(_ x: Matrix<Double>) throws -> [Double] { try linearPredictor(x).map { exp($0) } }

        /// scikit-learn's `score`: the fraction of deviance explained, `D²`, on `x`, `y`.
        public func d2Score(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil) throws -> Double {
            let mu = try predict(x), w = sampleWeights ?? [Double](repeating: 1, count: y.count)
            let total = zip(w, y).reduce(0) { $0 + $1.0 * $1.1 } / w.reduce(0, +)
            var dev = 0.0, null = 0.0
            for i in y.indices {
                dev += w[i] * family.deviance(y[i], mu[i])
                null += w[i] * family.deviance(y[i], total)
            }
            return 1 - dev / null
        }

        public func validate() throws {
            let k = Self.kind
            let p = family.power
            try FittedStateError.require(p.isFinite && !(p > 0 && p < 1), k, field: "family", "power \(p) is not a distribution")
            try FittedStateError.require(coefficients.allSatisfy(\.isFinite) && intercept.isFinite, k,
                                         field: "coefficients", "not finite")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try LearnerInput.check(data, learner: Model.kind)
        return try fit(data.features, data.target.values(learner: Model.kind), sampleWeights: data.sampleWeights,
                       context: context)
    }

    /// Fits on `x` (`n × p`, finite) and targets `y` in the family's support, each row
    /// weighted by `sampleWeights`; reports each iteration to `context` and honours its cancellation.
    public func fit(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil,
                    context: FitContext = FitContext(seed: 0)) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(TrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights), learner: name)
        guard alpha >= 0, alpha.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "alpha", reason: "must be finite and >= 0")
        }
        guard maxIterations > 0 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "maxIterations", reason: "must be > 0")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "tolerance", reason: "must be finite and >= 0")
        }
        if let problem = family.supportProblem(y) {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "family", reason: problem)
        }
        let n = x.rows, p = x.columns
        let w = sampleWeights ?? [Double](repeating: 1, count: n)
        let total = w.reduce(0, +)
        let s = w.map { $0 / total }
        let mean = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 }
        var start = [Double](repeating: 0, count: p + 1)
        if fitIntercept { start[p] = log(mean) }
        let family = self.family, alpha = self.alpha, fitIntercept = self.fitIntercept
        let result = try LBFGS(maxIterations: maxIterations, gradientTolerance: tolerance).minimize(start: start, { theta, gradient in
            var eta = Matrix<Double>(rows: n, columns: 1, repeating: theta[p])
            if p > 0 { eta.gemm(x, Matrix(rows: p, columns: 1, elements: theta[0..<p]).view, beta: 1) }
            var loss = 0.0
            var r = Matrix<Double>(rows: 1, columns: n)
            eta.withUnsafeBufferPointer { e in
                r.withUnsafeMutableBufferPointer { r in
                    for i in 0..<n {
                        let (l, d) = family.halfLoss(y[i], e[i])
                        loss += s[i] * l
                        r[i] = s[i] * d
                    }
                }
            }
            var g = Matrix<Double>(rows: 1, columns: p)
            if p > 0 { g.gemm(r, x) }
            var penalty = 0.0
            for j in 0..<p {
                gradient[j] = g[0, j] + alpha * theta[j]
                penalty += theta[j] * theta[j]
            }
            gradient[p] = fitIntercept ? r.elements.reduce(0, +) : 0
            return loss + 0.5 * alpha * penalty
        }, observe: { iteration, value, norm in
            try context.checkCancellation(name)
            context.observe(FitProgress(source: name, unit: .iteration, step: iteration, total: maxIterations,
                                        metrics: ["loss": value, "gradient_norm": norm]))
        })
        guard result.x.allSatisfy(\.isFinite) else {
            throw EstimatorError.numerical(estimator: name, reason: "the fit diverged (non-finite coefficients)")
        }
        return Model(family: family, coefficients: Array(result.x[0..<p]), intercept: result.x[p],
                     iterations: result.iterations, converged: result.converged)
    }
}
