import ArgumentParser
import Foundation
import SluiceCSV
import SluiceFrame

/// `sluice inspect FILE.csv`: the inferred schema (name, type, nulls, distinct strings,
/// min / max of numbers and dates) and the first rows; `--json` prints the same as JSON.
/// `FILE` `-` is standard input.
///
/// In the JSON, non-finite doubles (`inf`, `-inf`, `NaN`, and numbers too large for a
/// double such as `1e400`, read as infinity) are the strings `"inf"`, `"-inf"` and `"nan"`,
/// in `head` and in a column's `min` / `max`, so the output is always valid JSON; finite
/// doubles are JSON numbers. NaN is skipped by `min` / `max`.
///
/// Exit statuses: 0, 64 for bad options, 65 for a parse error (`FILE:LINE:COL: reason` on
/// stderr), 66 for a missing file.
public struct InspectCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a CSV file's inferred schema and first rows."
    )

    @Argument(help: "The CSV file.")
    var file: String

    @OptionGroup var csv: CSVReadOptionGroup

    @Option(parsing: .unconditional, help: "How many rows to print.")
    var rows: Int = 10

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Flag(help: "Print how long reading the file took, on stderr.")
    var timing = false

    public init() {}

    public func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows must not be negative, got \(rows)") }
    }

    public func run() async throws {
        let result: CSVReadResult
        let clock = ContinuousClock()
        let started = clock.now
        do {
            result = try CSVReader(csv.readOptions()).readResult(path: file)
        } catch {
            throw ExitCodes.report(error)
        }
        CSVReadOptionGroup.printWarnings(result)
        if timing {
            let d = clock.now - started
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            ExitCodes.printError("read \(file) in \((seconds * 1000).rounded() / 1000) s")
        }
        let report = InspectReport(file: file, result: result, rows: rows)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(report)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.text(result.frame, rows: rows))
        }
    }
}

/// What `sluice inspect` reports, as JSON or text.
struct InspectReport: Encodable {
    struct ColumnInfo: Encodable {
        var name: String
        var type: String
        var nullable: Bool
        var nulls: Int
        var distinct: Int?
        var min: JSONCell?
        var max: JSONCell?
    }
    struct BadRow: Encodable {
        var line: Int
        var column: Int
        var reason: String
    }

    var file: String
    var rowCount: Int
    var columns: [ColumnInfo]
    var head: [[String: JSONCell]]
    var badRows: [BadRow]

    init(file: String, result: CSVReadResult, rows: Int) {
        let frame = result.frame
        self.file = file
        rowCount = frame.rowCount
        columns = zip(frame.schema.fields, frame.columns).map { field, column in
            let (lo, hi) = Self.range(column)
            var distinct: Int?
            if case let .string(s) = column.data {
                var used = [Bool](repeating: false, count: s.dictionary.count)
                for c in s.codes where c >= 0 { used[Int(c)] = true }
                distinct = Set(s.dictionary.indices.filter { used[$0] }.map { s.dictionary[$0] }).count
            }
            return ColumnInfo(name: field.name, type: field.type.rawValue, nullable: field.nullable,
                              nulls: column.nullCount, distinct: distinct, min: lo, max: hi)
        }
        head = (0..<min(rows, frame.rowCount)).map { i in
            Dictionary(uniqueKeysWithValues: zip(frame.columnNames, frame.columns.map { JSONCell($0[i]) }))
        }
        badRows = result.badRows.map { BadRow(line: $0.error.line ?? 0, column: $0.error.column ?? 0, reason: $0.error.reason) }
    }

    /// The smallest and largest value of a numeric, date or timestamp column (NaN skipped).
    static func range(_ c: Column) -> (JSONCell?, JSONCell?) {
        func scan<T: Comparable>(_ a: [T], skip: (T) -> Bool = { _ in false }) -> (T, T)? {
            var lo: T?, hi: T?
            for i in a.indices where c.validity.isValid(i) && !skip(a[i]) {
                if lo.map({ a[i] < $0 }) ?? true { lo = a[i] }
                if hi.map({ a[i] > $0 }) ?? true { hi = a[i] }
            }
            guard let lo, let hi else { return nil }
            return (lo, hi)
        }
        switch c.data {
        case let .double(a): return scan(a, skip: \.isNaN).map { (JSONCell(.double($0.0)), JSONCell(.double($0.1))) } ?? (nil, nil)
        case let .int64(a): return scan(a).map { (.integer($0.0), .integer($0.1)) } ?? (nil, nil)
        case let .date(a): return scan(a).map { (.string(CalendarDate.format(days: $0.0)), .string(CalendarDate.format(days: $0.1))) } ?? (nil, nil)
        case let .timestamp(a):
            return scan(a).map { (.string(CalendarDate.format(microseconds: $0.0)), .string(CalendarDate.format(microseconds: $0.1))) } ?? (nil, nil)
        default: return (nil, nil)
        }
    }

    func text(_ frame: Frame, rows: Int) -> String {
        var lines = ["\(file): \(rowCount) rows × \(columns.count) columns", ""]
        let header = ["column", "type", "nulls", "distinct", "min", "max"]
        let body = columns.map { c in
            [c.name, c.type + (c.nullable ? "?" : ""), String(c.nulls), c.distinct.map(String.init) ?? "",
             c.min?.text ?? "", c.max?.text ?? ""]
        }
        var widths = header.map(\.count)
        for r in body { for (j, s) in r.enumerated() { widths[j] = max(widths[j], s.count) } }
        func row(_ r: [String]) -> String {
            var s = zip(r, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
            while s.last == " " { s.removeLast() }
            return s
        }
        lines.append(row(header))
        lines.append(row(widths.map { String(repeating: "─", count: $0) }))
        lines += body.map(row)
        if rows > 0 {
            lines.append("")
            lines.append(frame.formatted(maxRows: rows))
        }
        if !badRows.isEmpty {
            lines.append("")
            lines.append("\(badRows.count) bad rows skipped:")
            lines += badRows.prefix(20).map { "  \(file):\($0.line):\($0.column): \($0.reason)" }
            if badRows.count > 20 { lines.append("  …") }
        }
        return lines.joined(separator: "\n")
    }
}

/// A JSON scalar for a frame cell.
enum JSONCell: Encodable {
    case null, number(Double), integer(Int64), string(String), bool(Bool)

    init(_ v: Value) {
        switch v {
        case .null: self = .null
        case let .double(d): self = d.isFinite ? .number(d) : .string(d.description)
        case let .int64(i): self = .integer(i)
        case let .string(s): self = .string(s)
        case let .bool(b): self = .bool(b)
        case .date, .timestamp: self = .string(v.description)
        }
    }

    var text: String {
        switch self {
        case .null: "null"
        case let .number(d): d.description
        case let .integer(i): i.description
        case let .string(s): s
        case let .bool(b): b.description
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .number(d): try c.encode(d)
        case let .integer(i): try c.encode(i)
        case let .string(s): try c.encode(s)
        case let .bool(b): try c.encode(b)
        }
    }
}
