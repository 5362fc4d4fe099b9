import Foundation
import Sluice

/// Preparation and model fitting on the 1M-row churn table; peers: scikit-learn.
let pipelineWorkloads: [Workload] = [
    Workload(name: "pipeline.prep.churn_1m",
             summary: "median-impute + scale 6 numeric, one-hot 3 categorical, fit+transform; peer sklearn ColumnTransformer") {
        [try prepFigure(context: $0)]
    },
    Workload(name: "fit.logreg.churn_1m",
             summary: "logistic regression on the prepared churn table (first 80% of labelled rows); peer sklearn lbfgs") {
        [try logisticFigure(context: $0)]
    },
    Workload(name: "score.churn_1m",
             summary: "a fitted pipeline (prep + logistic regression) scores all 1M rows to a frame of key, prediction, "
                 + "probabilities; peer sklearn Pipeline.predict_proba into a pandas DataFrame") {
        [try scoreFigure(context: $0)]
    },
]

let churnNumeric = ["age", "tenure_months", "monthly_charges", "support_calls", "usage_gb", "late_payments"]
let churnCategorical = ["plan", "region", "contract"]

/// The preparation both workloads use (and the peers mirror).
let churnPreparation = ColumnTransformer(
    remainder: .drop,
    .init(.names(churnNumeric), SimpleImputer(strategy: .median), StandardScaler()),
    .init(.names(churnCategorical), OneHotEncoder())
)

private func prepFigure(context: BenchContext) throws -> Figure {
    let frame = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    var out = Frame()
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        var fit = FitContext(seed: 7)
        out = try churnPreparation.fit(frame, context: &fit).transform(frame)
    }
    blackHole(out)
    return Figure(workload: "pipeline.prep.churn_1m", seconds: seconds, rows: frame.rowCount, peakRSSMB: rss)
}

private func logisticFigure(context: BenchContext) throws -> Figure {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let labelled = try raw.filtered(by: (0..<raw.rowCount).map { !raw.columns[raw.schema.index(of: "churned")!].isNull($0) })
    let cut = labelled.rowCount * 8 / 10
    let train = labelled.slice(0..<cut), test = labelled.slice(cut..<labelled.rowCount)
    var fit = FitContext(seed: 7)
    let prep = try churnPreparation.fit(train, context: &fit)
    let features = try prep.transform(train), testFeatures = try prep.transform(test)
    let x = try features.matrix(columns: features.columnNames), xTest = try testFeatures.matrix(columns: testFeatures.columnNames)
    let y = try ClassLabels(column: train.column("churned"), name: "churned")
    let yTest = try ClassLabels(column: test.column("churned"), name: "churned")
    var model: LogisticRegression.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        model = try LogisticRegression(tolerance: 1e-6).fit(x, y, sampleWeights: nil)
    }
    let p = try model!.predictProbabilities(xTest)
    let auc = Metrics.rocAUC(yTest.codes, scores: (0..<xTest.rows).map { p[$0, 1] })
    return Figure(workload: "fit.logreg.churn_1m", seconds: seconds, rows: x.rows, peakRSSMB: rss,
                  extra: [("auc", auc), ("iterations", Double(model!.iterations))])
}

/// SMOTE on the first 160 000 labelled churn rows, 6 numeric columns median-imputed
/// (untimed); peer imbalanced-learn's SMOTE on the same rows.
let balanceWorkloads: [Workload] = [
    Workload(name: "balance.smote.churn_160k",
             summary: "SMOTE (k=5) on 160k labelled churn rows × 6 numeric columns; peer imbalanced-learn") {
        [try smoteFigure(context: $0)]
    },
]

private func smoteFigure(context: BenchContext) throws -> Figure {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let label = try raw.column("churned")
    let labelled = try raw.filtered(by: (0..<raw.rowCount).map { !label.isNull($0) })
    let rows = try labelled.slice(0..<160_000).selecting(churnNumeric + ["churned"])
    var fit = FitContext(seed: 7)
    let features = try SimpleImputer(strategy: .median).fit(rows.dropping(["churned"]), context: &fit)
        .transform(rows.dropping(["churned"]))
    let target = try rows.column("churned")
    var output = 0
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        var c = FitContext(seed: 7)
        output = try SMOTE().resample(features, target: target, context: &c).0.rowCount
    }
    return Figure(workload: "balance.smote.churn_160k", seconds: seconds, rows: features.rowCount, peakRSSMB: rss,
                  extra: [("rows_out", Double(output))])
}

private func scoreFigure(context: BenchContext) throws -> Figure {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let pipeline = Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression(tolerance: 1e-6)) {
        churnPreparation
    }
    let fitted = try pipeline.fit(raw.droppingNulls(in: ["churned"]), seed: 7)
    let rows = try raw.dropping(["churned"])
    var scores = Frame()
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { scores = try fitted.score(rows) }
    blackHole(scores)
    return Figure(workload: "score.churn_1m", seconds: seconds, rows: rows.rowCount, peakRSSMB: rss)
}
