import Glibc
import SluiceCompute
import SluiceFrame

/// Reads CSV into a typed ``Frame`` over libcsv.
///
/// ```swift
/// let frame = try CSVReader().read(path: "churn.csv")
/// var options = CSVReadOptions()
/// options.nullTokens = ["NA"]
/// options.columnTypes = ["customer_id": .string]
/// let result = try CSVReader(options).readResult(path: "dirty.csv")   // frame + skipped rows
/// ```
///
/// **Types.** Each column without an explicit type is inferred over the whole input:
/// Int64, then Double, Bool, Date, Timestamp, else String; a column whose values need a wider
/// type is promoted (Int64 → Double, Date → Timestamp, anything → String), so a column is
/// never half one type and half another. Integers with leading zeros (`00123`) are text;
/// `NaN`, `inf`, `-inf` are doubles. A column with no value at all is a nullable String.
///
/// **Speed.** ``read(path:)`` maps the file and, in strict mode, parses it on every core.
/// Records without a quote byte are split by the reader itself, 8 bytes at a time, straight
/// from the mapping; a record with a quote goes to libcsv, which keeps every quoting rule
/// (both give the same records: tests compare them). The split points between cores are
/// first taken at line ends without a pass over the file; if the parts' quote counts show
/// a split point inside a quoted field, the file is split again by quote parity. Numbers are
/// parsed from bytes (exact, correctly rounded: the same bits as `strtod`). Pages of the
/// mapping are handed back as they are read, so peak memory is about twice the frame.
/// Lenient reads and ``batches(path:rowsPerBatch:)`` use one core and libcsv throughout.
///
/// **Errors.** Every bad input fails with a ``CSVError`` naming `file:line:column`, and
/// nothing partial is returned, unless ``CSVReadOptions/badRows`` is `.skip`.
public struct CSVReader: Sendable {
    /// The options every read uses.
    public var options: CSVReadOptions
    /// Whether whole-file reads split quote-free records themselves (``CSVDriver/parseFast``)
    /// rather than through libcsv; the records are the same (tests compare both).
    var useFastPath = true

    /// A reader with `options` (the defaults read RFC 4180 with a header).
    public init(_ options: CSVReadOptions = CSVReadOptions()) {
        self.options = options
    }

    /// Reads the whole file at `path` into a frame. Skipped rows (lenient mode) are dropped;
    /// use ``readResult(path:)`` to see them.
    public func read(path: String) throws(CSVError) -> Frame {
        try readResult(path: path).frame
    }

    /// Reads the whole file at `path`: the frame and the rows a lenient read skipped.
    ///
    /// `path` `-` is standard input. A regular file is mapped; if it is truncated while it is
    /// read the read fails with ``CSVError/Kind/truncated`` (exit 74), never a crash. Other
    /// inputs (pipes, FIFOs, devices) are opened once and read in blocks; a field longer than
    /// ``CSVReadOptions/maxFieldBytes`` fails at its line as it arrives.
    public func readResult(path: String) throws(CSVError) -> CSVReadResult {
        try readResult(path: path, afterOpening: {})
    }

    /// ``readResult(path:)``, calling `afterOpening` between opening and parsing (tests use it
    /// to change the file under the reader).
    func readResult(path: String, afterOpening: () -> Void) throws(CSVError) -> CSVReadResult {
        Trace.mark("start")
        let limits = FileBytes.StreamLimits(delimiter: options.delimiter, quote: options.quote,
                                            maxFieldBytes: options.maxFieldBytes)
        let file = try FileBytes.map(path, limits: limits)
        Trace.mark("loaded")
        afterOpening()
        let result: CSVReadResult
        do {
            result = try read(file.buffer, name: path, mapped: file.isMapped)
        } catch {
            // A parse error in a file that shrank meanwhile is about bytes that are gone.
            try file.checkUnchanged(name: path)
            throw error
        }
        try file.checkUnchanged(name: path)
        return result
    }

