import Testing
import SluiceCompute
import SluiceTestSupport

@Suite("The augmented Gram matrix (least squares and covariance sufficient statistics)")
struct GramTests {
    /// The definition: per block of ``KMeansSolver/block`` rows, each element's fused
    /// multiply-add chain in row order from 0; the blocks' sums added in order.
    static func reference(_ x: Matrix<Double>, target: [Double]?, weights: [Double]?, rows: Range<Int>) -> [Double] {
        let p = x.columns, q = p + (target == nil ? 0 : 1) + 1
        var total = [Double](repeating: 0, count: q * q)
        for start in stride(from: rows.lowerBound, to: max(rows.upperBound, rows.lowerBound + 1), by: KMeansSolver.block) {
            var block = [Double](repeating: 0, count: q * q)
            for i in start..<min(rows.upperBound, start + KMeansSolver.block) {
                let z = x.row(i) + (target.map { [$0[i]] } ?? []) + [1]
                for a in 0..<q {
                    let wz = weights.map { $0[i] * z[a] } ?? z[a]
                    for b in a..<q { block[a * q + b] = block[a * q + b].addingProduct(wz, z[b]) }
                }
            }
            for a in 0..<q { for b in a..<q { total[a * q + b] += block[a * q + b] } }
        }
        for a in 0..<q { for b in 0..<a { total[a * q + b] = total[b * q + a] } }
        return total
    }

    @Test("equals its definition bit for bit (whatever the vector unit), with and without target, weights and a row range",
          arguments: [(9_000, 21), (37, 3), (5, 30), (0, 4)])
    func definition(rows n: Int, columns p: Int) {
        let x: Matrix<Double> = Fixtures.matrix(n, p, seed: UInt64(p))
        let y = (0..<n).map { Double($0 % 7) - 2.5 }, w = (0..<n).map { 0.25 + Double($0 % 5) }
        for (target, weights) in [(nil, nil), (y, nil), (nil, w), (y, w)] as [([Double]?, [Double]?)] {
            for range in [0..<n, (n / 3)..<n] {
                let g = x.augmentedGram(target: target, weights: weights, rows: range)
                #expect(g == Self.reference(x, target: target, weights: weights, rows: range),
                        "\(n)×\(p) target \(target != nil) weights \(weights != nil) rows \(range)")
            }
        }
    }

    @Test("holds xᵀx, xᵀy, yᵀy, the column sums and the row count where documented")
    func layout() {
        let x = Matrix<Double>([[1, 2], [3, 4], [5, 7]]), y = [1.0, -1, 2]
        let g = x.augmentedGram(target: y)
        #expect(g == [35, 49, 8, 9,
                      49, 69, 12, 13,
                      8, 12, 6, 2,
                      9, 13, 2, 3])
    }
}
