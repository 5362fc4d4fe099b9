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

/// The CSV input of `sluice load`, read so that the target table's column types can be
/// applied before the values are parsed, and so that a frame row can be named by its line.
///
/// A regular file is read by the CSV reader itself (mapped, in parallel); only its header
/// record is read first, to know the column names. Standard input (`-`, `/dev/stdin`) and
/// other non-regular files can be read only once: they are held in memory.
struct LoadInput {
    let path: String
    let options: CSVReadOptions
    /// The whole input, for inputs that can be read only once.
    private(set) var buffered: [UInt8]?

    init(path: String, options: CSVReadOptions) throws {
        self.path = path
        self.options = options
        var st = stat()
        let regular = path != "-" && stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        if !regular {
            if path == "-" {
                buffered = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw CSVError(.fileNotFound, file: path)
                }
                defer { try? handle.close() }
                buffered = Array((try? handle.readToEnd()) ?? Data())
            }
        }
    }

    /// The column names of the header (or `column_1`, … without one), from the first record.
    func columnNames() throws -> [String] {
        let head = try firstRecord()
        var headerOptions = options
        headerOptions.columnTypes = [:]
        headerOptions.badRows = .fail
        let frame = try CSVReader(headerOptions).read(bytes: head + [0x0A], name: path)
        return frame.columnNames
    }

    /// Reads the whole input with `columnTypes` added to the options.
    func read(columnTypes: [String: ColumnType]) throws -> CSVReadResult {
        var options = self.options
        options.columnTypes.merge(columnTypes) { given, _ in given }
        let reader = CSVReader(options)
        if let buffered { return try reader.readResult(bytes: buffered, name: path) }
        return try reader.readResult(path: path)
    }

    /// The bytes of the first record (up to its line end outside quotes).
    private func firstRecord() throws -> [UInt8] {
        if let buffered { return Self.firstRecord(in: buffered) ?? buffered }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CSVError(.fileNotFound, file: path) }
        defer { try? handle.close() }
        var bytes: [UInt8] = []
        while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            bytes += chunk
            if let record = Self.firstRecord(in: bytes) { return record }
        }
        return bytes
    }

    private static func firstRecord(in bytes: [UInt8], quote: UInt8 = UInt8(ascii: "\"")) -> [UInt8]? {
        var quoted = false
        for (i, b) in bytes.enumerated() {
            if b == quote { quoted.toggle() } else if !quoted && (b == 0x0A || b == 0x0D) {
                if i == 0 { continue }
                return Array(bytes[..<i])
            }
        }
        return nil
    }

    /// The 1-based physical line where each of `rows` (0-based data rows of the frame) starts,
    /// counting records as the reader does (any mix of CR and LF ends one, blank lines are no
    /// record, line ends inside quotes do not end one), past the header and the skipped rows.
    func lines(ofRows rows: [Int], skippedLines: Set<Int>) -> [Int: Int] {
        let bytes: [UInt8]
        if let buffered { bytes = buffered } else {
            guard let data = FileManager.default.contents(atPath: path) else { return [:] }
            bytes = Array(data)
        }
        let wanted = Set(rows)
        var found: [Int: Int] = [:]
        var line = 1, headerPending = options.hasHeader, next = 0
        var quoted = false, inRecord = false
        var i = 0
        while i < bytes.count, found.count < wanted.count {
            let b = bytes[i]
            let isEnd = b == 0x0A || b == 0x0D
            if !inRecord && !isEnd {
                // A record starts on this line.
                inRecord = true
                if headerPending {
                    headerPending = false
                } else if !skippedLines.contains(line) {
                    if wanted.contains(next) { found[next] = line }
                    next += 1
                }
            }
            if b == options.quote { quoted.toggle() }
            if isEnd {
                if b == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                line += 1
                if !quoted { inRecord = false }
            }
            i += 1
        }
        return found
    }
}

extension LoadCommand {
    /// Reads the CSV, each column whose target exists as that column's type, and writes it in
    /// one transaction. Nothing is written when a value would change on the way, when a key of
    /// an upsert repeats, or when a header-only input leaves nothing to infer types from.
    func load(readOptions: CSVReadOptions) async throws {
        let target = TableName(table, schema: schema)
        let writeMode = WriteMode(rawValue: mode) ?? .create
        let sink = PostgresSink(try await database.configuration(), table: target, options: PostgresWriteOptions(keys: keys))
        let input = try LoadInput(path: file, options: readOptions)

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
