/// The receiver operating characteristic of a binary problem, as scikit-learn's `roc_curve`
/// with `drop_intermediate=False`: one point per distinct score from the highest down, after
/// a first point `(0, 0)` at threshold `+∞`.
public struct ROCCurve: Sendable, Equatable, Codable {
    public var falsePositiveRate: [Double]
    public var truePositiveRate: [Double]
    /// The score at or above which a row counts as positive, decreasing.
    public var thresholds: [Double]
}

/// Precision and recall by threshold, as scikit-learn's `precision_recall_curve`: thresholds
/// increasing, and a last point `(precision 1, recall 0)` without a threshold.
public struct PrecisionRecallCurve: Sendable, Equatable, Codable {
    public var precision: [Double]
    public var recall: [Double]
    /// Increasing; one fewer than the points.
    public var thresholds: [Double]
}

/// A reliability diagram: per bin of predicted probability, the mean prediction and the
/// observed fraction of positives, as scikit-learn's `calibration_curve`. Empty bins are
/// dropped from `meanPredicted`, `fractionPositive` and `counts`.
public struct CalibrationCurve: Sendable, Equatable, Codable {
    /// How the bins are cut.
    public enum Strategy: String, Sendable, Codable {
        /// Equal widths over [0, 1].
        case uniform
        /// Equal counts: edges at quantiles of the predictions.
        case quantile
    }
    public var meanPredicted: [Double]
    public var fractionPositive: [Double]
    /// Rows in each (non-empty) bin.
    public var counts: [Int]
    /// The bin edges, from 0 (or the lowest prediction) to 1 (or the highest).
    public var edges: [Double]
}

/// The counts of a binary confusion matrix.
public struct BinaryConfusion: Sendable, Equatable, Codable {
    public var truePositives: Double
    public var falsePositives: Double
    public var trueNegatives: Double
    public var falseNegatives: Double

    public init(truePositives: Double, falsePositives: Double, trueNegatives: Double, falseNegatives: Double) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
    }

    /// TP / (TP + FP), 0 when nothing is predicted positive (scikit-learn's `zero_division=0`).
    public var precision: Double { truePositives + falsePositives > 0 ? truePositives / (truePositives + falsePositives) : 0 }
    /// TP / (TP + FN), 0 without positives.
    public var recall: Double { truePositives + falseNegatives > 0 ? truePositives / (truePositives + falseNegatives) : 0 }
    /// The harmonic mean of precision and recall, 0 when both are.
    public var f1: Double {
        let denominator = 2 * truePositives + falsePositives + falseNegatives
        return denominator > 0 ? 2 * truePositives / denominator : 0
    }
}

/// One row of a lift table: the top `fraction` of rows by score.
public struct LiftRow: Sendable, Equatable, Codable {
    /// The share of all rows taken, `(0, 1]`.
    public var fraction: Double
    /// Rows in this slice alone (not cumulative).
    public var rows: Int
    /// Positives in this slice alone.
    public var positives: Double
    /// The slice's positive rate over the overall rate.
    public var lift: Double
    /// The share of all positives found in the top `fraction` (the gain chart's y).
    public var cumulativeGain: Double
}

extension Metrics {
    /// The ROC curve of `scores` for the class `positive`.
    public static func rocCurve(_ yTrue: [Int], scores: [Double], positive: Int = 1,
                                sampleWeights: [Double]? = nil) -> ROCCurve {
        let (tps, fps, thresholds) = cumulativeCounts(yTrue, scores, positive: positive, sampleWeights)
        let p = tps.last ?? 0, n = fps.last ?? 0
        return ROCCurve(falsePositiveRate: [0] + fps.map { n > 0 ? $0 / n : .nan },
                        truePositiveRate: [0] + tps.map { p > 0 ? $0 / p : .nan },
                        thresholds: [.infinity] + thresholds)
    }

    /// Precision and recall at every distinct score of `scores` for the class `positive`.
    public static func precisionRecallCurve(_ yTrue: [Int], scores: [Double], positive: Int = 1,
                                            sampleWeights: [Double]? = nil) -> PrecisionRecallCurve {
        let (tps, fps, thresholds) = cumulativeCounts(yTrue, scores, positive: positive, sampleWeights)
        let p = tps.last ?? 0
        let precision = zip(tps, fps).map { tp, fp in tp + fp > 0 ? tp / (tp + fp) : 0 }
        let recall = tps.map { p > 0 ? $0 / p : .nan }
        return PrecisionRecallCurve(precision: precision.reversed() + [1], recall: recall.reversed() + [0],
                                    thresholds: thresholds.reversed())
    }

