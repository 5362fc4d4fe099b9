import SluiceFrame

/// An error reading or writing CSV, with its place: `file:line:column: reason`.
///
/// `line` is the 1-based physical line (CR, LF and CRLF each end one line, also inside
/// quotes); `column` is the 1-based field number within the record. File-level errors
/// (missing file, empty file) have no line or column.
public struct CSVError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The file does not exist.
        case fileNotFound
        /// The file could not be opened, read or written (`errno` text).
        case io(String)
        /// The file holds no record (no header).
        case emptyFile
        /// A record has another number of fields than the header.
        case raggedRow(expected: Int, actual: Int)
        /// A quoted field is not closed before the end of the input; the place is where it opened.
        case unterminatedQuote
        /// A quote where strict RFC 4180 does not allow one.
        case strayQuote
        /// A field is not valid UTF-8.
        case invalidUTF8
        /// A field holds a NUL byte.
        case nulByte
        /// A field is longer than ``CSVReadOptions/maxFieldBytes``.
        case fieldTooLarge(limit: Int)
        /// The header has more columns than ``CSVReadOptions/maxColumns``.
        case tooManyColumns(limit: Int)
        /// Two header fields have one name.
        case duplicateHeader(String)
        /// A header field is empty.
        case emptyHeader
        /// A field does not parse as its column's explicit type.
        case invalidValue(text: String, type: ColumnType)
        /// An invalid option (e.g. a date pattern with an unknown field).
        case invalidOption(String)
        /// Reading the input failed after it was opened (`errno` text).
        case readFailed(String)
        /// The file shrank while it was read (`expected` bytes when opened, `now` when known).
        case truncated(expected: Int, now: Int?)
        /// The input is not CSV text Sluice reads: a compressed file, or text in UTF-16 or
        /// UTF-32 (named by its magic number or byte-order mark).
        case notCSVText(String)
        /// A number too large for a double (`1e400`) in strict-number mode.
        case numberOverflow(text: String)
        /// The output file could not be created or written (``AtomicFileError``: path and reason).
        case output(AtomicFileError)
    }

    /// What went wrong.
    public var kind: Kind
    /// The file (or the name given to an in-memory input).
    public var file: String
    /// The 1-based physical line, when the error has a place.
    public var line: Int?
    /// The 1-based field number, when the error has a place.
    public var column: Int?

    /// An error of `kind` at `file:line:column`.
    public init(_ kind: Kind, file: String, line: Int? = nil, column: Int? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
    }

    /// The reason alone, without the place.
    public var reason: String {
        switch kind {
        case .fileNotFound: return "no such file"
        case let .io(s): return s
        case .emptyFile: return "file is empty (no header record)"
        case let .raggedRow(e, a): return "expected \(e) fields, saw \(a)"
        case .unterminatedQuote: return "quoted field opened here is never closed"
        case .strayQuote: return "stray quote (a quote inside an unquoted field, or text after a closing quote)"
        case .invalidUTF8: return "field is not valid UTF-8"
        case .nulByte: return "field contains a NUL byte"
        case let .fieldTooLarge(limit): return "field is larger than the limit of \(limit) bytes"
        case let .tooManyColumns(limit): return "more than \(limit) columns"
        case let .duplicateHeader(name): return "duplicate column name '\(name)' in header"
        case .emptyHeader: return "empty column name in header"
        case let .invalidValue(text, type):
            return "'\(Self.shown(text))' is not a valid \(type)"
        case let .invalidOption(s): return "invalid option: \(s)"
        case let .readFailed(s): return "read failed: \(s)"
        case let .truncated(expected, now):
            return "the file was truncated while it was read (\(expected) bytes when opened" + (now.map { ", \($0) now)" } ?? ")")
        case let .notCSVText(what): return "this is \(what), not CSV text"
        case let .numberOverflow(text):
            return "'\(Self.shown(text))' is too large for a double (it would read as infinity)"
        case let .output(e): return e.description.hasPrefix(file + ": ") ? String(e.description.dropFirst(file.count + 2)) : e.description
        }
    }

    /// A value as shown in a message: at most 40 characters, control characters escaped
    /// (a CSV value can hold terminal escape sequences).
    static func shown(_ text: String) -> String {
        let cut = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return MessageText.escapingControls(cut, keepNewlines: false)
    }

    /// `file:line:column: reason` (or `file: reason` without a place).
    public var description: String {
        if let line, let column { return "\(file):\(line):\(column): \(reason)" }
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}

extension CSVError: ExitClassified {
    /// 66 for a missing or unopenable file, 74 for a read that failed or a file truncated
    /// while read, 64 for an invalid option, the output's status (73 / 74) for a file that
    /// could not be written, 65 for bad content.
    public var exitStatus: ExitStatus {
        switch kind {
        case .fileNotFound, .io: return .noInput
        case .readFailed, .truncated: return .ioError
        case .invalidOption: return .usage
        case let .output(e): return e.exitStatus
        default: return .dataError
        }
    }
}
