import SluiceCompute
import SluicePipeline

/// The pieces every tree fit shares: hyperparameter checks, the splitter's data, growing.
enum TreeFit {
    /// The sorted or binned features a splitter needs, built once (and shared by a forest's trees).
    struct Prepared: @unchecked Sendable {
        var splitter: TreeSplitter
        var presorted: PresortedFeatures?
        var binned: BinnedFeatures?
        /// Per feature: its category count when it splits natively on category codes, else 0.
        var categoryCounts: [Int]

        /// Sorts (exact, random) or bins (histogram) `x`; binning draws its subsample from `rng`.
        /// `categorical` (feature index → category count, from ``TreeFit/categorical(_:enabled:learner:)``)
        /// marks the features split natively on their codes.
        init(_ x: Matrix<Float>, splitter: TreeSplitter, categorical: [Int: Int] = [:], rng: inout SeededGenerator) {
            self.splitter = splitter.resolved(rows: x.rows)
            var counts = [Int](repeating: 0, count: x.columns)
            for (j, k) in categorical where j >= 0 && j < x.columns { counts[j] = k }
            categoryCounts = counts
            switch self.splitter {
            case .histogram(let bins): binned = BinnedFeatures(x, maxBins: bins, categoryCounts: counts, rng: &rng)
            default: presorted = PresortedFeatures(x)
            }
        }
    }

    /// Grows one tree on the rows with positive `weights` (one per row of the prepared features).
    static func grow<S: TreeStatistics>(_ prepared: Prepared, stats: S, weights: UnsafePointer<Double>, maxFeatures: Int,
                                        limits: TreeLimits, rng: inout SeededGenerator) -> DecisionTree {
        let growth = GrowthLimits(limits)
        if let binned = prepared.binned {
            let engine = HistogramSplitter(binned: binned, weights: weights, stats: stats, maxFeatures: maxFeatures,
                                           minSamplesLeaf: limits.minSamplesLeaf)
            return TreeGrower(engine: engine, limits: growth, featureCount: binned.features).grow(rng: &rng)
                .pruned(alpha: limits.ccpAlpha)
        }
        let presorted = prepared.presorted!
        let random: Bool
        if case .random = prepared.splitter { random = true } else { random = false }
        let engine = ExactSplitter(presorted: presorted, weights: weights, stats: stats, maxFeatures: maxFeatures,
                                   minSamplesLeaf: limits.minSamplesLeaf, randomThresholds: random,
                                   categoryCounts: prepared.categoryCounts)
        return TreeGrower(engine: engine, limits: growth, featureCount: presorted.features).grow(rng: &rng)
            .pruned(alpha: limits.ccpAlpha)
    }

    /// The features of `data` split natively on their category codes (index → category count):
    /// none unless `enabled`. Refused, with a typed error, above 255 categories or for a code
    /// that is not an integer in `0…k-1` (or missing).
    static func categorical(_ data: TrainingSet<Float>, enabled: Bool, learner: String) throws -> [Int: Int] {
        guard enabled else { return [:] }
        let out = try CategoryBitset.features(of: data, learner: learner)
        let x = data.features, p = x.columns
        for c in data.categorical {
            let name = c.index < data.featureNames.count ? data.featureNames[c.index] : "x\(c.index)"
            let k = Float(c.categories.count)
            try x.withUnsafeBufferPointer { xs in
                for i in 0..<x.rows {
                    let v = xs[i * p + c.index]
                    guard v.isNaN || (v >= 0 && v < k && v == v.rounded(.down)) else {
                        throw EstimatorError.invalidHyperparameter(estimator: learner, name: "categorical",
                            reason: "feature \(name) row \(i) holds \(v), not a category code in 0…\(c.categories.count - 1)")
                    }
                }
            }
        }
        return out
    }

    /// Checks the shared hyperparameters.
    static func check(_ limits: TreeLimits, _ splitter: TreeSplitter, _ maxFeatures: MaxFeatures, estimator: String) throws {
        try limits.check(estimator: estimator)
        try splitter.check(estimator: estimator)
        try maxFeatures.check(estimator: estimator)
    }

    /// Class labels checked for a classifier: at least two classes present, class weights sized.
    static func classes(_ y: ClassLabels, _ classWeight: ClassWeight, estimator: String) throws {
        let present = y.classCounts.enumerated().filter { $0.element > 0 }
        guard present.count >= 2 else {
            throw EstimatorError.singleClass(estimator: estimator, className: present.first.map { y.classes[$0.offset] })
        }
        if case .custom(let w) = classWeight {
            guard w.count == y.classes.count, w.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw EstimatorError.invalidHyperparameter(estimator: estimator, name: "classWeight",
                    reason: "needs \(y.classes.count) finite non-negative weights, has \(w.count)")
            }
        }
    }

    /// Checks a matrix to predict on (NaN allowed: it follows each split's missing side).
    static func checkPredict(_ x: Matrix<Float>, featureCount: Int, kind: String) throws {
        try LearnerInput.predict(x, featureCount: featureCount, learner: kind, allowsMissing: true)
    }
}

extension DecisionTree {
    /// The leaf values of each row of `x`, `x.rows × outputCount`.
    func predictValues(_ x: Matrix<Float>) -> Matrix<Double> {
        var out = Matrix<Double>(rows: x.rows, columns: outputCount)
        accumulate(x, weight: 1, into: &out)
        return out
    }
}
