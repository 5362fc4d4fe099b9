import Foundation
import Glibc
import SluiceFrame

/// A CSV input (a file, a FIFO or standard input) read so that the target table's or
/// the model's column types apply before the values are parsed, and so that a frame row can
/// be named by its line.
///
/// A regular file is read by the CSV reader itself (mapped, in parallel); only its header
/// record is read first, to know the column names. Standard input (`-`, `/dev/stdin`) and
/// other non-regular files can be read only once: they are held in memory.
public struct CSVInput: Sendable {
    /// The path given (`-` for standard input).
    public let path: String
    /// The options every read uses.
    public let options: CSVReadOptions
    /// The whole input, for inputs that can be read only once.
    private(set) var buffered: [UInt8]?

    /// Opens `path` (`-` is standard input); inputs that can be read only once are read now.
    public init(path: String, options: CSVReadOptions = CSVReadOptions()) throws {
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
    public func columnNames() throws -> [String] {
        let head = try firstRecord()
        var headerOptions = options
        headerOptions.columnTypes = [:]
        headerOptions.badRows = .fail
        let frame = try CSVReader(headerOptions).read(bytes: head + [0x0A], name: path)
        return frame.columnNames
    }

    /// Reads the whole input with `columnTypes` added to the options.
    public func read(columnTypes: [String: ColumnType]) throws -> CSVReadResult {
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
    public func lines(ofRows rows: [Int], skippedLines: Set<Int>) -> [Int: Int] {
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
