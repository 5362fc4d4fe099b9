import Foundation
import Glibc
import SluiceCSV
import SluiceFrame
import SluicePostgres

/// A load refused before any row was written: a CSV value its target column cannot hold
/// unchanged, or an input with nothing to infer types from.
struct LoadRefusal: Error, ExitClassified, CustomStringConvertible {
    /// The first line: place and reason.
    var description: String
    var exitStatus: ExitStatus { .dataError }
}

extension LoadCommand {
    /// Reads the CSV, each column whose target exists as that column's type, and writes it in
    /// one transaction. Nothing is written when a value would change on the way, when a key of
    /// an upsert repeats, or when a header-only input leaves nothing to infer types from.
    func load(readOptions: CSVReadOptions) async throws {
        let target = TableName(table, schema: schema)
        let writeMode = WriteMode(rawValue: mode) ?? .create
        let sink = PostgresSink(try await database.configuration(), table: target, options: PostgresWriteOptions(keys: keys))
        let input = try CSVInput(path: file, options: readOptions)

        // The target's own types decide how the CSV's text is read: "1.50" for a text column
        // stays "1.50", "0.73" for an integer column is refused rather than rounded.
        let existing = writeMode == .create ? nil : try await sink.existingColumns()
        var names: [String] = []
        var forced: [String: PostgresColumn] = [:]
        if let existing {
            names = try input.columnNames()
            let byName = Dictionary(existing.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for name in names where readOptions.columnTypes[name] == nil {
                if let column = byName[name] { forced[name] = column }
            }
        }
        let result: CSVReadResult
        do {
            result = try input.read(columnTypes: forced.mapValues(\.readType))
        } catch let error as CSVError {
            if case let .invalidValue(text, type) = error.kind, let field = error.column, field >= 1, field <= names.count,
               let column = forced[names[field - 1]] {
                throw LoadRefusal(description: "\(error.file):\(error.line.map(String.init) ?? "?"):\(field): column '\(column.name)' is \(column.sqlType) in table \(target), but the CSV holds '\(text)' (\(Self.kind(of: text))), which is not a valid \(type): loading it would change the value, so nothing was written")
            }
            throw error
        }
        CSVReadOptionGroup.printWarnings(result)
        if !result.badRows.isEmpty { printError("sluice load: \(result.badRows.count) bad rows skipped (first: \(result.badRows[0].error))") }
        let frame = result.frame
        if frame.rowCount == 0, existing == nil, !frame.columnNames.allSatisfy({ readOptions.columnTypes[$0] != nil }) {
            throw LoadRefusal(description: "\(file): the CSV has a header but no rows, so there is nothing to infer column types from: give every column's type with --type NAME=TYPE (columns: \(frame.columnNames.joined(separator: ", "))), or create the table first and load with --mode append")
        }
        do {
            let written = try await sink.write(frame, mode: writeMode) { _ in }
            printError("sluice load: \(written) rows into \(target) (\(mode))")
        } catch var error as PostgresError {
            let rows = [error.row, error.firstRow].compactMap { $0 }
            if !rows.isEmpty {
                let lines = input.lines(ofRows: rows, skippedLines: Set(result.badRows.map(\.line)))
                if let row = error.row, let line = lines[row] {
                    error.line = line
                    error.message = error.message.replacingOccurrences(of: "row \(row + 1) holds", with: "line \(line) holds")
                }
                if let first = error.firstRow, let row = error.row, let firstLine = lines[first], let line = error.line {
                    error.firstLine = firstLine
                    error.message = error.message.replacingOccurrences(of: "in rows \(first + 1) and \(row + 1)",
                                                                       with: "on lines \(firstLine) and \(line)")
                }
            }
            if error.operation.hasPrefix("write") { error.operation = "\(file): " + error.operation }
            throw error
        }
    }

    /// What a CSV text reads as, for messages.
    static func kind(of text: String) -> String {
        if Int64(text) != nil { return "an integer" }
        if Double(text) != nil { return "a number with a fraction" }
        if text.contains(":") && text.contains("-") { return "a timestamp" }
        if text.lowercased() == "true" || text.lowercased() == "false" { return "a boolean" }
        return "text"
    }
}
