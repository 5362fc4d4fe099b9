import SluiceCompute
import SluicePipeline

/// The pieces every tree fit shares: hyperparameter checks, the splitter's data, growing.
enum TreeFit {
    /// The sorted or binned features a splitter needs, built once (and shared by a forest's trees).
    struct Prepared: @unchecked Sendable {
        var splitter: TreeSplitter
        var presorted: PresortedFeatures?
        var binned: BinnedFeatures?

        /// Sorts (exact, random) or bins (histogram) `x`; binning draws its subsample from `rng`.
        init(_ x: Matrix<Float>, splitter: TreeSplitter, rng: inout SeededGenerator) {
            self.splitter = splitter.resolved(rows: x.rows)
            switch self.splitter {
            case .histogram(let bins): binned = BinnedFeatures(x, maxBins: bins, rng: &rng)
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
                                   minSamplesLeaf: limits.minSamplesLeaf, randomThresholds: random)
        return TreeGrower(engine: engine, limits: growth, featureCount: presorted.features).grow(rng: &rng)
            .pruned(alpha: limits.ccpAlpha)
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
