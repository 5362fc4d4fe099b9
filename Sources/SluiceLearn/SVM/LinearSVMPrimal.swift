import SluiceCompute
import SluicePipeline

/// Which problem a linear SVM solves: liblinear's dual coordinate descent, or the primal by
/// Newton's method (squared losses only), chosen as scikit-learn's `dual="auto"`.
public enum LinearSVMSolver: String, Sendable, Codable, Equatable {
    /// The primal when the loss is squared and the features are dense with at least as many
    /// rows as columns (scikit-learn's `dual="auto"`), the dual otherwise.
    case auto
    /// Dual coordinate descent with shrinking (liblinear's solvers 1, 3, 12 and 13).
    case dual
    /// The primal by Newton's method (squared losses; dense features).
    case primal

    /// Whether to solve the primal for `rows × width` features (`width` counts the intercept
    /// feature), or why it cannot be.
    func usesPrimal(squaredLoss: Bool, dense: Bool, rows: Int, width: Int, learner: String) throws -> Bool {
        switch self {
        case .dual: return false
        case .auto: return squaredLoss && dense && rows >= width && width <= LinearSVMPrimal.maxWidth
        case .primal:
            guard dense else {
                throw EstimatorError.invalidHyperparameter(estimator: learner, name: "solver",
                                                           reason: "the primal solver needs dense features; use .dual for CSR")
            }
            guard squaredLoss else {
                throw EstimatorError.invalidHyperparameter(estimator: learner, name: "solver",
                                                           reason: "the primal solver needs a squared loss")
            }
            guard width <= LinearSVMPrimal.maxWidth else {
                throw EstimatorError.invalidHyperparameter(estimator: learner, name: "solver",
                    reason: "the primal solver forms a \(width)×\(width) Hessian; use .dual above \(LinearSVMPrimal.maxWidth) features")
            }
            return true
        }
    }
}

/// The primal of an L2-regularised linear SVM with a squared loss, `½‖w‖² + Σᵢ ℓᵢ(xᵢ·w)`,
/// each `ℓᵢ` piecewise quadratic (squared hinge, squared epsilon-insensitive), solved by
/// Newton's method on the generalised Hessian `I + Σᵢ ℓᵢ''·xᵢxᵢᵀ` (formed by blocks of `syrk`,
/// factored by Cholesky) with a backtracking line search. It stops, as liblinear's primal
/// solvers, when `‖∇f(w)‖ ≤ tolerance · ‖∇f(0)‖`.
///
/// For tall, narrow dense data this takes a handful of passes over the rows, each a BLAS
/// product, where the dual's coordinate descent takes one scalar step per row per pass.
struct LinearSVMPrimal {
    /// Widest problem the primal solver takes: its Hessian is `width²`.
    static let maxWidth = 4096
    /// Rows per block of the Hessian's `syrk`.
    static let block = 4096

    /// The loss of one row at `t = xᵢ·w`: its value and its first and second derivatives in `t`.
    typealias RowLoss = (_ i: Int, _ t: Double) -> (value: Double, slope: Double, curvature: Double)

    let design: Matrix<Double>
    let tolerance: Double
    let maxIterations: Int

    /// Minimises from `w = 0`: the weights, the Newton steps taken and whether the gradient
    /// tolerance was met.
    func solve(_ loss: RowLoss) -> (w: [Double], iterations: Int, converged: Bool) {
        let n = design.rows, q = design.columns
        var w = [Double](repeating: 0, count: q), z = [Double](repeating: 0, count: n)
        var slope = [Double](repeating: 0, count: n), curvature = [Double](repeating: 0, count: n)
        var objective = evaluate(loss, w: w, z: z, slope: &slope, curvature: &curvature)
        var initialNorm = -1.0, iterations = 0
        while iterations < maxIterations {
            // ∇f = w + Xᵀ ℓ'.
            var g = w
            design.transposed.gemv(slope, into: &g, beta: 1)
            let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if initialNorm < 0 { initialNorm = norm }
            if norm <= tolerance * initialNorm { return (w, iterations, true) }
            iterations += 1
            let hessian = self.hessian(curvature)
            guard let step = try? hessian.choleskySolve(Matrix(rows: q, columns: 1, elements: g.map { -$0 })).elements else {
                return (w, iterations, false)
            }
            let xs = design.multiplied(by: step)
            let descent = zip(g, step).reduce(0) { $0 + $1.0 * $1.1 }
            // Backtracking (Armijo) along the Newton step: the full step is exact once the
            // active rows settle.
            var t = 1.0, accepted = false
            for _ in 0..<30 {
                let wt = zip(w, step).map { $0 + t * $1 }, zt = zip(z, xs).map { $0 + t * $1 }
                let value = evaluate(loss, w: wt, z: zt, slope: &slope, curvature: &curvature)
                if value <= objective + 1e-4 * t * descent {
                    w = wt
                    z = zt
                    objective = value
                    accepted = true
                    break
                }
                t *= 0.5
            }
            if !accepted {
                _ = evaluate(loss, w: w, z: z, slope: &slope, curvature: &curvature)
                return (w, iterations, false)
            }
        }
        var g = w
        design.transposed.gemv(slope, into: &g, beta: 1)
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (w, iterations, norm <= tolerance * initialNorm)
    }

    /// `f(w)` at the margins `z = X·w`, filling each row's `ℓ'` and `ℓ''`.
    private func evaluate(_ loss: RowLoss, w: [Double], z: [Double], slope: inout [Double],
                          curvature: inout [Double]) -> Double {
        var f = 0.5 * w.reduce(0) { $0 + $1 * $1 }
        for i in z.indices {
            let r = loss(i, z[i])
            f += r.value
            slope[i] = r.slope
            curvature[i] = r.curvature
        }
        return f
    }

    /// `I + Xᵀ diag(ℓ'') X` over the rows of positive curvature, by blocks of `syrk`.
    private func hessian(_ curvature: [Double]) -> Matrix<Double> {
        let q = design.columns
        var h = Matrix<Double>.identity(q)
        let activeRows = curvature.indices.filter { curvature[$0] > 0 }
        var scratch = Matrix<Double>(rows: Self.block, columns: q)
        design.withUnsafeBufferPointer { xp in
            var start = 0
            while start < activeRows.count {
                let end = min(start + Self.block, activeRows.count)
                scratch.withUnsafeMutableBufferPointer { sp in
                    for (r, i) in activeRows[start..<end].enumerated() {
                        let s = curvature[i].squareRoot(), row = xp.baseAddress! + i * q
                        for j in 0..<q { sp[r * q + j] = s * row[j] }
                    }
                }
                h.syrk(scratch.rows(0..<(end - start)).transposed, beta: 1)
                start = end
            }
        }
        return h
    }
}
