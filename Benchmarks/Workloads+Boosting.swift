import Foundation
import Sluice

/// Histogram gradient boosting on the churn table, prepared as `fit.logreg.churn_1m` prepares
/// it (median-impute + scale the numeric columns, one-hot the categorical ones; first 80% of
/// labelled rows to train); peers: LightGBM (2 threads) and scikit-learn's HistGradientBoosting.
let boostingWorkloads: [Workload] = [
    Workload(name: "fit.hgb.churn_1m",
             summary: "histogram gradient boosting, 100 iterations, 31 leaves, lr 0.1, no early stopping, on 640k prepared "
                 + "churn rows; peers LightGBM (2 threads), sklearn HistGradientBoostingClassifier") {
        [try boostingFitFigure(context: $0)]
    },
    Workload(name: "predict.hgb.churn_1m",
             summary: "probabilities of the fitted boosting model (100 trees) for 200k prepared churn rows; peer LightGBM predict") {
        [try boostingPredictFigure(context: $0)]
    },
    Workload(name: "explain.treeshap.churn_200k",
             summary: "exact path-dependent TreeSHAP contributions of the fitted boosting model (100 trees, 31 leaves) for "
                 + "200k prepared churn rows; peer shap's TreeExplainer on LightGBM's model") {
        [try boostingExplainFigure(context: $0)]
    },
]

/// The prepared churn features: training rows and labels, and the last 200k labelled rows
/// (the 160k held-out rows are the last of them) with their labels.
private struct PreparedChurn {
    var x: Matrix<Double>
    var y: ClassLabels
    var predictX: Matrix<Double>
    var predictY: [Int]
    var heldOut: Int
}

private func preparedChurn(context: BenchContext) throws -> PreparedChurn {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let labelled = try raw.filtered(by: (0..<raw.rowCount).map { !raw.columns[raw.schema.index(of: "churned")!].isNull($0) })
    let cut = labelled.rowCount * 8 / 10
    let train = labelled.slice(0..<cut), tail = labelled.slice(max(0, labelled.rowCount - 200_000)..<labelled.rowCount)
    var fit = FitContext(seed: 7)
    let prep = try churnPreparation.fit(train, context: &fit)
    let features = try prep.transform(train), tailFeatures = try prep.transform(tail)
    return PreparedChurn(x: try features.matrix(columns: features.columnNames),
                         y: try ClassLabels(column: train.column("churned"), name: "churned"),
                         predictX: try tailFeatures.matrix(columns: tailFeatures.columnNames),
                         predictY: try ClassLabels(column: tail.column("churned"), name: "churned").codes,
                         heldOut: labelled.rowCount - cut)
}

private let churnBoosting = HistGradientBoostingClassifier(learningRate: 0.1, maxIterations: 100, maxLeafNodes: 31,
                                                           earlyStopping: .disabled)

private func fitBoosting(_ data: PreparedChurn) throws -> HistGradientBoostingClassifier.Model {
    var context = FitContext(seed: 7)
    return try churnBoosting.fit(TrainingSet(features: data.x, target: .classes(data.y)), context: &context)
}

/// ROC-AUC over the held-out rows (the last `heldOut` of the predicted rows).
private func heldOutAUC(_ p: Matrix<Double>, _ data: PreparedChurn) -> Double {
    let start = data.predictX.rows - data.heldOut
    return Metrics.rocAUC(Array(data.predictY[start...]), scores: (start..<p.rows).map { p[$0, 1] })
}

private func boostingFitFigure(context: BenchContext) throws -> Figure {
    let data = try preparedChurn(context: context)
    var model: HistGradientBoostingClassifier.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { model = try fitBoosting(data) }
    let auc = heldOutAUC(try model!.predictProbabilities(data.predictX), data)
    return Figure(workload: "fit.hgb.churn_1m", seconds: seconds, rows: data.x.rows, peakRSSMB: rss,
                  extra: [("auc", auc), ("trees", Double(model!.trees.treeCount))])
}

private func boostingPredictFigure(context: BenchContext) throws -> Figure {
    let data = try preparedChurn(context: context)
    let model = try fitBoosting(data)
    var p = Matrix<Double>(rows: 0, columns: 0)
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { p = try model.predictProbabilities(data.predictX) }
    return Figure(workload: "predict.hgb.churn_1m", seconds: seconds, rows: data.predictX.rows, peakRSSMB: rss,
                  extra: [("auc", heldOutAUC(p, data))])
}

/// Contributions of the 200k predicted rows; `max_sum_error` is the largest distance between
/// the expected value plus a row's contributions and its logit (the contract is 1e-9).
private func boostingExplainFigure(context: BenchContext) throws -> Figure {
    let data = try preparedChurn(context: context)
    let model = try fitBoosting(data)
    var phi = Matrix<Double>(rows: 0, columns: 0)
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { phi = try model.contributions(data.predictX) }
    let logits = try model.decisionFunction(data.predictX), base = model.expectedValues[0]
    var worst = 0.0
    for i in 0..<phi.rows {
        var total = base
        for j in 0..<phi.columns { total += phi[i, j] }
        worst = max(worst, abs(total - logits[i, 0]))
    }
    return Figure(workload: "explain.treeshap.churn_200k", seconds: seconds, rows: data.predictX.rows, peakRSSMB: rss,
                  extra: [("max_sum_error", worst)])
}
