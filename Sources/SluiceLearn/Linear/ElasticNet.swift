import Foundation
import SluiceCompute
import SluicePipeline

/// Linear regression with combined L1 and L2 penalties, by coordinate descent, as
/// scikit-learn's `ElasticNet` (and `Lasso`, its ``l1Ratio`` = 1 case: see ``lasso(alpha:)``).
///
/// It minimises `(1 / 2W) Σ wᵢ (yᵢ − xᵢ·β − b)² + α·ρ·‖β‖₁ + ½·α·(1 − ρ)·‖β‖²`, with `W` the
/// total sample weight (scikit-learn rescales weights to sum to the row count: the same
/// objective), `ρ` = ``l1Ratio``, the intercept unpenalised. The rows are reduced once to
/// their `p × p` weighted Gram matrix (one vectorised pass over the rows on every core,
/// ``SluiceCompute/Matrix/augmentedGram(target:weights:rows:)``), then cyclic coordinate descent runs
/// on it (scikit-learn's Gram variant, `precompute=True`), stopping on its duality-gap rule:
/// gap below `tolerance · Σ wᵢ (yᵢ − ȳ)²`. The optimum is scikit-learn's to that tolerance.
public struct ElasticNet: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .values }

    /// The penalty strength (scikit-learn's `alpha`).
    public var alpha: Double
    /// The L1 share of the penalty, in `[0, 1]` (scikit-learn's `l1_ratio`).
    public var l1Ratio: Double
    public var fitIntercept: Bool
    public var maxIterations: Int
    public var tolerance: Double

    public init(alpha: Double = 1, l1Ratio: Double = 0.5, fitIntercept: Bool = true, maxIterations: Int = 1000,
                tolerance: Double = 1e-4) {
        self.alpha = alpha
        self.l1Ratio = l1Ratio
        self.fitIntercept = fitIntercept
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// scikit-learn's `Lasso(alpha)`: the pure L1 penalty.
    public static func lasso(alpha: Double = 1, fitIntercept: Bool = true, maxIterations: Int = 1000,
                             tolerance: Double = 1e-4) -> ElasticNet {
        ElasticNet(alpha: alpha, l1Ratio: 1, fitIntercept: fitIntercept, maxIterations: maxIterations, tolerance: tolerance)
    }

    /// A fitted penalised linear model: `ŷ = x · coefficients + intercept`.
    public struct Model: RegressionModel, Equatable {
        public static let kind = "elastic_net"
        public var coefficients: [Double]
        public var intercept: Double
        /// The penalty the model was fitted at (the chosen one for the cross-validated learners).
        public var alpha: Double
        public var l1Ratio: Double
        /// Coordinate-descent sweeps used.
        public var iterations: Int
        /// The final duality gap.
        public var dualityGap: Double
        /// Whether the gap tolerance was reached within `maxIterations`.
        public var converged: Bool
        public var featureCount: Int { coefficients.count }

        public func predict(_ x: Matrix<Double>) throws -> [Double] {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            var y = [Double](repeating: intercept, count: x.rows)
            if x.columns > 0 && x.rows > 0 { x.view.gemv(coefficients, into: &y, beta: 1) }
            return y
        }

        public func validate() throws {
            let k = Self.kind
            try FittedStateError.require(coefficients.allSatisfy(\.isFinite), k, field: "coefficients", "not finite")
            try FittedStateError.require(intercept.isFinite, k, field: "intercept", "not finite")
            try FittedStateError.require(alpha.isFinite && alpha >= 0, k, field: "alpha", "must be finite and ≥ 0")
            try FittedStateError.require(l1Ratio >= 0 && l1Ratio <= 1, k, field: "l1Ratio", "must be in [0, 1]")
        }
    }

    static func check(alpha: Double?, l1Ratio: Double, maxIterations: Int, tolerance: Double, learner: String) throws {
        if let alpha, !(alpha >= 0 && alpha.isFinite) {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "alpha", reason: "must be finite and ≥ 0")
        }
        guard l1Ratio >= 0, l1Ratio <= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "l1Ratio", reason: "must be in [0, 1]")
        }
        guard maxIterations >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "maxIterations", reason: "must be at least 1")
        }
        guard tolerance > 0, tolerance.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "tolerance", reason: "must be finite and > 0")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.values(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    /// Fits on `x` (`n × p`, finite) and `y`, each row's squared error weighted by `sampleWeights`.
    public func fit(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        try Self.check(alpha: alpha, l1Ratio: l1Ratio, maxIterations: maxIterations, tolerance: tolerance, learner: name)
        try LearnerInput.check(TrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights), learner: name)
        let problem = GramProblem(GramProblem.Sums(x, y, weights: sampleWeights), fitIntercept: fitIntercept)
        return solve(problem, alpha: alpha, start: [Double](repeating: 0, count: x.columns))
    }

    func solve(_ problem: GramProblem, alpha: Double, start: [Double]) -> Model {
        let r = problem.solve(alpha: alpha, l1Ratio: l1Ratio, start: start, maxIterations: maxIterations, tolerance: tolerance)
        return Model(coefficients: r.coefficients, intercept: fitIntercept ? problem.intercept(r.coefficients) : 0, alpha: alpha,
                     l1Ratio: l1Ratio, iterations: r.iterations, dualityGap: r.gap, converged: r.converged)
    }

    /// The regularisation path: fits at each of `alphas` (default: ``ElasticNetCV/alphaGrid``),
    /// largest first, each warm-started from the previous solution (scikit-learn's `enet_path`).
    public func path(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil,
                     alphas: [Double]? = nil) throws -> [Model] {
        let name = Model.kind
        try Self.check(alpha: nil, l1Ratio: l1Ratio, maxIterations: maxIterations, tolerance: tolerance, learner: name)
        try LearnerInput.check(TrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights), learner: name)
        let problem = GramProblem(GramProblem.Sums(x, y, weights: sampleWeights), fitIntercept: fitIntercept)
        let grid = (alphas ?? ElasticNetCV.alphaGrid(problem.alphaMax(l1Ratio: l1Ratio))).sorted(by: >)
        var start = [Double](repeating: 0, count: x.columns), out: [Model] = []
        for a in grid {
            let m = solve(problem, alpha: a, start: start)
            start = m.coefficients
            out.append(m)
        }
        return out
    }
}

