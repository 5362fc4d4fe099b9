import Foundation
import SluiceCompute
import SluicePipeline

/// When gradient boosting stops early.
public enum EarlyStopping: String, Sendable, Codable, Equatable {
    /// On when the training set has more than 10 000 rows (scikit-learn's `"auto"`).
    case auto
    case enabled
    case disabled
}

/// What the shared boosting loop needs from a learner.
struct BoostingConfiguration: Sendable {
    var loss: BoostingLoss
    var grower: GrowerParameters
    var maxIterations: Int
    var earlyStopping: EarlyStopping
    var validationFraction: Double?
    var nIterNoChange: Int
    var tolerance: Double
    /// Stratify the validation split by class (classifiers).
    var stratify: Bool
}

/// The boosting loop's result.
struct BoostingResult: Sendable {
    var trees: BoostedTrees
    var iterations: Int
    var trainingLoss: [Double]
    var validationLoss: [Double]
}

enum GradientBoosting {
    /// Checks the shared hyperparameters of `learner`.
    static func check(learner: String, learningRate: Double, maxIterations: Int, maxLeafNodes: Int?, maxDepth: Int?,
                      minSamplesLeaf: Int, minHessianLeaf: Double, l2: Double, validationFraction: Double?,
                      nIterNoChange: Int, tolerance: Double,
                      featureFraction: Double? = nil, nodeFeatureFraction: Double? = nil) throws {
        func bad(_ name: String, _ reason: String) -> EstimatorError {
            .invalidHyperparameter(estimator: learner, name: name, reason: reason)
        }
        guard learningRate > 0, learningRate.isFinite else { throw bad("learningRate", "must be finite and > 0") }
        guard maxIterations >= 1 else { throw bad("maxIterations", "must be at least 1") }
        if let m = maxLeafNodes, m < 2 { throw bad("maxLeafNodes", "must be at least 2") }
        if let d = maxDepth, d < 1 { throw bad("maxDepth", "must be at least 1") }
        guard minSamplesLeaf >= 1 else { throw bad("minSamplesLeaf", "must be at least 1") }
        guard minHessianLeaf >= 0, minHessianLeaf.isFinite else { throw bad("minHessianLeaf", "must be finite and ≥ 0") }
        guard l2 >= 0, l2.isFinite else { throw bad("l2Regularization", "must be finite and ≥ 0") }
        if let f = validationFraction, !(f > 0 && f < 1) { throw bad("validationFraction", "must be in (0, 1)") }
        guard nIterNoChange >= 1 else { throw bad("nIterNoChange", "must be at least 1") }
        guard tolerance >= 0, tolerance.isFinite else { throw bad("tolerance", "must be finite and ≥ 0") }
        if let f = featureFraction, !(f > 0 && f <= 1) { throw bad("featureFraction", "must be in (0, 1]") }
        if let f = nodeFeatureFraction, !(f > 0 && f <= 1) { throw bad("nodeFeatureFraction", "must be in (0, 1]") }
    }

