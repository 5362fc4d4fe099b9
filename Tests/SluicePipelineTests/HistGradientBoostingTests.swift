import Foundation
import Testing
import SluiceCompute
import SluicePipeline
@testable import SluiceLearn
import SluiceTestSupport

/// scikit-learn's and shap's results, written by `Scripts/boosting.py`.
nonisolated(unsafe) private let boosting = Expectations.load("boosting")

/// Row `i` is held out when `i % 4 == 0`, as the script splits.
private func heldOut(_ d: Dataset) -> (x: Matrix<Double>, y: [String], xt: Matrix<Double>, yt: [String]) {
    let train = (0..<d.target.count).filter { $0 % 4 != 0 }, test = (0..<d.target.count).filter { $0 % 4 == 0 }
    func rows(_ r: [Int]) -> Matrix<Double> {
        Matrix(rows: r.count, columns: d.features.columns, elements: r.flatMap { d.features.row($0) })
    }
    return (rows(train), train.map { d.target[$0] }, rows(test), test.map { d.target[$0] })
}

private func fitClassifier(_ learner: HistGradientBoostingClassifier, _ x: Matrix<Double>, _ y: ClassLabels,
                           weights: [Double]? = nil, seed: UInt64 = 7) throws -> HistGradientBoostingClassifier.Model {
    var context = FitContext(seed: seed)
    return try learner.fit(TrainingSet(features: x, target: .classes(y), sampleWeights: weights), context: &context)
}

private func fitRegressor(_ learner: HistGradientBoostingRegressor, _ x: Matrix<Double>, _ y: [Double],
                          seed: UInt64 = 7) throws -> HistGradientBoostingRegressor.Model {
    var context = FitContext(seed: seed)
    return try learner.fit(TrainingSet(features: x, target: .values(y)), context: &context)
}

@Suite("Histogram gradient boosting matches scikit-learn's held-out quality")
struct HistGradientBoostingParityTests {
    @Test("breast_cancer ROC-AUC within 0.005 of HistGradientBoostingClassifier")
    func breastCancer() throws {
        let s = heldOut(try Dataset.load("breast_cancer"))
        let y = ClassLabels(s.y), model = try fitClassifier(HistGradientBoostingClassifier(), s.x, y)
        let p = try model.predictProbabilities(s.xt)
        let codes = s.yt.map { y.classes.firstIndex(of: $0)! }
        let auc = Metrics.rocAUC(codes, scores: (0..<p.rows).map { p[$0, 1] })
        #expect(abs(auc - (boosting["breast_cancer_auc"] as? Double ?? .nan)) <= 0.005, "AUC \(auc)")
    }

    @Test("wine (3 classes, softmax) accuracy within 0.005")
    func wine() throws {
        let s = heldOut(try Dataset.load("wine"))
        let y = ClassLabels(s.y), model = try fitClassifier(HistGradientBoostingClassifier(), s.x, y)
        #expect(model.trees.outputs == 3 && model.trees.treeCount == 300)
        let predicted = try model.predict(s.xt), truth = s.yt.map { y.classes.firstIndex(of: $0)! }
        let accuracy = Metrics.accuracy(truth, predicted)
        #expect(abs(accuracy - (boosting["wine_accuracy"] as? Double ?? .nan)) <= 0.005, "accuracy \(accuracy)")
    }

    @Test("diabetes R² within 0.005 (squared error); absolute error and Poisson close", arguments: [
        (HistGradientBoostingRegressor.Loss.squaredError, "diabetes_r2", 0.005),
        (.absoluteError, "diabetes_absolute_r2", 0.03),
        (.poisson, "diabetes_poisson_r2", 0.03),
    ])
    func diabetes(loss: HistGradientBoostingRegressor.Loss, key: String, tolerance: Double) throws {
        let s = heldOut(try Dataset.load("diabetes"))
        let model = try fitRegressor(HistGradientBoostingRegressor(loss: loss), s.x, s.y.map { Double($0)! })
        let r2 = Metrics.r2(s.yt.map { Double($0)! }, try model.predict(s.xt))
        #expect(abs(r2 - (boosting[key] as? Double ?? .nan)) <= tolerance, "R² \(r2)")
    }
}

