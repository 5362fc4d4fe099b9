// The churn example: a whole batch-ML flow in one small program.
//
//   swift run -c release churn-example [--data CSV] [--artifact FILE] [--rows N] [--seed S]
//
// Reads the churn table (generating it first if the file is missing), fits a pipeline
// (imputation, scaling, one-hot encoding, balanced logistic regression) on the labelled
// rows with `customer_id` as the key, evaluates it on a held-out fifth, saves the artifact,
// loads it back without naming the model's type and scores the unlabelled rows to a frame
// of customer_id, prediction and one probability per class. `sluice score FILE` scores
// with the same artifact from the command line.
import ArgumentParser
import Foundation
import Sluice

@main
struct ChurnExample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn-example",
        abstract: "Fit, evaluate, save and score a churn model on the synthetic churn table."
    )

    @Option(help: "The churn CSV (generated when missing).")
    var data = ".sluice/demo/churn.csv"

    @Option(help: "Where to save the fitted pipeline.")
    var artifact = ".sluice/demo/churn.sluice"

    @Option(help: "Where to write the HTML evaluation report (and its JSON beside it).")
    var report = ".sluice/demo/churn-report.html"

    @Option(help: "Rows to generate when the CSV is missing.")
    var rows = 200_000

    @Option(help: "The seed of the split and the fit.")
    var seed: UInt64 = 7

    func validate() throws {
        guard rows > 0 else { throw ValidationError("--rows must be positive") }
    }

    func run() throws {
        do { try fitEvaluateScore() } catch { throw ExitCodes.report(error) }
    }

    func fitEvaluateScore() throws {
        let csv = URL(fileURLWithPath: data), artifactURL = URL(fileURLWithPath: artifact)
        for folder in [csv, artifactURL, URL(fileURLWithPath: report)].map({ $0.deletingLastPathComponent() }) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        if !FileManager.default.fileExists(atPath: csv.path) {
            try ChurnGenerator(rows: rows).writeCSV(to: csv)
        }
        let table = try CSVReader().read(path: csv.path)
        print("read \(table.rowCount) rows × \(table.columnCount) columns from \(csv.path)")

        // Labelled rows train and evaluate; unlabelled rows are the ones to score.
        let labelled = try table.droppingNulls(in: ["churned"])
        let toScore = try table.rowsWithNulls(in: ["churned"]).dropping(["churned"])
        var rng = SeededGenerator(seed: seed)
        let labels = try ClassLabels(column: labelled.column("churned"), name: "churned")
        let split = try Splitter.trainTest(rows: labelled.rowCount, testFraction: 0.2, stratifyBy: labels, using: &rng)
        let train = try labelled.taking(rows: split.train), test = try labelled.taking(rows: split.test)

        let pipeline = Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression(classWeight: .balanced)) {
            ColumnTransformer(
                remainder: .drop,
                .init(.numeric, SimpleImputer(strategy: .median, addIndicator: true), StandardScaler()),
                .init(.categorical, SimpleImputer(strategy: .mostFrequent), OneHotEncoder())
            )
        }
        let started = Date()
        let fitted = try pipeline.fit(train, seed: seed)
        let model = try fitted.model(as: LogisticRegression.Model.self)
        print(String(format: "fitted in %.2f s on %d rows, %d features; Newton iterations: %d%@",
                     Date().timeIntervalSince(started), train.rowCount, fitted.featureNames.count,
                     model.iterations, model.converged ? "" : " (not converged)"))

        let predictions = try fitted.predict(test)
        let truth = try test.column("churned")
        let auc = try Scoring.rocAUC(positive: "1").score(predictions, truth: truth)
        let truthLabels = try ClassLabels(column: truth, name: "churned")
        print(ClassificationReport(truthLabels.codes, predictions.codes ?? [], classNames: predictions.classes ?? []))
        print(String(format: "ROC-AUC %.4f", auc))

        try Artifact.save(fitted, to: artifactURL, metrics: ["roc_auc": auc])
        let evaluation = try EvaluationReport(pipeline: fitted, data: test, source: "held-out fifth of the labelled rows",
                                              options: ReportOptions(seed: seed, artifactDigest: try Artifact.digest(at: artifactURL)))
        let reportURL = URL(fileURLWithPath: report)
        try evaluation.write(html: reportURL)
        try AtomicFile.write(Array(evaluation.json()), to: reportURL.deletingPathExtension().appendingPathExtension("json"))
        print("report: \(reportURL.path) (open it in a browser; no network needed)")
        let loaded = try Artifact.load(from: artifactURL, checking: toScore.schema)   // any model kind
        var report = TransformReport()
        let scores = try loaded.score(toScore, report: &report)
        let flagged = try scores.doubles("probability_1").filter { $0 >= 0.5 }.count
        print("saved \(artifactURL.path) (\(loaded.model.kind)); scored \(scores.rowCount) unlabelled rows: "
              + "\(flagged) flagged as likely to churn, \(report.totalUnknown) unknown categories")
        print(scores.head(5))
    }
}
