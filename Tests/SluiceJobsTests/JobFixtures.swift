import Foundation
import Glibc
import SluiceFrame
import SluiceJobs
import SluiceLearn
import SluicePipeline
import SluicePostgres
import SluicePostgresTestSupport
import SluiceCompute
import SluiceTestSupport

/// The jobs tests' database: one per process, on the shared throwaway server.
enum JobsDatabase {
    private static let created: Task<String, any Error> = Task { try await TestServer.freshDatabase("jobs") }
    static func url() async throws -> String { try await created.value }
    static func configuration() async throws -> PostgresConfiguration { PostgresConfiguration(try await url()) }
    static func connect() async throws -> PostgresConnection { try PostgresConnection(try await configuration()) }

    static func scalar(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> String? {
        let c = try await connect()
        defer { c.close() }
        return try c.rows(sql, parameters).first?.first ?? nil
    }
}

/// A small labelled table: `id`, two numbers, a plan, and `y` (0/1, null for rows to score).
func customers(rows n: Int, seed: UInt64, labelled: Bool, idOffset: Int64 = 0, shift: Double = 0) throws -> Frame {
    var rng = SeededGenerator(seed: seed)
    var x1 = [Double?](), x2 = [Double?](), plan = [String?](), y = [Int64?]()
    for _ in 0..<n {
        let a = rng.normal() + shift, b = rng.normal()
        x1.append(rng.nextDouble() < 0.05 ? nil : a)
        x2.append(b)
        let p = ["basic", "plus", "pro"][rng.nextInt(below: 3)]
        plan.append(p)
        let z = 1.5 * a - b + (p == "pro" ? 0.8 : 0)
        y.append(labelled ? (rng.nextDouble() < 1 / (1 + exp(-z)) ? 1 : 0) : nil)
    }
    return try Frame(named: [
        ("id", .int64((0..<n).map { Int64($0) + idOffset })), ("x1", .double(x1)), ("x2", .double(x2)),
        ("plan", .string(plan)), ("y", .int64(y)),
    ])
}

/// Writes the labelled `train` table and the `score` table of a test; returns their names.
func customerTables(_ prefix: String, train: Int = 600, score: Int = 200, shift: Double = 0) async throws -> (TableName, TableName) {
    let c = try await JobsDatabase.connect()
    defer { c.close() }
    let suffix = UInt32.random(in: 0...UInt32.max)
    let t = TableName("\(prefix)_train_\(suffix)"), s = TableName("\(prefix)_score_\(suffix)")
    try c.write(try customers(rows: train, seed: 1, labelled: true), to: t, mode: .create, options: PostgresWriteOptions(keys: ["id"]))
    try c.write(try customers(rows: score, seed: 2, labelled: false, idOffset: 100_000, shift: shift), to: s, mode: .create,
                options: PostgresWriteOptions(keys: ["id"]))
    return (t, s)
}

func customerPipeline() -> Pipeline<LogisticRegression> {
    Pipeline(target: "y", keys: ["id"], estimator: LogisticRegression()) {
        ColumnTransformer(
            remainder: .drop,
            .init(.numeric, SimpleImputer(strategy: .median), StandardScaler()),
            .init(.categorical, OneHotEncoder())
        )
    }
}

/// A job over two tables of its own.
func customerJob(_ name: String, train: TableName, score: TableName, drift: DriftPolicy = DriftPolicy(),
                 rejects: RejectPolicy = RejectPolicy(), deployment: DeploymentPolicy = .whenImproved,
                 schedule: Schedule? = nil, batchRows: Int = 100_000) -> Job {
    Job(name, training: .table(train), scoring: .table(score), pipeline: customerPipeline(),
        predictions: PredictionTable(TableName("\(name)_preds")), schedule: schedule, deployment: deployment,
        retry: RetryPolicy(maxAttempts: 1), rejects: rejects, drift: drift, seed: 3, batchRows: batchRows)
}

func uniqueJob(_ prefix: String) -> String { "\(prefix)_\(UInt32.random(in: 0...UInt32.max))" }

func runner(_ job: Job, faults: (@Sendable (RunPhase, PostgresConnection) throws -> Void)? = nil) async throws -> JobRunner {
    JobRunner(job: job, database: try await JobsDatabase.configuration(), faults: faults)
}

let night = LogicalDate("2026-12-01")!

/// A `sluice` process running in the background, its stderr going to a file the test polls.
final class SluiceProcess {
    let process = Process()
    let stderrURL: URL
    let stdoutURL: URL

    init(_ arguments: [String], environment: [String: String], in directory: URL) throws {
        stderrURL = directory.appendingPathComponent("stderr-\(UInt32.random(in: 0...UInt32.max)).txt")
        stdoutURL = directory.appendingPathComponent("stdout-\(UInt32.random(in: 0...UInt32.max)).txt")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        process.executableURL = try sluiceBinary()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        process.currentDirectoryURL = directory
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

    /// Waits until stderr contains `marker` (or the process ends, or `timeout` passes).
    func waitFor(_ marker: String, timeout: Double = 120) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderr.contains(marker) { return true }
            if !process.isRunning { return stderr.contains(marker) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits for the exit and returns the status (-signal when killed).
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }
}