@Suite("Histogram gradient boosting: determinism, state, missing values, categories, constraints")
struct HistGradientBoostingBehaviourTests {
    let data = try! Dataset.load("breast_cancer")
    var labels: ClassLabels { ClassLabels(data.target) }

    @Test("the same seed gives byte-identical state; encoding round-trips to the same predictions")
    func determinism() throws {
        let learner = HistGradientBoostingClassifier(maxIterations: 20)
        let a = try fitClassifier(learner, data.features, labels), b = try fitClassifier(learner, data.features, labels)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(a) == encoder.encode(b))
        let decoded = try JSONDecoder().decode(HistGradientBoostingClassifier.Model.self, from: encoder.encode(a))
        try decoded.validate()
        #expect(try decoded.predictProbabilities(data.features) == a.predictProbabilities(data.features))
    }

    @Test("rows with NaN learn a default direction and predict without error")
    func missingValues() throws {
        // y = 1 exactly when x0 is missing or above 0.5: only a learned missing direction can fit it.
        var rng = SeededGenerator(seed: 3)
        let n = 600
        var x = Matrix<Double>(rows: n, columns: 2)
        var y = [Int]()
        for i in 0..<n {
            let missing = i % 3 == 0, v = rng.nextDouble()
            x[i, 0] = missing ? .nan : v
            x[i, 1] = rng.nextDouble()
            y.append(missing || v > 0.5 ? 1 : 0)
        }
        let model = try fitClassifier(HistGradientBoostingClassifier(maxIterations: 30), x, ClassLabels(y))
        #expect(Metrics.accuracy(y, try model.predict(x)) == 1)
        #expect(model.trees.missingLeft.contains(true) || model.trees.missingLeft.contains(false))
        let probe = try model.predictProbabilities(Matrix([[.nan, 0.3], [0.2, .nan]]))
        #expect(probe[0, 1] > 0.9 && probe[1, 1] < 0.1)
    }

    @Test("binning in row blocks: every value's bin equals bin(_:feature:), a NaN in the last block is seen")
    func blockedBinning() throws {
        // 10 000 rows span three blocks of 4096; the only NaN and the only non-zero values of
        // feature 2 are in the last block, so its flags come from that block alone.
        var rng = SeededGenerator(seed: 11)
        let n = 10_000
        var x = Matrix<Double>(rows: n, columns: 3)
        for i in 0..<n {
            x[i, 0] = rng.nextDouble()
            x[i, 1] = i == n - 1 ? .nan : Double(i % 7)
            x[i, 2] = i >= 9_000 && i % 2 == 0 ? 1 : 0
        }
        let rows = Array((0..<n).reversed())
        var generator = SeededGenerator(seed: 1)
        let binning = HistogramBinning(fitting: x, rows: rows, categorical: [:], generator: &generator)
        let binned = binning.binned(x, rows: rows)
        #expect(binned.hasMissing == [false, true, false])
        for (position, i) in rows.enumerated() {
            for j in 0..<3 {
                let column = binned.bins[position * binned.columns + binned.columnOf[j]]
                #expect(binned.featureBin(column, j) == binning.bin(x[i, j], feature: j))
            }
        }
    }

    @Test("category codes split natively: one stump separates a set of categories")
    func categorical() throws {
        let n = 400
        var x = Matrix<Double>(rows: n, columns: 1)
        var y = [Int]()
        for i in 0..<n {
            let c = i % 8
            x[i, 0] = Double(c)
            y.append(c == 1 || c == 4 || c == 6 ? 1 : 0)
        }
        let set = TrainingSet(features: x, categorical: [CategoricalFeature(index: 0, categories: (0..<8).map { "c\($0)" })],
                              target: .classes(ClassLabels(y)))
        var context = FitContext(seed: 1)
        let model = try HistGradientBoostingClassifier(maxIterations: 5, maxDepth: 1).fit(set, context: &context)
        #expect(Metrics.accuracy(y, try model.predict(x)) == 1)
        #expect(model.trees.categorySets.contains { $0 >= 0 })
        // An unknown code and a missing one take a side without error.
        _ = try model.predictProbabilities(Matrix([[200], [.nan], [-1], [2.5]]))
    }

    @Test("features with few bins share a column by joint codes: every feature's bins kept, the same trees as a column each")
    func jointCodes() throws {
        let n = 3_000
        var x = Matrix<Double>(rows: n, columns: 6)
        var rng = SeededGenerator(seed: 5)
        var target = [Double]()
        for i in 0..<n {
            x[i, 0] = rng.nextDouble()  // many bins: a column of its own
            x[i, 1] = Double(i % 6)
            x[i, 2] = i % 13 == 0 ? .nan : Double((i / 7) % 5)  // 5 bins and missing values
            x[i, 3] = Double(i % 3)  // categorical
            x[i, 4] = Double(rng.next() % 4)
            x[i, 5] = i % 5 == 0 ? 1 : 0  // sparse: a bundle of one, then a joint member
            target.append(x[i, 0] + (x[i, 1] > 2 ? 1 : 0) + (x[i, 2].isNaN ? 0.5 : 0.2 * x[i, 2])
                          + (x[i, 3] == 1 ? 0.7 : 0) + 0.1 * x[i, 4] + 0.3 * x[i, 5])
        }
        var generator = SeededGenerator(seed: 1)
        let rows = Array(0..<n)
        let binning = HistogramBinning(fitting: x, rows: rows, categorical: [3: 3], generator: &generator)
        let joint = binning.binned(x, rows: rows), separate = binning.binned(x, rows: rows, jointCodes: false)
        #expect(separate.columns == 6)
        #expect(joint.columns <= 3)
        for i in 0..<n {
            for j in 0..<6 {
                let v = joint.bins[i * joint.columns + joint.columnOf[j]]
                #expect(joint.featureBin(v, j) == binning.bin(x[i, j], feature: j))
            }
        }
        let parameters = GrowerParameters(maxLeafNodes: 15, maxDepth: nil, minSamplesLeaf: 10, minHessianLeaf: 1e-3,
                                          l2: 0, learningRate: 0.1, monotonic: [Int8](repeating: 0, count: 6))
        func trees(_ data: BoostingBinnedFeatures) -> [GrownTree] {
            let grower = BoostingTreeGrower(data: data, binning: binning, parameters: parameters, threads: 1)
            var raw = [Double](repeating: 0, count: n), out: [GrownTree] = []
            for _ in 0..<3 {
                let gh = (0..<n).map { SIMD2<Float>(Float(raw[$0] - target[$0]), 1) }
                let tree = gh.withUnsafeBufferPointer { grower.grow(gradients: $0.baseAddress!) }
                for leaf in tree.leaves {
                    for row in grower.rows(of: leaf) { raw[Int(row)] += tree.values[leaf.output] }
                }
                out.append(tree)
            }
            return out
        }
        for (a, b) in zip(trees(joint), trees(separate)) {
            #expect(a.features == b.features && a.left == b.left && a.missingLeft == b.missingLeft)
            #expect(a.categoryBits == b.categoryBits && a.thresholds == b.thresholds && a.covers == b.covers)
            #expect(zip(a.values, b.values).allSatisfy { abs($0 - $1) <= 1e-9 })
        }
    }

    @Test("one-hot columns share one histogram column (exclusive bundling) and keep every feature's bins")
    func bundling() throws {
        let n = 300
        var x = Matrix<Double>(rows: n, columns: 5)
        var rng = SeededGenerator(seed: 1)
        for i in 0..<n {
            x[i, 0] = rng.nextDouble()
            x[i, 1 + i % 4] = 1
        }
        let binning = HistogramBinning(fitting: x, rows: Array(0..<n), categorical: [:], generator: &rng)
        let b = binning.binned(x, rows: Array(0..<n))
        #expect(b.columns == 2)
        for i in 0..<n {
            for j in 0..<5 {
                let v = b.bins[i * b.columns + b.columnOf[j]]
                #expect(b.featureBin(v, j) == binning.bin(x[i, j], feature: j))
            }
        }
        let y = (0..<n).map { $0 % 4 == 2 ? 1 : 0 }
        let model = try fitClassifier(HistGradientBoostingClassifier(maxIterations: 5, maxDepth: 1), x, ClassLabels(y))
        #expect(Metrics.accuracy(y, try model.predict(x)) == 1)
    }

    @Test("a monotonic constraint makes predictions monotonic in that feature")
    func monotonic() throws {
        var rng = SeededGenerator(seed: 5)
        let n = 800
        var x = Matrix<Double>(rows: n, columns: 2)
        var y = [Double]()
        for i in 0..<n {
            let a = rng.nextDouble(), b = rng.nextDouble()
            x[i, 0] = a; x[i, 1] = b
            y.append(a + 0.3 * sin(12 * a) + b + rng.normal(standardDeviation: 0.1))
        }
        for constraint in [1, -1] {
            let model = try fitRegressor(HistGradientBoostingRegressor(maxIterations: 40, monotonicConstraints: [constraint, 0]), x, y)
            let grid = Matrix<Double>(rows: 101, columns: 2, elements: (0...100).flatMap { [Double($0) / 100, 0.5] })
            let p = try model.predict(grid)
            let ordered = zip(p, p.dropFirst()).allSatisfy { constraint > 0 ? $0 <= $1 + 1e-12 : $0 >= $1 - 1e-12 }
            #expect(ordered, "constraint \(constraint)")
        }
    }

    @Test("early stopping on a stratified validation split keeps the per-iteration losses and reports progress")
    func earlyStopping() throws {
        var rng = SeededGenerator(seed: 11)
        let n = 12_000
        var x = Matrix<Double>(rows: n, columns: 3)
        var y = [Int]()
        for i in 0..<n {
            for j in 0..<3 { x[i, j] = rng.nextDouble() }
            y.append(x[i, 0] + 0.3 * rng.normal() > 0.5 ? 1 : 0)
        }
        let steps = Steps()
        var context = FitContext(seed: 2, observer: { steps.add($0) })
        let model = try HistGradientBoostingClassifier(maxIterations: 500)
            .fit(TrainingSet(features: x, target: .classes(ClassLabels(y))), context: &context)
        #expect(model.iterations < 500)
        #expect(model.trainingLoss.count == model.iterations + 1 && model.validationLoss.count == model.iterations + 1)
        #expect(steps.all.count == model.iterations && steps.all.last?.metrics["validation_loss"] != nil)
        #expect(model.trees.treeCount == model.iterations)

        var off = FitContext(seed: 2)
        let full = try HistGradientBoostingClassifier(maxIterations: 15, earlyStopping: .disabled)
            .fit(TrainingSet(features: x, target: .classes(ClassLabels(y))), context: &off)
        #expect(full.iterations == 15 && full.trainingLoss.isEmpty)
    }

    @Test("the training set's own validation rows drive early stopping; cancellation stops between iterations")
    func validationAndCancellation() throws {
        let s = heldOut(data)
        let y = ClassLabels(s.y)
        let yv = ClassLabels(codes: s.yt.map { y.classes.firstIndex(of: $0)! }, classes: y.classes)
        var context = FitContext(seed: 4)
        let model = try HistGradientBoostingClassifier(maxIterations: 300, earlyStopping: .enabled)
            .fit(TrainingSet(features: s.x, target: .classes(y), validation: .init(features: s.xt, target: .classes(yv))),
                 context: &context)
        #expect(model.iterations < 300 && model.validationLoss.count == model.iterations + 1)

        let count = Steps()
        var cancelled = FitContext(seed: 4, observer: { count.add($0) }, isCancelled: { count.all.count >= 3 })
        #expect(throws: FitCancelled.self) {
            try HistGradientBoostingClassifier().fit(TrainingSet(features: s.x, target: .classes(y)), context: &cancelled)
        }
        #expect(count.all.count == 3)
    }

    @Test("sample and class weights change the fit; zero-weight rows do not count")
    func weights() throws {
        let y = labels
        let base = try fitClassifier(HistGradientBoostingClassifier(maxIterations: 10), data.features, y)
        let ones = try fitClassifier(HistGradientBoostingClassifier(maxIterations: 10), data.features, y,
                                     weights: [Double](repeating: 1, count: y.count))
        #expect(try base.predictProbabilities(data.features) == ones.predictProbabilities(data.features))
        let balanced = try fitClassifier(HistGradientBoostingClassifier(maxIterations: 10, classWeight: .balanced), data.features, y)
        #expect(try balanced.predictProbabilities(data.features) != base.predictProbabilities(data.features))
    }

    @Test("gain and split-count importances: the informative feature leads")
    func importances() throws {
        var rng = SeededGenerator(seed: 8)
        let n = 500
        var x = Matrix<Double>(rows: n, columns: 3)
        var y = [Double]()
        for i in 0..<n {
            for j in 0..<3 { x[i, j] = rng.nextDouble() }
            y.append(5 * x[i, 1] + 0.1 * rng.normal())
        }
        let model = try fitRegressor(HistGradientBoostingRegressor(maxIterations: 20), x, y)
        let imp = model.featureImportances
        #expect(abs(imp.reduce(0, +) - 1) < 1e-12 && imp[1] > 0.9)
        #expect(model.splitCounts.reduce(0, +) == model.trees.features.filter { $0 >= 0 }.count)
        #expect(model.gainImportances[1] == model.gainImportances.max())
    }

    @Test("feature fractions: each tree splits on its drawn features only, seeded; per-split draws too")
    func featureFractions() throws {
        let y = labels, p = data.features.columns
        // One feature of 30 per tree: every tree's splits name one feature.
        let single = HistGradientBoostingClassifier(maxIterations: 15, featureFraction: 1.0 / Double(p))
        let a = try fitClassifier(single, data.features, y), b = try fitClassifier(single, data.features, y)
        #expect(a == b)
        var used = Set<Int32>()
        for t in 0..<a.trees.treeCount {
            let split = Set(a.trees.features[a.trees.treeStarts[t]..<a.trees.treeStarts[t + 1]].filter { $0 >= 0 })
            #expect(split.count <= 1)
            used.formUnion(split)
        }
        #expect(used.count > 1)  // different trees draw different features
        let other = try fitClassifier(single, data.features, y, seed: 8)
        #expect(other != a)
        // Per split: seeded, and different from using every feature.
        let node = HistGradientBoostingClassifier(maxIterations: 10, nodeFeatureFraction: 0.3)
        let c = try fitClassifier(node, data.features, y), d = try fitClassifier(node, data.features, y)
        #expect(c == d)
        let all = try fitClassifier(HistGradientBoostingClassifier(maxIterations: 10), data.features, y)
        #expect(c.trees != all.trees)
        // A fraction of 1 is every feature: the same model as none.
        let whole = try fitClassifier(HistGradientBoostingClassifier(maxIterations: 10, featureFraction: 1,
                                                                    nodeFeatureFraction: 1), data.features, y)
        #expect(whole.trees == all.trees)
        let regressor = try fitRegressor(HistGradientBoostingRegressor(maxIterations: 5, featureFraction: 0.5),
                                         data.features, y.codes.map(Double.init))
        #expect(regressor.trees.treeCount == 5)
    }

    @Test("bad hyperparameters and targets are refused")
    func refused() throws {
        let y = labels
        for learner in [HistGradientBoostingClassifier(learningRate: 0), HistGradientBoostingClassifier(maxLeafNodes: 1),
                        HistGradientBoostingClassifier(validationFraction: 1.5),
                        HistGradientBoostingClassifier(monotonicConstraints: [1]),
                        HistGradientBoostingClassifier(featureFraction: 0), HistGradientBoostingClassifier(featureFraction: 1.5),
                        HistGradientBoostingClassifier(nodeFeatureFraction: -0.1)] {
            #expect(throws: EstimatorError.self) { try fitClassifier(learner, data.features, y) }
        }
        #expect(throws: EstimatorError.self) {
            try fitRegressor(HistGradientBoostingRegressor(loss: .poisson), Matrix([[1], [2]]), [-1, 2])
        }
        let model = try fitClassifier(HistGradientBoostingClassifier(maxIterations: 2), data.features, y)
        #expect(throws: EstimatorError.self) { try model.predictProbabilities(Matrix([[1, 2]])) }
    }
}

