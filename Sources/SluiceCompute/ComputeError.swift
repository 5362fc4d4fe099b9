/// A failure inside the compute core: a LAPACK routine that reported `info ≠ 0`, or
/// operands whose shapes do not fit together.
public enum ComputeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LAPACK routine `routine` (e.g. `"dpotrf"`) returned `info`. Negative: argument
    /// `-info` was illegal; positive: the routine's own failure (not positive definite,
    /// singular, no convergence).
    case lapack(routine: String, info: Int, reason: String)
    /// Operands whose shapes do not match, e.g. `"gemm: 3×4 · 5×2"`.
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case let .lapack(routine, info, reason): return "\(routine) failed (info = \(info)): \(reason)"
        case let .shapeMismatch(detail): return "shape mismatch: \(detail)"
        }
    }
}
