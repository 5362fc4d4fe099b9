import Glibc
import SluiceFrame

/// Options for ``CSVWriter``.
public struct CSVWriteOptions: Sendable, Hashable {
    /// The field delimiter byte (default `,`).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// The quote byte (default `"`).
    public var quote: UInt8 = UInt8(ascii: "\"")
    /// Whether to write a header record of column names (default yes).
    public var header: Bool = true
    /// The text written for a null (default: an empty unquoted field). An empty string value
    /// is then written as `""` so that it reads back as a string, not a null.
    public var nullText: String = ""
    /// The record terminator (default `"\n"`; RFC 4180 uses `"\r\n"`).
    public var lineEnding: String = "\n"

    /// The defaults.
    public init() {}
}

/// Writes frames as RFC 4180 CSV.
///
/// A field is quoted when it holds the delimiter, the quote, CR or LF, when it starts or ends
/// with a space or tab, or when it would otherwise read as a null (an empty string, or the
/// null text); quotes inside are doubled. Doubles are written in the shortest form that reads
/// back to the same bits (`0.1`, `1e-05`, `nan`, `inf`); dates as `YYYY-MM-DD`; timestamps as
/// ISO 8601 in UTC with microseconds when not zero.
public struct CSVWriter: Sendable {
    /// The options every write uses.
    public var options: CSVWriteOptions

    /// A writer with `options`.
    public init(_ options: CSVWriteOptions = CSVWriteOptions()) {
        self.options = options
    }

    /// The header record alone for columns `names`, as bytes (for a stream of batches that
    /// may turn out empty).
    public func encodeHeader(_ names: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for (j, name) in names.enumerated() {
            if j > 0 { out.append(options.delimiter) }
            appendField(Array(name.utf8), to: &out)
        }
        return out + Array(options.lineEnding.utf8)
    }

    /// The CSV text of `frame`, as bytes.
    public func encode(_ frame: Frame, header: Bool? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(frame.rowCount * max(frame.columnCount, 1) * 8 + 64)
        let nl = Array(options.lineEnding.utf8)
        if header ?? options.header { out += encodeHeader(frame.columnNames) }
        let nullBytes = Array(options.nullText.utf8)
        let strings: [[[UInt8]]?] = frame.columns.map { c in
            if case let .string(s) = c.data { return s.dictionary.map { Array($0.utf8) } }
            return nil
        }
        for i in 0..<frame.rowCount {
            for (j, c) in frame.columns.enumerated() {
                if j > 0 { out.append(options.delimiter) }
                if c.isNull(i) { out += nullBytes; continue }
                switch c.data {
                case let .double(a): out += Array(a[i].description.utf8)
                case let .int64(a): out += Array(String(a[i]).utf8)
                case let .bool(a): out += Array((a[i] ? "true" : "false").utf8)
                case let .date(a): out += Array(CalendarDate.format(days: a[i]).utf8)
                case let .timestamp(a): out += Array(CalendarDate.format(microseconds: a[i]).utf8)
                case let .string(s):
                    let code = Int(s.codes[i])
                    if let dict = strings[j], code >= 0 && code < dict.count { appendField(dict[code], to: &out) }
                }
            }
            out += nl
        }
        return out
    }

    private func appendField(_ bytes: [UInt8], to out: inout [UInt8]) {
        let q = options.quote
        var needs = bytes.isEmpty || bytes == Array(options.nullText.utf8)
        if let f = bytes.first, f == 0x20 || f == 0x09 { needs = true }
        if let l = bytes.last, l == 0x20 || l == 0x09 { needs = true }
        if !needs { needs = bytes.contains { $0 == options.delimiter || $0 == q || $0 == 0x0A || $0 == 0x0D } }
        guard needs else { out += bytes; return }
        out.append(q)
        for b in bytes {
            if b == q { out.append(q) }
            out.append(b)
        }
        out.append(q)
    }

    /// Writes `frame` to `path`.
    ///
    /// - `.create` fails if the file exists; `.replace` writes through an ``AtomicFile``
    ///   (a visibly named temporary file beside it, synced and renamed over the old one:
    ///   readers never see a half-written file, and a directory, device, FIFO or socket at
    ///   `path` is refused untouched); `.create` does the same but never replaces an existing
    ///   file; `.append` adds rows to a regular file (and a header only if the file is new or
    ///   empty).
    public func write(_ frame: Frame, to path: String, mode: WriteMode = .replace) throws(CSVError) {
        if mode == .upsert {
            throw CSVError(.invalidOption("a CSV file cannot be upserted: write with create, append or replace"), file: path)
        }
        do throws(AtomicFileError) {
            switch mode {
            case .create, .replace, .upsert:
                let file = try AtomicFile(path: path, replacing: mode == .replace)
                try file.write(encode(frame))
                try file.commit()
            case .append:
                try AtomicFile.checkTarget(path)
                let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
                if fd < 0 { throw AtomicFileError(.cannotCreate(errno: errno), path: path) }
                defer { close(fd) }
                var st = stat()
                let empty = fstat(fd, &st) == 0 && st.st_size == 0
                try writeAll(encode(frame, header: options.header && empty), fd, path)
            }
        } catch {
            throw CSVError(.output(error), file: path)
        }
    }

    private func writeAll(_ bytes: [UInt8], _ fd: Int32, _ path: String) throws(AtomicFileError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + done }, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicFileError(.writeFailed(errno: errno), path: path)
            }
            done += n
        }
    }
}
