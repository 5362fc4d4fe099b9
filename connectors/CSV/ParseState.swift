import Glibc
import SluiceFrame

/// Where a problem found while parsing is, before it is turned into a line and column.
enum ParseLocation: Equatable {
    /// Data row `row` (0-based, counted from the start of the parsed range), field `field` (0-based).
    case row(Int, field: Int)
    /// The line and column are already known (line-fed parsing tracks them).
    case place(line: Int, column: Int)
}

/// A problem found while parsing: what, and where.
struct ParseFailure: Error {
    var kind: CSVError.Kind
    var location: ParseLocation
    /// The first libcsv error of the range (stray quote, open quote, field too large), whose
    /// row is not known: a line-fed pass finds its place.
    var needsLocating: Bool = false
}

/// A row a lenient read skipped, with its place.
struct PendingBadRow {
    var kind: CSVError.Kind
    var line: Int
    var column: Int
    var fields: [String]
}

/// Everything libcsv's callbacks touch, reached through one pointer (no class, no
/// exclusivity checks on the hot path).
struct ParseState {
    enum Mode {
        /// Values go straight into the column builders; the first problem is kept and the
        /// rest of the range is ignored.
        case direct
        /// Fields of a row are buffered and checked before any is stored; bad rows are skipped.
        case buffered
        /// The first record's fields are collected as the header.
        case header
        /// Nothing is stored: the pass looks for the line of row `target` / field.
        case locate
    }

    var mode: Mode
    var expected: Int
    var builders: UnsafeMutablePointer<ColumnBuilder>?
    let rules: ValueRules
    var field = 0
    var rows = 0
    var failure: ParseFailure?
    /// Quote bytes the fast path handed to libcsv (all the quotes of its range), less the
    /// literal ones: the quotes that open, close or double inside quoted fields.
    var quotes = 0
    /// Quotes inside unquoted fields read as text (standard quoting).
    var literalQuotes = 0

    // Header mode.
    var header: [[UInt8]] = []
    var headerDone = false
    var headerLine = 1
    var maxColumns = Int.max

    // Line tracking (line-fed passes only).
    var tracksLines = false
    var line = 1
    var recordStartLine = 0
    var lastFieldLine = 0

    // Buffered mode.
    var record: [UInt8] = []
    var starts: [Int] = []
    var lengths: [Int] = []
    var fixed: [Bool] = []
    var bad: [PendingBadRow] = []
    var maxFieldBytes = Int.max

    // Locate mode.
    var target: (row: Int, field: Int) = (0, 0)
    var found: (line: Int, column: Int)?

    // Batches: after `batchRows` rows the builders move to `completed` and fresh ones start.
    var batchRows = 0
    var completed: [[ColumnBuilder]] = []
    var templates: [ColumnBuilder] = []

    init(mode: Mode, expected: Int, rules: ValueRules) {
        self.mode = mode
        self.expected = expected
        self.rules = rules
    }

    /// A field in direct mode (the fast path calls this; ``field(_:_:)`` does for libcsv).
    @inline(__always)
    mutating func directField(_ p: UnsafePointer<UInt8>?, _ n: Int) {
        if field < expected, failure == nil, let builders {
            if n > maxFieldBytes || !builders[field].append(p, n, rules) { fieldFailed(p, n) }
        }
        field &+= 1
    }

    /// Field `field` of row `rows` is longer than ``maxFieldBytes`` (the fast path saw that
    /// before its end).
    @inline(never)
    mutating func oversizedField() {
        guard failure == nil else { return }
        let location: ParseLocation = tracksLines ? .place(line: line, column: field + 1) : .row(rows, field: field)
        failure = ParseFailure(kind: .fieldTooLarge(limit: maxFieldBytes), location: location)
    }

    /// Records why field `field` of row `rows` could not be stored.
    @inline(never)
    private mutating func fieldFailed(_ p: UnsafePointer<UInt8>?, _ n: Int) {
        guard let builders else { return }
        let location: ParseLocation = tracksLines ? .place(line: line, column: field + 1) : .row(rows, field: field)
        if n > maxFieldBytes {
            failure = ParseFailure(kind: .fieldTooLarge(limit: maxFieldBytes), location: location)
        } else if builders[field].refusedOverflow {
            failure = ParseFailure(kind: .numberOverflow(text: text(p, n)), location: location)
        } else {
            failure = ParseFailure(kind: .invalidValue(text: text(p, n), type: builders[field].columnType), location: location)
        }
    }

