extension Metrics {
    /// Points of a binary ranking curve: at each distinct score (`thresholds`, from the
    /// highest down), the cumulative (weighted) true and false positives of the rows scored
    /// at least that high.
    static func cumulativeCounts(_ yTrue: [Int], _ scores: [Double], positive: Int,
                                 _ weights: [Double]?) -> (tps: [Double], fps: [Double], thresholds: [Double]) {
        precondition(yTrue.count == scores.count, "\(yTrue.count) labels, \(scores.count) scores")
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var tps = [Double](), fps = [Double](), thresholds = [Double](), tp = 0.0, fp = 0.0
        for (rank, i) in order.enumerated() {
            let w = weights?[i] ?? 1
            if yTrue[i] == positive { tp += w } else { fp += w }
            let last = rank == order.count - 1
            if last || scores[order[rank + 1]] != scores[i] {
                tps.append(tp)
                fps.append(fp)
                thresholds.append(scores[i])
            }
        }
        return (tps, fps, thresholds)
    }

    /// The area under the ROC curve of a binary problem (trapezoids between distinct
    /// thresholds, so ties count half), as scikit-learn's `roc_auc_score`. `NaN` when one
    /// class is absent.
    public static func rocAUC(_ yTrue: [Int], scores: [Double], positive: Int = 1,
                              sampleWeights: [Double]? = nil) -> Double {
        let (tps, fps, _) = cumulativeCounts(yTrue, scores, positive: positive, sampleWeights)
        guard let p = tps.last, let n = fps.last, p > 0, n > 0 else { return .nan }
        var area = 0.0, prevTP = 0.0, prevFP = 0.0
        for (tp, fp) in zip(tps, fps) {
            area += (fp - prevFP) * (tp + prevTP) / 2
            (prevTP, prevFP) = (tp, fp)
        }
        return area / (p * n)
    }

    /// One-vs-rest ROC-AUC of a multi-class problem from `probabilities` (`n × classes`):
    /// the unweighted (macro) or support-weighted mean of each class's AUC against the rest.
    public static func rocAUCOneVsRest(_ yTrue: [Int], probabilities: [[Double]], weighted: Bool = false) -> Double {
        let k = probabilities.first?.count ?? 0
        var total = 0.0, weight = 0.0
        for c in 0..<k {
            let binary = yTrue.map { $0 == c ? 1 : 0 }
            let auc = rocAUC(binary, scores: probabilities.map { $0[c] })
            let w = weighted ? Double(binary.reduce(0, +)) : 1
            total += w * auc
            weight += w
        }
        return weight > 0 ? total / weight : .nan
    }

    /// Average precision: `Σ (Rₙ - Rₙ₋₁) · Pₙ` over distinct thresholds from the highest
    /// score down, as scikit-learn's `average_precision_score`.
    public static func averagePrecision(_ yTrue: [Int], scores: [Double], positive: Int = 1,
                                        sampleWeights: [Double]? = nil) -> Double {
        let (tps, fps, _) = cumulativeCounts(yTrue, scores, positive: positive, sampleWeights)
        guard let p = tps.last, p > 0 else { return 0 }
        var ap = 0.0, prevRecall = 0.0
        for (tp, fp) in zip(tps, fps) {
            let recall = tp / p, precision = tp + fp > 0 ? tp / (tp + fp) : 0
            ap += (recall - prevRecall) * precision
            prevRecall = recall
        }
        return ap
    }
}
