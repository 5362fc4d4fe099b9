import SluiceFrame

/// How text is read as a date or a timestamp.
public enum DateTimeFormat: Sendable, Hashable {
    /// ISO 8601: dates `YYYY-MM-DD`; timestamps `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]`
    /// (no offset means UTC).
    case iso8601
    /// A pattern of literal bytes and fields: `%Y` (4-digit year), `%m`, `%d`, `%H`, `%M`, `%S`
    /// (2 digits each), `%f` (1–9 fraction digits), `%z` (`Z` or `±HH[:MM]`), `%%` (a `%`).
    /// For example `"%d/%m/%Y"` or `"%Y-%m-%d %H:%M:%S"`.
    case pattern(String)
}

/// How strictly quotes are checked.
public enum CSVQuoting: Sendable, Hashable {
    /// The default, as pandas, polars and Python's `csv` module read: a quote inside an
    /// unquoted field is a literal character (`37°36'37.8"N` reads as written), but text after
    /// a closing quote (`"ab"c`) and a quote left open at the end of the input are errors
    /// with their line (libcsv `CSV_STRICT | CSV_STRICT_FINI`, resuming past the literal quote).
    case standard
    /// RFC 4180: also a quote inside an unquoted field is an error (``CSVError/Kind/strayQuote``).
    case strict
    /// libcsv's lenient defaults: stray quotes are kept as text, an unterminated quote ends
    /// at end of input.
    case lenient
}

/// What the reader does with a number too large for a double (`1e400`), which would read as
/// infinity.
public enum CSVNumberOverflow: Sendable, Hashable {
    /// Read it as ±infinity and report it in ``CSVReadResult/warnings`` with its line and
    /// column (the default).
    case warn
    /// Refuse it: ``CSVError/Kind/numberOverflow`` at its line and column.
    case fail
}

/// What the reader does with a row it cannot read.
public enum CSVBadRowPolicy: Sendable, Hashable {
    /// The first bad row fails the whole read with an error naming `file:line:column`.
    case fail
    /// Bad rows are skipped; each is reported in ``CSVReadResult/badRows`` with its line and
    /// reason, so it can be quarantined. The frame holds only good rows.
    case skip
}

/// Options for ``CSVReader``. The defaults read RFC 4180 files with a header.
public struct CSVReadOptions: Sendable, Hashable {
    /// The field delimiter byte (default `,`). Use `UInt8(ascii: "\t")` for TSV.
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// The quote byte (default `"`).
    public var quote: UInt8 = UInt8(ascii: "\"")
    /// Whether the first record names the columns. Without one, columns are named
    /// `column_1`, `column_2`, ….
    public var hasHeader: Bool = true
    /// Explicit types for some or all columns, by name; the others are inferred.
    public var columnTypes: [String: ColumnType] = [:]
    /// Extra field texts read as null (e.g. `["NA", "NULL"]`). An unquoted empty field is
    /// always null; a quoted empty field `""` is an empty string. Tokens match quoted and
    /// unquoted fields alike.
    public var nullTokens: [String] = []
    /// Texts read as `true` (default `true`, `True`, `TRUE`).
    public var trueTokens: [String] = ["true", "True", "TRUE"]
    /// Texts read as `false` (default `false`, `False`, `FALSE`).
    public var falseTokens: [String] = ["false", "False", "FALSE"]
    /// The date format (default ISO 8601 `YYYY-MM-DD`).
    public var dateFormat: DateTimeFormat = .iso8601
    /// The timestamp format (default ISO 8601).
    public var timestampFormat: DateTimeFormat = .iso8601
    /// Whether spaces and tabs around unquoted fields are removed. Off by default: RFC 4180
    /// makes them part of the field, so `" 5"` is text, not a number.
    public var trimSpaces: Bool = false
    /// How quotes are checked (default ``CSVQuoting/standard``: a quote inside an unquoted
    /// field is literal; text after a closing quote and an open quote are errors).
    public var quoting: CSVQuoting = .standard
    /// Fail on the first bad row (default), or skip and report bad rows.
    public var badRows: CSVBadRowPolicy = .fail
    /// The largest field in bytes (default 16 MiB). A longer field fails before its buffer
    /// grows past this size.
    public var maxFieldBytes: Int = 16 << 20
    /// What a number too large for a double does: a warning (default) or an error.
    public var numberOverflow: CSVNumberOverflow = .warn
    /// The most columns a file may have (default 65 536).
    public var maxColumns: Int = 65_536
    /// Threads used to parse one file; `nil` (default) uses every core Sluice uses
    /// (`SLUICE_THREADS` or the active cores). Lenient reads and batches use one.
    public var threads: Int? = nil

    /// The defaults.
    public init() {}
}

/// One row skipped by a lenient read (``CSVBadRowPolicy/skip``).
public struct CSVBadRow: Sendable, Hashable {
    /// Why the row was skipped, with its place (`file:line:column: reason`).
    public var error: CSVError
    /// The fields read from the row before it was found bad (decoded leniently as UTF-8).
    public var fields: [String]
    /// The 1-based physical line where the row starts.
    public var line: Int { error.line ?? 0 }
}

/// A frame and the rows a lenient read skipped.
public struct CSVReadResult: Sendable {
    /// The rows that were read.
    public var frame: Frame
    /// The rows that were skipped, in file order (empty unless ``CSVBadRowPolicy/skip``).
    public var badRows: [CSVBadRow]
    /// What was read but deserves saying (numbers that overflowed to infinity), in column order.
    public var warnings: [CSVWarning] = []

    /// A result of `frame`, `badRows` and `warnings`.
    public init(frame: Frame, badRows: [CSVBadRow], warnings: [CSVWarning] = []) {
        self.frame = frame
        self.badRows = badRows
        self.warnings = warnings
    }
}

/// Something a read accepted but reports: today, numbers too large for a double, read as
/// ±infinity (``CSVNumberOverflow/warn``). One warning per column, at its first such value.
public struct CSVWarning: Sendable, Hashable, CustomStringConvertible {
    /// The first such value's place (`file:line:column`) and text.
    public var place: CSVError
    /// The column's name.
    public var columnName: String
    /// How many values of the column overflowed.
    public var count: Int

    /// `file:line:column: '1e400' is too large for a double: read as inf (3 values in column 'x')`.
    public var description: String {
        var text = ""
        if case let .numberOverflow(t) = place.kind { text = CSVError.shown(t) }
        let at = place.line.map { "\(place.file):\($0):\(place.column ?? 0)" } ?? place.file
        return "\(at): '\(text)' is too large for a double: read as infinity (\(count) value\(count == 1 ? "" : "s") in column '\(MessageText.escapingControls(columnName, keepNewlines: false))')"
    }
}
