import Testing
import SluiceCompute
import SluiceTestSupport

@Suite("LAPACK solvers and decompositions, checked by reconstruction")
struct LAPACKTests {
    /// A well-conditioned symmetric positive-definite matrix: MᵀM + n·I.
    func spd(_ n: Int, seed: UInt64) -> Matrix<Double> {
        let m: Matrix<Double> = Fixtures.matrix(n, n, seed: seed)
        var a = Matrix<Double>.identity(n) * Double(n)
        a.gemm(m.transposed, m, beta: 1)
        return a
    }

    @Test("Cholesky solve: A·X ≈ B", arguments: [1, 2, 9, 40])
    func cholesky(n: Int) throws {
        let a = spd(n, seed: UInt64(n))
        let b: Matrix<Double> = Fixtures.matrix(n, 3, seed: 99)
        let x = try a.choleskySolve(b)
        #expect(maxAbsDifference(a.matmul(x), b) < 1e-10)
    }

    @Test("Cholesky of a matrix that is not positive definite names dpotrf and the minor")
    func choleskyFailure() {
        let a = Matrix<Double>([[1, 2], [2, 1]])
        #expect(throws: ComputeError.lapack(routine: "dpotrf", info: 2,
                                            reason: "the leading minor of order 2 is not positive definite")) {
            try a.choleskySolve(Matrix([[1], [1]]))
        }
    }

    @Test("LU solve: A·X ≈ B on general square matrices, Float and Double", arguments: [1, 3, 25])
    func lu(n: Int) throws {
        let a: Matrix<Double> = Fixtures.matrix(n, n, seed: UInt64(10 + n))
        let b: Matrix<Double> = Fixtures.matrix(n, 2, seed: 11)
        #expect(maxAbsDifference(a.matmul(try a.luSolve(b)), b) < 1e-9)
        let af: Matrix<Float> = Fixtures.matrix(n, n, seed: UInt64(10 + n), as: Float.self)
        let bf: Matrix<Float> = Fixtures.matrix(n, 2, seed: 11, as: Float.self)
        #expect(maxAbsDifference(af.matmul(try af.luSolve(bf)), bf) < 1e-3)
    }

    @Test("LU of a singular matrix throws a LAPACK error naming sgesv")
    func luSingular() {
        let a = Matrix<Float>([[1, 2], [2, 4]])
        #expect(throws: ComputeError.self) { try a.luSolve(Matrix([[1], [2]])) }
        do { _ = try a.luSolve(Matrix([[1], [2]])) } catch let ComputeError.lapack(routine, info, _) {
            #expect(routine == "sgesv" && info == 2)
        } catch { Issue.record("unexpected error \(error)") }
    }

    @Test("least squares: over-determined residual is orthogonal to the columns; exact when consistent")
    func leastSquares() throws {
        let a: Matrix<Double> = Fixtures.matrix(30, 4, seed: 12)
        let b: Matrix<Double> = Fixtures.matrix(30, 2, seed: 13)
        let sol = try a.leastSquares(b)
        #expect(sol.rank == 4 && sol.solution.rows == 4 && sol.solution.columns == 2)
        let residual = b - a.matmul(sol.solution)
        #expect(maxAbsDifference(a.transposed.matmul(residual), Matrix(rows: 4, columns: 2)) < 1e-10)
        // Rank-deficient and under-determined: the minimum-norm solution still reproduces b.
        let wide: Matrix<Double> = Fixtures.matrix(3, 6, seed: 14)
        let rhs: Matrix<Double> = Fixtures.matrix(3, 1, seed: 15)
        let w = try wide.leastSquares(rhs)
        #expect(w.solution.rows == 6 && w.rank == 3)
        #expect(maxAbsDifference(wide.matmul(w.solution), rhs) < 1e-10)
        let dup = Matrix<Double>([[1, 1], [2, 2], [3, 3]])
        #expect(try dup.leastSquares(Matrix([[2], [4], [6]])).rank == 1)
    }

    @Test("symmetric eigen: A·v = λ·v, ascending values, orthonormal vectors")
    func eigen() throws {
        let a = spd(12, seed: 16)
        let (values, vectors) = try a.symmetricEigen()
        #expect(values == values.sorted())
        let av = a.matmul(vectors)
        var vl = vectors
        for r in 0..<12 { for c in 0..<12 { vl[r, c] *= values[c] } }
        #expect(maxAbsDifference(av, vl) < 1e-9)
        #expect(maxAbsDifference(vectors.transposed.matmul(vectors), .identity(12)) < 1e-12)
    }

    @Test("SVD: U·diag(S)·Vᵀ ≈ A for tall, wide and square matrices",
          arguments: [(8, 3), (3, 8), (5, 5), (1, 4)])
    func svd(shape: (Int, Int)) throws {
        let a: Matrix<Double> = Fixtures.matrix(shape.0, shape.1, seed: 17)
        let (u, s, vt) = try a.svd()
        let k = min(shape.0, shape.1)
        #expect(u.rows == shape.0 && u.columns == k && vt.rows == k && vt.columns == shape.1)
        #expect(s == s.sorted(by: >))
        var us = u
        for r in 0..<u.rows { for c in 0..<k { us[r, c] *= s[c] } }
        #expect(maxAbsDifference(us.matmul(vt), a) < 1e-12)
    }

    @Test("empty systems return empty answers instead of calling LAPACK")
    func empty() throws {
        let a = Matrix<Double>(rows: 0, columns: 0)
        #expect(try a.choleskySolve(Matrix(rows: 0, columns: 2)).count == 0)
        #expect(try a.svd().s.isEmpty)
        #expect(try a.symmetricEigen().values.isEmpty)
    }
}
