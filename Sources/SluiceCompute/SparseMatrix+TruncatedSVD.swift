/// A matrix a randomized SVD can multiply by: `A · B` and `Aᵀ · B` for dense `B`.
public protocol TruncatedSVDOperand {
    var rows: Int { get }
    var columns: Int { get }
    /// `A · b` (`rows × b.columns`).
    func svdProduct(_ b: Matrix<Double>) -> Matrix<Double>
    /// `Aᵀ · b` (`columns × b.columns`).
    func svdTransposeProduct(_ b: Matrix<Double>) -> Matrix<Double>
}

extension Matrix: TruncatedSVDOperand where Scalar == Double {
    public func svdProduct(_ b: Matrix<Double>) -> Matrix<Double> { matmul(b) }
    public func svdTransposeProduct(_ b: Matrix<Double>) -> Matrix<Double> { transposed.matmul(b) }
}

/// CSR rows with their transpose, built once, so both products run row-parallel.
public struct SparseSVDOperand: TruncatedSVDOperand, Sendable {
    public let x: SparseMatrix<Double>
    let xt: SparseMatrix<Double>
    public var rows: Int { x.rows }
    public var columns: Int { x.columns }

    public init(_ x: SparseMatrix<Double>) {
        self.x = x
        xt = x.transposed()
    }

    public func svdProduct(_ b: Matrix<Double>) -> Matrix<Double> { x.multiplied(by: b) }
    public func svdTransposeProduct(_ b: Matrix<Double>) -> Matrix<Double> { xt.multiplied(by: b) }
}

/// A truncated singular value decomposition of an *uncentred* matrix, as scikit-learn's
/// `TruncatedSVD` (latent semantic analysis on TF-IDF): its leading singular values and
/// right singular vectors, found by Halko, Martinsson and Tropp's randomized range finder
/// (`k + oversamples` Gaussian test vectors drawn row-major from the caller's generator,
/// `powerIterations` passes, each orthonormalised by a thin SVD), so a sparse matrix is only
/// ever multiplied, never made dense or centred. When `k + oversamples` reaches the smaller
/// side the range is exact and so are the singular values. Signs as scikit-learn's
/// `svd_flip(u_based_decision=False)`: each component's largest-magnitude entry is positive.
public enum TruncatedSVDSolver {
    /// A decomposition: `k × p` components (unit rows), the singular values, and the variance
    /// figures of the projected data.
    public struct Result: Sendable {
        public var components: Matrix<Double>
        public var singularValues: [Double]
        /// The variance of each projected column (population variance, as scikit-learn).
        public var explainedVariance: [Double]
        /// ``explainedVariance`` over the summed column variances of the data.
        public var explainedVarianceRatio: [Double]
    }

    /// Decomposes `a`, keeping `k` components (`1 ≤ k < a.columns`).
    public static func fit(_ a: some TruncatedSVDOperand, keep k: Int, oversamples: Int = 10, powerIterations: Int = 5,
                           columnVariance: Double, rng: inout SeededGenerator) throws -> Result {
        let n = a.rows, p = a.columns
        precondition(k >= 1 && k <= min(n, p), "TruncatedSVDSolver.fit: 1 ≤ k ≤ min(rows, columns)")
        let (vt, s) = try randomizedSVD(a, sketch: min(p, n, k + max(0, oversamples)), powerIterations: powerIterations,
                                        rng: &rng)
        var components = vt.rows(0..<k).copy()
        PrincipalComponents.flipSigns(&components)
        let projected = a.svdProduct(components.transposed.copy())  // n × k
        let variance = projected.columnVariances()
        return Result(components: components, singularValues: Array(s.prefix(k)), explainedVariance: variance,
                      explainedVarianceRatio: variance.map { columnVariance > 0 ? $0 / columnVariance : 0 })
    }
}

extension TruncatedSVDSolver {
    /// Halko, Martinsson and Tropp's randomized SVD of `a` (shared by ``TruncatedSVDSolver`` and
    /// ``PrincipalComponents``'s randomized solver): a `columns × l` Gaussian test matrix drawn
    /// row-major from `rng`, `powerIterations` power passes each orthonormalised by a thin SVD,
    /// then the SVD of `qᵀa`. Returns its `l × columns` right singular vectors (rows) and the
    /// `l` singular values, by decreasing value. - Precondition: `1 ≤ l ≤ min(rows, columns)`.
    public static func randomizedSVD(_ a: some TruncatedSVDOperand, sketch l: Int, powerIterations: Int,
                                     rng: inout SeededGenerator) throws -> (vt: Matrix<Double>, s: [Double]) {
        precondition(l >= 1 && l <= min(a.rows, a.columns), "randomizedSVD: 1 ≤ l ≤ min(rows, columns)")
        var omega = Matrix<Double>(rows: a.columns, columns: l)
        omega.withUnsafeMutableBufferPointer { o in for i in o.indices { o[i] = rng.normal() } }
        var q = try a.svdProduct(omega).svd().u
        for _ in 0..<max(0, powerIterations) {
            let z = try a.svdTransposeProduct(q).svd().u
            q = try a.svdProduct(z).svd().u
        }
        let b = a.svdTransposeProduct(q).transposed.copy()  // l × p: qᵀ a
        let (_, s, vt) = try b.svd()
        return (vt, s)
    }
}

extension Matrix where Scalar == Double {
    /// Each column's population variance.
    public func columnVariances() -> [Double] {
        let mean = columnMeans(), n = rows, p = columns
        var v = [Double](repeating: 0, count: p)
        withUnsafeBufferPointer { x in
            for i in 0..<n { for j in 0..<p { let d = x[i * p + j] - mean[j]; v[j] += d * d } }
        }
        return v.map { n > 0 ? $0 / Double(n) : 0 }
    }
}

extension SparseMatrix where Scalar == Double {
    /// The sum over columns of each column's population variance (zeros not stored included).
    public func totalColumnVariance() -> Double {
        var sum = [Double](repeating: 0, count: columns), squares = sum
        for e in values.indices {
            let j = Int(columnIndices[e])
            sum[j] += values[e]
            squares[j] += values[e] * values[e]
        }
        let n = Double(rows)
        return rows == 0 ? 0 : zip(sum, squares).reduce(0) { $0 + max(0, $1.1 / n - ($1.0 / n) * ($1.0 / n)) }
    }
}