@Suite("Histogram gradient boosting: a node's work cut into pieces, binning without sorting")
struct BoostingGrowerPiecesTests {
    @Test("bin edges found without sorting equal those of the sorted values: 2, 73, 255, 256 and 5000 distinct values")
    func unsortedEdges() {
        var rng = SeededGenerator(seed: 4)
        for distinct in [1, 2, 73, 255, 256, 5_000] {
            var v = (0..<20_000).map { _ in (Double(Int(rng.nextDouble() * Double(distinct))) - 30) * 0.37 }
            v[7] = -0.0
            let sorted = v.sorted()
            #expect(HistogramBinning.edges(unsorted: &v) == HistogramBinning.edges(sorted: sorted), "\(distinct) distinct")
        }
    }

    @Test("the same trees and row order whether a node's partition and histograms run in 1, 2, 3 or 5 pieces")
    func piecesDoNotChangeTheTree() throws {
        // 60 000 rows: the root and its children are cut into several pieces of ≥ 8192 rows;
        // a feature with missing values, two exclusive columns (one bundle) and a categorical one.
        var rng = SeededGenerator(seed: 21)
        let n = 60_000
        var x = Matrix<Double>(rows: n, columns: 5)
        var target = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let a = rng.nextDouble(), b = rng.nextDouble(), c = Double(Int(rng.nextDouble() * 5))
            x[i, 0] = a
            x[i, 1] = b < 0.1 ? .nan : b
            x[i, 2] = a > 0.7 ? 1 : 0
            x[i, 3] = a < 0.2 ? 1 : 0
            x[i, 4] = c
            target[i] = (a > 0.5 ? 1 : 0) + (b.isNaN || b < 0.3 ? 0.5 : 0) + (c == 2 ? 0.7 : 0) + 0.3 * rng.nextDouble()
        }
        var generator = SeededGenerator(seed: 1)
        let binning = HistogramBinning(fitting: x, rows: Array(0..<n), categorical: [4: 5], generator: &generator)
        let binned = binning.binned(x, rows: Array(0..<n))
        #expect(binned.columns < 5)  // the exclusive columns share one
        let parameters = GrowerParameters(maxLeafNodes: 31, maxDepth: nil, minSamplesLeaf: 20, minHessianLeaf: 1e-3,
                                          l2: 0, learningRate: 0.1, monotonic: [Int8](repeating: 0, count: 5))
        func grown(_ threads: Int) -> (trees: [[Double]], structure: [[Int32]], order: [[Int32]]) {
            let grower = BoostingTreeGrower(data: binned, binning: binning, parameters: parameters, threads: threads)
            var raw = [Double](repeating: 0, count: n), trees: [[Double]] = [], structure: [[Int32]] = []
            var order: [[Int32]] = []
            for _ in 0..<3 {
                let gh = (0..<n).map { SIMD2<Float>(Float(raw[$0] - target[$0]), 1) }
                let tree = gh.withUnsafeBufferPointer { grower.grow(gradients: $0.baseAddress!) }
                for leaf in tree.leaves {
                    for row in grower.rows(of: leaf) { raw[Int(row)] += tree.values[leaf.output] }
                }
                order.append(tree.leaves.flatMap { Array(grower.rows(of: $0)) })
                trees.append(tree.values + tree.thresholds + tree.gains)
                structure.append(tree.features + tree.left + tree.right + tree.leaves.flatMap { [Int32($0.start), Int32($0.count)] })
            }
            return (trees, structure, order)
        }
        let reference = grown(1)
        #expect(reference.structure[0].count > 60)  // 31 leaves grown
        for threads in [2, 3, 5] {
            let other = grown(threads)
            #expect(other.trees == reference.trees)
            #expect(other.structure == reference.structure)
            #expect(other.order == reference.order)
        }
    }
}

