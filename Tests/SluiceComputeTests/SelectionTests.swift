import Testing
@testable import SluiceCompute

@Suite("median by selection")
struct SelectionTests {
    @Test("equals the sorted median: odd and even counts, duplicates, runs, sizes 0 to 2000")
    func matchesSort() {
        var rng = SeededGenerator(seed: 9)
        for n in [0, 1, 2, 3, 4, 5, 16, 17, 31, 100, 1001, 2000] {
            for pattern in 0..<4 {
                var v: [Double] = (0..<n).map { i in
                    switch pattern {
                    case 0: rng.normal()
                    case 1: Double(rng.nextInt(below: 3))          // many ties
                    case 2: Double(i)                              // sorted
                    default: Double(n - i)                         // reversed
                    }
                }
                let expected = v.isEmpty ? 0 : Quantiles.median(sorted: v.sorted())
                #expect(Quantiles.median(selecting: &v) == expected, "n=\(n) pattern=\(pattern)")
            }
        }
    }
}
