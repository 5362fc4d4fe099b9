import Foundation
import SluiceCSV
import SluiceFrame
import SluicePipeline
import SluicePostgres

/// The rows a saved model reads (to score them, or to evaluate it on them): a CSV file, a
/// PostgreSQL table or a query. The source's columns are checked against the model's
/// before a row is read, and every missing or mistyped column is named at once.
struct ModelInput {
    var input: String?
    var table: String?
    var query: String?
    var schema: String?

    /// Reads the source, checking `expected` (names and types) and that the `extra` columns
    /// exist. A CSV is read with the expected types, so a value that does not parse names
    /// its line and column.
    func read(expected: [Field], extra: [String], database: DatabaseOptions) async throws -> Frame {
        if let input {
            let csv = try CSVInput(path: input, options: CSVReadOptions())
            let header = Set(try csv.columnNames())
            for k in extra where !header.contains(k) { throw PipelineError.missingColumn(stage: "input", column: k) }
            let missing = expected.filter { !header.contains($0.name) }
            if !missing.isEmpty {
                throw PipelineError.inputSchema(missing.map { SchemaProblem(column: $0.name, expected: $0.type, found: nil) })
            }
            let result = try csv.read(columnTypes: Dictionary(expected.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a }))
            CSVReadOptionGroup.printWarnings(result)
            return result.frame
        }
        let configuration = try await database.configuration()
        let source = table.map { PostgresSource(configuration, table: TableName($0, schema: schema)) }
            ?? PostgresSource(configuration, query: query ?? "")
        let found = try await source.schema()
        for k in extra where found[k] == nil { throw PipelineError.missingColumn(stage: "input", column: k) }
        let problems = FittedPipeline.problems(expected, in: found)
        if !problems.isEmpty { throw PipelineError.inputSchema(problems) }
        return try await source.readAll()
    }
}