@Suite("Histogram gradient boosting: crafted state is refused by validate()")
struct HistGradientBoostingStateTests {
    let model: HistGradientBoostingClassifier.Model = {
        let d = try! Dataset.load("breast_cancer")
        return try! fitClassifier(HistGradientBoostingClassifier(maxIterations: 3), d.features, ClassLabels(d.target))
    }()

    func refused(_ edit: (inout BoostedTrees) -> Void) -> Bool {
        var m = model
        edit(&m.trees)
        do { try m.validate(); return false } catch is FittedStateError { return true } catch { return false }
    }

    @Test("children, features, thresholds, category sets and sizes out of range")
    func crafted() throws {
        try model.validate()
        let inner = model.trees.features.firstIndex { $0 >= 0 }!
        #expect(refused { $0.left[inner] = 1_000_000 })
        #expect(refused { $0.right[inner] = Int32(inner) })  // a cycle: a child before its parent
        #expect(refused { $0.left[inner] = -3 })
        #expect(refused { $0.features[inner] = 999 })
        #expect(refused { $0.thresholds[0, inner] = .nan })
        #expect(refused { $0.categorySets[inner] = 5 })
        #expect(refused { $0.values[0, 0] = .infinity })
        #expect(refused { $0.covers[0, 0] = 0 })
        #expect(refused { $0.treeStarts[1] = 0 })
        #expect(refused { $0.treeStarts.append(1_000_000) })
        #expect(refused { $0.missingLeft.removeLast() })
        #expect(refused { $0.baseline = [] })
        #expect(refused { $0.categoryBits = [1, 2, 3] })
    }
}

