/// A failure inside the compute core: a LAPACK routine that reported `info ≠ 0`.
/// (Operands whose shapes do not fit are a programming error, caught by preconditions.)
public enum ComputeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LAPACK routine `routine` (e.g. `"dpotrf"`) returned `info`. Negative: argument
    /// `-info` was illegal; positive: the routine's own failure (not positive definite,
    /// singular, no convergence).
    case lapack(routine: String, info: Int, reason: String)

    public var description: String {
        switch self {
        case let .lapack(routine, info, reason): return "\(routine) failed (info = \(info)): \(reason)"
        }
    }
}
