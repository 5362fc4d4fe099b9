import Foundation
import SluiceCompute
import SluicePipeline

/// How many rows each tree of a forest draws (scikit-learn's `max_samples`).
public enum ForestSamples: Sendable, Codable, Equatable {
    /// As many rows as the training set has.
    case all
    /// `max(1, round(fraction · n))` rows, `0 < fraction ≤ 1`.
    case fraction(Double)
    /// `count` rows (`1 ≤ count ≤ n`).
    case count(Int)

    func resolve(_ n: Int, estimator: String) throws -> Int {
        switch self {
        case .all: return n
        case .fraction(let f):
            guard f > 0 && f <= 1 else {
                throw EstimatorError.invalidHyperparameter(estimator: estimator, name: "maxSamples", reason: "fraction must be in (0, 1]")
            }
            return max(1, Int((f * Double(n)).rounded()))
        case .count(let c):
            guard c >= 1 && c <= n else {
                throw EstimatorError.invalidHyperparameter(estimator: estimator, name: "maxSamples", reason: "must be in 1…\(n)")
            }
            return c
        }
    }
}

/// How a forest classifier weights classes.
public enum ForestClassWeight: Sendable, Codable, Equatable {
    case uniform
    /// `n / (k · count(class))` over the whole training set.
    case balanced
    /// The same over each tree's bootstrap sample (scikit-learn's `"balanced_subsample"`).
    case balancedSubsample
    /// An explicit weight per class code.
    case custom([Double])

    var whole: ClassWeight {
        switch self {
        case .uniform, .balancedSubsample: return .uniform
        case .balanced: return .balanced
        case .custom(let w): return .custom(w)
        }
    }
}

/// Growing a forest's trees in parallel, reproducibly.
///
/// Each tree `t` gets its own generator, `rng.split()` taken in tree order before any tree
/// grows, so the forest is the same whatever the number of threads. With bootstrap, tree
/// `t` first draws `drawCount` rows with replacement (`nextInt(below: n)` each) and weights
/// each row by its sample weight times the number of times it was drawn; rows never drawn
/// are its out-of-bag rows. Then the tree grows with its generator as a single tree does.
enum ForestFit {
    struct Grown {
        var trees: [DecisionTree]
        /// Per tree, a bitset of the rows it trained on (nil without bootstrap).
        var inBag: [[UInt64]]?
    }

    // swiftlint:disable:next function_parameter_count
    static func grow<S: TreeStatistics>(_ prepared: TreeFit.Prepared, stats: S, rows n: Int, baseWeights: [Double],
                                        treeCount: Int, bootstrap: Bool, drawCount: Int, maxFeatures: Int, limits: TreeLimits,
                                        subsampleWeights: (([Int32]) -> [Double])?, context: inout FitContext,
                                        source: String, serial: Bool = false) throws -> Grown {
        let generators = (0..<treeCount).map { _ in context.rng.split() }
        let slots = Slots<DecisionTree>(count: treeCount)
        let bags = Slots<[UInt64]>(count: treeCount)
        let progress = Counter()
        let observer = context.observer, isCancelled = context.isCancelled
        let words = (n + 63) / 64
        let body = { (chunk: Range<Int>) in
            for t in chunk {
                if isCancelled() { return }
                var rng = generators[t]
                var weights = baseWeights
                if bootstrap {
                    var counts = [Int32](repeating: 0, count: n)
                    for _ in 0..<drawCount { counts[rng.nextInt(below: n)] += 1 }
                    let classFactor = subsampleWeights?(counts)
                    var bag = [UInt64](repeating: 0, count: words)
                    for i in 0..<n {
                        if counts[i] > 0 { bag[i >> 6] |= 1 << UInt64(i & 63) }
                        weights[i] *= Double(counts[i]) * (classFactor?[i] ?? 1)
                    }
                    bags.set(t, bag)
                }
                let tree = weights.withUnsafeBufferPointer { w in
                    TreeFit.grow(prepared, stats: stats, weights: w.baseAddress!, maxFeatures: maxFeatures, limits: limits, rng: &rng)
                }
                slots.set(t, tree)
                let done = progress.next()
                observer?(FitProgress(source: source, unit: .tree, step: done, total: treeCount,
                                      metrics: ["nodes": Double(tree.nodeCount)]))
            }
        }
        if serial { body(0..<treeCount) } else { Parallel.forEachChunk(of: treeCount, minimumChunk: 1, body) }
        try context.checkCancellation(source)
        let trees = slots.values.compactMap { $0 }
        guard trees.count == treeCount else { throw FitCancelled(source: source) }
        return Grown(trees: trees, inBag: bootstrap ? bags.values.map { $0 ?? [] } : nil)
    }