@Suite("TreeSHAP for histogram gradient boosting")
struct TreeSHAPTests {
    /// scikit-learn's fitted trees, rebuilt as ``BoostedTrees``.
    static func sklearnTrees() throws -> (BoostedTrees, [String: Any]) {
        let shap = boosting["shap"] as? [String: Any] ?? [:]
        let trees = shap["trees"] as? [[String: Any]] ?? []
        var starts = [0], features = [Int32](), left = [Int32](), right = [Int32](), missing = [Bool]()
        var thresholds = [Double](), values = [Double](), covers = [Double]()
        for t in trees {
            let f = t["feature"] as? [Int] ?? []
            features += f.map { Int32($0) }
            left += (t["left"] as? [Int] ?? []).map { Int32($0) }
            right += (t["right"] as? [Int] ?? []).map { Int32($0) }
            missing += t["missing_left"] as? [Bool] ?? []
            thresholds += t["threshold"] as? [Double] ?? []
            values += t["value"] as? [Double] ?? []
            covers += t["count"] as? [Double] ?? []
            starts.append(features.count)
        }
        let n = features.count
        let model = BoostedTrees(featureCount: 30, outputs: 1, baseline: [shap["baseline"] as? Double ?? .nan], treeStarts: starts,
                                 features: features, left: left, right: right, missingLeft: missing,
                                 categorySets: [Int32](repeating: -1, count: n), categoryBits: [],
                                 thresholds: Matrix(rows: 1, columns: n, elements: thresholds),
                                 values: Matrix(rows: 1, columns: n, elements: values),
                                 covers: Matrix(rows: 1, columns: n, elements: covers),
                                 gains: Matrix(rows: 1, columns: n, repeating: 0))
        return (model, shap)
    }

