import CLibCSV
import Glibc

/// One libcsv parser, configured the way Sluice pins it:
///
/// - `CSV_STRICT | CSV_STRICT_FINI` for strict and standard quoting (stray quotes and a quote
///   left open at the end are errors), nothing for lenient quoting. In standard quoting a
///   quote inside an unquoted field is a literal character: libcsv stops there with
///   `CSV_EPARSE` in state `FIELD_BEGUN`, unquoted; ``parse(_:_:_:)`` feeds that one quote
///   byte without `CSV_STRICT` (libcsv then stores it as text) and goes on, so every path
///   through libcsv (fast path hand-overs, line-fed passes) reads it the same way;
/// - `CSV_EMPTY_IS_NULL`, so an unquoted empty field (null) differs from `""` (empty string);
/// - a space function returning 0 unless trimming is asked for, so spaces stay part of
///   unquoted fields (RFC 4180). When the bytes to parse hold no space or tab at all the
///   function is left out: libcsv only consults it for those two bytes, so the result is the
///   same and the per-byte indirect call is saved;
/// - a realloc function that refuses to grow a field's buffer past the field-size cap, so a
///   runaway quoted field fails before its memory is allocated.
///
/// `csv_fini` is always called (``finish(_:)``), or a last row without a newline would be lost.
final class LibCSVParser {
    let parser: UnsafeMutablePointer<csv_parser>
    private let options: UInt8
    private let delimiter: UInt8
    private let quote: UInt8
    private let trim: Bool
    private let literalQuotes: Bool
    private var cap: CapState

    init(delimiter: UInt8, quote: UInt8, quoting: CSVQuoting, trim: Bool, maxFieldBytes: Int) {
        parser = .allocate(capacity: 1)
        var opts = UInt8(CSV_EMPTY_IS_NULL)
        if quoting != .lenient { opts |= UInt8(CSV_STRICT) | UInt8(CSV_STRICT_FINI) }
        literalQuotes = quoting == .standard
        options = opts
        self.delimiter = delimiter
        self.quote = quote
        self.trim = trim
        // libcsv grows the buffer before it reads the byte after a full buffer, so a field of
        // exactly `maxFieldBytes` needs one byte more.
        cap = CapState(limit: max(maxFieldBytes, 1) &+ 1, hit: false)
        _ = csv_init(parser, opts)
        reset(spaceFree: false)
    }

    deinit {
        csv_free(parser)
        parser.deallocate()
    }

    /// A fresh parser state (after an error in a lenient read, or to start a chunk).
    /// `spaceFree` says the input holds no space or tab byte.
    func reset(spaceFree: Bool) {
        csv_free(parser)
        _ = csv_init(parser, options)
        csv_set_delim(parser, delimiter)
        csv_set_quote(parser, quote)
        if !trim && !spaceFree { csv_set_space_func(parser, keepSpaces) }
        csv_set_realloc_func(parser, cappedRealloc)
        cap.hit = false
    }

    /// Feeds `count` bytes; returns how many were consumed (fewer means an error). In
    /// standard quoting a quote inside an unquoted field is taken as text and counted in
    /// `state.literalQuotes` (and not in `state.quotes`).
    @inline(__always)
    func parse(_ bytes: UnsafePointer<UInt8>, _ count: Int, _ state: UnsafeMutablePointer<ParseState>) -> Int {
        withUnsafeMutablePointer(to: &cap) { capPointer in
            pthread_setspecific(capKey, capPointer)
            defer { pthread_setspecific(capKey, nil) }
            var done = csv_parse(parser, bytes, count, fieldCallback, rowCallback, state)
            while done < count && literalQuotes && resumeAfterLiteralQuote(bytes + done, state) {
                done &+= 1
                done &+= csv_parse(parser, bytes + done, count &- done, fieldCallback, rowCallback, state)
            }
            return done
        }
    }

    /// libcsv stopped at `at`: when that is a quote inside an unquoted field (state
    /// `FIELD_BEGUN`, not quoted), stores it as text and returns `true`.
    @inline(never)
    private func resumeAfterLiteralQuote(_ at: UnsafePointer<UInt8>, _ state: UnsafeMutablePointer<ParseState>) -> Bool {
        let fieldBegun: Int32 = 2  // libcsv's FIELD_BEGUN
        guard csv_error(parser) == Int32(CSV_EPARSE), parser.pointee.pstate == fieldBegun,
              parser.pointee.quoted == 0, at.pointee == quote else { return false }
        parser.pointee.status = 0
        parser.pointee.options = options & ~UInt8(CSV_STRICT)
        let used = csv_parse(parser, at, 1, fieldCallback, rowCallback, state)
        parser.pointee.options = options
        guard used == 1 else { return false }
        state.pointee.literalQuotes &+= 1
        state.pointee.quotes &-= 1
        return true
    }

    /// `csv_fini`: delivers a last row without a newline. Returns `false` on an error (an
    /// unterminated quote in strict mode).
    func finish(_ state: UnsafeMutablePointer<ParseState>) -> Bool {
        csv_fini(parser, fieldCallback, rowCallback, state) == 0
    }

    /// What the last failed ``parse(_:_:_:)`` or ``finish(_:)`` means.
    func errorKind(atEnd: Bool) -> CSVError.Kind {
        switch csv_error(parser) {
        case Int32(CSV_EPARSE): return atEnd ? .unterminatedQuote : .strayQuote
        case Int32(CSV_ENOMEM):
            return cap.hit ? .fieldTooLarge(limit: cap.limit - 1) : .io("out of memory growing a field buffer")
        default: return .io(String(cString: csv_strerror(csv_error(parser))))
        }
    }
}

struct CapState {
    var limit: Int
    var hit: Bool
}

private func keepSpaces(_ c: UInt8) -> Int32 { 0 }

/// The per-thread field-size cap the realloc function reads (libcsv gives it no context).
let capKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

private func cappedRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    if let raw = pthread_getspecific(capKey) {
        let cap = raw.assumingMemoryBound(to: CapState.self)
        if size > cap.pointee.limit {
            cap.pointee.hit = true
            return nil
        }
    }
    return realloc(pointer, size)
}

private func fieldCallback(_ bytes: UnsafeMutableRawPointer?, _ count: Int, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    context.assumingMemoryBound(to: ParseState.self).pointee
        .field(bytes.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) }, count)
}

private func rowCallback(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    context.assumingMemoryBound(to: ParseState.self).pointee.row()
}
