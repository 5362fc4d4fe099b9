/// Feeds bytes to libcsv: whole blocks on the fast path, or one physical line at a time
/// when lines must be known (lenient reads, batches, and locating an error).
enum CSVDriver {
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D

    /// The fast path: `range` in 1 MiB blocks, no line tracking; stops feeding after the
    /// first failure. Calls `csv_fini` at the end.
    static func parseBlocks(_ parser: LibCSVParser, _ state: UnsafeMutablePointer<ParseState>,
                            _ base: UnsafePointer<UInt8>, _ range: Range<Int>) {
        var i = range.lowerBound
        while i < range.upperBound && state.pointee.failure == nil {
            let n = min(1 << 20, range.upperBound - i)
            let used = parser.parse(base + i, n, state)
            if used < n {
                // libcsv went on past a failure found earlier in the block (a ragged row, a
                // bad value): that one comes first and is kept.
                if state.pointee.failure != nil { return }
                state.pointee.failure = ParseFailure(kind: parser.errorKind(atEnd: false),
                                                     location: .row(state.pointee.rows, field: state.pointee.field),
                                                     needsLocating: true)
                return
            }
            i += n
        }
        if state.pointee.failure == nil && !parser.finish(state) {
            state.pointee.failure = ParseFailure(kind: parser.errorKind(atEnd: true),
                                                 location: .row(state.pointee.rows, field: state.pointee.field),
                                                 needsLocating: true)
        }
    }

    /// Whether ``parseFast(_:_:_:_:delimiter:quote:)`` gives the same records as libcsv for
    /// these settings: spaces kept (no trimming), and delimiter, quote and line ends all
    /// different bytes.
    static func fastPathApplies(delimiter: UInt8, quote: UInt8, trim: Bool) -> Bool {
        !trim && delimiter != quote && delimiter != lf && delimiter != cr && quote != lf && quote != cr
    }

