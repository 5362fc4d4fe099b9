import SluiceCompute
import SluicePipeline

/// A linear support vector regressor by dual coordinate descent, as scikit-learn's
/// `LinearSVR(dual=True)` (liblinear's solvers 13 and 12; Ho and Lin, 2012).
///
/// Minimises `½‖w‖² + C Σᵢ sᵢ · loss(|yᵢ − w·xᵢ − b| − ε)` with the epsilon-insensitive or
/// squared epsilon-insensitive ``Loss``, where `sᵢ` is the row's sample weight. As liblinear,
/// the intercept is the weight of a constant feature ``interceptScaling`` and is penalised with
/// the rest, so the optimum is unique. The dual is solved one variable at a time, in an order
/// shuffled every pass by the fit's generator, with liblinear's shrinking, until the summed
/// violation falls below ``tolerance`` times the first pass's (liblinear's rule) or
/// ``maxIterations`` passes. With the squared loss on dense, tall features the default
/// ``LinearSVMSolver/auto`` solves the primal by Newton's method instead, as scikit-learn's
/// `dual="auto"`. It takes dense or CSR features (``fit(sparse:_:sampleWeights:context:)``).
public struct LinearSVR: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .values }

    /// The per-row loss of the residual `r = y − ŷ`.
    public enum Loss: String, Sendable, Codable, Equatable {
        /// `max(0, |r| − ε)` (scikit-learn's default; liblinear's solver 13).
        case epsilonInsensitive
        /// `max(0, |r| − ε)²` (liblinear's solver 12): its dual is strongly convex.
        case squaredEpsilonInsensitive
    }

    public var c: Double
    /// The half-width `ε ≥ 0` of the tube in which residuals cost nothing.
    public var epsilon: Double
    public var loss: Loss
    public var fitIntercept: Bool
    public var interceptScaling: Double
    public var maxIterations: Int
    public var tolerance: Double
    /// The dual (coordinate descent) or the primal (Newton; squared loss, dense features).
    public var solver: LinearSVMSolver

    public init(c: Double = 1, epsilon: Double = 0, loss: Loss = .epsilonInsensitive, fitIntercept: Bool = true,
                interceptScaling: Double = 1, maxIterations: Int = 1000, tolerance: Double = 1e-4,
                solver: LinearSVMSolver = .auto) {
        self.solver = solver
        self.c = c
        self.epsilon = epsilon
        self.loss = loss
        self.fitIntercept = fitIntercept
        self.interceptScaling = interceptScaling
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// A fitted linear SVR: `ŷ = x · coefficients + intercept`.
    public struct Model: RegressionModel, Equatable {
        public static let kind = "linear_svr"
        public var coefficients: [Double]
        public var intercept: Double
        /// The passes (dual) or Newton steps (primal) the solver took.
        public var iterations: Int
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
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.values(learner: Model.kind), sampleWeights: data.sampleWeights, context: &context)
    }

    public func fit(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil,
                    context: inout FitContext) throws -> Model {
        try LearnerInput.check(TrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights), learner: Model.kind)
        return try fit(LinearSVCDenseRows(x, intercept: fitIntercept ? interceptScaling : nil), y, sampleWeights: sampleWeights,
                       context: &context)
    }

    /// Fits on CSR features `x` (`n × p`, finite): each step touches only a row's stored entries.
    public func fit(sparse x: SparseMatrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil,
                    context: inout FitContext) throws -> Model {
        try LearnerInput.check(sparse: SparseTrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights),
                               learner: Model.kind)
        return try fit(LinearSVCSparseRows(x, intercept: fitIntercept ? interceptScaling : nil), y, sampleWeights: sampleWeights,
                       context: &context)
    }

    func fit<Rows: LinearSVCRows>(_ rows: Rows, _ y: [Double], sampleWeights: [Double]?,
                                  context: inout FitContext) throws -> Model {
        let name = Model.kind
        guard c > 0, c.isFinite, interceptScaling > 0, interceptScaling.isFinite, tolerance > 0, maxIterations >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "c",
                reason: "c, interceptScaling and tolerance must be finite and > 0, maxIterations ≥ 1")
        }
        guard epsilon.isFinite, epsilon >= 0 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "epsilon", reason: "must be finite and ≥ 0")
        }
        try context.checkCancellation(name)
        let costs = y.indices.map { c * (sampleWeights?[$0] ?? 1) }
        let primal = try solver.usesPrimal(squaredLoss: loss == .squaredEpsilonInsensitive, dense: rows.design != nil,
                                           rows: y.count, width: rows.width, learner: name)
        let (w, iterations, converged) = if primal, let design = rows.design {
            solvePrimal(design, y, costs: costs)
        } else {
            solve(rows, y, costs: costs, rng: &context.rng)
        }
        context.observe(FitProgress(source: name, unit: .iteration, step: 1, total: 1, metrics: ["passes": Double(iterations)]))
        let p = rows.features
        return Model(coefficients: Array(w[0..<p]), intercept: fitIntercept ? w[p] * interceptScaling : 0,
                     iterations: iterations, converged: converged)
    }

    /// The primal of the squared epsilon-insensitive problem by Newton's method (liblinear's
    /// solver 11's problem and stopping rule, `‖∇f‖ ≤ tolerance · ‖∇f(0)‖`).
    func solvePrimal(_ design: Matrix<Double>, _ y: [Double], costs: [Double]) -> (w: [Double], iterations: Int, converged: Bool) {
        let e = epsilon
        return LinearSVMPrimal(design: design, tolerance: tolerance, maxIterations: maxIterations).solve { i, t in
            let r = t - y[i], c = costs[i]
            if r > e { return (c * (r - e) * (r - e), 2 * c * (r - e), 2 * c) }
            if r < -e { return (c * (r + e) * (r + e), 2 * c * (r + e), 2 * c) }
            return (0, 0, 0)
        }
    }

    /// Dual coordinate descent on `β` (liblinear's `solve_l2r_l1l2_svr`, with its shrinking):
    /// `min ½βᵀ(Q + diag λ)β + ε‖β‖₁ − yᵀβ`, `|βᵢ| ≤ Uᵢ`, where `w = Σ βᵢ xᵢ`; the
    /// epsilon-insensitive loss has `λᵢ = 0, Uᵢ = Cᵢ`, the squared one `λᵢ = 1 / (2Cᵢ), Uᵢ = ∞`.
    func solve<Rows: LinearSVCRows>(_ rows: Rows, _ y: [Double], costs: [Double],
                                    rng: inout SeededGenerator) -> (w: [Double], iterations: Int, converged: Bool) {
        let norms = rows.squaredNorms, p = epsilon
        var beta = [Double](repeating: 0, count: y.count), w = [Double](repeating: 0, count: rows.width)
        let upper = costs.map { loss == .epsilonInsensitive ? $0 : Double.infinity }
        let lambda = costs.map { loss == .epsilonInsensitive ? 0 : 0.5 / $0 }
        // Rows of zero weight have β = 0 at the optimum: they never enter.
        var index = y.indices.filter { costs[$0] > 0 }
        let l = index.count
        var active = l, iterations = 0
        var maxOld = Double.infinity, initialNorm = 0.0
        return w.withUnsafeMutableBufferPointer { wp in
            let wv = wp.baseAddress!
            while iterations < maxIterations {
                for s in stride(from: active - 1, to: 0, by: -1) { index.swapAt(s, rng.nextInt(below: s + 1)) }
                var maxNew = 0.0, norm1 = 0.0
                var s = 0
                while s < active {
                    let i = index[s]
                    let g = rows.dot(i, wv) - y[i] + lambda[i] * beta[i], h = norms[i] + lambda[i]
                    let gp = g + p, gn = g - p
                    var violation = 0.0
                    if beta[i] == 0 {
                        if gp < 0 {
                            violation = -gp
                        } else if gn > 0 {
                            violation = gn
                        } else if gp > maxOld && gn < -maxOld {
                            active -= 1
                            index.swapAt(s, active)
                            continue
                        }
                    } else if beta[i] >= upper[i] {
                        if gp > 0 {
                            violation = gp
                        } else if gp < -maxOld {
                            active -= 1
                            index.swapAt(s, active)
                            continue
                        }
                    } else if beta[i] <= -upper[i] {
                        if gn < 0 {
                            violation = -gn
                        } else if gn > maxOld {
                            active -= 1
                            index.swapAt(s, active)
                            continue
                        }
                    } else {
                        violation = beta[i] > 0 ? abs(gp) : abs(gn)
                    }
                    maxNew = max(maxNew, violation)
                    norm1 += violation
                    s += 1
                    // The Newton step on the one-variable problem, then the box.
                    var d: Double
                    if gp < h * beta[i] { d = -gp / h } else if gn > h * beta[i] { d = -gn / h } else { d = -beta[i] }
                    guard abs(d) >= 1e-12 else { continue }
                    let old = beta[i]
                    beta[i] = min(max(old + d, -upper[i]), upper[i])
                    d = beta[i] - old
                    if d != 0 { rows.add(i, times: d, to: wv) }
                }
                if iterations == 0 { initialNorm = norm1 }
                iterations += 1
                if norm1 <= tolerance * initialNorm {
                    if active == l { return (Array(wp), iterations, true) }
                    active = l
                    maxOld = .infinity
                    continue
                }
                maxOld = maxNew
            }
            return (Array(wp), iterations, false)
        }
    }
}

extension LinearSVR: SparseInputLearner {
    public func fit(sparse data: SparseTrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(sparse: data.features, data.target.values(learner: Model.kind), sampleWeights: data.sampleWeights, context: &context)
    }
}

extension LinearSVR.Model: SparseInputModel {
    /// The predictions `x · w + b` of CSR rows.
    public func predict(sparse x: SparseMatrix<Double>) throws -> [Double] {
        try LearnerInput.predict(sparse: x, featureCount: featureCount, learner: Self.kind)
        let z = x.multiplied(by: Matrix(rows: featureCount, columns: 1, elements: coefficients))
        return z.elements.map { $0 + intercept }
    }

    public func output(sparse x: SparseMatrix<Double>) throws -> ModelOutput { .values(try predict(sparse: x)) }
}
