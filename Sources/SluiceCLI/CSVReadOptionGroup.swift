import ArgumentParser
import SluiceCSV
import SluiceFrame

/// The CSV reading options, shared by every command that reads CSV (`inspect`, `load`):
/// one declaration, so the commands cannot drift apart.
public struct CSVReadOptionGroup: ParsableArguments {
    @Option(help: "The field delimiter (one byte, or \\t).")
    var delimiter: String = ","

    @Option(help: "The quote character (one byte).")
    var quote: String = "\""

    @Flag(help: "The file has no header row (columns are named column_1, column_2, …).")
    var noHeader = false

    @Option(name: .customLong("null"), help: "A text read as null (repeatable), e.g. --null NA.")
    var nullTokens: [String] = []

    @Option(name: .customLong("type"), help: "An explicit column type NAME=TYPE (repeatable); types: \(ColumnType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var types: [String] = []

    @Flag(help: "Trim spaces and tabs around unquoted fields.")
    var trim = false

    @Flag(help: "Skip bad rows and list them instead of failing.")
    var skipBadRows = false

    @Flag(help: "Accept text after a closing quote and a quote left open at the end (libcsv's lenient mode).")
    var lenientQuotes = false

    @Flag(help: "Refuse a quote inside an unquoted field (RFC 4180). By default it is read as a literal character, as pandas, polars and Python's csv do.")
    var strictQuotes = false

    @Flag(help: "Refuse a number too large for a double (1e400) instead of reading it as infinity with a warning.")
    var strictNumbers = false

    @Option(parsing: .unconditional, help: ArgumentHelp("The largest field in bytes; a longer one is refused with its line.", valueName: "bytes"))
    var maxFieldBytes: Int = CSVReadOptions().maxFieldBytes

    /// Creates the options; ArgumentParser fills them in.
    public init() {}

    /// Checks every option (bytes, types, the cap) before the command runs.
    public func validate() throws {
        guard byte(delimiter) != nil else { throw ValidationError("--delimiter must be one byte, got '\(delimiter)'") }
        guard byte(quote) != nil else { throw ValidationError("--quote must be one byte, got '\(quote)'") }
        guard !(lenientQuotes && strictQuotes) else { throw ValidationError("--lenient-quotes and --strict-quotes exclude each other") }
        guard maxFieldBytes > 0 else { throw ValidationError("--max-field-bytes must be positive, got \(maxFieldBytes)") }
        _ = try columnTypes()
    }

    private func byte(_ s: String) -> UInt8? {
        if s == "\\t" { return 0x09 }
        let u = Array(s.utf8)
        return u.count == 1 ? u[0] : nil
    }

    private func columnTypes() throws -> [String: ColumnType] {
        var out: [String: ColumnType] = [:]
        for t in types {
            let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let type = ColumnType(rawValue: parts[1]) else {
                throw ValidationError("--type wants NAME=TYPE with TYPE one of \(ColumnType.allCases.map(\.rawValue).joined(separator: ", ")), got '\(t)'")
            }
            out[parts[0]] = type
        }
        return out
    }

    /// The reader options these flags name.
    func readOptions() throws -> CSVReadOptions {
        var o = CSVReadOptions()
        o.delimiter = byte(delimiter) ?? o.delimiter
        o.quote = byte(quote) ?? o.quote
        o.hasHeader = !noHeader
        o.nullTokens = nullTokens
        o.columnTypes = try columnTypes()
        o.trimSpaces = trim
        o.badRows = skipBadRows ? .skip : .fail
        o.quoting = lenientQuotes ? .lenient : (strictQuotes ? .strict : .standard)
        o.numberOverflow = strictNumbers ? .fail : .warn
        o.maxFieldBytes = maxFieldBytes
        return o
    }

    /// Prints the read's warnings on stderr, one line each (`warning: FILE:LINE:COL: …`).
    static func printWarnings(_ result: CSVReadResult) {
        for w in result.warnings { ExitCodes.printError("warning: \(w)") }
    }
}
