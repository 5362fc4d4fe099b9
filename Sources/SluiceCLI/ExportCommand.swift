import ArgumentParser
import Foundation
import SluiceCSV
import SluiceFrame
import SluicePostgres

/// `sluice export (--table NAME | --query SQL) --output FILE.csv`: a table or query into a
/// CSV file, streamed in batches (memory holds one batch) through an ``AtomicFile``: a
/// visibly named temporary file beside `FILE.csv` that replaces it only when every row is
/// written. A directory, device, FIFO or socket at `FILE.csv`, or an empty path, is refused
/// before the query runs, and left untouched.
///
/// The query runs in a read-only transaction: one that writes (`INSERT … RETURNING *`) fails
/// and changes nothing.
///
/// Exit statuses: 0; 64 bad options or an empty query; 65 an unknown table, a query that
/// does not parse or writes, or a type Sluice cannot read (use `--text-fallback`);
/// 69 database unreachable or connection lost; 73 the output cannot be created; 75 statement
/// or lock timeout; 77 a missing privilege; 78 wrong credentials or connection string.
public struct ExportCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a PostgreSQL table or query to a CSV file."
    )

    @Option(help: "The table to export (used exactly as written).")
    var table: String?

    @Option(help: "The table's schema (default: the search path).")
    var schema: String?

    @Option(help: "A query to export instead of a table.")
    var query: String?

    @Option(help: "The CSV file to write.")
    var output: String

    @Flag(help: "Export columns of types Sluice does not map (jsonb, interval, arrays, …) as their text.")
    var textFallback = false

    @Option(help: "Rows per batch.")
    var batchRows: Int = 100_000

    @OptionGroup var database: DatabaseOptions

    /// Creates the command; ArgumentParser fills in its arguments.
    public init() {}

    /// Exactly one of --table and --query.
    public func validate() throws {
        if (table == nil) == (query == nil) { throw ValidationError("give exactly one of --table and --query") }
        if batchRows < 1 { throw ValidationError("--batch-rows must be positive") }
        if let query, query.allSatisfy({ $0.isWhitespace || $0 == ";" }) {
            throw ValidationError("--query is empty: give a SELECT (export runs it in a read-only transaction)")
        }
    }

    /// Streams the rows into a temporary file next to the output, then renames it.
    public func run() async throws {
        do {
            try AtomicFile.checkTarget(output)
            let configuration = try await database.configuration()
            let options = PostgresReadOptions(textFallback: textFallback)
            let source = table.map { PostgresSource(configuration, table: TableName($0, schema: self.schema), options: options) }
                ?? PostgresSource(configuration, query: query ?? "", options: options)
            let columns = try await source.schema()
            let file = try AtomicFile(path: output)
            let writer = CSVWriter()
            var rows = 0
            try file.write(writer.encodeHeader(columns.names))
            for try await batch in try await source.batches(of: batchRows) {
                try file.write(writer.encode(batch, header: false))
                rows += batch.rowCount
            }
            try file.commit()
            printError("sluice export: \(rows) rows to \(output)")
        } catch {
            throw ExitCodes.report(error)
        }
    }
}
