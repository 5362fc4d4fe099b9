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
            var j = i
            while j < upper && base[j] != lf && base[j] != cr { j += 1 }
            var end = j
            var terminated = false
            if j < upper {
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
