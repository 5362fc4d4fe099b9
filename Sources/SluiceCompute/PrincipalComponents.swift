import Foundation

/// Principal component analysis of the rows of a matrix, as scikit-learn's `PCA`.
///
/// The data are centred; the principal axes are the right singular vectors of the centred
/// matrix, found by one of three solvers:
/// - ``Solver/full``: LAPACK's divide-and-conquer SVD (`?gesdd`) of the centred `n × p` matrix.
/// - ``Solver/covarianceEigh``: the eigenvectors of the `p × p` covariance matrix, built from
///   the uncentred Gram matrix and the column sums of one pass over the rows on every core
///   (``Matrix/augmentedGram(target:weights:rows:)``), minus `n·x̄x̄ᵀ` (scikit-learn's
///   `covariance_eigh`, its choice for tall data; it loses precision when the means dwarf
///   the spread, as scikit-learn's does).
/// - ``Solver/randomized``: Halko, Martinsson and Tropp's randomized range finder with
///   ``randomizedOversamples`` extra columns and power iterations (scikit-learn's count: 7
///   when fewer than 10 % of the dimensions are kept, else 4), each orthonormalised by a thin
///   SVD; the Gaussian test matrix is drawn from the caller's generator with
///   ``SeededGenerator/normal(mean:standardDeviation:)``, row-major.
/// ``Solver/auto`` picks `covarianceEigh` when `n ≥ 10·p` and `p ≤ 1000`, `randomized` when
/// the data are larger than 500 × 500 and fewer than 80 % of the components are kept, else
/// `full` (scikit-learn's rule). Signs are fixed as scikit-learn's `svd_flip` on the
/// components: the largest-magnitude entry of each component is positive.
public enum PrincipalComponents {
    /// How the decomposition is computed.
    public enum Solver: String, Sendable, Codable, Equatable, CaseIterable {
        case auto, full, covarianceEigh, randomized
    }

    /// Extra columns of the randomized sketch.
    public static let randomizedOversamples = 10

    /// A decomposition: the mean, the leading axes and their variances.
    public struct Result: Sendable {
        /// The column means subtracted before projecting.
        public var mean: [Double]
        /// `k × p`, one unit-length axis per row, by decreasing variance.
        public var components: Matrix<Double>
        /// The variance along each axis (`s² / (n − 1)`).
        public var explainedVariance: [Double]
        /// The singular values of the centred data along each axis.
        public var singularValues: [Double]
        /// The total variance of the data (the sum over all axes).
        public var totalVariance: Double
        /// The mean variance of the axes not kept (scikit-learn's `noise_variance_`).
        public var noiseVariance: Double
    }

    /// The solver ``Solver/auto`` resolves to for `n × p` data keeping `k` components.
    public static func resolve(_ solver: Solver, rows n: Int, columns p: Int, keep k: Int) -> Solver {
        guard solver == .auto else { return solver }
        if p <= 1000 && n >= 10 * p { return .covarianceEigh }
        if max(n, p) > 500 && Double(k) < 0.8 * Double(min(n, p)) { return .randomized }
        return .full
    }