    /// Reads CSV text held in memory; `name` stands for the file in errors.
    public func read(bytes: [UInt8], name: String = "<memory>") throws(CSVError) -> Frame {
        try readResult(bytes: bytes, name: name).frame
    }

    /// Reads CSV text held in memory: the frame and the skipped rows.
    public func readResult(bytes: [UInt8], name: String = "<memory>") throws(CSVError) -> CSVReadResult {
        let copy = FileBytes(count: bytes.count)
        bytes.withUnsafeBufferPointer { if let b = $0.baseAddress { copy.pointer.update(from: b, count: $0.count) } }
        return try read(copy.buffer, name: name)
    }

    /// Reads CSV text held in memory (a `String`'s UTF-8); `name` stands for the file in errors.
    public func read(text: String, name: String = "<memory>") throws(CSVError) -> Frame {
        try read(bytes: Array(text.utf8), name: name)
    }

    // MARK: The read

    struct Header {
        var names: [String]
        var dataStart: Int
        var dataLine: Int
    }

    /// Whether quotes follow strict rules at record boundaries (standard and strict quoting),
    /// which splitting a file between cores relies on.
    private var strict: Bool { options.quoting != .lenient }

    func makeParser() -> LibCSVParser {
        LibCSVParser(delimiter: options.delimiter, quote: options.quote, quoting: options.quoting,
                     trim: options.trimSpaces, maxFieldBytes: options.maxFieldBytes)
    }

    /// Skips a UTF-8 byte-order mark.
    static func bodyStart(_ buf: UnsafeBufferPointer<UInt8>) -> Int {
        buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0
    }

