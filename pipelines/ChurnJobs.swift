import Foundation
import Sluice

/// The demo's nightly churn job: the `churn` table (generated on the first run, 200 000 rows
/// or `SLUICE_DEMO_ROWS`) holds labelled customers and the ones to score; each night trains on
/// the labelled rows (imputation, encoding, SMOTE, logistic regression), scores the others
/// and publishes their churn probabilities into `churn_predictions`.
enum ChurnJobs {
    static let demoRows = Int(ProcessInfo.processInfo.environment["SLUICE_DEMO_ROWS"] ?? "") ?? 200_000

    static func pipeline() -> Pipeline<LogisticRegression> {
        Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression()) {
            ColumnTransformer(
                remainder: .drop,
                .init(.numeric, SimpleImputer(strategy: .median, addIndicator: true), StandardScaler()),
                .init(.categorical, SimpleImputer(strategy: .mostFrequent), OneHotEncoder())
            )
            SMOTE()
        }
    }

    static let nightly = Job(
        "churn",
        training: .query("SELECT * FROM churn WHERE churned IS NOT NULL"),
        scoring: .query("SELECT * FROM churn WHERE churned IS NULL"),
        pipeline: pipeline(),
        predictions: PredictionTable("churn_predictions"),
        schedule: .daily(at: 2, 30),
        prepare: { env in try ensureChurnTable(env.database, rows: demoRows) })

    /// The same model on CSV files: labelled customers in `train.csv`, and one file of
    /// customers to score arriving per night in `drops/` (`drops/2026-12-01.csv`). The demo
    /// writes both when they are missing; `SLUICE_DROP_DIR` moves the folder.
    static let dropFolder = ProcessInfo.processInfo.environment["SLUICE_DROP_DIR"] ?? ".sluice/churn-drop"

    static let csvDrop = Job(
        "churn_drop",
        training: .csv(dropFolder + "/train.csv"),
        scoring: .csvDrop(folder: dropFolder + "/drops"),
        pipeline: pipeline(),
        predictions: PredictionTable("churn_drop_predictions"),
        schedule: .daily(at: 6, 0),
        cadence: .weekly(on: .sunday),
        prepare: { env in try ensureDropFiles(for: env.logicalDate, rows: max(1000, demoRows / 10)) })

    static func ensureChurnTable(_ database: PostgresConfiguration, rows: Int) throws {
        let connection = try PostgresConnection(database)
        defer { connection.close() }
        guard try connection.rows("SELECT to_regclass('churn') IS NULL").first?.first == "t" else { return }
        // The generator writes CSV (atomically) to a file of our own name; only that one
        // file is removed afterwards, never a folder.
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-demo-churn-\(getpid()).csv").path
        try ChurnGenerator(rows: rows).writeCSV(toPath: csv)
        defer { unlink(csv) }
        let frame = try CSVReader().read(path: csv)
        try connection.write(frame, to: "churn", mode: .create, options: PostgresWriteOptions(keys: ["customer_id"]))
    }

    static func ensureDropFiles(for date: LogicalDate, rows: Int) throws {
        let drops = dropFolder + "/drops"
        try FileManager.default.createDirectory(atPath: drops, withIntermediateDirectories: true)
        let train = dropFolder + "/train.csv"
        if !FileManager.default.fileExists(atPath: train) {
            try ChurnGenerator(rows: rows * 4, seed: 11, unlabeledFraction: 0).writeCSV(toPath: train)
        }
        let tonight = drops + "/\(date).csv"
        if !FileManager.default.fileExists(atPath: tonight) {
            try ChurnGenerator(rows: rows, seed: UInt64(bitPattern: Int64(date.days)), unlabeledFraction: 1).writeCSV(toPath: tonight)
        }
    }
}
