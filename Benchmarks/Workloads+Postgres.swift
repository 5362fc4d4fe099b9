import Foundation
import Sluice

/// Reading and writing PostgreSQL with binary COPY on the 1M-row churn table; peers:
/// psycopg binary COPY, polars.read_database (psycopg and connectorx), pandas.read_sql, and
/// `psql \copy … (FORMAT binary)`, the server's own limit (also timed here, in the same run).
let postgresWorkloads: [Workload] = [
    Workload(name: "pg.read.churn_1m",
             summary: "COPY BINARY of the 1M-row churn table into a Frame; peers psycopg COPY, polars, connectorx, pandas.read_sql, psql \\copy") {
        [try await readFigure(context: $0)]
    },
    Workload(name: "pg.write.append_1m",
             summary: "append 1M prediction rows with COPY BINARY in one transaction; peers psycopg binary COPY, psql \\copy") {
        [try await writeFigure(context: $0, upsert: false)]
    },
    Workload(name: "pg.write.upsert_1m",
             summary: "upsert 1M prediction rows over the same keys (staging COPY + INSERT ON CONFLICT); peer psycopg COPY + INSERT ON CONFLICT") {
        [try await writeFigure(context: $0, upsert: true)]
    },
]

/// The database: `--database-url`, else DATABASE_URL / PG* / the project's throwaway cluster.
func benchConfiguration(_ context: BenchContext) async throws -> PostgresConfiguration {
    if let url = context.databaseURL { return PostgresConfiguration(url) }
    return PostgresConfiguration(try await DatabaseTarget.resolve())
}

/// `bench_churn_1m`, loaded from the churn CSV on first use (the peers load the same table
/// with the same column types when they run first).
func ensureChurnTable(_ connection: PostgresConnection, context: BenchContext) throws -> TableName {
    let table = TableName("bench_churn_1m")
    let present = try connection.rows("SELECT to_regclass('bench_churn_1m') IS NOT NULL").first?.first == "t"
    if present, try connection.read(query: "SELECT count(*) AS n FROM bench_churn_1m").int64s("n").first == 1_000_000 {
        return table
    }
    if present { try connection.execute("DROP TABLE bench_churn_1m") }
    let frame = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    try connection.write(frame, to: table, mode: .create)
    try connection.execute("VACUUM ANALYZE bench_churn_1m")
    return table
}

/// Seconds `psql -c "\copy … TO '/dev/null' (FORMAT binary)"` takes, best of `repeats`.
private func psqlCopySeconds(url: String, repeats: Int) -> Double? {
    var best = Double.infinity
    for _ in 0..<max(1, repeats) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-X", "-q", "-c", "\\copy bench_churn_1m TO '/dev/null' (FORMAT binary)"]
        let start = DispatchTime.now().uptimeNanoseconds
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

private func readFigure(context: BenchContext) async throws -> Figure {
    let configuration = try await benchConfiguration(context)
    let connection = try PostgresConnection(configuration)
    let table = try ensureChurnTable(connection, context: context)
    _ = try connection.read(table)  // warm the cache as the peers do
    var frame = Frame()
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { frame = try connection.read(table) }
    blackHole(frame)
    var extra: [(String, Double)] = []
    if let psql = psqlCopySeconds(url: configuration.connectionString, repeats: context.repeats) {
        extra = [("psql_copy_seconds", psql), ("ratio_vs_psql", seconds / psql)]
    }
    return Figure(workload: "pg.read.churn_1m", seconds: seconds, rows: frame.rowCount, peakRSSMB: rss, extra: extra)
}

/// 1M prediction rows: customer_id, churn_probability, predicted, model_version, run_id, scored_at.
func predictionFrame(rows: Int, shift: Double = 0) throws -> Frame {
    var rng = SeededGenerator(seed: 11)
    let p = (0..<rows).map { _ in min(1, Double(rng.next() >> 11) / Double(1 << 53) + shift) }
    return try Frame([
        "customer_id": .int64((1...rows).map { Int64($0) }),
        "churn_probability": .double(p),
        "predicted": .bool(p.map { $0 >= 0.5 }),
        "model_version": .string(Array(repeating: "churn-logreg-2026.11.21", count: rows)),
        "run_id": .string(Array(repeating: "run-0001", count: rows)),
        "scored_at": .timestamp(Array(repeating: 1_763_683_200_000_000, count: rows)),
    ])
}

let predictionDDL = """
    (customer_id bigint PRIMARY KEY, churn_probability double precision, predicted boolean,
     model_version text, run_id text, scored_at timestamptz)
    """

/// Append: 1M rows into an empty table with a primary key. Upsert: 1M rows whose keys are
/// new into a table holding the previous night's 1M rows (staging COPY + INSERT … ON
/// CONFLICT); the extra `all_updates_seconds` is the rerun case, where all 1M keys exist and
/// every row is updated (bounded by the server's non-HOT updates, the same for every client).
private func writeFigure(context: BenchContext, upsert: Bool) async throws -> Figure {
    let configuration = try await benchConfiguration(context)
    let connection = try PostgresConnection(configuration)
    let rows = 1_000_000
    let name = upsert ? "bench_predictions_upsert" : "bench_predictions_append"
    let table = TableName(name)
    let options = PostgresWriteOptions(keys: ["customer_id"])
    try connection.execute("DROP TABLE IF EXISTS \(name)")
    try connection.execute("CREATE TABLE \(name) \(predictionDDL)")
    let frame = try predictionFrame(rows: rows, shift: 0.01)
    let (seconds, rss) = try Measure.best(repeats: context.repeats, prepare: {
        _ = try? connection.execute("TRUNCATE \(name)")
        if upsert {
            _ = try? connection.execute(previousNight(name, keys: 1_000_001...2_000_000))
            _ = try? connection.execute("VACUUM ANALYZE \(name)")   // last night's rows are settled
        }
        _ = try? connection.execute("CHECKPOINT")
    }) {
        let written = try connection.write(frame, to: table, mode: upsert ? .upsert : .append, options: options)
        precondition(written == rows, "wrote \(written) rows")
    }
    var extra: [(String, Double)] = []
    if upsert {
        try connection.execute("TRUNCATE \(name)")
        try connection.execute(previousNight(name, keys: 1...1_000_000))
        try connection.execute("VACUUM ANALYZE \(name)")
        try connection.execute("CHECKPOINT")
        let (updates, _) = try Measure.best(repeats: 1) { try connection.write(frame, to: table, mode: .upsert, options: options) }
        extra.append(("all_updates_seconds", updates))
    }
    try connection.execute("DROP TABLE \(name)")
    return Figure(workload: upsert ? "pg.write.upsert_1m" : "pg.write.append_1m", seconds: seconds, rows: rows,
                  peakRSSMB: rss, extra: extra)
}

/// SQL filling `table` with a previous night's predictions for `keys`.
func previousNight(_ table: String, keys: ClosedRange<Int>) -> String {
    """
    INSERT INTO \(table) SELECT g, 0.5, false, 'churn-logreg-2026.11.20', 'run-0000', '2026-11-20T00:00:00Z'
    FROM generate_series(\(keys.lowerBound), \(keys.upperBound)) g
    """
}