    /// Out-of-bag predictions: for each row, the mean over the trees that did not train on
    /// it of their leaf values (`n × outputs`), and how many such trees there were; rows
    /// in every bag get 0 (as scikit-learn). Parallel over rows, trees in order, so the sums do not depend
    /// on the thread count.
    static func outOfBag(_ x: Matrix<Float>, trees: [DecisionTree], inBag: [[UInt64]], outputs k: Int) -> (Matrix<Double>, [Int]) {
        let n = x.rows, p = x.columns
        var out = Matrix<Double>(rows: n, columns: k)
        var counts = [Int](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { o in
                counts.withUnsafeMutableBufferPointer { c in
                    Parallel.forEachChunk(of: n, minimumChunk: 4096) { range in
                        for (t, tree) in trees.enumerated() {
                            let bag = inBag[t]
                            for i in range where bag[i >> 6] & (1 << UInt64(i & 63)) == 0 {
                                let leaf = tree.leaf(xs.baseAddress! + i * p)
                                for j in 0..<k { o[i * k + j] += tree.values[leaf * k + j] }
                                c[i] += 1
                            }
                        }
                        for i in range {
                            for j in 0..<k { o[i * k + j] = c[i] > 0 ? o[i * k + j] / Double(c[i]) : 0 }
                        }
                    }
                }
            }
        }
        return (out, counts)
    }

    /// The mean of the trees' leaf values for each row of `x` (`n × outputs`).
    static func mean(_ trees: [DecisionTree], _ x: Matrix<Float>, outputs k: Int) -> Matrix<Double> {
        var out = Matrix<Double>(rows: x.rows, columns: k)
        let w = 1 / Double(max(1, trees.count))
        for tree in trees { tree.accumulate(x, weight: w, into: &out) }
        return out
    }

    /// The mean of the trees' normalised impurity importances (trees that are one leaf left
    /// out), normalised to sum to 1, as scikit-learn's forests.
    static func importances(_ trees: [DecisionTree], features p: Int) -> [Double] {
        var total = [Double](repeating: 0, count: p)
        let split = trees.filter { $0.nodeCount > 1 }
        for tree in split { for (j, v) in tree.featureImportances.enumerated() where j < p { total[j] += v } }
        let sum = total.reduce(0, +)
        return sum > 0 ? total.map { $0 / sum } : total
    }

    static func checkCount(_ treeCount: Int, estimator: String) throws {
        guard treeCount >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: estimator, name: "treeCount", reason: "must be ≥ 1")
        }
    }
}

extension DecisionTree {
    /// The leaf a row (pointer to its `featureCount` values) ends in.
    @inline(__always) func leaf(_ row: UnsafePointer<Float>) -> Int {
        var node = 0
        while feature[node] >= 0 {
            let v = row[Int(feature[node])]
            let goLeft = v.isNaN ? missingGoesLeft[node] : Double(v) <= threshold[node]
            node = Int(goLeft ? left[node] : right[node])
        }
        return node
    }
}

/// Slots written once each from parallel loop bodies (distinct indices), read after.
final class Slots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [T?]

    init(count: Int) { storage = [T?](repeating: nil, count: count) }

    func set(_ i: Int, _ value: T) {
        lock.lock()
        defer { lock.unlock() }
        storage[i] = value
    }

    var values: [T?] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

/// A thread-safe step counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