/// Elastic net (or lasso, with ``l1Ratio`` 1) with alpha chosen by k-fold cross-validation,
/// as scikit-learn's `ElasticNetCV` / `LassoCV` (`cv=5`, unshuffled contiguous folds).
///
/// The grid is ``alphaGrid(_:count:ratio:)`` from the largest useful alpha of the whole data;
/// every fold fits the whole path (warm-started, from the fold's Gram matrix: the total's
/// minus the held-out rows') and scores the mean squared error of its held-out rows; the alpha
/// of the lowest mean error over folds (the largest on ties) is refitted on all rows.
public struct ElasticNetCV: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public typealias Model = ElasticNet.Model
    public var targetKind: TargetKind { .values }

    public var l1Ratio: Double
    /// Candidate alphas; nil for ``alphaCount`` log-spaced values.
    public var alphas: [Double]?
    public var alphaCount: Int
    public var folds: Int
    public var fitIntercept: Bool
    public var maxIterations: Int
    public var tolerance: Double

    public init(l1Ratio: Double = 0.5, alphas: [Double]? = nil, alphaCount: Int = 100, folds: Int = 5,
                fitIntercept: Bool = true, maxIterations: Int = 1000, tolerance: Double = 1e-4) {
        self.l1Ratio = l1Ratio
        self.alphas = alphas
        self.alphaCount = alphaCount
        self.folds = folds
        self.fitIntercept = fitIntercept
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// scikit-learn's `LassoCV`.
    public static func lasso(alphas: [Double]? = nil, alphaCount: Int = 100, folds: Int = 5) -> ElasticNetCV {
        ElasticNetCV(l1Ratio: 1, alphas: alphas, alphaCount: alphaCount, folds: folds)
    }

    /// `count` alphas log-spaced from `alphaMax` down to `ratio · alphaMax` (scikit-learn's
    /// `eps=1e-3`, `n_alphas=100`), largest first.
    public static func alphaGrid(_ alphaMax: Double, count: Int = 100, ratio: Double = 1e-3) -> [Double] {
        guard alphaMax > 0, count > 1 else { return [max(alphaMax, 0)] }
        let hi = log10(alphaMax), lo = log10(alphaMax * ratio)
        return (0..<count).map { pow(10, hi + (lo - hi) * Double($0) / Double(count - 1)) }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.values(learner: Model.kind), sampleWeights: data.sampleWeights, context: context)
    }

    public func fit(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil,
                    context: FitContext = FitContext(seed: 0)) throws -> Model {
        let name = Model.kind
        try ElasticNet.check(alpha: nil, l1Ratio: l1Ratio, maxIterations: maxIterations, tolerance: tolerance, learner: name)
        try LearnerInput.check(TrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights), learner: name)
        guard folds >= 2, folds <= x.rows else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "folds", reason: "must be in 2...\(x.rows) (the rows)")
        }
        guard alphaCount >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "alphaCount", reason: "must be at least 1")
        }
        if let alphas, alphas.isEmpty || !alphas.allSatisfy({ $0 >= 0 && $0.isFinite }) {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "alphas", reason: "must be finite, ≥ 0 and not empty")
        }
        let net = ElasticNet(alpha: 1, l1Ratio: l1Ratio, fitIntercept: fitIntercept, maxIterations: maxIterations,
                             tolerance: tolerance)
        let total = GramProblem.Sums(x, y, weights: sampleWeights)
        let whole = GramProblem(total, fitIntercept: fitIntercept)
        let grid = (alphas ?? Self.alphaGrid(whole.alphaMax(l1Ratio: l1Ratio), count: alphaCount)).sorted(by: >)
        var error = [Double](repeating: 0, count: grid.count)
        let n = x.rows, p = x.columns
        for f in 0..<folds {  // scikit-learn's KFold: the first n % folds folds get one more row
            try context.checkCancellation(name)
            let size = n / folds, extra = n % folds
            let lo = f * size + min(f, extra), hi = lo + size + (f < extra ? 1 : 0)
            let heldSums = GramProblem.Sums(x, y, weights: sampleWeights, rows: lo..<hi)
            let train = GramProblem(total - heldSums, fitIntercept: fitIntercept)
            var start = [Double](repeating: 0, count: p)
            for (a, alpha) in grid.enumerated() {
                let m = net.solve(train, alpha: alpha, start: start)
                start = m.coefficients
                var se = 0.0, sw = 0.0
                x.withUnsafeBufferPointer { xp in
                    for i in lo..<hi {
                        var pred = m.intercept
                        for j in 0..<p { pred += xp[i * p + j] * m.coefficients[j] }
                        let w = sampleWeights?[i] ?? 1
                        se += w * (y[i] - pred) * (y[i] - pred)
                        sw += w
                    }
                }
                error[a] += sw > 0 ? se / sw : 0
            }
            context.observe(FitProgress(source: name, unit: .fold, step: f + 1, total: folds))
        }
        var best = 0
        for a in 1..<grid.count where error[a] < error[best] { best = a }
        return net.solve(whole, alpha: grid[best], start: [Double](repeating: 0, count: p))
    }
}
