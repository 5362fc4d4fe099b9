import Foundation
import Sluice

/// The nightly job end to end on the 1M-row churn table in PostgreSQL, through `JobRunner`
/// exactly as `sluice run` does it; peer: the equivalent pandas + scikit-learn + psycopg
/// script (`Benchmarks/peers/peers.py`, section e2e).
let jobWorkloads: [Workload] = [
    Workload(name: "e2e.nightly.churn_1m",
             summary: "read 1M rows, fit imputation + scaling + one-hot + logistic regression on the ~800k labelled, score the ~200k others, COPY into staging, publish; peer pandas + sklearn + psycopg") {
        try await nightlyFigure(context: $0, scoreOnly: false).map { [$0] } ?? []
    },
    Workload(name: "e2e.score.churn_1m",
             summary: "score-only night: the deployed model scores all 1M rows in batches, staged and published; peer pandas + sklearn + psycopg scoring path") {
        try await nightlyFigure(context: $0, scoreOnly: true).map { [$0] } ?? []
    },
]

private func benchJob(scoreOnly: Bool) -> Job {
    // The one-hot columns leave the frame as CSR (the same model as dense ones, Newton on
    // both parts as they are), so the night never holds the 0/1 doubles.
    let pipeline = Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression()) {
        ColumnTransformer(
            remainder: .drop,
            .init(.numeric, SimpleImputer(strategy: .median), StandardScaler()),
            .init(.categorical, SimpleImputer(strategy: .mostFrequent), OneHotEncoder(sparse: true))
        )
    }
    return Job(scoreOnly ? "bench_e2e_score" : "bench_e2e_nightly",
               training: .query("SELECT * FROM bench_churn_1m WHERE churned IS NOT NULL"),
               scoring: .query(scoreOnly ? "SELECT * FROM bench_churn_1m" : "SELECT * FROM bench_churn_1m WHERE churned IS NULL"),
               pipeline: pipeline, predictions: PredictionTable(scoreOnly ? "bench_e2e_score_preds" : "bench_e2e_nightly_preds"),
               deployment: .always, holdoutFraction: 0, retry: RetryPolicy(maxAttempts: 1),
               drift: DriftPolicy(threshold: 0.25, action: .warn), seed: 1)
}

/// Set in the child process that trains the score-only night's model.
private let trainOnlyVariable = "SLUICE_BENCH_E2E_TRAIN_ONLY"

struct JobsBenchError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// Runs this executable again with the same arguments and `trainOnlyVariable` set, and waits.
private func trainInChildProcess() throws {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = Array(CommandLine.arguments.dropFirst())
    child.environment = ProcessInfo.processInfo.environment.merging([trainOnlyVariable: "1"]) { _, new in new }
    child.standardOutput = FileHandle.nullDevice
    try child.run()
    child.waitUntilExit()
    guard child.terminationStatus == 0 else {
        throw JobsBenchError(reason: "the training child process exited with status \(child.terminationStatus)")
    }
}

/// The figure, or `nil` in the training child process.
private func nightlyFigure(context: BenchContext, scoreOnly: Bool) async throws -> Figure? {
    let configuration = try await benchConfiguration(context)
    let connection = try PostgresConnection(configuration)
    _ = try ensureChurnTable(connection, context: context)
    connection.close()
    let job = benchJob(scoreOnly: scoreOnly)
    let runner = JobRunner(job: job, database: configuration)
    let date = LogicalDate("2026-12-01")!
    if scoreOnly {
        // The model the score-only night scores with is trained in a child process, so this
        // process's peak RSS is the scoring run's alone.
        if ProcessInfo.processInfo.environment[trainOnlyVariable] == "1" {
            _ = try await runner.run(RunRequest(logicalDate: date, mode: .train))
            return nil
        }
        try trainInChildProcess()
    }
    Measure.resetPeakRSS()
    var best = Double.infinity, last: RunResult?
    for _ in 0..<max(1, context.repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        last = try await runner.run(RunRequest(logicalDate: date, mode: scoreOnly ? .score : .both))
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let rss = Measure.peakRSSMB()
    return Figure(workload: scoreOnly ? "e2e.score.churn_1m" : "e2e.nightly.churn_1m", seconds: best,
                  rows: last?.counts.read ?? 0, peakRSSMB: rss,
                  extra: [("rows_written", Double(last?.counts.written ?? 0))] + phaseSeconds(last))
}

/// The seconds of each phase of `result` (`seconds.fit` …), in name order.
private func phaseSeconds(_ result: RunResult?) -> [(String, Double)] {
    (result?.metrics ?? [:]).filter { $0.key.hasPrefix("seconds.") }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
}