    /// The monotonic constraint of each feature, checked against the categorical ones.
    static func monotonic(_ constraints: [Int]?, features p: Int, categorical: [Int: Int], learner: String) throws -> [Int8] {
        guard let c = constraints else { return [Int8](repeating: 0, count: p) }
        guard c.count == p else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "monotonicConstraints",
                                                       reason: "has \(c.count) entries for \(p) features")
        }
        for (j, v) in c.enumerated() {
            guard (-1...1).contains(v) else {
                throw EstimatorError.invalidHyperparameter(estimator: learner, name: "monotonicConstraints",
                                                           reason: "\(v) for feature \(j) is not -1, 0 or 1")
            }
            if v != 0 && categorical[j] != nil {
                throw EstimatorError.invalidHyperparameter(estimator: learner, name: "monotonicConstraints",
                                                           reason: "feature \(j) is categorical")
            }
        }
        return c.map { Int8($0) }
    }

    /// The seeded validation split: rows kept for training and rows held out, each in order.
    /// Stratified: each class's rows are shuffled and `round(fraction · count)` of them held out.
    static func split(_ y: [Double], fraction: Double, stratify: Bool, classes: Int,
                      generator: inout SeededGenerator) -> (train: [Int], validation: [Int]) {
        var held = [Bool](repeating: false, count: y.count)
        let groups: [[Int]] = stratify
            ? (0..<classes).map { c in y.indices.filter { Int(y[$0]) == c } }
            : [Array(y.indices)]
        for var rows in groups where rows.count > 1 {
            generator.shuffle(&rows)
            let k = min(rows.count - 1, Int((Double(rows.count) * fraction).rounded()))
            for i in rows.prefix(k) { held[i] = true }
        }
        return (y.indices.filter { !held[$0] }, y.indices.filter { held[$0] })
    }

    /// Whether scikit-learn's rule stops: no loss in the last `n` below the one before them by `tolerance`.
    static func shouldStop(_ losses: [Double], n: Int, tolerance: Double) -> Bool {
        guard losses.count > n else { return false }
        let reference = losses[losses.count - n - 1] - tolerance
        return !losses.suffix(n).contains { $0 < reference }
    }

    /// Boosts trees on `x` (row-major, NaN missing) with targets `y` (class codes or values)
    /// and row weights `w`; validation rows from `validation`, or split from the training
    /// rows when early stopping asks for them.
    static func fit(_ x: Matrix<Double>, y: [Double], w: [Double], classes: Int, categorical: [Int: Int],
                    validation: (x: Matrix<Double>, y: [Double], w: [Double])?, configuration c: BoostingConfiguration,
                    learner: String, context: inout FitContext) throws -> BoostingResult {
        let n = x.rows, p = x.columns, m = c.loss.outputs
        let stopping = c.earlyStopping == .enabled || (c.earlyStopping == .auto && n > 10_000)
        var trainRows = Array(0..<n)
        var held: (x: Matrix<Double>, y: [Double], w: [Double])? = validation
        if held == nil, stopping, let f = c.validationFraction {
            let (train, val) = split(y, fraction: f, stratify: c.stratify, classes: classes, generator: &context.rng)
            if !val.isEmpty, !train.isEmpty {
                trainRows = train
                let xv = Matrix<Double>(rows: val.count, columns: p) { out in
                    x.withUnsafeBufferPointer { src in
                        for (r, i) in val.enumerated() {
                            for j in 0..<p { out.initializeElement(at: r * p + j, to: src[i * p + j]) }
                        }
                    }
                }
                held = (xv, val.map { y[$0] }, val.map { w[$0] })
            }
        }
        let binning = HistogramBinning(fitting: x, rows: trainRows, categorical: categorical, generator: &context.rng)
        let nt = trainRows.count
        let yt = trainRows.map { y[$0] }, wt = trainRows.map { w[$0] }
        guard wt.contains(where: { $0 > 0 }) else {
            throw EstimatorError.invalidSampleWeights(estimator: learner, reason: "are all zero on the training rows")
        }
        let baseline = c.loss.baseline(yt, wt)
        var raw = [Double](repeating: 0, count: m * nt)
        for k in 0..<m { for i in 0..<nt { raw[k * nt + i] = baseline[k] } }
        var heldRaw: [Double] = []
        if let h = held {
            heldRaw = [Double](repeating: 0, count: m * h.x.rows)
            for k in 0..<m { for i in 0..<h.x.rows { heldRaw[k * h.x.rows + i] = baseline[k] } }
        }
        var ensemble = BoostedTrees.empty
        ensemble.featureCount = p
        ensemble.outputs = m
        ensemble.baseline = baseline
        var assembled = EnsembleAssembler()
        // The grower keeps the bins in its own row order: the binned matrix is not kept beside it.
        let grower = BoostingTreeGrower(data: binning.binned(x, rows: trainRows), binning: binning, parameters: c.grower,
                                        generator: c.grower.samplesFeatures ? context.rng.split() : SeededGenerator(seed: 0))
        let g = BoostBuffer<SIMD2<Float>>(count: m * nt, repeating: .zero)
        var trainingLoss: [Double] = [], validationLoss: [Double] = []
        let record = stopping || held != nil
        if record {
            trainingLoss.append(c.loss.loss(raw: raw, y: yt, w: wt))
            if let h = held { validationLoss.append(c.loss.loss(raw: heldRaw, y: h.y, w: h.w)) }
        }
        var iterations = 0
        for iteration in 1...c.maxIterations {
            try context.checkCancellation(learner)
            raw.withUnsafeBufferPointer { r in
                yt.withUnsafeBufferPointer { yp in
                    wt.withUnsafeBufferPointer { wp in
                        c.loss.gradients(raw: r.baseAddress!, y: yp.baseAddress!, w: wp.baseAddress!, n: nt,
                                         gh: g.pointer)
                    }
                }
            }
            for k in 0..<m {
                var tree = grower.grow(gradients: g.pointer + k * nt)
                if case .absolute = c.loss {
                    for leaf in tree.leaves {
                        var residuals = [Double](), weights = [Double]()
                        residuals.reserveCapacity(leaf.count)
                        for row in grower.rows(of: leaf) {
                            let i = Int(row)
                            residuals.append(yt[i] - raw[i])
                            weights.append(wt[i])
                        }
                        tree.values[leaf.output] = c.grower.learningRate * BoostingLoss.weightedMedian(residuals, weights)
                    }
                }
                // Each training row is at one position of one leaf: the leaves' ranges cover the
                // positions once, so the positions are updated in chunks on every core, each
                // chunk through the leaves that overlap it.
                let leaves = tree.leaves.map {
                    (start: $0.start, end: $0.start + $0.count, value: tree.values[$0.output],
                     rows: BoostUnchecked(grower.rows(of: $0).baseAddress! - $0.start))
                }
                raw.withUnsafeMutableBufferPointer { r in
                    let out = BoostUnchecked(r.baseAddress! + k * nt)
                    Parallel.forEachChunk(of: nt, minimumChunk: 65_536) { range in
                        for leaf in leaves where leaf.start < range.upperBound && leaf.end > range.lowerBound {
                            let v = leaf.value, rows = leaf.rows.value
                            for s in max(leaf.start, range.lowerBound)..<min(leaf.end, range.upperBound) {
                                out.value[Int(rows[s])] += v
                            }
                        }
                    }
                }
                if let h = held {
                    let single = EnsembleAssembler.single(tree, features: p)
                    let add = single.raw(h.x)
                    add.withUnsafeBufferPointer { a in
                        for i in 0..<h.x.rows { heldRaw[k * h.x.rows + i] += a[i] }
                    }
                }
                assembled.append(tree)
            }
            iterations = iteration
            var metrics: [String: Double] = [:]
            if record {
                let lt = c.loss.loss(raw: raw, y: yt, w: wt)
                trainingLoss.append(lt)
                metrics["loss"] = lt
                if let h = held {
                    let lv = c.loss.loss(raw: heldRaw, y: h.y, w: h.w)
                    validationLoss.append(lv)
                    metrics["validation_loss"] = lv
                }
            }
            context.observe(FitProgress(source: learner, unit: .iteration, step: iteration, total: c.maxIterations,
                                        metrics: metrics))
            if stopping, shouldStop(held != nil ? validationLoss : trainingLoss, n: c.nIterNoChange, tolerance: c.tolerance) {
                break
            }
        }
        assembled.fill(&ensemble)
        return BoostingResult(trees: ensemble, iterations: iterations,
                              trainingLoss: trainingLoss.map { $0.isFinite ? $0 : Double.greatestFiniteMagnitude },
                              validationLoss: validationLoss.map { $0.isFinite ? $0 : Double.greatestFiniteMagnitude })
    }
}

