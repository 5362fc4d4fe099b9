/// Dense solvers and decompositions through LAPACKE (row-major). Each method works on a
/// copy: the receiver is never changed. A routine that reports `info ≠ 0` throws
/// ``ComputeError/lapack(routine:info:reason:)``.
extension Matrix {
    private func check(_ info: Int32, _ name: String, _ positive: (Int) -> String) throws {
        guard info != 0 else { return }
        let i = Int(info)
        throw ComputeError.lapack(routine: Scalar.blasPrefix + name, info: i,
                                  reason: i < 0 ? "argument \(-i) had an illegal value" : positive(i))
    }

    /// Solves `self · X = b` for a symmetric positive-definite `self` (Cholesky: `?potrf` + `?potrs`).
    /// Only the upper triangle of `self` is read.
    public func choleskySolve(_ b: Matrix) throws -> Matrix {
        precondition(rows == columns && b.rows == rows, "choleskySolve: \(rows)×\(columns) with \(b.rows)×\(b.columns)")
        if rows == 0 || b.columns == 0 { return b }
        var factor = self, x = b
        factor.makeUnique()
        x.makeUnique()
        let n = rows, nrhs = b.columns
        try check(Scalar.potrf(n, factor.storage.pointer, n), "potrf") {
            "the leading minor of order \($0) is not positive definite"
        }
        try check(Scalar.potrs(n, nrhs, factor.storage.pointer, n, x.storage.pointer, nrhs), "potrs") { _ in "" }
        return x
    }

    /// Solves `self · X = b` for a square `self` by LU with partial pivoting (`?gesv`).
    public func luSolve(_ b: Matrix) throws -> Matrix {
        precondition(rows == columns && b.rows == rows, "luSolve: \(rows)×\(columns) with \(b.rows)×\(b.columns)")
        if rows == 0 || b.columns == 0 { return b }
        var lu = self, x = b
        lu.makeUnique()
        x.makeUnique()
        var pivots = [Int32](repeating: 0, count: rows)
        let info = pivots.withUnsafeMutableBufferPointer {
            Scalar.gesv(rows, b.columns, lu.storage.pointer, rows, $0.baseAddress!, x.storage.pointer, b.columns)
        }
        try check(info, "gesv") { "U(\($0),\($0)) is exactly zero: the matrix is singular" }
        return x
    }

    /// The minimum-norm least-squares solution of `self · X ≈ b` by SVD (`?gelsd`), which
    /// also handles rank-deficient and under-determined systems.
    ///
    /// - Parameter rcond: singular values `≤ rcond · s_max` count as zero; by default
    ///   `ε · max(m, n)`, as numpy's `lstsq`.
    public func leastSquares(_ b: Matrix, rcond: Scalar? = nil) throws -> LeastSquaresSolution<Scalar> {
        precondition(b.rows == rows, "leastSquares: \(rows)×\(columns) with \(b.rows)×\(b.columns)")
        let m = rows, n = columns, nrhs = b.columns
        if m == 0 || n == 0 || nrhs == 0 {
            return LeastSquaresSolution(solution: Matrix(rows: n, columns: nrhs), rank: 0, singularValues: [])
        }
        var a = self
        a.makeUnique()
        // gelsd needs B with max(m, n) rows; its first n rows hold X on return.
        var x = Matrix(rows: Swift.max(m, n), columns: nrhs)
        x.withUnsafeMutableBufferPointer { out in
            b.withUnsafeBufferPointer { _ = UnsafeMutableBufferPointer(rebasing: out[0..<(m * nrhs)]).update(fromContentsOf: $0) }
        }
        var s = [Scalar](repeating: 0, count: Swift.min(m, n))
        var rank: Int32 = 0
        let info = s.withUnsafeMutableBufferPointer {
            Scalar.gelsd(m, n, nrhs, a.storage.pointer, n, x.storage.pointer, nrhs, $0.baseAddress!,
                        rcond ?? Scalar.ulpOfOne * Scalar(Swift.max(m, n)), &rank)
        }
        try check(info, "gelsd") { "the SVD did not converge (\($0) off-diagonal elements)" }
        let solution = n == x.rows ? x : x.rows(0..<n).copy()
        return LeastSquaresSolution(solution: solution, rank: Int(rank), singularValues: s)
    }

    /// Eigenvalues (ascending) and orthonormal eigenvectors (the columns of `vectors`) of a
    /// symmetric matrix, by divide and conquer (`?syevd`). Only the upper triangle is read.
    public func symmetricEigen() throws -> (values: [Scalar], vectors: Matrix) {
        precondition(rows == columns, "symmetricEigen: \(rows)×\(columns) is not square")
        if rows == 0 { return ([], self) }
        var v = self
        v.makeUnique()
        var w = [Scalar](repeating: 0, count: rows)
        let info = w.withUnsafeMutableBufferPointer { Scalar.syevd(rows, v.storage.pointer, rows, $0.baseAddress!) }
        try check(info, "syevd") { "the algorithm failed to converge (\($0))" }
        return (w, v)
    }

    /// The thin singular value decomposition `self = u · diag(s) · vt` by divide and conquer
    /// (`?gesdd`): `u` is `m×k`, `s` descending, `vt` is `k×n`, with `k = min(m, n)`.
    public func svd() throws -> (u: Matrix, s: [Scalar], vt: Matrix) {
        let m = rows, n = columns, k = Swift.min(m, n)
        let u = Matrix(rows: m, columns: k), vt = Matrix(rows: k, columns: n)
        if k == 0 { return (u, [], vt) }
        var a = self
        a.makeUnique()
        var s = [Scalar](repeating: 0, count: k)
        let info = s.withUnsafeMutableBufferPointer {
            Scalar.gesdd(UInt8(ascii: "S"), m, n, a.storage.pointer, n, $0.baseAddress!,
                         u.storage.pointer, k, vt.storage.pointer, n)
        }
        try check(info, "gesdd") { "the SVD did not converge (\($0))" }
        return (u, s, vt)
    }
}

/// The result of ``Matrix/leastSquares(_:rcond:)``.
public struct LeastSquaresSolution<Scalar: BLASScalar>: Sendable {
    /// The `n × nrhs` minimum-norm solution.
    public var solution: Matrix<Scalar>
    /// The effective rank of the coefficient matrix.
    public var rank: Int
    /// The singular values of the coefficient matrix, descending.
    public var singularValues: [Scalar]
}
