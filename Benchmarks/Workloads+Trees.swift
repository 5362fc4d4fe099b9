import Foundation
import Sluice

/// Decision trees and forests on the prepared churn table (the first 80% of labelled rows,
/// prepared as `fit.logreg.churn_1m`); peers scikit-learn's DecisionTreeClassifier and
/// RandomForestClassifier(n_jobs=2).
let treeWorkloads: [Workload] = [
    Workload(name: "fit.tree.churn_1m", summary: "decision tree, depth 12, exact splitter, 640k prepared churn rows; "
                 + "peer sklearn DecisionTreeClassifier") {
        [try treeFigure(context: $0, name: "fit.tree.churn_1m", DecisionTreeClassifier(splitter: .exact, maxDepth: 12))]
    },
    Workload(name: "fit.tree_hist.churn_1m", summary: "decision tree, depth 12, histogram splitter (255 bins); "
                 + "peer sklearn DecisionTreeClassifier") {
        [try treeFigure(context: $0, name: "fit.tree_hist.churn_1m",
                        DecisionTreeClassifier(splitter: .histogram(maxBins: 255), maxDepth: 12))]
    },
    Workload(name: "fit.forest.churn_1m", summary: "random forest, 100 trees, depth 12, √p features, bootstrap, the "
                 + "default splitter (histogram above 100k rows); peer sklearn RandomForestClassifier(n_jobs=2)") {
        [try treeFigure(context: $0, name: "fit.forest.churn_1m", RandomForestClassifier(treeCount: 100, maxDepth: 12))]
    },
    Workload(name: "fit.forest_exact.churn_1m", summary: "random forest, 100 trees, depth 12, exact splitter; "
                 + "peer sklearn RandomForestClassifier(n_jobs=2)") {
        [try treeFigure(context: $0, name: "fit.forest_exact.churn_1m",
                        RandomForestClassifier(treeCount: 100, splitter: .exact, maxDepth: 12))]
    },
]

private func treeFigure<L: Learner>(context: BenchContext, name: String, _ learner: L) throws -> Figure
    where L.Scalar == Float, L.Model: ClassificationModel {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let labelled = try raw.filtered(by: (0..<raw.rowCount).map { !raw.columns[raw.schema.index(of: "churned")!].isNull($0) })
    let cut = labelled.rowCount * 8 / 10
    let train = labelled.slice(0..<cut), test = labelled.slice(cut..<labelled.rowCount)
    var fit = FitContext(seed: 7)
    let prep = try churnPreparation.fit(train, context: &fit)
    let features = try prep.transform(train), testFeatures = try prep.transform(test)
    let x = try features.matrix(columns: features.columnNames, as: Float.self)
    let xTest = try testFeatures.matrix(columns: testFeatures.columnNames, as: Float.self)
    let y = try ClassLabels(column: train.column("churned"), name: "churned")
    let yTest = try ClassLabels(column: test.column("churned"), name: "churned")
    var model: L.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        var c = FitContext(seed: 7)
        model = try learner.fit(TrainingSet(features: x, featureNames: features.columnNames, target: .classes(y)), context: &c)
    }
    let p = try model!.predictProbabilities(xTest)
    let auc = Metrics.rocAUC(yTest.codes, scores: (0..<xTest.rows).map { p[$0, 1] })
    return Figure(workload: name, seconds: seconds, rows: x.rows, peakRSSMB: rss, extra: [("auc", auc)])
}