    /// The reliability diagram of probabilities `probability` of the positive class
    /// (`yTrue` 1 for positive, else 0) over `bins` bins. A prediction on an interior edge
    /// falls in the lower bin, as NumPy's `searchsorted` puts it.
    public static func calibrationCurve(_ yTrue: [Int], probability: [Double], bins: Int = 10,
                                        strategy: CalibrationCurve.Strategy = .uniform) -> CalibrationCurve {
        precondition(yTrue.count == probability.count, "\(yTrue.count) labels, \(probability.count) probabilities")
        precondition(bins > 0, "bins must be positive")
        var edges: [Double]
        switch strategy {
        case .uniform:
            edges = (0...bins).map { Double($0) / Double(bins) }
        case .quantile:
            let sorted = probability.sorted()
            edges = (0...bins).map { sorted.isEmpty ? Double($0) / Double(bins) : linearQuantile(sorted, Double($0) / Double(bins)) }
        }
        let interior = Array(edges.dropFirst().dropLast())
        var sums = [Double](repeating: 0, count: bins), trues = sums, counts = [Int](repeating: 0, count: bins)
        for (y, p) in zip(yTrue, probability) {
            // searchsorted(interior, p, side: left): the first edge ≥ p.
            var lo = 0, hi = interior.count
            while lo < hi { let mid = (lo + hi) / 2; if interior[mid] < p { lo = mid + 1 } else { hi = mid } }
            sums[lo] += p
            trues[lo] += y == 1 ? 1 : 0
            counts[lo] += 1
        }
        let kept = counts.indices.filter { counts[$0] > 0 }
        return CalibrationCurve(meanPredicted: kept.map { sums[$0] / Double(counts[$0]) },
                                fractionPositive: kept.map { trues[$0] / Double(counts[$0]) },
                                counts: kept.map { counts[$0] }, edges: edges)
    }

    /// NumPy's default (`linear`) quantile of sorted values.
    static func linearQuantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    /// The confusion counts when a row is predicted positive at `score ≥ threshold`, for each
    /// of `thresholds` (any order): one sort, then a binary search per threshold.
    public static func confusionByThreshold(_ yTrue: [Int], scores: [Double], positive: Int = 1,
                                            thresholds: [Double], sampleWeights: [Double]? = nil) -> [BinaryConfusion] {
        let (tps, fps, distinct) = cumulativeCounts(yTrue, scores, positive: positive, sampleWeights)
        let p = tps.last ?? 0, n = fps.last ?? 0
        return thresholds.map { t in
            // `distinct` decreases: count the distinct scores ≥ t.
            var lo = 0, hi = distinct.count
            while lo < hi { let mid = (lo + hi) / 2; if distinct[mid] >= t { lo = mid + 1 } else { hi = mid } }
            let tp = lo > 0 ? tps[lo - 1] : 0, fp = lo > 0 ? fps[lo - 1] : 0
            return BinaryConfusion(truePositives: tp, falsePositives: fp, trueNegatives: n - fp, falseNegatives: p - tp)
        }
    }

    /// The lift table of `scores` in `slices` equal slices of rows, highest scores first
    /// (ties broken by row order, so slices hold `⌈n·k/slices⌉ − ⌈n·(k−1)/slices⌉` rows).
    /// Deciles (`slices: 10`) are what a churn team targets.
    public static func liftTable(_ yTrue: [Int], scores: [Double], positive: Int = 1, slices: Int = 10) -> [LiftRow] {
        precondition(yTrue.count == scores.count, "\(yTrue.count) labels, \(scores.count) scores")
        precondition(slices > 0, "slices must be positive")
        let n = yTrue.count
        guard n > 0 else { return [] }
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let total = Double(yTrue.reduce(0) { $0 + ($1 == positive ? 1 : 0) })
        let rate = total / Double(n)
        var rows: [LiftRow] = [], start = 0, found = 0.0
        for k in 1...slices {
            let end = (n * k + slices - 1) / slices
            let slice = order[start..<end]
            let positives = Double(slice.reduce(0) { $0 + (yTrue[$1] == positive ? 1 : 0) })
            found += positives
            let sliceRate = slice.isEmpty ? 0 : positives / Double(slice.count)
            rows.append(LiftRow(fraction: Double(k) / Double(slices), rows: slice.count, positives: positives,
                                lift: rate > 0 ? sliceRate / rate : .nan, cumulativeGain: total > 0 ? found / total : .nan))
            start = end
        }
        return rows
    }
}
