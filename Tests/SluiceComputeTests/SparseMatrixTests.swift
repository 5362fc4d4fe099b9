import Testing
import SluiceCompute
import SluiceTestSupport

/// A dense matrix with about a third of its entries zero.
private func sparseLike(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix<Double> {
    var m: Matrix<Double> = Fixtures.matrix(rows, columns, seed: seed)
    m.withUnsafeMutableBufferPointer { p in for i in p.indices where i % 3 != 1 { p[i] = 0 } }
    return m
}

@Suite("Sparse (CSR) matrices against dense references")
struct SparseMatrixTests {
    @Test("layout, dense round trip, element access and shapes, including empty rows and matrices",
          arguments: [(0, 0), (1, 1), (5, 3), (3, 7), (40, 9)])
    func roundTrip(shape: (Int, Int)) throws {
        let (n, p) = shape
        let dense = sparseLike(n, p, seed: UInt64(n * 31 + p))
        let x = SparseMatrix(dense)
        #expect(x.rows == n && x.columns == p)
        #expect(x.rowOffsets.count == n + 1)
        #expect(x.storedCount == dense.elements.filter { $0 != 0 }.count)
        #expect(x.dense() == dense)
        for i in 0..<n { for j in 0..<p { #expect(x[i, j] == dense[i, j]) } }
        #expect(x.transposed().dense() == dense.transposed.copy())
        #expect(x.transposed().transposed() == x)
        let picked = (0..<n).reversed().map { $0 }
        #expect(x.rows(picked).dense() == Matrix(rows: n, columns: p, elements: picked.flatMap { i in (0..<p).map { dense[i, $0] } }))
        let f: SparseMatrix<Float> = x.converted()
        #expect(f.dense().elements == dense.elements.map { Float($0) })
    }

    @Test("products with dense matrices equal BLAS's, in Double and Float", arguments: [1, 4, 17])
    func products(k: Int) throws {
        let dense = sparseLike(37, 11, seed: UInt64(k))
        let b: Matrix<Double> = Fixtures.matrix(11, k, seed: 5), w: Matrix<Double> = Fixtures.matrix(k, 11, seed: 6)
        let x = SparseMatrix(dense)
        var reference = Matrix<Double>(rows: 37, columns: k)
        reference.gemm(dense, b)
        #expect(isApproximatelyEqual(x.multiplied(by: b).elements, reference.elements, absolute: 1e-12))
        var scores = Matrix<Double>(rows: 37, columns: k)
        scores.gemm(dense, w.transposed)
        #expect(isApproximatelyEqual(x.multiplied(byTransposeOf: w).elements, scores.elements, absolute: 1e-12))
        let xf: SparseMatrix<Float> = x.converted()
        let bf = Matrix<Float>(rows: 11, columns: k, elements: b.elements.map { Float($0) })
        #expect(isApproximatelyEqual(xf.multiplied(by: bf).elements.map { Double($0) }, reference.elements, absolute: 1e-4))
    }

    @Test("side-by-side concatenation, scaling and row norms")
    func concatenationAndScaling() throws {
        let a = sparseLike(6, 4, seed: 1), b = sparseLike(6, 3, seed: 2)
        let joined: SparseMatrix<Double> = try .concatenatingColumns([SparseMatrix(a), SparseMatrix(b)])
        #expect(joined.columns == 7)
        for i in 0..<6 { for j in 0..<7 { #expect(joined[i, j] == (j < 4 ? a[i, j] : b[i, j - 4])) } }
        #expect(throws: SparseMatrixError.self) {
            let _: SparseMatrix<Double> = try .concatenatingColumns([SparseMatrix(a), SparseMatrix(sparseLike(5, 3, seed: 3))])
        }
        var x = SparseMatrix(a)
        x.scaleColumns(by: [1, 2, 3, 4])
        x.scaleRows(by: [1, 1, 1, 1, 1, 0.5])
        for i in 0..<6 { for j in 0..<4 { #expect(x[i, j] == a[i, j] * Double(j + 1) * (i == 5 ? 0.5 : 1)) } }
        x.normalizeRows()
        for i in 0..<6 {
            let s = (0..<4).reduce(0.0) { $0 + x[i, $1] * x[i, $1] }
            #expect(s == 0 || abs(s - 1) < 1e-12)
        }
    }

    @Test("bad layouts are refused, each with its reason")
    func refusals() {
        #expect(throws: SparseMatrixError.lengthMismatch(indices: 1, values: 2)) {
            try SparseMatrix<Double>(rows: 1, columns: 2, rowOffsets: [0, 1], columnIndices: [0], values: [1, 2])
        }
        #expect(throws: SparseMatrixError.self) {
            try SparseMatrix<Double>(rows: 2, columns: 2, rowOffsets: [0, 2, 1], columnIndices: [0, 1], values: [1, 2])
        }
        #expect(throws: SparseMatrixError.badColumnIndex(row: 0, index: 0)) {
            try SparseMatrix<Double>(rows: 1, columns: 2, rowOffsets: [0, 2], columnIndices: [1, 0], values: [1, 2])
        }
        #expect(throws: SparseMatrixError.badColumnIndex(row: 0, index: 2)) {
            try SparseMatrix<Double>(rows: 1, columns: 2, rowOffsets: [0, 1], columnIndices: [2], values: [1])
        }
        #expect(throws: SparseMatrixError.self) {
            try SparseMatrix<Double>(columns: 2, rowEntries: [[(column: 3, value: 1)]])
        }
        let summed = try? SparseMatrix<Double>(columns: 3, rowEntries: [[(column: 2, value: 1), (column: 0, value: 4), (column: 2, value: 2)]])
        #expect(summed?.dense().elements == [4, 0, 3])
    }
}

@Suite("L-BFGS and OWL-QN on problems with known minima")
struct LBFGSTests {
    /// `½ xᵀAx − bᵀx` for a fixed positive definite `A` (n = 6): minimum at `A⁻¹b`.
    static let a: [[Double]] = (0..<6).map { (i: Int) -> [Double] in
        (0..<6).map { (j: Int) -> Double in
            let d = Double(abs(i - j))
            return i == j ? 4 + Double(i) : 1 / (1 + d)
        }
    }
    static let b: [Double] = [1, -2, 3, 0.5, -1, 2]

    static func quadratic(_ x: [Double], _ g: inout [Double]) -> Double {
        var f = 0.0
        for i in 0..<6 {
            var ax = 0.0
            for j in 0..<6 { ax += a[i][j] * x[j] }
            g[i] = ax - b[i]
            f += 0.5 * x[i] * ax - b[i] * x[i]
        }
        return f
    }

    @Test("converges on a quadratic to A⁻¹b")
    func quadraticMinimum() throws {
        let r = try LBFGS(gradientTolerance: 1e-12).minimize(start: [Double](repeating: 0, count: 6), Self.quadratic)
        #expect(r.converged)
        var g = [Double](repeating: 0, count: 6)
        _ = Self.quadratic(r.x, &g)
        // It stops at the gradient tolerance or when a step no longer lowers f (relative 1e-15).
        #expect(g.allSatisfy { abs($0) < 1e-8 })
        #expect(r.gradientNorm < 1e-8)
    }

    @Test("Rosenbrock from (-1.2, 1) reaches (1, 1)")
    func rosenbrock() throws {
        let r = try LBFGS(maxIterations: 500, gradientTolerance: 1e-10).minimize(start: [-1.2, 1]) { x, g in
            let (u, v) = (x[0], x[1])
            g[0] = -2 * (1 - u) - 400 * u * (v - u * u)
            g[1] = 200 * (v - u * u)
            return (1 - u) * (1 - u) + 100 * (v - u * u) * (v - u * u)
        }
        #expect(r.converged)
        #expect(abs(r.x[0] - 1) < 1e-6 && abs(r.x[1] - 1) < 1e-6)
    }

    @Test("OWL-QN gives exact zeros: separable ½(x − c)² + λ|x| is soft thresholding")
    func owlqn() throws {
        let c: [Double] = [3, -0.5, 0.2, -2, 0.9, 0]
        let lambda = 1.0
        let r = try LBFGS(gradientTolerance: 1e-12).minimize(start: [Double](repeating: 0, count: 6),
                                                        l1Weights: [Double](repeating: lambda, count: 6)) { x, g in
            var f = 0.0
            for i in 0..<6 { g[i] = x[i] - c[i]; f += 0.5 * (x[i] - c[i]) * (x[i] - c[i]) }
            return f
        }
        let expected = c.map { $0 > lambda ? $0 - lambda : ($0 < -lambda ? $0 + lambda : 0) }
        #expect(r.converged)
        for (x, e) in zip(r.x, expected) {
            if e == 0 { #expect(x == 0, "exact zero") } else { #expect(abs(x - e) < 1e-9) }
        }
        // An unpenalised coordinate (weight 0) is left free.
        let free = try LBFGS().minimize(start: [0, 0], l1Weights: [0, 10]) { x, g in
            g[0] = x[0] - 0.5; g[1] = x[1] - 0.5
            return 0.5 * ((x[0] - 0.5) * (x[0] - 0.5) + (x[1] - 0.5) * (x[1] - 0.5))
        }
        #expect(abs(free.x[0] - 0.5) < 1e-8 && free.x[1] == 0)
    }

    @Test("an observer that throws stops the minimisation")
    func cancellation() {
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try LBFGS().minimize(start: [Double](repeating: 0, count: 6), Self.quadratic) { i, _, _ in if i == 2 { throw Stop() } }
        }
    }
}
