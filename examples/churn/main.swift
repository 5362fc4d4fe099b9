// The churn example: a whole batch-ML flow in one small program.
//
//   swift run -c release churn-example [CSV] [ARTIFACT]
//
// Reads the churn table (generating 200 000 rows first if CSV is missing), fits a
// pipeline (imputation, scaling, one-hot encoding, balanced logistic regression) on the
// labelled rows, evaluates it on a held-out fifth, saves the artifact, loads it back and
// scores the unlabelled rows.
import Foundation
import Sluice

let arguments = CommandLine.arguments
let csv = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : ".sluice/demo/churn.csv")
let artifact = URL(fileURLWithPath: arguments.count > 2 ? arguments[2] : ".sluice/demo/churn.sluice")

do {
    try FileManager.default.createDirectory(at: csv.deletingLastPathComponent(), withIntermediateDirectories: true)
    if !FileManager.default.fileExists(atPath: csv.path) {
        try ChurnGenerator(rows: 200_000).writeCSV(to: csv)
    }
    let table = try CSVReader().read(path: csv.path)
    print("read \(table.rowCount) rows × \(table.columnCount) columns from \(csv.path)")

    // Labelled rows train and evaluate; unlabelled rows are the ones to score.
    let label = try table.column("churned")
    let labelled = try table.filtered(by: (0..<table.rowCount).map { !label.isNull($0) })
    let toScore = try table.filtered(by: (0..<table.rowCount).map { label.isNull($0) })
    var rng = SeededGenerator(seed: 7)
    let labels = try ClassLabels(column: labelled.column("churned"), name: "churned")
    let split = try Splitter.trainTest(rows: labelled.rowCount, testFraction: 0.2, stratifyBy: labels, using: &rng)
    let train = try labelled.taking(rows: split.train), test = try labelled.taking(rows: split.test)

    let pipeline = Pipeline(target: "churned", estimator: LogisticRegression(classWeight: .balanced)) {
        ColumnTransformer(
            remainder: .drop,
            .init(.names("age", "tenure_months", "monthly_charges", "support_calls", "usage_gb", "late_payments"),
                  SimpleImputer(strategy: .median, addIndicator: true), StandardScaler()),
            .init(.names("plan", "region", "contract"), OneHotEncoder())
        )
    }
    let started = Date()
    let fitted = try pipeline.fit(train, seed: 7)
    print(String(format: "fitted in %.2f s on %d rows, %d features; Newton iterations: %d%@",
                 Date().timeIntervalSince(started), train.rowCount, fitted.featureNames.count,
                 fitted.model.iterations, fitted.model.converged ? "" : " (not converged)"))

    // Probabilities have one column per class, in the order of `truth.classes`.
    let truth = try ClassLabels(column: test.column("churned"), name: "churned")
    let probabilities = try fitted.model.predictProbabilities(fitted.features(test))
    let auc = Metrics.rocAUC(truth.codes, scores: (0..<test.rowCount).map { probabilities[$0, 1] })
    print(ClassificationReport(truth.codes, probabilities.rowArgmax(), classNames: truth.classes))
    print(String(format: "ROC-AUC %.4f", auc))

    try Artifact.save(fitted, to: artifact, metrics: ["auc": auc])
    let loaded = try Artifact.load(LogisticRegression.Model.self, from: artifact, checking: toScore.schema)
    var report = TransformReport()
    let scores = try loaded.model.predictProbabilities(loaded.features(toScore, report: &report))
    let positive = (0..<toScore.rowCount).filter { scores[$0, 1] >= 0.5 }.count
    print("saved \(artifact.path); scored \(toScore.rowCount) unlabelled rows: \(positive) flagged as likely to churn, "
          + "\(report.totalUnknown) unknown categories")
} catch {
    FileHandle.standardError.write(Data("churn-example: \(error)\n".utf8))
    exit(1)
}
