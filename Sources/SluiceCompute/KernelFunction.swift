/// A positive-(semi)definite kernel of a kernel machine, as libsvm and scikit-learn define them.
///
/// Rows of a block are computed through BLAS: one `gemv` (one row against many) or `gemm` (a
/// block against many) gives the dot products, then the kernel's map runs over the whole row at
/// once (the RBF's `exp` through the vectorised kernels, on `‖a‖² + ‖b‖² − 2a·b`).
public enum KernelFunction: Sendable, Codable, Equatable {
    /// `a·b`.
    case linear
    /// `(γ a·b + coef0)^degree`.
    case polynomial(degree: Int, gamma: Double, coef0: Double)
    /// `exp(−γ ‖a − b‖²)`.
    case rbf(gamma: Double)
    /// `tanh(γ a·b + coef0)`.
    case sigmoid(gamma: Double, coef0: Double)

    /// Whether the map needs the rows' squared norms (the RBF).
    public var needsNorms: Bool { if case .rbf = self { return true } else { return false } }

    /// Whether the parameters are usable: finite, `γ > 0`, `degree ≥ 0`.
    public var isValid: Bool {
        switch self {
        case .linear: return true
        case let .polynomial(d, g, c): return d >= 0 && g > 0 && g.isFinite && c.isFinite
        case let .rbf(g): return g > 0 && g.isFinite
        case let .sigmoid(g, c): return g > 0 && g.isFinite && c.isFinite
        }
    }

    /// The squared norm of each row of `x` (for ``needsNorms`` kernels; empty otherwise).
    public func rowNorms(_ x: Matrix<Double>) -> [Double] {
        guard needsNorms else { return [] }
        let p = x.columns
        return x.withUnsafeBufferPointer { xp in
            (0..<x.rows).map { i in
                var s = 0.0
                for j in 0..<p { s += xp[i * p + j] * xp[i * p + j] }
                return s
            }
        }
    }

    /// Maps `count` dot products in place to kernel values. `norm` is `‖a‖²` of the one row
    /// against which `norms` (the others' `‖b‖²`) were taken; both are unused unless ``needsNorms``.
    public func apply(dots: UnsafeMutablePointer<Double>, count: Int, norm: Double, norms: UnsafePointer<Double>?) {
        switch self {
        case .linear: return
        case let .polynomial(degree, gamma, coef0):
            for t in 0..<count { dots[t] = Self.power(gamma * dots[t] + coef0, degree) }
        case let .rbf(gamma):
            guard let norms else { preconditionFailure("KernelFunction.apply: the RBF needs row norms") }
            for t in 0..<count { dots[t] = -gamma * max(0, norm + norms[t] - 2 * dots[t]) }
            Double.vectorMath(.exp, dots, dots, count)
        case let .sigmoid(gamma, coef0):
            for t in 0..<count { dots[t] = gamma * dots[t] + coef0 }
            Double.vectorMath(.tanh, dots, dots, count)
        }
    }

    /// `K(a, b)` of two rows of `p` values.
    public func value(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ p: Int) -> Double {
        var dot = 0.0, aa = 0.0, bb = 0.0
        for j in 0..<p {
            dot += a[j] * b[j]
            aa += a[j] * a[j]
            bb += b[j] * b[j]
        }
        var v = dot
        withUnsafePointer(to: bb) { apply(dots: &v, count: 1, norm: aa, norms: $0) }
        return v
    }

    /// `K(aᵢ, bⱼ)` for every row `i` of `a` and `j` of `b`: `a.rows × b.rows`, one `gemm`.
    /// `bNorms` are ``rowNorms(_:)`` of `b` (computed when nil).
    public func matrix(_ a: Matrix<Double>, _ b: Matrix<Double>, bNorms: [Double]? = nil) -> Matrix<Double> {
        precondition(a.columns == b.columns, "KernelFunction.matrix: \(a.columns) and \(b.columns) columns")
        var k = Matrix<Double>(rows: a.rows, columns: b.rows)
        guard a.rows > 0, b.rows > 0 else { return k }
        if a.columns > 0 { k.gemm(a, b.transposed) }
        let aNorms = rowNorms(a), norms = needsNorms ? (bNorms ?? rowNorms(b)) : []
        let m = b.rows
        k.withUnsafeMutableBufferPointer { kp in
            norms.withUnsafeBufferPointer { np in
                for i in 0..<a.rows {
                    apply(dots: kp.baseAddress! + i * m, count: m, norm: needsNorms ? aNorms[i] : 0, norms: np.baseAddress)
                }
            }
        }
        return k
    }

    static func power(_ x: Double, _ n: Int) -> Double {
        var result = 1.0, base = x, e = n
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }
}
