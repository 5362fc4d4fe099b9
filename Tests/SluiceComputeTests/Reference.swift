import SluiceCompute

/// Naive, obviously-correct references the BLAS-backed operations are checked against.
enum Reference {
    static func matmul<T: BLASScalar>(_ a: MatrixView<T>, _ b: MatrixView<T>) -> [T] {
        var out = [T](repeating: 0, count: a.rows * b.columns)
        for i in 0..<a.rows {
            for j in 0..<b.columns {
                var s: T = 0
                for k in 0..<a.columns { s += a[i, k] * b[k, j] }
                out[i * b.columns + j] = s
            }
        }
        return out
    }
}

/// Shapes every operation is tried on: square, non-square, vectors and empty.
let shapes: [(Int, Int, Int)] = [
    (1, 1, 1), (1, 7, 1), (7, 1, 7), (1, 5, 9), (9, 5, 1), (3, 4, 5), (17, 13, 11), (64, 33, 70),
    (0, 3, 4), (3, 0, 4), (3, 4, 0),
]
