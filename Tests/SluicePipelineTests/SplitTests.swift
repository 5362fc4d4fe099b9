import Testing
import SluiceCompute
import SluicePipeline

@Suite("Train/test, K-fold, stratified and time-series splits")
struct SplitTests {
    func checkPartition(_ splits: [Split], rows n: Int) {
        var seen = [Int](repeating: 0, count: n)
        for s in splits {
            #expect(Set(s.train).isDisjoint(with: s.test))
            #expect(s.train.count + s.test.count == n)
            for t in s.test { seen[t] += 1 }
        }
        #expect(seen.allSatisfy { $0 == 1 }, "every row is tested exactly once")
    }

    @Test("K-fold without shuffle gives scikit-learn's KFold folds; with a seed it is reproducible")
    func kFold() throws {
        let folds = try Splitter.kFold(rows: 10, folds: 3)
        #expect(folds.map(\.test) == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]])  // KFold(3).split(range(10))
        checkPartition(folds, rows: 10)
        let a = try Splitter.kFold(rows: 100, folds: 5, shuffle: SeededGenerator(seed: 1))
        let b = try Splitter.kFold(rows: 100, folds: 5, shuffle: SeededGenerator(seed: 1))
        let unshuffled = try Splitter.kFold(rows: 100, folds: 5)
        #expect(a == b && a != unshuffled)
        checkPartition(a, rows: 100)
        #expect(throws: SplitError.tooFewRows(rows: 3, folds: 4)) { try Splitter.kFold(rows: 3, folds: 4) }
    }

    @Test("stratified K-fold keeps each class's share in every fold, within one row")
    func stratified() throws {
        let labels = ClassLabels(codes: (0..<103).map { $0 % 10 == 0 ? 1 : 0 }, classes: ["no", "yes"])
        let folds = try Splitter.stratifiedKFold(labels, folds: 5, shuffle: SeededGenerator(seed: 3))
        checkPartition(folds, rows: 103)
        for f in folds {
            let positives = f.test.filter { labels.codes[$0] == 1 }.count
            #expect(positives == 2 || positives == 3)
            #expect(f.test.count == 20 || f.test.count == 21)
        }
        let tiny = ClassLabels(codes: [0, 0, 0, 1], classes: ["a", "b"])
        #expect(throws: SplitError.classTooSmall(className: "b", rows: 1, folds: 2)) {
            try Splitter.stratifiedKFold(tiny, folds: 2)
        }
    }

    @Test("time-series split matches scikit-learn's TimeSeriesSplit, with and without a gap")
    func timeSeries() throws {
        // TimeSeriesSplit(n_splits=3).split(range(10)): train [0..3], [0..5], [0..7]; tests of 2.
        let s = try Splitter.timeSeries(rows: 10, splits: 3)
        #expect(s.map(\.train) == [Array(0..<4), Array(0..<6), Array(0..<8)])
        #expect(s.map(\.test) == [[4, 5], [6, 7], [8, 9]])
        let g = try Splitter.timeSeries(rows: 10, splits: 3, gap: 1)
        #expect(g.map(\.train) == [Array(0..<3), Array(0..<5), Array(0..<7)])
        #expect(throws: SplitError.self) { try Splitter.timeSeries(rows: 3, splits: 5) }
    }

    @Test("hold-out split: sizes, stratification, determinism, bad fractions")
    func trainTest() throws {
        var rng = SeededGenerator(seed: 5)
        let plain = try Splitter.trainTest(rows: 100, testFraction: 0.25, using: &rng)
        #expect(plain.test.count == 25 && plain.train.count == 75)
        #expect(Set(plain.train).isDisjoint(with: plain.test) && Set(plain.train + plain.test) == Set(0..<100))
        let labels = ClassLabels(codes: (0..<1000).map { $0 % 12 == 0 ? 1 : 0 }, classes: ["0", "1"])
        var r1 = SeededGenerator(seed: 9), r2 = SeededGenerator(seed: 9)
        let a = try Splitter.trainTest(rows: 1000, testFraction: 0.2, stratifyBy: labels, using: &r1)
        let b = try Splitter.trainTest(rows: 1000, testFraction: 0.2, stratifyBy: labels, using: &r2)
        #expect(a == b && a.test.count == 200)
        let positives = a.test.filter { labels.codes[$0] == 1 }.count
        #expect(abs(Double(positives) - 84 * 0.2) <= 1)
        #expect(throws: SplitError.invalidFraction(1.5)) { try Splitter.trainTest(rows: 10, testFraction: 1.5, using: &rng) }
    }
}
