import Testing
import SluiceCompute
import SluiceTestSupport

@Suite("BLAS operations against naive references")
struct BLASTests {
    @Test("gemm with every transpose combination, on square, non-square, vector and empty shapes",
          arguments: [false, true], [false, true])
    func gemmTransposes(transA: Bool, transB: Bool) {
        for (seed, (m, k, n)) in shapes.enumerated() {
            let aStore: Matrix<Double> = Fixtures.matrix(transA ? k : m, transA ? m : k, seed: UInt64(seed))
            let bStore: Matrix<Double> = Fixtures.matrix(transB ? n : k, transB ? k : n, seed: UInt64(seed + 100))
            let a = transA ? aStore.transposed : aStore.view
            let b = transB ? bStore.transposed : bStore.view
            var c = Matrix<Double>(rows: m, columns: n, repeating: .nan)  // beta = 0 must ignore NaN
            c.gemm(a, b)
            #expect(isApproximatelyEqual(c.elements, Reference.matmul(a, b), absolute: 1e-12),
                    "gemm \(m)×\(k)·\(k)×\(n) transA=\(transA) transB=\(transB)")
        }
    }

    @Test("gemm accumulates with alpha and beta, in Float too")
    func gemmAlphaBeta() {
        let a: Matrix<Float> = Fixtures.matrix(6, 4, seed: 1, as: Float.self)
        let b: Matrix<Float> = Fixtures.matrix(4, 5, seed: 2, as: Float.self)
        let c0: Matrix<Float> = Fixtures.matrix(6, 5, seed: 3, as: Float.self)
        var c = c0
        c.gemm(a, b, alpha: 2, beta: -0.5)
        let ab = Reference.matmul(a.view, b.view)
        let expected = zip(ab, c0.elements).map { 2 * $0 - 0.5 * $1 }
        #expect(isApproximatelyEqual(c.elements, expected, absolute: 1e-5, relative: 1e-5))
        #expect(c0 != c, "the copy that shared storage was not written")
    }

    @Test("views of row and column ranges multiply without copying and give the same result as copies")
    func gemmOnStridedViews() {
        let big: Matrix<Double> = Fixtures.matrix(10, 12, seed: 4)
        let a = big.rows(2..<7).columns(3..<9)  // 5×6, strided
        let b = big.transposed.rows(1..<7).columns(0..<4)  // 6×4 of a transposed view
        #expect(a.rows == 5 && a.columns == 6 && !a.isContiguous)
        var c = Matrix<Double>(rows: 5, columns: 4)
        c.gemm(a, b)
        #expect(isApproximatelyEqual(c.elements, Reference.matmul(a.copy().view, b.copy().view), absolute: 1e-12))
        #expect(a.copy()[1, 2] == big[3, 5])
        #expect(b.copy()[2, 3] == big[3, 3])
    }

    @Test("gemv, plain and transposed, with beta")
    func gemv() {
        let a: Matrix<Double> = Fixtures.matrix(7, 3, seed: 5)
        let x = [1.0, -2, 0.5], xt = (0..<7).map { Double($0) - 3 }
        #expect(isApproximatelyEqual(a.multiplied(by: x), Reference.matmul(a.view, Matrix(rows: 3, columns: 1, elements: x).view), absolute: 1e-12))
        var y = [Double](repeating: 1, count: 3)
        a.transposed.gemv(xt, into: &y, alpha: 1, beta: 2)
        let ref = Reference.matmul(a.transposed, Matrix(rows: 7, columns: 1, elements: xt).view).map { $0 + 2 }
        #expect(isApproximatelyEqual(y, ref, absolute: 1e-12))
        #expect(Matrix<Double>(rows: 0, columns: 3).multiplied(by: x) == [])
    }

    @Test("level-1: axpy, dot, nrm2, scal")
    func levelOne() {
        let x: Matrix<Double> = Fixtures.matrix(3, 5, seed: 6)
        var y: Matrix<Double> = Fixtures.matrix(3, 5, seed: 7)
        let y0 = y
        y.axpy(3, x)
        #expect(isApproximatelyEqual(y.elements, zip(y0.elements, x.elements).map { $0 + 3 * $1 }))
        #expect(isApproximatelyEqual(x.dot(y0), zip(x.elements, y0.elements).map(*).reduce(0, +), relative: 1e-12))
        #expect(isApproximatelyEqual(x.norm(), x.elements.map { $0 * $0 }.reduce(0, +).squareRoot(), relative: 1e-12))
        var s = x
        s.scale(by: -2)
        #expect(s.elements == x.elements.map { -2 * $0 })
        #expect(Matrix<Double>(rows: 0, columns: 0).norm() == 0)
    }

    @Test("syrk gives the symmetric Gram matrix in both triangles", arguments: [false, true])
    func syrk(transposed: Bool) {
        let a: Matrix<Double> = Fixtures.matrix(6, 4, seed: 8)
        let op = transposed ? a.transposed : a.view
        var c = Matrix<Double>(rows: op.rows, columns: op.rows)
        c.syrk(op)
        #expect(isApproximatelyEqual(c.elements, Reference.matmul(op, op.transposed), absolute: 1e-12))
    }

    @Test("copy-on-write: a copy is independent, a view sees the buffer it was taken from")
    func copyOnWrite() {
        var a = Matrix<Double>([[1, 2], [3, 4]])
        let b = a
        let v = a.view
        a[0, 0] = 10
        #expect(b[0, 0] == 1 && v[0, 0] == 1 && a[0, 0] == 10)
        #expect(a.transposed[0, 1] == 3 && a.transposed.copy() == Matrix([[10, 3], [2, 4]]))
        #expect(a.reshaped(rows: 1, columns: 4).elements == [10, 2, 3, 4])
    }
}