    @Test("contributions equal shap's TreeExplainer on scikit-learn's trees to 1e-6, and sum to the raw score to 1e-9")
    func shapParity() throws {
        let (trees, shap) = try Self.sklearnTrees()
        try trees.validate(kind: "test")
        let rows = (shap["rows"] as? [[Any]] ?? []).map { $0.map { ($0 as? Double) ?? .nan } }
        let x = Matrix(rows)
        let raw = trees.raw(x).elements
        #expect(isApproximatelyEqual(raw, shap["raw"] as? [Double] ?? [], absolute: 1e-9))
        let expected = trees.expectedValues()[0]
        #expect(abs(expected - (shap["expected_value"] as? Double ?? .nan)) < 1e-6)
        let phi = trees.contributions(x)
        let reference = (shap["values"] as? [[Double]] ?? []).flatMap { $0 }
        #expect(isApproximatelyEqual(phi.elements, reference, absolute: 1e-6))
        for i in 0..<x.rows {
            #expect(abs(phi.row(i).reduce(expected, +) - raw[i]) < 1e-9)
        }
    }

    @Test("a fitted multiclass model with categories and NaN: contributions add up to each class score")
    func additivity() throws {
        let d = try Dataset.load("wine")
        var x = d.features
        for i in stride(from: 0, to: x.rows, by: 7) { x[i, 2] = .nan }
        var context = FitContext(seed: 3)
        let model = try HistGradientBoostingClassifier(maxIterations: 10)
            .fit(TrainingSet(features: x, target: .classes(ClassLabels(d.target))), context: &context)
        let phi = try model.contributions(x), raw = try model.decisionFunction(x)
        let p = model.featureCount, e = model.expectedValues
        #expect(phi.columns == 3 * p && e.count == 3)
        for i in 0..<x.rows {
            for k in 0..<3 {
                let sum = (0..<p).reduce(e[k]) { $0 + phi[i, k * p + $1] }
                #expect(abs(sum - raw[i, k]) < 1e-9)
            }
        }
    }
}

/// Collects progress reports from an observer.
private final class Steps: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [FitProgress] = []
    func add(_ s: FitProgress) { lock.lock(); steps.append(s); lock.unlock() }
    var all: [FitProgress] { lock.lock(); defer { lock.unlock() }; return steps }
}