    @inline(__always)
    mutating func field(_ p: UnsafePointer<UInt8>?, _ n: Int) {
        switch mode {
        case .direct:
            directField(p, n)
            return
        case .buffered:
            lastFieldLine = line
            starts.append(record.count)
            if let p { record.append(contentsOf: UnsafeBufferPointer(start: p, count: n)); lengths.append(n) } else { lengths.append(-1) }
        case .header:
            if headerDone { break }
            if field >= maxColumns {
                if failure == nil {
                    failure = ParseFailure(kind: .tooManyColumns(limit: maxColumns), location: .place(line: line, column: field + 1))
                }
            } else {
                header.append(p.map { Array(UnsafeBufferPointer(start: $0, count: n)) } ?? [])
            }
        case .locate:
            lastFieldLine = line
            if found == nil && rows == target.row && field == target.field { found = (line, field + 1) }
        }
        field &+= 1
    }

    @inline(__always)
    mutating func row() {
        switch mode {
        case .direct:
            if field != expected && failure == nil {
                failure = ParseFailure(kind: .raggedRow(expected: expected, actual: field),
                                       location: tracksLines
                                           ? .place(line: recordStartLine == 0 ? line : recordStartLine, column: min(field, expected) + 1)
                                           : .row(rows, field: min(field, expected)))
            }
            rows &+= 1
            if batchRows > 0 && rows % batchRows == 0 && failure == nil, let builders {
                completed.append(Array(UnsafeBufferPointer(start: builders, count: expected)))
                for j in 0..<expected { builders[j] = templates[j] }
            }
        case .buffered:
            commitBuffered()
        case .header:
            if !headerDone { headerLine = recordStartLine == 0 ? line : recordStartLine }
            headerDone = true
        case .locate:
            if found == nil && rows == target.row { found = (line, min(field, target.field) + 1) }
            rows &+= 1
        }
        field = 0
        recordStartLine = 0
    }

    private func text(_ p: UnsafePointer<UInt8>?, _ n: Int) -> String {
        guard let p else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Lenient rows: check the whole row, then store it, or skip it with its reason.
    private mutating func commitBuffered() {
        defer { record.removeAll(keepingCapacity: true); starts.removeAll(keepingCapacity: true); lengths.removeAll(keepingCapacity: true) }
        let startLine = recordStartLine == 0 ? line : recordStartLine
        if field != expected {
            skip(.raggedRow(expected: expected, actual: field), line: startLine, column: min(field, expected) + 1)
            return
        }
        guard let builders else { return }
        var problem: (CSVError.Kind, Int)?
        record.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress ?? UnsafePointer(bitPattern: 1) else { return }
            for j in 0..<expected where problem == nil {
                let n = lengths[j]
                if n < 0 { continue }
                let p = base + starts[j]
                let bytes = UnsafeBufferPointer(start: p, count: n)
                if n > maxFieldBytes { problem = (.fieldTooLarge(limit: maxFieldBytes), j); break }
                if n > 0 && memchr(p, 0, n) != nil { problem = (.nulByte, j); break }
                if !isValidUTF8(bytes) { problem = (.invalidUTF8, j); break }
                if fixed[j] {
                    var probe = ColumnBuilder(kind: builders[j].kind, fixed: true, reserve: 0)
                    if !probe.append(p, n, rules) {
                        problem = (.invalidValue(text: text(p, n), type: builders[j].columnType), j)
                    }
                    probe.release()
                }
            }
            if problem == nil {
                for j in 0..<expected {
                    let n = lengths[j]
                    _ = builders[j].append(n < 0 ? nil : base + starts[j], max(n, 0), rules)
                }
            }
        }
        if let (kind, j) = problem { skip(kind, line: startLine, column: j + 1); return }
        rows &+= 1
    }

    /// Records a skipped row with the fields read so far.
    mutating func skip(_ kind: CSVError.Kind, line: Int, column: Int) {
        let fields = (0..<starts.count).map { j -> String in
            lengths[j] < 0 ? "" : String(decoding: record[starts[j]..<(starts[j] + lengths[j])], as: UTF8.self)
        }
        bad.append(PendingBadRow(kind: kind, line: line, column: column, fields: fields))
    }

    /// Forgets a half-read row (after a libcsv error in a lenient read).
    mutating func discardRecord() {
        record.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        field = 0
        recordStartLine = 0
    }
}

/// Whether `bytes` are well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    let n = bytes.count
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 { i += 1; continue }
        var need = 0
        var min: UInt32 = 0
        var cp: UInt32 = 0
        if b0 & 0xE0 == 0xC0 { need = 1; min = 0x80; cp = UInt32(b0 & 0x1F) }
        else if b0 & 0xF0 == 0xE0 { need = 2; min = 0x800; cp = UInt32(b0 & 0x0F) }
        else if b0 & 0xF8 == 0xF0 { need = 3; min = 0x10000; cp = UInt32(b0 & 0x07) }
        else { return false }
        if i + need >= n { return false }
        for k in 1...need {
            let b = bytes[i + k]
            if b & 0xC0 != 0x80 { return false }
            cp = cp << 6 | UInt32(b & 0x3F)
        }
        if cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) { return false }
        i += need + 1
    }
    return true
}
