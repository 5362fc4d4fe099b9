import Foundation
import Testing
import SluiceCompute
import SluiceTestSupport

@Suite("Element-wise kernels and reductions against scalar references")
struct KernelTests {
    static let functions: [(ElementwiseFunction, @Sendable (Double) -> Double)] = [
        (.exp, Foundation.exp), (.log, Foundation.log), (.tanh, Foundation.tanh),
        (.sigmoid, { 1 / (1 + Foundation.exp(-$0)) }), (.relu, { max($0, 0) }),
        (.log1p, Foundation.log1p), (.expm1, Foundation.expm1),
    ]

    /// Lengths that exercise the vector bodies, the scalar tails and the parallel split.
    static let lengths = [0, 1, 3, 8, 17, 33, 1000, 200_003]

    @Test("every function matches libm in Double, on every length", arguments: 0..<functions.count)
    func double(index: Int) {
        let (f, reference) = Self.functions[index]
        for n in Self.lengths {
            var rng = SeededGenerator(seed: UInt64(n))
            let low = f == .log ? 0.0 : (f == .log1p ? -0.99 : -20)
            let x = Matrix<Double>.uniform(rows: 1, columns: n, in: low..<20, using: &rng)
            let y = x.applying(f)
            #expect(isApproximatelyEqual(y.elements, x.elements.map(reference), absolute: 1e-300, relative: 1e-14),
                    "\(f) on \(n) elements")
        }
    }

    @Test("every function matches libm in Float", arguments: 0..<functions.count)
    func float(index: Int) {
        let (f, reference) = Self.functions[index]
        var rng = SeededGenerator(seed: 1)
        let low = f == .log ? 0.0 : (f == .log1p ? -0.99 : -20)
        let x = Matrix<Float>.uniform(rows: 37, columns: 29, in: low..<20, using: &rng)
        let y = x.applying(f)
        let expected = x.elements.map { Float(reference(Double($0))) }
        #expect(isApproximatelyEqual(y.elements, expected, absolute: 1e-30, relative: 1e-5), "\(f)")
    }

    @Test("sigmoid and softmax stay finite at extreme inputs; relu keeps NaN")
    func extremes() {
        let x = Matrix<Double>([[-1000, -40, 0, 40, 1000]])
        let expected: [Double] = [0, 1 / (1 + exp(40)), 0.5, 1 / (1 + exp(-40)), 1]
        #expect(isApproximatelyEqual(x.applying(.sigmoid).elements, expected, relative: 1e-15))
        var s = Matrix<Double>([[1000, 1001, 1002], [-1000, -1000, -1000]])
        s.softmaxRows()
        #expect(s.elements.allSatisfy { $0.isFinite })
        let ones: [Double] = [1, 1]
        #expect(isApproximatelyEqual(s.rowSums(), ones, relative: 1e-15))
        #expect(isApproximatelyEqual(s.row(1), [1.0 / 3, 1.0 / 3, 1.0 / 3], relative: 1e-15))
        let lse = Matrix<Double>([[1000, 1000], [-.infinity, -.infinity]]).rowLogSumExp()
        #expect(isApproximatelyEqual(lse[0], 1000 + log(2.0)) && lse[1] == -.infinity)
        #expect(Matrix<Double>([[.nan, -1, 2]]).applying(.relu).elements.map { $0.isNaN } == [true, false, false])
    }

    @Test("add, subtract, Hadamard product and broadcast row add")
    func arithmetic() {
        let a: Matrix<Double> = Fixtures.matrix(4, 3, seed: 20), b: Matrix<Double> = Fixtures.matrix(4, 3, seed: 21)
        #expect((a + b).elements == zip(a.elements, b.elements).map(+))
        #expect((a - b).elements == zip(a.elements, b.elements).map(-))
        #expect(a.multiplied(elementwiseBy: b).elements == zip(a.elements, b.elements).map(*))
        var c = a
        c.add(toEachRow: [1, 2, 3])
        #expect(c.row(2) == zip(a.row(2), [1.0, 2, 3]).map(+))
    }

    @Test("row and column sums, means and variances, including one row and no rows")
    func reductions() {
        for (rows, cols) in [(5, 3), (1, 4), (6, 1), (0, 3)] {
            let a: Matrix<Double> = Fixtures.matrix(rows, cols, seed: UInt64(rows * 10 + cols))
            let columns = (0..<cols).map { c in (0..<rows).map { a[$0, c] } }
            #expect(isApproximatelyEqual(a.columnSums(), columns.map { $0.reduce(0, +) }, absolute: 1e-12))
            #expect(isApproximatelyEqual(a.rowSums(), (0..<rows).map { a.row($0).reduce(0, +) }, absolute: 1e-12))
            let means = columns.map { $0.reduce(0, +) / Double(rows) }
            #expect(isApproximatelyEqual(a.columnMeans(), means, absolute: 1e-12))
            for ddof in [0, 1] {
                let vars = zip(columns, means).map { col, m in
                    rows > ddof ? col.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(rows - ddof) : .nan
                }
                #expect(isApproximatelyEqual(a.columnVariances(ddof: ddof), vars, absolute: 1e-12))
            }
            #expect(isApproximatelyEqual(a.sum(), a.elements.reduce(0, +), absolute: 1e-12))
        }
    }

    @Test("argmax takes the first maximum, and the first NaN as numpy does")
    func argmax() {
        let a = Matrix<Double>([[1, 3, 3], [.nan, 5, 1], [2, 2, 2], [0, .nan, 9]])
        #expect(a.rowArgmax() == [1, 0, 0, 1])
        #expect(Matrix<Double>(rows: 2, columns: 0).rowArgmax() == [-1, -1])
    }

    @Test("parallel loops cover every index exactly once, in contiguous chunks")
    func parallelCoverage() {
        for count in [0, 1, 4095, 4096 * 2 + 1, 1_000_003] {
            let hits = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0)
            defer { hits.deallocate() }
            let box = UnsafeSendableBuffer(hits)
            Parallel.forEachChunk(of: count) { range in
                for i in range { box.buffer[i] += 1 }
            }
            #expect(hits.prefix(count).allSatisfy { $0 == 1 }, "count \(count)")
        }
    }
}

struct UnsafeSendableBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Int32>
    init(_ buffer: UnsafeMutableBufferPointer<Int32>) { self.buffer = buffer }
}
