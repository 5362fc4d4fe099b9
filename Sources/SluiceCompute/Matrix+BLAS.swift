/// Anything BLAS can read as a matrix operand: a ``Matrix`` or a ``MatrixView``.
public protocol MatrixOperand<Scalar> {
    associatedtype Scalar: BLASScalar
    /// The operand as a view (no copy).
    var view: MatrixView<Scalar> { get }
}

extension Matrix: MatrixOperand {}
extension MatrixView: MatrixOperand {
    /// The view itself.
    @inlinable public var view: MatrixView { self }
}

extension Matrix {
    /// `self = alpha · a · b + beta · self`, one `?gemm` call.
    ///
    /// Either operand may be a transposed or strided view; transposes are passed to BLAS as
    /// flags, never copied. With `beta == 0` the previous contents are ignored (NaN too).
    /// - Precondition: `a.columns == b.rows`, `self` is `a.rows × b.columns`.
    public mutating func gemm(_ a: some MatrixOperand<Scalar>, _ b: some MatrixOperand<Scalar>,
                              alpha: Scalar = 1, beta: Scalar = 0) {
        let a = a.view, b = b.view
        precondition(a.columns == b.rows && rows == a.rows && columns == b.columns,
                     "gemm: \(a.rows)×\(a.columns) · \(b.rows)×\(b.columns) into \(rows)×\(columns)")
        makeUnique()
        if count == 0 { return }
        if a.columns == 0 {  // nothing to multiply: C = beta · C
            scale(by: beta)
            return
        }
        let c = storage.pointer, ldc = columns
        a.withBase { pa in
            b.withBase { pb in
                Scalar.gemm(a.isTransposed, b.isTransposed, rows, columns, a.columns,
                            alpha, pa, max(1, a.leadingDimension), pb, max(1, b.leadingDimension),
                            beta, c, max(1, ldc))
            }
        }
    }

    /// `self += alpha · x`, elementwise over two matrices of one shape (`?axpy`).
    public mutating func axpy(_ alpha: Scalar, _ x: Matrix) {
        precondition(x.rows == rows && x.columns == columns, "axpy: \(x.rows)×\(x.columns) into \(rows)×\(columns)")
        makeUnique()
        if count == 0 { return }
        let y = storage.pointer, n = count
        x.withUnsafeBufferPointer { Scalar.axpy(n, alpha, $0.baseAddress!, 1, y, 1) }
    }

    /// The sum of elementwise products with `other`, a matrix of the same shape (`?dot`).
    public func dot(_ other: Matrix) -> Scalar {
        precondition(other.rows == rows && other.columns == columns, "dot: shapes differ")
        if count == 0 { return 0 }
        return withUnsafeBufferPointer { a in other.withUnsafeBufferPointer { b in
            Scalar.dot(count, a.baseAddress!, 1, b.baseAddress!, 1)
        } }
    }

    /// The Euclidean (Frobenius) norm of all elements (`?nrm2`).
    public func norm() -> Scalar {
        if count == 0 { return 0 }
        return withUnsafeBufferPointer { Scalar.nrm2(count, $0.baseAddress!, 1) }
    }

    /// Multiplies every element by `alpha` (`?scal`).
    public mutating func scale(by alpha: Scalar) {
        makeUnique()
        if count == 0 { return }
        Scalar.scal(count, alpha, storage.pointer, 1)
    }

    /// `self = alpha · a · aᵀ + beta · self` (`?syrk`), with both triangles filled.
    ///
    /// Pass `matrix.transposed` to get the Gram matrix `aᵀ · a`.
    /// - Precondition: `self` is `a.rows × a.rows`.
    public mutating func syrk(_ a: some MatrixOperand<Scalar>, alpha: Scalar = 1, beta: Scalar = 0) {
        let a = a.view
        precondition(rows == a.rows && columns == a.rows, "syrk: \(a.rows)×\(a.columns) into \(rows)×\(columns)")
        makeUnique()
        if count == 0 { return }
        if a.columns == 0 {
            scale(by: beta)
            return
        }
        let c = storage.pointer, n = rows
        a.withBase { pa in
            // BLAS: NoTrans gives A·Aᵀ with A n×k; Trans gives Aᵀ·A with A k×n (physical).
            Scalar.syrk(a.isTransposed, n, a.columns, alpha, pa, max(1, a.leadingDimension), beta, c, n)
        }
        for i in 0..<n { for j in 0..<i { c[i * n + j] = c[j * n + i] } }  // mirror upper → lower
    }
}

extension MatrixView {
    /// `y = alpha · self · x + beta · y` (`?gemv`).
    /// - Precondition: `x.count == columns`, `y.count == rows`.
    public func gemv(_ x: [Scalar], into y: inout [Scalar], alpha: Scalar = 1, beta: Scalar = 0) {
        precondition(x.count == columns && y.count == rows,
                     "gemv: \(rows)×\(columns) · \(x.count) into \(y.count)")
        if rows == 0 { return }
        if columns == 0 {
            for i in y.indices { y[i] *= beta }
            return
        }
        withBase { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    Scalar.gemv(isTransposed, physicalRows, physicalColumns, alpha, pa, max(1, leadingDimension),
                                px.baseAddress!, 1, beta, py.baseAddress!, 1)
                }
            }
        }
    }

    /// `self · x` as a new array (`?gemv`).
    public func multiplied(by x: [Scalar]) -> [Scalar] {
        var y = [Scalar](repeating: 0, count: rows)
        gemv(x, into: &y)
        return y
    }

    /// `self · other` as a new matrix (one `?gemm`).
    public func matmul(_ other: some MatrixOperand<Scalar>) -> Matrix<Scalar> {
        var c = Matrix<Scalar>(rows: rows, columns: other.view.columns)
        c.gemm(self, other)
        return c
    }
}

extension Matrix {
    /// `self · x` as a new array (`?gemv`).
    public func multiplied(by x: [Scalar]) -> [Scalar] { view.multiplied(by: x) }

    /// `self · other` as a new matrix (one `?gemm`).
    public func matmul(_ other: some MatrixOperand<Scalar>) -> Matrix { view.matmul(other) }
}