    /// The fast path for ``parseBlocks(_:_:_:_:)``: records without a quote byte are split
    /// here, straight from the input (no copy, no callback through C); a record with a quote
    /// byte is handed to libcsv from the start of the field holding it, one physical line at
    /// a time, until libcsv ends the record at a line end; then splitting resumes here.
    ///
    /// Unquoted records follow libcsv's rules as Sluice configures it (spaces kept,
    /// `CSV_EMPTY_IS_NULL`): the delimiter ends a field, CR or LF ends a record, an empty
    /// unquoted field is null, a line with no bytes is no record, a trailing delimiter is one
    /// more (null) field, and a last record without a line end is kept. Everything quotes can
    /// change (quoted fields, doubled quotes, newlines inside quotes, stray quotes and their
    /// errors in strict mode) stays libcsv's. Only for settings ``fastPathApplies(delimiter:quote:trim:)``.
    static func parseFast(_ parser: LibCSVParser, _ state: UnsafeMutablePointer<ParseState>,
                          _ base: UnsafePointer<UInt8>, _ range: Range<Int>, delimiter: UInt8, quote: UInt8,
                          releasesInput: Bool = false) {
        let end = range.upperBound
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let dMask = ones &* UInt64(delimiter), qMask = ones &* UInt64(quote)
        let lfMask = ones &* UInt64(lf), crMask = ones &* UInt64(cr)
        // When all four special bytes are below '0' (with ',' or a tab and '"' or '\'', the
        // usual case), one test per word finds every byte below a bound: digits and letters
        // never stop the scan, and a space or '+' that does is simply stepped over below.
        let bound = max(delimiter, quote, lf, cr) &+ 1
        let below = bound <= 0x30
        let bMask = ones &* UInt64(bound)
        /// The first byte at or after `from` and before `end` that may be a delimiter, quote,
        /// CR or LF (every one of them, and with `below` other small bytes too), or `end`.
        @inline(__always) func nextSpecial(_ from: Int, _ end: Int) -> Int {
            var i = from
            while i &+ 8 <= end {
                let x = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self).littleEndian
                let hit: UInt64
                if below {
                    // The lowest set bit marks the first byte < bound exactly (bytes >= 0x80 never).
                    hit = (x &- bMask) & ~x & highs
                } else {
                    let a = x ^ dMask, b = x ^ qMask, c = x ^ lfMask, d = x ^ crMask
                    // The lowest set bit of each term marks that term's first zero byte exactly.
                    hit = (((a &- ones) & ~a) | ((b &- ones) & ~b) | ((c &- ones) & ~c) | ((d &- ones) & ~d)) & highs
                }
                if hit != 0 { return i &+ (hit.trailingZeroBitCount &>> 3) }
                i &+= 8
            }
            while i < end {
                let c = base[i]
                if c == delimiter || c == quote || c == lf || c == cr { return i }
                i &+= 1
            }
            return end
        }
        var i = range.lowerBound
        var fieldStart = i
        var inRow = false
        // With `releasesInput` (a file mapping), the pages already read are handed back every
        // 4 MiB, so the file does not stay resident beside the columns built from it.
        let releaseStep = 4 << 20
        var released = range.lowerBound
        var nextRelease = releasesInput ? released + releaseStep : Int.max
        defer { if releasesInput { FileBytes.releasePages(base, released..<range.upperBound) } }
        // A field may not run past the cap: the scan stops there, so an over-long field fails
        // after `maxFieldBytes + 1` bytes, not after the rest of the input.
        let span = state.pointee.maxFieldBytes == .max ? Int.max : state.pointee.maxFieldBytes &+ 1
        while true {
            if i >= nextRelease {
                FileBytes.releasePages(base, released..<fieldStart)
                released = fieldStart
                nextRelease = fieldStart + releaseStep
            }
            let limit = end &- fieldStart > span ? fieldStart &+ span : end
            let j = nextSpecial(i, limit)
            if j == limit && limit < end {
                state.pointee.oversizedField()
                return
            }
            if j == end {
                // The last record without a line end (csv_fini's part).
                if inRow || j > fieldStart {
                    state.pointee.directField(j > fieldStart ? base + fieldStart : nil, j &- fieldStart)
                    state.pointee.row()
                }
                return
            }
            let c = base[j]
            if c == delimiter {
                state.pointee.directField(j > fieldStart ? base + fieldStart : nil, j &- fieldStart)
                inRow = true
            } else if c != quote && c != lf && c != cr {
                i = j &+ 1   // a small byte that is nothing special: part of the field
                continue
            } else if c == quote {
                // libcsv takes the record over from the start of this field.
                guard let resume = handOver(parser, state, base, fieldStart..<end, quote: quote) else { return }
                i = resume
                fieldStart = resume
                inRow = false
                if state.pointee.failure != nil { return }
                continue
            } else {
                if inRow || j > fieldStart {
                    state.pointee.directField(j > fieldStart ? base + fieldStart : nil, j &- fieldStart)
                    state.pointee.row()
                    if state.pointee.failure != nil { return }
                }
                inRow = false
            }
            i = j &+ 1
            fieldStart = i
        }
    }

    /// Feeds libcsv from `range.lowerBound` one physical line at a time until it ends a record
    /// at the end of a line; returns where the fast path resumes, or `nil` when the input
    /// ended (libcsv finished it) or libcsv failed (the failure is recorded).
    private static func handOver(_ parser: LibCSVParser, _ state: UnsafeMutablePointer<ParseState>,
                                 _ base: UnsafePointer<UInt8>, _ range: Range<Int>, quote: UInt8) -> Int? {
        var i = range.lowerBound
        let end = range.upperBound
        let rowsBefore = state.pointee.rows
        while i < end {
            var j = i
            while j < end && base[j] != lf && base[j] != cr { j &+= 1 }
            let stop = j < end ? j &+ 1 : end
            state.pointee.quotes &+= CSVReader.count(quote, base + i, stop &- i)
            let used = parser.parse(base + i, stop &- i, state)
            if used < stop &- i {
                if state.pointee.failure == nil {
                    state.pointee.failure = ParseFailure(kind: parser.errorKind(atEnd: false),
                                                         location: .row(state.pointee.rows, field: state.pointee.field),
                                                         needsLocating: true)
                }
                return nil
            }
            i = stop
            // A record ends only at a line end outside quotes, the last byte fed: libcsv is
            // back at the start of a row.
            if state.pointee.rows != rowsBefore { return i }
        }
        if state.pointee.failure == nil && !parser.finish(state) {
            state.pointee.failure = ParseFailure(kind: parser.errorKind(atEnd: true),
                                                 location: .row(state.pointee.rows, field: state.pointee.field),
                                                 needsLocating: true)
        }
        return nil
    }

    /// Line position carried from one block to the next.
    struct LineCursor {
        var line = 1
        /// The previous block ended with a CR: an LF starting this block belongs to it.
        var afterCR = false
    }

    /// Feeds `range` one physical line at a time, keeping `state.line` current so callbacks
    /// know where they are. Stops after the header record when `stopAfterHeader`, after a
    /// located target in locate mode, or at the first failure (not in buffered mode, which
    /// skips the line and goes on). Calls `csv_fini` when `final`. Returns where it stopped.
    @discardableResult
    static func parseLines(_ parser: LibCSVParser, _ state: UnsafeMutablePointer<ParseState>,
                           _ base: UnsafePointer<UInt8>, _ range: Range<Int>, cursor: inout LineCursor,
                           trim: Bool, stopAfterHeader: Bool = false, final: Bool) -> Int {
        var i = range.lowerBound
        let upper = range.upperBound
        while i < upper {
            if cursor.afterCR {
                cursor.afterCR = false
                if base[i] == lf {
                    _ = parser.parse(base + i, 1, state)
                    i += 1
                    continue
                }
            }
            // A physical line is fed in pieces of at most 1 MiB: an over-long field fails at the
            // cap after reading about that much, not after finding the end of its line.
            let scanEnd = upper - i > 1 << 20 ? i + (1 << 20) : upper
            var j = i
            while j < scanEnd && base[j] != lf && base[j] != cr { j += 1 }
            var end = j
            var terminated = false
            if j < scanEnd {
                terminated = true
                if base[j] == cr {
                    if j + 1 < upper { end = base[j + 1] == lf ? j + 2 : j + 1 } else { end = j + 1; cursor.afterCR = true }
                } else {
                    end = j + 1
                }
            }
            state.pointee.line = cursor.line
            if state.pointee.recordStartLine == 0 && !isBlank(base, i, j, trim: trim) {
                state.pointee.recordStartLine = cursor.line
            }
            let used = parser.parse(base + i, end - i, state)
            if used < end - i {
                if !fail(parser, state, kind: parser.errorKind(atEnd: false), line: cursor.line) { return i }
                parser.reset(spaceFree: false)
            }
            if terminated { cursor.line += 1 }
            i = end
            if stopAfterHeader && state.pointee.headerDone { return i }
            if state.pointee.mode == .locate && (state.pointee.found != nil || state.pointee.failure != nil) { return i }
            if state.pointee.mode != .buffered && state.pointee.failure != nil { return i }
        }
        if final {
            state.pointee.line = cursor.line
            if !parser.finish(state) {
                let s = state.pointee
                let line = s.field > 0 ? s.lastFieldLine : (s.recordStartLine == 0 ? cursor.line : s.recordStartLine)
                _ = fail(parser, state, kind: parser.errorKind(atEnd: true), line: line)
                parser.reset(spaceFree: false)
            }
        }
        return i
    }

    /// Records a libcsv error at `line`; returns whether parsing goes on (buffered mode).
    private static func fail(_ parser: LibCSVParser, _ state: UnsafeMutablePointer<ParseState>,
                             kind: CSVError.Kind, line: Int) -> Bool {
        let column = state.pointee.field + 1
        if state.pointee.mode == .buffered {
            let start = state.pointee.recordStartLine == 0 ? line : state.pointee.recordStartLine
            state.pointee.skip(kind, line: kind == .unterminatedQuote ? line : start, column: column)
            state.pointee.discardRecord()
            return true
        }
        if state.pointee.failure == nil {
            state.pointee.failure = ParseFailure(kind: kind, location: .place(line: line, column: column))
        }
        return false
    }

    private static func isBlank(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int, trim: Bool) -> Bool {
        if from == to { return true }
        guard trim else { return false }
        for k in from..<to where base[k] != 0x20 && base[k] != 0x09 { return false }
        return true
    }
}
