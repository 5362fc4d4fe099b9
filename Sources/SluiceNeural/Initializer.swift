import SluiceCompute

/// How a weight matrix is first drawn, from the fit's seeded generator.
///
/// `fanIn` and `fanOut` are the layer's (a convolution's include its kernel area). Draws:
/// uniform values are `SeededGenerator.uniform(in:)` (53-bit doubles, then rounded to
/// `Float`), normal values `SeededGenerator.normal()` (Marsaglia's polar method), in
/// row-major order of the matrix.
public enum Initializer: Sendable, Codable, Equatable {
    /// Glorot (Xavier) uniform: `U(±√(6 / (fanIn + fanOut)))`.
    case glorotUniform
    /// Glorot normal: `N(0, 2 / (fanIn + fanOut))`.
    case glorotNormal
    /// He (Kaiming) normal: `N(0, 2 / fanIn)`, for ReLU layers.
    case heNormal
    /// He uniform: `U(±√(6 / fanIn))`.
    case heUniform
    /// PyTorch's default for linear and convolution layers: `U(±1/√fanIn)`.
    case lecunUniform
    /// A (semi-)orthogonal matrix: Gram–Schmidt on a normal draw, column signs fixed so the
    /// result is unique for the draw. For recurrent weights.
    case orthogonal
    /// All zeros.
    case zeros

    /// A `rows × columns` matrix drawn for a layer with `fanIn` and `fanOut`.
    public func make(rows: Int, columns: Int, fanIn: Int, fanOut: Int, rng: inout SeededGenerator) -> Matrix<Float> {
        let fi = Double(max(fanIn, 1)), fo = Double(max(fanOut, 1))
        switch self {
        case .glorotUniform: return .uniform(rows: rows, columns: columns, in: Self.symmetric((6 / (fi + fo)).squareRoot()), using: &rng)
        case .glorotNormal: return .normal(rows: rows, columns: columns, standardDeviation: (2 / (fi + fo)).squareRoot(), using: &rng)
        case .heNormal: return .normal(rows: rows, columns: columns, standardDeviation: (2 / fi).squareRoot(), using: &rng)
        case .heUniform: return .uniform(rows: rows, columns: columns, in: Self.symmetric((6 / fi).squareRoot()), using: &rng)
        case .lecunUniform: return .uniform(rows: rows, columns: columns, in: Self.symmetric(1 / fi.squareRoot()), using: &rng)
        case .orthogonal: return Self.orthogonal(rows: rows, columns: columns, rng: &rng)
        case .zeros: return Matrix(rows: rows, columns: columns)
        }
    }

    static func symmetric(_ limit: Double) -> Range<Double> { -limit..<limit }

    /// Orthonormal columns (rows ≥ columns) or rows (rows < columns).
    static func orthogonal(rows: Int, columns: Int, rng: inout SeededGenerator) -> Matrix<Float> {
        let tall = rows >= columns
        let (m, n) = tall ? (rows, columns) : (columns, rows)
        var a = [Double](repeating: 0, count: m * n)  // m × n, column j is a[j*m ..< (j+1)*m]
        for i in a.indices { a[i] = rng.normal() }
        for j in 0..<n {  // modified Gram–Schmidt
            for k in 0..<j {
                var d = 0.0
                for i in 0..<m { d += a[k * m + i] * a[j * m + i] }
                for i in 0..<m { a[j * m + i] -= d * a[k * m + i] }
            }
            var norm = 0.0
            for i in 0..<m { norm += a[j * m + i] * a[j * m + i] }
            norm = norm.squareRoot()
            let inv = norm > 0 ? 1 / norm : 0
            for i in 0..<m { a[j * m + i] *= inv }
        }
        return Matrix(rows: rows, columns: columns) { out in
            for r in 0..<rows {
                for c in 0..<columns {
                    out.initializeElement(at: r * columns + c, to: Float(tall ? a[c * m + r] : a[r * m + c]))
                }
            }
        }
    }
}
