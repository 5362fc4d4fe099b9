import SluiceCompute
import SluicePipeline

/// The kernel of ``SVC`` and ``SVR``, as scikit-learn's `kernel`, `degree` and `coef0`
/// (the scale `γ` is ``KernelGamma``).
public enum SVMKernel: Sendable, Codable, Equatable {
    /// `a·b`.
    case linear
    /// `(γ a·b + coef0)^degree` (scikit-learn's defaults: degree 3, coef0 0).
    case polynomial(degree: Int = 3, coef0: Double = 0)
    /// `exp(−γ ‖a − b‖²)` (the default).
    case rbf
    /// `tanh(γ a·b + coef0)`.
    case sigmoid(coef0: Double = 0)

    /// The kernel with `γ` resolved.
    public func function(gamma: Double) -> KernelFunction {
        switch self {
        case .linear: return .linear
        case let .polynomial(degree, coef0): return .polynomial(degree: degree, gamma: gamma, coef0: coef0)
        case .rbf: return .rbf(gamma: gamma)
        case let .sigmoid(coef0): return .sigmoid(gamma: gamma, coef0: coef0)
        }
    }
}

/// The kernel scale `γ`, as scikit-learn's `gamma`.
public enum KernelGamma: Sendable, Codable, Equatable {
    /// `1 / (p · Var(X))`, the variance over every element of the training matrix (the default).
    case scale
    /// `1 / p`.
    case auto
    /// A fixed `γ > 0`.
    case value(Double)

    /// The value for training matrix `x` (1 when `x` has no columns or no variance).
    public func resolve(_ x: Matrix<Double>) -> Double {
        let p = Double(max(1, x.columns))
        switch self {
        case .value(let g): return g
        case .auto: return 1 / p
        case .scale:
            let count = Double(x.rows * x.columns)
            guard count > 0 else { return 1 }
            var sum = 0.0
            for v in x.elements { sum += v }
            let mean = sum / count
            var ss = 0.0
            for v in x.elements { ss += (v - mean) * (v - mean) }
            let variance = ss / count
            return variance > 0 ? 1 / (p * variance) : 1
        }
    }
}

/// What ``SVC`` and ``SVR`` share: hyperparameter checks and kernel expansions in blocks.
enum KernelSVMSupport {
    static func checkHyperparameters(learner: String, c: Double, kernel: KernelFunction, tolerance: Double,
                                     cacheSizeMB: Double, maxIterations: Int?) throws {
        guard c > 0, c.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "c", reason: "must be finite and > 0")
        }
        guard kernel.isValid else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "kernel",
                                                       reason: "needs a finite gamma > 0, finite coef0 and degree ≥ 0")
        }
        guard tolerance > 0, tolerance.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "tolerance", reason: "must be finite and > 0")
        }
        guard cacheSizeMB > 0, cacheSizeMB.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "cacheSizeMB", reason: "must be finite and > 0")
        }
        if let maxIterations, maxIterations < 1 {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "maxIterations", reason: "must be ≥ 1 (or nil)")
        }
    }

    /// `K(x, supportVectors) · coefficientsᵀ`: for each row of `x`, one value per row of
    /// `coefficients` (`m × nSV`), in blocks of 512 rows so the kernel block stays small.
    static func expand(_ x: Matrix<Double>, supportVectors: Matrix<Double>, norms: [Double], kernel: KernelFunction,
                       coefficients: Matrix<Double>) -> Matrix<Double> {
        let n = x.rows, m = coefficients.rows
        var out = Matrix<Double>(rows: n, columns: m)
        guard n > 0, supportVectors.rows > 0 else { return out }
        let block = 512
        for start in stride(from: 0, to: n, by: block) {
            let rows = x.rows(start..<min(n, start + block)).copy()
            let k = kernel.matrix(rows, supportVectors, bNorms: norms)
            var z = Matrix<Double>(rows: rows.rows, columns: m)
            z.gemm(k, coefficients.transposed)
            out.withUnsafeMutableBufferPointer { o in
                z.withUnsafeBufferPointer { zp in
                    for t in 0..<zp.count { o[start * m + t] = zp[t] }
                }
            }
        }
        return out
    }
}