/// Concatenates grown trees into the flat arrays of ``BoostedTrees``.
struct EnsembleAssembler {
    var treeStarts: [Int] = [0]
    var features: [Int32] = [], left: [Int32] = [], right: [Int32] = [], categorySets: [Int32] = []
    var missingLeft: [Bool] = []
    var categoryBits: [UInt32] = []
    var thresholds: [Double] = [], values: [Double] = [], covers: [Double] = [], gains: [Double] = []

    mutating func append(_ t: GrownTree) {
        let setBase = Int32(categoryBits.count / 8)
        features += t.features; left += t.left; right += t.right; missingLeft += t.missingLeft
        categorySets += t.categorySets.map { $0 >= 0 ? $0 + setBase : -1 }
        categoryBits += t.categoryBits
        thresholds += t.thresholds; values += t.values; covers += t.covers; gains += t.gains
        treeStarts.append(features.count)
    }

    func fill(_ e: inout BoostedTrees) {
        e.treeStarts = treeStarts
        e.features = features; e.left = left; e.right = right; e.missingLeft = missingLeft
        e.categorySets = categorySets; e.categoryBits = categoryBits
        e.thresholds = Matrix(rows: 1, columns: thresholds.count, elements: thresholds)
        e.values = Matrix(rows: 1, columns: values.count, elements: values)
        e.covers = Matrix(rows: 1, columns: covers.count, elements: covers)
        e.gains = Matrix(rows: 1, columns: gains.count, elements: gains)
    }

    /// One tree as an ensemble of its own, baseline 0.
    static func single(_ t: GrownTree, features p: Int) -> BoostedTrees {
        var a = EnsembleAssembler()
        a.append(t)
        var e = BoostedTrees.empty
        e.featureCount = p
        a.fill(&e)
        return e
    }
}
