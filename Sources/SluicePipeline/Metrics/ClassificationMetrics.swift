import Foundation

/// How per-class scores are combined into one number, as scikit-learn's `average`.
public enum Averaging: Sendable, Equatable, Codable {
    /// The score of one class (the positive class of a binary problem).
    case binary(positive: Int)
    /// The unweighted mean over classes.
    case macro
    /// The mean over classes weighted by each class's true count (support).
    case weighted
    /// Global counts of true positives, false positives and false negatives.
    case micro
}

/// Evaluation metrics with scikit-learn's definitions. Classes are integer codes
/// (`0..<classCount`, as ``ClassLabels`` holds them); sample weights are optional.
/// A ratio whose denominator is zero is 0, as scikit-learn's `zero_division=0`.
public enum Metrics {
    /// The (weighted) fraction of rows predicted right.
    public static func accuracy(_ yTrue: [Int], _ yPred: [Int], sampleWeights: [Double]? = nil) -> Double {
        precondition(yTrue.count == yPred.count, "accuracy: \(yTrue.count) labels, \(yPred.count) predictions")
        var right = 0.0, total = 0.0
        for i in yTrue.indices {
            let w = sampleWeights?[i] ?? 1
            total += w
            if yTrue[i] == yPred[i] { right += w }
        }
        return total > 0 ? right / total : 0
    }

    /// The confusion matrix: `matrix[true][predicted]` counts (weighted if asked).
    public static func confusionMatrix(_ yTrue: [Int], _ yPred: [Int], classCount: Int,
                                       sampleWeights: [Double]? = nil) -> [[Double]] {
        precondition(yTrue.count == yPred.count, "confusionMatrix: \(yTrue.count) labels, \(yPred.count) predictions")
        var m = [[Double]](repeating: [Double](repeating: 0, count: classCount), count: classCount)
        for i in yTrue.indices { m[yTrue[i]][yPred[i]] += sampleWeights?[i] ?? 1 }
        return m
    }

    /// The mean of per-class recall over the classes present in `yTrue`.
    public static func balancedAccuracy(_ yTrue: [Int], _ yPred: [Int], classCount: Int,
                                        sampleWeights: [Double]? = nil) -> Double {
        let m = confusionMatrix(yTrue, yPred, classCount: classCount, sampleWeights: sampleWeights)
        let recalls = (0..<classCount).compactMap { k -> Double? in
            let support = m[k].reduce(0, +)
            return support > 0 ? m[k][k] / support : nil
        }
        return recalls.isEmpty ? 0 : recalls.reduce(0, +) / Double(recalls.count)
    }

    /// Precision, recall, F-score and support per class, from the confusion matrix.
    public struct ClassScores: Sendable, Equatable, Codable {
        public var precision: [Double]
        public var recall: [Double]
        public var f1: [Double]
        public var support: [Double]
    }

    /// Per-class precision, recall, F1 and support.
    public static func classScores(_ yTrue: [Int], _ yPred: [Int], classCount: Int,
                                   sampleWeights: [Double]? = nil) -> ClassScores {
        let m = confusionMatrix(yTrue, yPred, classCount: classCount, sampleWeights: sampleWeights)
        var s = ClassScores(precision: [], recall: [], f1: [], support: [])
        for k in 0..<classCount {
            let tp = m[k][k], predicted = (0..<classCount).reduce(0) { $0 + m[$1][k] }, actual = m[k].reduce(0, +)
            let p = ratio(tp, predicted), r = ratio(tp, actual)
            s.precision.append(p)
            s.recall.append(r)
            s.f1.append(ratio(2 * tp, predicted + actual))
            s.support.append(actual)
        }
        return s
    }

    /// Precision, `tp / (tp + fp)`, averaged as asked.
    public static func precision(_ yTrue: [Int], _ yPred: [Int], classCount: Int, average: Averaging,
                                 sampleWeights: [Double]? = nil) -> Double {
        averaged(\.precision, yTrue, yPred, classCount, average, sampleWeights) { tp, fp, _ in ratio(tp, tp + fp) }
    }

    /// Recall, `tp / (tp + fn)`, averaged as asked.
    public static func recall(_ yTrue: [Int], _ yPred: [Int], classCount: Int, average: Averaging,
                              sampleWeights: [Double]? = nil) -> Double {
        averaged(\.recall, yTrue, yPred, classCount, average, sampleWeights) { tp, _, fn in ratio(tp, tp + fn) }
    }

    /// F1, the harmonic mean of precision and recall, averaged as asked.
    public static func f1(_ yTrue: [Int], _ yPred: [Int], classCount: Int, average: Averaging,
                          sampleWeights: [Double]? = nil) -> Double {
        averaged(\.f1, yTrue, yPred, classCount, average, sampleWeights) { tp, fp, fn in ratio(2 * tp, 2 * tp + fp + fn) }
    }

    private static func averaged(_ score: KeyPath<ClassScores, [Double]>, _ yTrue: [Int], _ yPred: [Int],
                                 _ classCount: Int, _ average: Averaging, _ weights: [Double]?,
                                 micro: (Double, Double, Double) -> Double) -> Double {
        let s = classScores(yTrue, yPred, classCount: classCount, sampleWeights: weights)
        let values = s[keyPath: score]
        switch average {
        case .binary(let positive): return values[positive]
        case .macro: return values.reduce(0, +) / Double(max(classCount, 1))
        case .weighted:
            let total = s.support.reduce(0, +)
            return total > 0 ? zip(values, s.support).reduce(0) { $0 + $1.0 * $1.1 } / total : 0
        case .micro:
            let m = confusionMatrix(yTrue, yPred, classCount: classCount, sampleWeights: weights)
            let tp = (0..<classCount).reduce(0) { $0 + m[$1][$1] }
            let all = m.joined().reduce(0, +)
            return micro(tp, all - tp, all - tp)
        }
    }

    static func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }

    /// The mean negative log-likelihood of the true classes under `probabilities`
    /// (`n × classes`), each clipped to `[ε, 1 - ε]` with ε the machine epsilon.
    public static func logLoss(_ yTrue: [Int], probabilities: [[Double]], sampleWeights: [Double]? = nil) -> Double {
        precondition(yTrue.count == probabilities.count, "logLoss: \(yTrue.count) labels, \(probabilities.count) rows")
        let eps = Double.ulpOfOne
        var total = 0.0, weight = 0.0
        for i in yTrue.indices {
            let w = sampleWeights?[i] ?? 1
            let p = min(max(probabilities[i][yTrue[i]], eps), 1 - eps)
            total -= w * log(p)
            weight += w
        }
        return weight > 0 ? total / weight : 0
    }

    /// The Brier score of a binary problem: the mean of `(p - y)²`, `p` the probability of
    /// class 1.
    public static func brierScore(_ yTrue: [Int], probabilityOfPositive p: [Double],
                                  sampleWeights: [Double]? = nil) -> Double {
        precondition(yTrue.count == p.count, "brierScore: \(yTrue.count) labels, \(p.count) scores")
        var total = 0.0, weight = 0.0
        for i in yTrue.indices {
            let w = sampleWeights?[i] ?? 1, d = p[i] - Double(yTrue[i])
            total += w * d * d
            weight += w
        }
        return weight > 0 ? total / weight : 0
    }
}
