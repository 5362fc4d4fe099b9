import Foundation
import SluiceCSV
import SluiceFrame
import SluicePostgres

/// A source row set aside: it could not be read, or its values cannot be published.
public struct Reject: Sendable, Equatable {
    /// Which source (`training`, `scoring`) and where (`file.csv`, `table t`).
    public var source: String
    /// The 1-based CSV line, when the source is a file.
    public var line: Int?
    /// The row's key, when it has one.
    public var key: String?
    /// The column at fault, when one is.
    public var column: String?
    public var reason: String

    public init(source: String, line: Int? = nil, key: String? = nil, column: String? = nil, reason: String) {
        self.source = source
        self.line = line
        self.key = key
        self.column = column
        self.reason = reason
    }
}

/// Rows read from a source, with the rows it could not read.
struct SourceRows {
    var frame: Frame
    var rejects: [Reject]
}

extension JobSource {
    /// The PostgreSQL source for `date`, or `nil` for a CSV source. A query's `$1` is bound
    /// to the logical date.
    func postgres(_ configuration: PostgresConfiguration, date: LogicalDate) -> PostgresSource? {
        switch self {
        case .table(let t): return PostgresSource(configuration, table: t)
        case .query(let sql):
            return PostgresSource(configuration, query: sql, parameters: sql.contains("$1") ? [.date(date.days)] : [])
        case .csv, .csvDrop: return nil
        }
    }

    /// The PostgreSQL source of `shard`'s rows for `date` (identifiers quoted by
    /// `connection`), or `nil` for a CSV source.
    func postgres(_ configuration: PostgresConfiguration, date: LogicalDate, shard: JobShard, keys: [String],
                  connection: PostgresConnection) throws -> PostgresSource? {
        let sql: String
        switch self {
        case .table(let t):
            let name = try connection.quote(t.name)
            sql = "SELECT * FROM " + (try t.schema.map { try connection.quote($0) + "." + name } ?? name)
        case .query(let q): sql = q
        case .csv, .csvDrop: return nil
        }
        let restricted = try shard.restricting(sql, keys: keys) { try connection.quote($0) }
        return PostgresSource(configuration, query: restricted, parameters: sql.contains("$1") ? [.date(date.days)] : [])
    }

    /// The CSV input for `date`, refusing a missing file with exit 66.
    func csvInput(date: LogicalDate, job: String) throws -> CSVInput? {
        guard let path = csvPath(for: date) else { return nil }
        guard path == "-" || FileManager.default.fileExists(atPath: path) else { throw JobError.missingSource(job: job, path: path) }
        return try CSVInput(path: path, options: csvOptions ?? CSVReadOptions())
    }

    /// The column names (CSV: the header) and, for PostgreSQL, their types, with no row read.
    func schema(_ configuration: PostgresConfiguration, date: LogicalDate, job: String) async throws -> (names: [String], schema: Schema?) {
        if let source = postgres(configuration, date: date) {
            let schema = try await source.schema()
            return (schema.names, schema)
        }
        guard let csv = try csvInput(date: date, job: job) else { return ([], nil) }
        return (try csv.columnNames(), nil)
    }

    /// Every row (CSV: read with `columnTypes`; unreadable rows come back as rejects when the
    /// source's options skip bad rows).
    func readAll(_ configuration: PostgresConfiguration, date: LogicalDate, job: String, role: String,
                 columnTypes: [String: ColumnType] = [:]) async throws -> SourceRows {
        if let source = postgres(configuration, date: date) {
            return SourceRows(frame: try await source.readAll(), rejects: [])
        }
        guard let csv = try csvInput(date: date, job: job) else { return SourceRows(frame: Frame(), rejects: []) }
        let result = try csv.read(columnTypes: columnTypes)
        let rejects = result.badRows.map { bad in
            Reject(source: "\(role) \(csv.path)", line: bad.line, column: bad.error.column.map { "field \($0)" },
                   reason: bad.error.reason)
        }
        return SourceRows(frame: result.frame, rejects: rejects)
    }
}