    /// What the input is when its first bytes say it is not CSV text: a compressed file's
    /// magic number, or a UTF-16 / UTF-32 byte-order mark.
    static func foreignFormat(_ buf: UnsafeBufferPointer<UInt8>) -> String? {
        func starts(_ magic: [UInt8]) -> Bool { buf.count >= magic.count && zip(buf, magic).allSatisfy { $0 == $1 } }
        if starts([0x1F, 0x8B]) { return "a gzip file (decompress it first: gunzip -c FILE | sluice … -)" }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return "a zstd file (decompress it first)" }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return "an xz file (decompress it first)" }
        if starts([0x42, 0x5A, 0x68]) && buf.count > 3 && (0x31...0x39).contains(buf[3]) { return "a bzip2 file (decompress it first)" }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return "a zip archive (extract it first)" }
        if starts([0xFF, 0xFE, 0x00, 0x00]) { return "text in UTF-32 LE (convert it to UTF-8 first, e.g. iconv -f UTF-32 -t UTF-8)" }
        if starts([0x00, 0x00, 0xFE, 0xFF]) { return "text in UTF-32 BE (convert it to UTF-8 first, e.g. iconv -f UTF-32 -t UTF-8)" }
        if starts([0xFF, 0xFE]) { return "text in UTF-16 LE (convert it to UTF-8 first, e.g. iconv -f UTF-16 -t UTF-8)" }
        if starts([0xFE, 0xFF]) { return "text in UTF-16 BE (convert it to UTF-8 first, e.g. iconv -f UTF-16 -t UTF-8)" }
        return nil
    }

    /// `mapped`: the bytes are a read-only file mapping, whose pages the parse may hand back
    /// to the kernel once read (``CSVDriver/parseFast``); touching them again reads the file.
    func read(_ buf: UnsafeBufferPointer<UInt8>, name: String, mapped: Bool = false) throws(CSVError) -> CSVReadResult {
        guard let base = buf.baseAddress, buf.count > 0 else { throw CSVError(.emptyFile, file: name) }
        if let format = Self.foreignFormat(buf) { throw CSVError(.notCSVText(format), file: name) }
        let rules = try ValueRules(options)
        let start = Self.bodyStart(buf)
        let header = try readHeader(base, start..<buf.count, name: name, rules: rules)
        let (kinds, fixed) = try initialKinds(header.names, name: name)
        let data = header.dataStart..<buf.count

        if options.badRows == .skip {
            return try readLenient(base, data, header: header, kinds: kinds, fixed: fixed, rules: rules, name: name)
        }
        Trace.mark("header")
        var parts = parseChunks(base, data, kinds: kinds, fixed: fixed, rules: rules, mapped: mapped)
        Trace.mark("parsed")
        if let (index, failure) = parts.enumerated().lazy.compactMap({ i, p in p.failure.map { (i, $0) } }).first {
            let rowsBefore = parts[..<index].reduce(0) { $0 + $1.rows }
            Self.release(parts)
            throw locate(failure, rowOffset: rowsBefore, base, start..<buf.count, name: name, rules: rules)
        }
        if let finalKinds = needsReparse(parts.map(\.builders), kinds: kinds) {
            Self.release(parts)
            parts = parseChunks(base, data, kinds: finalKinds, fixed: Array(repeating: true, count: kinds.count), rules: rules,
                                mapped: mapped)
            if let failure = parts.lazy.compactMap(\.failure).first {
                Self.release(parts)
                throw locate(failure, rowOffset: 0, base, start..<buf.count, name: name, rules: rules)
            }
        }
        let warnings = overflowWarnings(parts.map(\.builders), names: header.names, base, start..<buf.count,
                                        name: name, rules: rules)
        do {
            let frame = try assemble(parts.map(\.builders), names: header.names)
            Trace.mark("assembled")
            return CSVReadResult(frame: frame, badRows: [], warnings: warnings)
        } catch let problem {
            throw locate(problem, rowOffset: 0, base, start..<buf.count, name: name, rules: rules)
        }
    }

    /// The header record (or the first record's width without a header), checked.
    func readHeader(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, name: String,
                    rules: ValueRules) throws(CSVError) -> Header {
        let parser = makeParser()
        var state = ParseState(mode: .header, expected: 0, rules: rules)
        state.maxColumns = options.maxColumns
        var cursor = CSVDriver.LineCursor()
        let end = withUnsafeMutablePointer(to: &state) {
            CSVDriver.parseLines(parser, $0, base, range, cursor: &cursor, trim: options.trimSpaces,
                                 stopAfterHeader: true, final: true)
        }
        if let f = state.failure, case let .place(line, column) = f.location {
            throw CSVError(f.kind, file: name, line: line, column: column)
        }
        guard state.headerDone else { throw CSVError(.emptyFile, file: name) }
        guard options.hasHeader else {
            return Header(names: (1...max(1, state.header.count)).map { "column_\($0)" }, dataStart: range.lowerBound, dataLine: 1)
        }
        var names: [String] = []
        var seen = Set<String>()
        for (j, bytes) in state.header.enumerated() {
            let place = { (kind: CSVError.Kind) in CSVError(kind, file: name, line: state.headerLine, column: j + 1) }
            if bytes.contains(0) { throw place(.nulByte) }
            guard let s = bytes.withUnsafeBufferPointer({ isValidUTF8($0) ? String(decoding: $0, as: UTF8.self) : nil }) else {
                throw place(.invalidUTF8)
            }
            if s.isEmpty { throw place(.emptyHeader) }
            if !seen.insert(s).inserted { throw place(.duplicateHeader(s)) }
            names.append(s)
        }
        return Header(names: names, dataStart: end, dataLine: cursor.line)
    }

    func initialKinds(_ names: [String], name: String) throws(CSVError) -> ([ColumnBuilder.Kind], [Bool]) {
        for n in options.columnTypes.keys where !names.contains(n) {
            throw CSVError(.invalidOption("columnTypes names '\(n)', which is not a column"), file: name)
        }
        let kinds = names.map { options.columnTypes[$0].map(ColumnBuilder.kind) ?? .empty }
        return (kinds, names.map { options.columnTypes[$0] != nil })
    }

    // MARK: Chunks

    /// One part's builders. They own `malloc` memory: ``assemble(_:names:)`` consumes
    /// them, and every other path hands them to ``release(_:)``.
    struct Part {
        var builders: [ColumnBuilder]
        var rows: Int
        var failure: ParseFailure?
        /// The quote bytes in the part's range, when the fast path parsed all of it.
        var quotes: Int?
        /// Quotes inside unquoted fields read as text: they break the quote parity that
        /// splitting relies on, so a split file with any is parsed again as one part.
        var literalQuotes = 0
    }

    static func release(_ parts: [Part]) {
        for p in parts { for var b in p.builders { b.release() } }
    }

    /// Splits `range` into up to `parts` ranges that each start at a record boundary.
    ///
    /// Quote parity decides where a record may end: in a file libcsv accepts in strict mode,
    /// a line end is outside quotes exactly when an even number of quotes precede it. The
    /// quotes before each nominal split point are counted in parallel. A `speculative` split
    /// counts nothing and assumes an even number of quotes before every split point; the
    /// caller must check that assumption (the parts' ``Part/quotes``) before trusting it.
    func split(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, parts: Int, speculative: Bool = false) -> [Range<Int>] {
        guard parts > 1, strict, range.count >= 1 << 20 else { return [range] }
        let lo = range.lowerBound, hi = range.upperBound, n = range.count
        let cuts = (0...parts).map { lo + n * $0 / parts }
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: parts)
        defer { counts.deallocate() }
        let quote = options.quote
        counts.initialize(repeating: 0)
        if !speculative {
            Parallel.forEachChunk(of: parts, minimumChunk: 1) { r in
                for k in r { counts[k] = Self.count(quote, base + cuts[k], cuts[k + 1] - cuts[k]) }
            }
        }
        var bounds = [lo]
        var quotes = 0
        for k in 1..<parts {
            quotes += counts[k - 1]
            var inQuote = quotes & 1 == 1
            var i = max(cuts[k], bounds[bounds.count - 1])
            var boundary = hi
            // No line end within 4 MiB of the cut (one endless field or record): the rest is one
            // part, rather than a scan of it all here (which an over-long field would make long).
            let searchEnd = hi - i > 4 << 20 ? i + (4 << 20) : hi
            while i < searchEnd {
                let b = base[i]
                if b == quote { inQuote.toggle() } else if !inQuote && (b == 0x0A || b == 0x0D) {
                    boundary = b == 0x0D && i + 1 < hi && base[i + 1] == 0x0A ? i + 2 : i + 1
                    break
                }
                i += 1
            }
            if i >= searchEnd { boundary = hi }
            bounds.append(max(boundary, bounds[bounds.count - 1]))
        }
        bounds.append(hi)
        return (0..<parts).map { bounds[$0]..<bounds[$0 + 1] }
    }

    /// How many bytes equal to `byte` the `n` bytes at `p` hold (8 at a time).
    static func count(_ byte: UInt8, _ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let pattern = ones &* UInt64(byte)
        var c = 0, i = 0
        while i &+ 8 <= n {
            let x = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) ^ pattern
            // The high bit of each byte of `nonzero` is set exactly when that byte of x is not 0.
            let nonzero = ((x & lows) &+ lows) | x
            c &+= (~nonzero & ~lows).nonzeroBitCount
            i &+= 8
        }
        while i < n { c &+= p[i] == byte ? 1 : 0; i &+= 1 }
        return c
    }

    /// Whether whole-range parses of these options use ``CSVDriver/parseFast``.
    var usesFastPath: Bool {
        useFastPath && CSVDriver.fastPathApplies(delimiter: options.delimiter, quote: options.quote, trim: options.trimSpaces)
    }

    /// Parses `range` on every core (strict mode), one libcsv parser per part.
    ///
    /// With the fast path the split is first speculative (no pass over the input to count
    /// quotes): the parts count the quotes they meet, and when a split point turns out to
    /// have an odd number of quotes before it (inside a quoted field), or a part failed, the
    /// parts are dropped and the range is split again with the quotes counted first.
    func parseChunks(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, kinds: [ColumnBuilder.Kind],
                     fixed: [Bool], rules: ValueRules, mapped: Bool = false) -> [Part] {
        let threads = max(1, options.threads ?? Parallel.threadCount)
        let speculative = usesFastPath
        let ranges = split(base, range, parts: threads, speculative: speculative)
        let parts = parseRanges(base, range, ranges, kinds: kinds, fixed: fixed, rules: rules, mapped: mapped)
        if ranges.count > 1 && parts.contains(where: { $0.literalQuotes > 0 }) {
            // Literal quotes: quote parity does not tell record boundaries; one part, one core.
            Self.release(parts)
            return parseRanges(base, range, [range], kinds: kinds, fixed: fixed, rules: rules, mapped: mapped)
        }
        guard speculative && ranges.count > 1 else { return parts }
        // The first part starts where the input starts: its failure is real unless it is a
        // quote left open at its end (a split point inside a quoted field). Counting quotes
        // over the whole input would cost a pass over it (an over-long field's gigabyte).
        if let f = parts[0].failure, f.kind != .unterminatedQuote { return parts }
        var quotes = 0
        for p in parts.dropLast() {
            guard let q = p.quotes else { quotes = 1; break }
            quotes &+= q
            if quotes & 1 == 1 { break }
        }
        if quotes & 1 == 0 { return parts }
        Self.release(parts)
        let again = parseRanges(base, range, split(base, range, parts: threads), kinds: kinds, fixed: fixed,
                                rules: rules, mapped: mapped)
        if again.count > 1 && again.contains(where: { $0.literalQuotes > 0 }) {
            Self.release(again)
            return parseRanges(base, range, [range], kinds: kinds, fixed: fixed, rules: rules, mapped: mapped)
        }
        return again
    }

    func parseRanges(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, _ ranges: [Range<Int>],
                     kinds: [ColumnBuilder.Kind], fixed: [Bool], rules: ValueRules, mapped: Bool) -> [Part] {
        // Rows per byte, from the first 64 KiB, to reserve column storage once.
        let sample = min(range.count, 1 << 16)
        var newlines = 0
        for i in range.lowerBound..<(range.lowerBound + sample) where base[i] == 0x0A || base[i] == 0x0D { newlines += 1 }
        let bytesPerRow = newlines > 0 ? Double(sample) / Double(newlines) : Double(max(sample, 1))
        let results = UnsafeMutableBufferPointer<Part>.allocate(capacity: ranges.count)
        defer { results.deallocate() }
        Parallel.forEachChunk(of: ranges.count, minimumChunk: 1) { r in
            for c in r {
                let estimate = Int(Double(ranges[c].count) / bytesPerRow * 1.05) + 16
                results.initializeElement(at: c, to: parsePart(base, ranges[c], kinds: kinds, fixed: fixed,
                                                               rules: rules, reserve: estimate, mapped: mapped))
            }
        }
        let parts = Array(results)
        _ = results.deinitialize()
        return parts
    }

    func parsePart(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, kinds: [ColumnBuilder.Kind], fixed: [Bool],
                   rules: ValueRules, reserve: Int, mapped: Bool = false) -> Part {
        let parser = makeParser()
        let n = range.count
        let fast = usesFastPath
        // The fast path gives libcsv only records with quotes: keeping its space function
        // there costs less than scanning the whole range for spaces.
        let spaceFree = !fast && (n == 0 || (memchr(base + range.lowerBound, 0x20, n) == nil && memchr(base + range.lowerBound, 0x09, n) == nil))
        parser.reset(spaceFree: spaceFree)
        let builders = UnsafeMutablePointer<ColumnBuilder>.allocate(capacity: kinds.count)
        for j in kinds.indices { (builders + j).initialize(to: ColumnBuilder(kind: kinds[j], fixed: fixed[j], reserve: reserve)) }
        var state = ParseState(mode: .direct, expected: kinds.count, rules: rules)
        state.maxFieldBytes = options.maxFieldBytes
        state.builders = builders
        if fast {
            withUnsafeMutablePointer(to: &state) {
                CSVDriver.parseFast(parser, $0, base, range, delimiter: options.delimiter, quote: options.quote,
                                    releasesInput: mapped)
            }
        } else {
            withUnsafeMutablePointer(to: &state) { CSVDriver.parseBlocks(parser, $0, base, range) }
        }
        let part = Part(builders: Array(UnsafeBufferPointer(start: builders, count: kinds.count)),
                        rows: state.rows, failure: state.failure,
                        quotes: fast && state.failure == nil ? state.quotes : nil, literalQuotes: state.literalQuotes)
        builders.deinitialize(count: kinds.count)
        builders.deallocate()
        return part
    }

    /// The final kinds when some column lost text to a late promotion to String (the file
    /// must be parsed again with these kinds); `nil` when the parts can be assembled as they are.
    func needsReparse(_ parts: [[ColumnBuilder]], kinds: [ColumnBuilder.Kind]) -> [ColumnBuilder.Kind]? {
        var final = kinds
        var again = false
        for j in kinds.indices {
            var k = ColumnBuilder.Kind.empty
            for p in parts { k = KindLattice.join(k, p[j].kind) }
            // Integers past 2^53 in one part and doubles in another: text, not rounded doubles.
            if k == .double && parts.contains(where: { $0[j].kind == .int64 && $0[j].exceedsDoublePrecision }) {
                k = .string
                again = true
            }
            for p in parts where p[j].lossy || (k == .string && p[j].kind != .string && p[j].count > p[j].nullCount) {
                again = true
            }
            final[j] = k == .empty ? .string : k
        }
        return again ? final : nil
    }

    // MARK: Lenient

    func readLenient(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, header: Header, kinds: [ColumnBuilder.Kind],
                     fixed: [Bool], rules: ValueRules, name: String) throws(CSVError) -> CSVReadResult {
        func pass(_ kinds: [ColumnBuilder.Kind], _ fixed: [Bool]) -> ([ColumnBuilder], [PendingBadRow]) {
            let parser = makeParser()
            let builders = UnsafeMutablePointer<ColumnBuilder>.allocate(capacity: kinds.count)
            for j in kinds.indices { (builders + j).initialize(to: ColumnBuilder(kind: kinds[j], fixed: fixed[j], reserve: 0)) }
            var state = ParseState(mode: .buffered, expected: kinds.count, rules: rules)
            state.maxFieldBytes = options.maxFieldBytes
            state.builders = builders
            state.fixed = fixed
            state.record.reserveCapacity(256)
            var cursor = CSVDriver.LineCursor(line: header.dataLine)
            withUnsafeMutablePointer(to: &state) {
                _ = CSVDriver.parseLines(parser, $0, base, range, cursor: &cursor, trim: options.trimSpaces, final: true)
            }
            let out = Array(UnsafeBufferPointer(start: builders, count: kinds.count))
            builders.deinitialize(count: kinds.count)
            builders.deallocate()
            return (out, state.bad)
        }
        var (builders, bad) = pass(kinds, fixed)
        if let final = needsReparse([builders], kinds: kinds) {
            for var b in builders { b.release() }
            (builders, bad) = pass(final, Array(repeating: true, count: kinds.count))
        }
        do {
            let whole = Self.bodyStart(UnsafeBufferPointer(start: base, count: range.upperBound))..<range.upperBound
            let warnings = overflowWarnings([builders], names: header.names, base, whole, name: name, rules: rules)
            let frame = try assemble([builders], names: header.names)
            let rows = bad.map { CSVBadRow(error: CSVError($0.kind, file: name, line: $0.line, column: $0.column), fields: $0.fields) }
            return CSVReadResult(frame: frame, badRows: rows, warnings: warnings)
        } catch let problem {
            // Buffered rows were checked for UTF-8 and NUL already; this cannot name a row.
            throw CSVError(problem.kind, file: name)
        }
    }

    // MARK: Places

    /// One warning per column holding numbers too large for a double, at the first of them.
    func overflowWarnings(_ parts: [[ColumnBuilder]], names: [String], _ base: UnsafePointer<UInt8>, _ range: Range<Int>,
                          name: String, rules: ValueRules) -> [CSVWarning] {
        var warnings: [CSVWarning] = []
        for j in names.indices {
            var rowsBefore = 0, first: (row: Int, text: String)?, total = 0
            for p in parts where j < p.count {
                if first == nil && p[j].overflowRow >= 0 { first = (rowsBefore + p[j].overflowRow, p[j].overflowText) }
                total += p[j].overflowCount
                rowsBefore += p[j].count
            }
            guard let first else { continue }
            let place = locate(ParseFailure(kind: .numberOverflow(text: first.text), location: .row(first.row, field: j)),
                               rowOffset: 0, base, range, name: name, rules: rules)
            warnings.append(CSVWarning(place: place, columnName: names[j], count: total))
        }
        return warnings
    }

    /// Turns a failure into an error with `file:line:column`, by a line-fed pass from the
    /// start of the file to the failing row (or to libcsv's first error).
    func locate(_ failure: ParseFailure, rowOffset: Int, _ base: UnsafePointer<UInt8>, _ range: Range<Int>,
                name: String, rules: ValueRules) -> CSVError {
        if case let .place(line, column) = failure.location {
            return CSVError(failure.kind, file: name, line: line, column: column)
        }
        let parser = makeParser()
        var state = ParseState(mode: options.hasHeader ? .header : .locate, expected: 0, rules: rules)
        if case let .row(row, field) = failure.location, !failure.needsLocating {
            state.target = (row + rowOffset, field)
        } else {
            state.target = (Int.max, 0)
        }
        var cursor = CSVDriver.LineCursor()
        withUnsafeMutablePointer(to: &state) { s in
            var from = range.lowerBound
            if options.hasHeader {
                from = CSVDriver.parseLines(parser, s, base, range, cursor: &cursor, trim: options.trimSpaces,
                                            stopAfterHeader: true, final: true)
                s.pointee.mode = .locate
                s.pointee.field = 0
                s.pointee.rows = 0
            }
            CSVDriver.parseLines(parser, s, base, from..<range.upperBound, cursor: &cursor, trim: options.trimSpaces, final: true)
        }
        if let found = state.found, !failure.needsLocating {
            return CSVError(failure.kind, file: name, line: found.line, column: found.column)
        }
        if let f = state.failure, case let .place(line, column) = f.location {
            return CSVError(f.kind, file: name, line: line, column: column)
        }
        return CSVError(failure.kind, file: name)
    }
}

/// Phase timings on stderr when `SLUICE_CSV_TRACE` is set (for performance work).
enum Trace {
    static let enabled = getenv("SLUICE_CSV_TRACE") != nil
    nonisolated(unsafe) static var last = timespec()

    static func mark(_ label: String) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let ms = Double(now.tv_sec - last.tv_sec) * 1000 + Double(now.tv_nsec - last.tv_nsec) / 1e6
        if label != "start" {
            var rss = 0
            let fd = open("/proc/self/statm", O_RDONLY)
            if fd >= 0 {
                var buf = [UInt8](repeating: 0, count: 128)
                let n = read(fd, &buf, 127)
                close(fd)
                if n > 0, let text = String(validating: buf[..<n], as: UTF8.self) {
                    rss = (Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0) * 4096 / 1_048_576
                }
            }
            let line = "csv \(label): \((ms * 10).rounded() / 10) ms, RSS \(rss) MB\n"
            _ = write(2, line, line.utf8.count)
        }
        last = now
    }
}
