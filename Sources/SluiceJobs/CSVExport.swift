import Foundation
import SluiceFrame

/// A minimal RFC 4180 CSV writer for `sluice export` (the CSV connector has no writer yet):
/// a header, then one line per row; null is an empty field and an empty string is `""`, so
/// `CSVReader` reads both back as they were. Doubles print in shortest form with `NaN`,
/// `inf`, `-inf`; dates as `YYYY-MM-DD`; timestamps as ISO 8601 in UTC.
struct CSVExportWriter: ~Copyable {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    /// Rows written so far.
    private(set) var rows = 0

    init(handle: FileHandle, header: [String]) {
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
        for (i, name) in header.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            appendText(name, quoteEmpty: true)
        }
        buffer.append(0x0A)
    }

    mutating func append(_ frame: Frame) throws {
        let rendered = frame.columns.map(Rendered.init)
        for row in 0..<frame.rowCount {
            for (c, column) in rendered.enumerated() {
                if c > 0 { buffer.append(UInt8(ascii: ",")) }
                column.append(row: row, to: &self)
            }
            buffer.append(0x0A)
            if buffer.count >= 1 << 20 { try flush() }
        }
        rows += frame.rowCount
    }

    mutating func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    fileprivate mutating func appendRaw(_ text: String) { buffer.append(contentsOf: text.utf8) }

    /// A text field, quoted when it holds a delimiter, quote, line break or edge space, or
    /// is empty (so it is not read as null).
    fileprivate mutating func appendText(_ text: String, quoteEmpty: Bool) {
        let bytes = text.utf8
        let needsQuotes = (bytes.isEmpty && quoteEmpty) || bytes.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
            || bytes.first == 0x20 || bytes.last == 0x20 || bytes.first == 0x09 || bytes.last == 0x09
        guard needsQuotes else { buffer.append(contentsOf: bytes); return }
        buffer.append(0x22)
        for b in bytes {
            if b == 0x22 { buffer.append(0x22) }
            buffer.append(b)
        }
        buffer.append(0x22)
    }

    private struct Rendered {
        let column: Column
        init(_ column: Column) { self.column = column }

        func append(row: Int, to writer: inout CSVExportWriter) {
            if column.isNull(row) { return }
            switch column.data {
            case let .double(v):
                let x = v[row]
                writer.appendRaw(x.isNaN ? "NaN" : x == .infinity ? "inf" : x == -.infinity ? "-inf" : "\(x)")
            case let .int64(v): writer.appendRaw(String(v[row]))
            case let .bool(v): writer.appendRaw(v[row] ? "true" : "false")
            case let .date(v): writer.appendRaw(Value.date(v[row]).description)
            case let .timestamp(v): writer.appendRaw(Value.timestamp(v[row]).description)
            case let .string(s): writer.appendText(s.dictionary[Int(s.codes[row])], quoteEmpty: true)
            }
        }
    }
}