    /// Decomposes `x` (`n × p`, `n ≥ 2`, finite), keeping `k` axes (`1 ≤ k ≤ min(n, p)`).
    public static func fit(_ x: Matrix<Double>, keep k: Int, solver: Solver = .auto,
                           rng: inout SeededGenerator) throws -> Result {
        let n = x.rows, p = x.columns
        precondition(n >= 2 && k >= 1 && k <= min(n, p), "PrincipalComponents.fit: 2 ≤ rows, 1 ≤ k ≤ min(rows, columns)")
        let resolved = resolve(solver, rows: n, columns: p, keep: k)
        // The covariance solver takes the means from the same pass as the Gram matrix.
        let augmented = resolved == .covarianceEigh ? x.augmentedGram() : nil
        let mean = augmented.map { g in (0..<p).map { g[$0 * (p + 1) + p] / Double(n) } } ?? x.columnMeans()
        var centred = x
        if resolved != .covarianceEigh {
            centred.withUnsafeMutableBufferPointer { c in
                for i in 0..<n { for j in 0..<p { c[i * p + j] -= mean[j] } }
            }
        }
        let all: (vt: Matrix<Double>, s: [Double])
        var totalVariance: Double
        switch resolved {
        case .full, .auto:
            let (_, s, vt) = try centred.svd()
            all = (vt, s)
            totalVariance = s.reduce(0) { $0 + $1 * $1 } / Double(n - 1)
        case .covarianceEigh:
            // xᵀx − n·x̄x̄ᵀ: the centred Gram matrix without a centred copy (as scikit-learn).
            var gram = Matrix<Double>(rows: p, columns: p)
            gram.withUnsafeMutableBufferPointer { g in
                for a in 0..<p {
                    for b in 0..<p { g[a * p + b] = augmented![a * (p + 1) + b] - Double(n) * mean[a] * mean[b] }
                }
            }
            let (values, vectors) = try gram.symmetricEigen()  // ascending; columns are vectors
            var vt = Matrix<Double>(rows: p, columns: p), s = [Double](repeating: 0, count: p)
            vectors.withUnsafeBufferPointer { v in
                vt.withUnsafeMutableBufferPointer { out in
                    for r in 0..<p {
                        let c = p - 1 - r
                        for j in 0..<p { out[r * p + j] = v[j * p + c] }
                        s[r] = max(0, values[c]).squareRoot()
                    }
                }
            }
            all = (vt, s)
            totalVariance = s.reduce(0) { $0 + $1 * $1 } / Double(n - 1)
        case .randomized:
            all = try randomized(centred, keep: k, rng: &rng)
            totalVariance = centred.withUnsafeBufferPointer { c in c.reduce(0) { $0 + $1 * $1 } } / Double(n - 1)
        }
        var components = all.vt.rows(0..<k).copy()
        flipSigns(&components)
        let singular = Array(all.s.prefix(k))
        let variance = singular.map { $0 * $0 / Double(n - 1) }
        let rest = min(n, p) - k
        let noise = rest > 0 ? max(0, totalVariance - variance.reduce(0, +)) / Double(rest) : 0
        return Result(mean: mean, components: components, explainedVariance: variance, singularValues: singular,
                      totalVariance: totalVariance, noiseVariance: noise)
    }

    /// The randomized SVD's leading `k` right singular vectors and values of centred `a`
    /// (``TruncatedSVDSolver/randomizedSVD(_:sketch:powerIterations:rng:)`` with scikit-learn's
    /// sketch and power-iteration counts).
    static func randomized(_ a: Matrix<Double>, keep k: Int, rng: inout SeededGenerator) throws -> (vt: Matrix<Double>, s: [Double]) {
        let n = a.rows, p = a.columns
        let powerIterations = Double(k) < 0.1 * Double(min(n, p)) ? 7 : 4
        return try TruncatedSVDSolver.randomizedSVD(a, sketch: min(p, n, k + randomizedOversamples),
                                                    powerIterations: powerIterations, rng: &rng)
    }

    /// Makes the largest-magnitude entry of each row positive (the first such entry on ties).
    static func flipSigns(_ v: inout Matrix<Double>) {
        let p = v.columns, rows = v.rows
        v.withUnsafeMutableBufferPointer { b in
            for r in 0..<rows {
                var best = 0
                for j in 0..<p where abs(b[r * p + j]) > abs(b[r * p + best]) { best = j }
                if b[r * p + best] < 0 { for j in 0..<p { b[r * p + j] = -b[r * p + j] } }
            }
        }
    }

    /// Projects `x` onto the axes: `(x − mean) · componentsᵀ`, divided by `√variance` per axis
    /// when `whiten` (a zero variance divides by 1).
    public static func transform(_ x: Matrix<Double>, mean: [Double], components: Matrix<Double>,
                                 explainedVariance: [Double], whiten: Bool) -> Matrix<Double> {
        let n = x.rows, p = x.columns, k = components.rows
        var centred = x
        centred.withUnsafeMutableBufferPointer { c in
            for i in 0..<n { for j in 0..<p { c[i * p + j] -= mean[j] } }
        }
        var out = Matrix<Double>(rows: n, columns: k)
        if n > 0 && p > 0 { out.gemm(centred, components.transposed) }
        if whiten {
            let scale = explainedVariance.map { $0 > 0 ? 1 / $0.squareRoot() : 1 }
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n { for j in 0..<k { o[i * k + j] *= scale[j] } }
            }
        }
        return out
    }
}
