import SluiceCompute
import SluiceFrame

/// One train/test partition of row indices.
public struct Split: Sendable, Equatable, Codable {
    /// Rows to fit on, ascending.
    public var train: [Int]
    /// Rows to evaluate on, ascending.
    public var test: [Int]

    /// A split of given rows (for cross-validation over folds made elsewhere).
    public init(train: [Int], test: [Int]) {
        self.train = train
        self.test = test
    }
}

/// Why a split cannot be made.
public enum SplitError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidFraction(Double)
    case tooFewRows(rows: Int, folds: Int)
    case classTooSmall(className: String, rows: Int, folds: Int)

    public var description: String {
        switch self {
        case let .invalidFraction(f): return "test fraction \(f) must be strictly between 0 and 1"
        case let .tooFewRows(rows, folds): return "cannot make \(folds) folds of \(rows) rows"
        case let .classTooSmall(name, rows, folds):
            return "class '\(name)' has \(rows) rows, fewer than the \(folds) folds"
        }
    }
}

/// Row splitters for evaluation: hold-out, K-fold, stratified K-fold and time-series.
/// Shuffles draw from the ``SeededGenerator`` passed in (no generator: no shuffle), so a
/// seed fixes every split.
public enum Splitter {
    /// A random hold-out split: `round(testFraction × n)` rows (at least one) to test,
    /// the rest to train. With `stratifyBy`, each class is split in the same proportion
    /// (its test share rounded, the rounding remainders given to the largest classes).
    public static func trainTest(rows n: Int, testFraction: Double, stratifyBy labels: ClassLabels? = nil,
                                 using rng: inout SeededGenerator) throws -> Split {
        guard testFraction > 0, testFraction < 1 else { throw SplitError.invalidFraction(testFraction) }
        let nTest = max(1, Int((testFraction * Double(n)).rounded(.up)))
        guard n >= 2, nTest < n else { throw SplitError.tooFewRows(rows: n, folds: 2) }
        guard let labels else {
            let order = rng.sample(n, from: n)
            return Split(train: order[nTest...].sorted(), test: order[..<nTest].sorted())
        }
        // Allocate test rows to classes by largest remainder, then sample within classes.
        let byClass = rowsByClass(labels)
        let exact = byClass.map { Double($0.count) * Double(nTest) / Double(n) }
        var quota = exact.map { Int($0) }
        let remainderOrder = exact.indices.sorted { (exact[$0] - Double(quota[$0]), byClass[$0].count) > (exact[$1] - Double(quota[$1]), byClass[$1].count) }
        for c in remainderOrder.prefix(nTest - quota.reduce(0, +)) { quota[c] += 1 }
        var train = [Int](), test = [Int]()
        for (c, rows) in byClass.enumerated() {
            var shuffled = rows
            rng.shuffle(&shuffled)
            test += shuffled[..<min(quota[c], rows.count)]
            train += shuffled[min(quota[c], rows.count)...]
        }
        return Split(train: train.sorted(), test: test.sorted())
    }

    /// K-fold: the rows (shuffled if a generator is given) cut into `k` consecutive folds,
    /// the first `n mod k` one row larger, as scikit-learn's `KFold`.
    public static func kFold(rows n: Int, folds k: Int, shuffle rng: SeededGenerator? = nil) throws -> [Split] {
        var rng = rng
        guard k >= 2, k <= n else { throw SplitError.tooFewRows(rows: n, folds: k) }
        var order = Array(0..<n)
        if rng != nil { rng!.shuffle(&order) }
        var splits = [Split](), start = 0
        for f in 0..<k {
            let size = n / k + (f < n % k ? 1 : 0)
            let test = Array(order[start..<(start + size)])
            let train = Array(order[..<start]) + Array(order[(start + size)...])
            splits.append(Split(train: train.sorted(), test: test.sorted()))
            start += size
        }
        return splits
    }

    /// Stratified K-fold: each class's rows (shuffled if a generator is given) dealt round
    /// robin to the folds, so every fold holds each class in nearly the training proportion
    /// (within one row).
    public static func stratifiedKFold(_ labels: ClassLabels, folds k: Int,
                                       shuffle rng: SeededGenerator? = nil) throws -> [Split] {
        var rng = rng
        let n = labels.count
        guard k >= 2, k <= n else { throw SplitError.tooFewRows(rows: n, folds: k) }
        var foldOf = [Int](repeating: 0, count: n), next = 0
        for (c, rows) in rowsByClass(labels).enumerated() {
            guard rows.isEmpty || rows.count >= k else {
                throw SplitError.classTooSmall(className: labels.classes[c], rows: rows.count, folds: k)
            }
            var rows = rows
            if rng != nil { rng!.shuffle(&rows) }
            for r in rows {  // continue the deal where the last class stopped: balances fold sizes
                foldOf[r] = next
                next = (next + 1) % k
            }
        }
        return (0..<k).map { f in
            Split(train: (0..<n).filter { foldOf[$0] != f }, test: (0..<n).filter { foldOf[$0] == f })
        }
    }

    /// Time-series split: `k` expanding windows, each testing on the next block of rows
    /// after its training rows (rows must be in time order), as scikit-learn's
    /// `TimeSeriesSplit`: test blocks of `n / (k + 1)` rows, the first training block
    /// taking the remainder.
    public static func timeSeries(rows n: Int, splits k: Int, gap: Int = 0) throws -> [Split] {
        let testSize = n / (k + 1)
        guard k >= 1, testSize >= 1, n - k * testSize - gap > 0 else { throw SplitError.tooFewRows(rows: n, folds: k + 1) }
        return (0..<k).map { i in
            let testStart = n - (k - i) * testSize
            return Split(train: Array(0..<(testStart - gap)), test: Array(testStart..<(testStart + testSize)))
        }
    }

    static func rowsByClass(_ labels: ClassLabels) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: labels.classes.count)
        for (i, c) in labels.codes.enumerated() { byClass[c].append(i) }
        return byClass
    }
}

extension SplitError: ExitClassified {
    /// A fraction outside (0, 1) is configuration (78); too few rows for the folds, bad data (65).
    public var exitStatus: ExitStatus {
        if case .invalidFraction = self { return .configuration }
        return .dataError
    }
}
