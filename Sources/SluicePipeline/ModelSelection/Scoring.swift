import SluiceCompute
import SluiceFrame

/// How a fitted pipeline's predictions on held-out rows are scored: **greater is better**
/// (errors and losses are negated, as scikit-learn's `neg_…` scorers).
///
/// The named scorers wrap ``Metrics``; ``init(name:_:)`` takes any closure of the
/// predictions and the true target column.
public struct Scoring: Sendable, CustomStringConvertible {
    /// The scorer's name, for reports.
    public var name: String
    let body: @Sendable (_ predictions: Predictions, _ truth: Column) throws -> Double

    /// A scorer from a closure of the predictions and the true target; greater must be better.
    public init(name: String, _ body: @escaping @Sendable (_ predictions: Predictions, _ truth: Column) throws -> Double) {
        self.name = name
        self.body = body
    }

    /// The score of `predictions` against `truth`.
    public func score(_ predictions: Predictions, truth: Column) throws -> Double {
        try body(predictions, truth)
    }

    public var description: String { name }

    /// The fraction of rows classified right.
    public static let accuracy = Scoring(name: "accuracy") { p, truth in
        let (y, yhat, _) = try classes(p, truth)
        return Metrics.accuracy(y, yhat)
    }

    /// The mean of per-class recall.
    public static let balancedAccuracy = Scoring(name: "balanced accuracy") { p, truth in
        let (y, yhat, k) = try classes(p, truth)
        return Metrics.balancedAccuracy(y, yhat, classCount: k)
    }

    /// Binary ROC-AUC with `positive` the positive class (as the class is named: `"1"`,
    /// `"yes"`, `"true"`). Needs class probabilities and a binary target.
    public static func rocAUC(positive: String) -> Scoring {
        Scoring(name: "ROC-AUC") { p, truth in
            let (y, _, _) = try classes(p, truth)
            let k = try positiveIndex(p, positive)
            let prob = try probabilities(p)
            return Metrics.rocAUC(y.map { $0 == k ? 1 : 0 }, scores: (0..<prob.rows).map { prob[$0, k] })
        }
    }

    /// ROC-AUC one-vs-rest, macro-averaged over the classes (also for two classes).
    public static let rocAUCOneVsRest = Scoring(name: "ROC-AUC (one-vs-rest)") { p, truth in
        let (y, _, _) = try classes(p, truth)
        let prob = try probabilities(p)
        if prob.columns == 2 { return Metrics.rocAUC(y, scores: (0..<prob.rows).map { prob[$0, 1] }) }
        return Metrics.rocAUCOneVsRest(y, probabilities: (0..<prob.rows).map { prob.row($0) })
    }

    /// F1 of the class named `positive` of a binary problem.
    public static func f1(positive: String) -> Scoring {
        Scoring(name: "F1") { p, truth in
            let (y, yhat, k) = try classes(p, truth)
            guard (p.classes?.count ?? 0) == 2 else {
                throw PipelineError.invalidConfiguration(stage: "scoring",
                    reason: "F1 of the positive class needs a binary target; use f1Macro")
            }
            return Metrics.f1(y, yhat, classCount: k, average: .binary(positive: try positiveIndex(p, positive)))
        }
    }

    /// The index of the class named `positive` among the predictions' classes.
    static func positiveIndex(_ p: Predictions, _ positive: String) throws -> Int {
        guard let names = p.classes, let k = names.firstIndex(of: positive) else {
            throw PipelineError.invalidConfiguration(stage: "scoring",
                reason: "positive class '\(positive)' is not one of the classes \(p.classes ?? [])")
        }
        guard names.count == 2 else {
            throw PipelineError.invalidConfiguration(stage: "scoring",
                reason: "a positive class needs a binary target; use rocAUCOneVsRest or f1Macro for \(names.count) classes")
        }
        return k
    }

    /// The unweighted mean of per-class F1.
    public static let f1Macro = Scoring(name: "F1 (macro)") { p, truth in
        let (y, yhat, k) = try classes(p, truth)
        return Metrics.f1(y, yhat, classCount: k, average: .macro)
    }

    /// Minus the log loss of the class probabilities.
    public static let negativeLogLoss = Scoring(name: "negative log loss") { p, truth in
        let (y, _, k) = try classes(p, truth)
        let prob = try probabilities(p)
        guard k == prob.columns else {
            throw PipelineError.invalidValue(stage: "scoring", column: "target",
                reason: "a held-out class was never seen in training; log loss is undefined")
        }
        return -Metrics.logLoss(y, probabilities: (0..<prob.rows).map { prob.row($0) })
    }

    /// The coefficient of determination, R².
    public static let r2 = Scoring(name: "R²") { p, truth in
        let (y, yhat) = try numbers(p, truth)
        return Metrics.r2(y, yhat)
    }

    /// Minus the mean squared error.
    public static let negativeMeanSquaredError = Scoring(name: "negative MSE") { p, truth in
        let (y, yhat) = try numbers(p, truth)
        return -Metrics.meanSquaredError(y, yhat)
    }

    /// Minus the mean absolute error.
    public static let negativeMeanAbsoluteError = Scoring(name: "negative MAE") { p, truth in
        let (y, yhat) = try numbers(p, truth)
        return -Metrics.meanAbsoluteError(y, yhat)
    }

    /// True and predicted class codes over the model's classes; a true class the model never
    /// saw gets the extra code `classes.count` (so it counts as misclassified), and `k` is the
    /// number of codes in use.
    static func classes(_ p: Predictions, _ truth: Column) throws -> (truth: [Int], predicted: [Int], k: Int) {
        guard let names = p.classes else {
            throw PipelineError.invalidConfiguration(stage: "scoring", reason: "a classification score needs a classifier's predictions")
        }
        guard truth.count == p.values.count else {
            throw PipelineError.invalidValue(stage: "scoring", column: "target",
                reason: "\(truth.count) true values for \(p.values.count) predictions")
        }
        let labels = try ClassLabels(column: truth, name: "target")
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let unseen = names.count
        let map = labels.classes.map { index[$0] ?? unseen }
        let y = labels.codes.map { map[$0] }
        guard let yhat = p.codes ?? p.probabilities?.rowArgmax() else {
            throw PipelineError.invalidConfiguration(stage: "scoring", reason: "class predictions carry no class codes")
        }
        return (y, yhat, names.count + (y.contains(unseen) ? 1 : 0))
    }

    static func probabilities(_ p: Predictions) throws -> Matrix<Double> {
        guard let prob = p.probabilities else {
            throw PipelineError.invalidConfiguration(stage: "scoring", reason: "this score needs class probabilities")
        }
        return prob
    }

    static func numbers(_ p: Predictions, _ truth: Column) throws -> ([Double], [Double]) {
        guard truth.type.isNumeric, p.values.type.isNumeric else {
            throw PipelineError.invalidConfiguration(stage: "scoring", reason: "a regression score needs numeric targets and predictions")
        }
        guard truth.count == p.values.count else {
            throw PipelineError.invalidValue(stage: "scoring", column: "target",
                reason: "\(truth.count) true values for \(p.values.count) predictions")
        }
        return (ColumnValues.doubles(truth), ColumnValues.doubles(p.values))
    }
}
