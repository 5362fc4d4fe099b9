import Glibc
import SluiceFrame

extension CSVReader {
    /// The schema of the file at `path`, inferred over the whole file by a pass that keeps no
    /// values (memory stays bounded whatever the file's size).
    public func schema(path: String) throws(CSVError) -> Schema {
        try inferStreaming(path: path).schema
    }

    /// The rows of the file at `path` in frames of `rowsPerBatch` rows (the last may be
    /// shorter), read one block at a time: memory stays bounded by the block and batch
    /// sizes, so a file larger than RAM can be read.
    ///
    /// The column types are decided first by a pass over the whole file that stores no
    /// values (unless ``CSVReadOptions/columnTypes`` names every column), so every batch has
    /// the same schema. Batches run on one core; errors carry `file:line:column`.
    public func batches(path: String, rowsPerBatch: Int) throws(CSVError) -> CSVBatches {
        guard rowsPerBatch > 0 else {
            throw CSVError(.invalidOption("rowsPerBatch must be positive, got \(rowsPerBatch)"), file: path)
        }
        let (schema, kinds) = try inferStreaming(path: path)
        return CSVBatches(reader: self, path: path, rowsPerBatch: rowsPerBatch, schema: schema, kinds: kinds)
    }

    func inferStreaming(path: String) throws(CSVError) -> (schema: Schema, kinds: [ColumnBuilder.Kind]) {
        let stream = try CSVStream(reader: self, path: path, fixedKinds: nil, batchRows: 0)
        while try stream.step() {
            stream.discardValues()
        }
        return try stream.inferredSchema()
    }
}

/// Frames of a CSV file, one batch of rows at a time. See ``CSVReader/batches(path:rowsPerBatch:)``.
public struct CSVBatches: AsyncSequence, Sendable {
    public typealias Element = Frame
    let reader: CSVReader
    let path: String
    let rowsPerBatch: Int
    /// The schema every batch has.
    public let schema: Schema
    let kinds: [ColumnBuilder.Kind]

    /// Reads the next batch when asked.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let batches: CSVBatches
        var stream: CSVStream?
        var pending: [Frame] = []
        var done = false

        /// The next batch, or `nil` after the last.
        public mutating func next() async throws -> Frame? {
            try nextBatch()
        }

        mutating func nextBatch() throws(CSVError) -> Frame? {
            while pending.isEmpty && !done {
                if stream == nil {
                    stream = try CSVStream(reader: batches.reader, path: batches.path, fixedKinds: batches.kinds,
                                           batchRows: batches.rowsPerBatch)
                }
                guard let stream else { return nil }
                let more = try stream.step()
                pending += try stream.takeBatches(schema: batches.schema, final: !more)
                if !more { done = true; self.stream = nil }
            }
            return pending.isEmpty ? nil : pending.removeFirst()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(batches: self) }
}

/// A file read in 1 MiB blocks through a line-fed libcsv parser.
final class CSVStream {
    let reader: CSVReader
    let path: String
    let fd: Int32
    let parser: LibCSVParser
    let state: UnsafeMutablePointer<ParseState>
    var builders: UnsafeMutablePointer<ColumnBuilder>?
    var names: [String] = []
    var kinds: [ColumnBuilder.Kind] = []
    let fixedKinds: [ColumnBuilder.Kind]?
    let batchRows: Int
    let block: UnsafeMutablePointer<UInt8>
    static let blockSize = 1 << 20
    var cursor = CSVDriver.LineCursor()
    var first = true
    var finished = false
    var sawNull: [Bool] = []

    init(reader: CSVReader, path: String, fixedKinds: [ColumnBuilder.Kind]?, batchRows: Int) throws(CSVError) {
        let rules = try ValueRules(reader.options)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileBytes.openError(path) }
        self.fd = fd
        self.reader = reader
        self.path = path
        self.fixedKinds = fixedKinds
        self.batchRows = batchRows
        parser = reader.makeParser()
        state = .allocate(capacity: 1)
        state.initialize(to: ParseState(mode: .header, expected: 0, rules: rules))
        state.pointee.maxColumns = reader.options.maxColumns
        state.pointee.maxFieldBytes = reader.options.maxFieldBytes
        state.pointee.tracksLines = true
        block = .allocate(capacity: Self.blockSize)
    }

    deinit {
        close(fd)
        if let builders {
            for j in kinds.indices { builders[j].release() }
            for group in state.pointee.completed { for var b in group { b.release() } }
            builders.deinitialize(count: kinds.count)
            builders.deallocate()
        }
        state.deinitialize(count: 1)
        state.deallocate()
        block.deallocate()
    }

    /// Reads and parses one block; returns `false` once the end of the file is parsed.
    func step() throws(CSVError) -> Bool {
        if finished { return false }
        var n = 0
        while true {
            n = read(fd, block, Self.blockSize)
            if n >= 0 || errno != EINTR { break }
        }
        if n < 0 { throw CSVError(.readFailed(String(cString: strerror(errno))), file: path) }
        var from = 0
        if first {
            first = false
            if n == 0 { throw CSVError(.emptyFile, file: path) }
            let head = UnsafeBufferPointer(start: block, count: n)
            if let format = CSVReader.foreignFormat(head) { throw CSVError(.notCSVText(format), file: path) }
            from = CSVReader.bodyStart(head)
        }
        let trim = reader.options.trimSpaces
        if state.pointee.mode == .header {
            from = CSVDriver.parseLines(parser, state, block, from..<n, cursor: &cursor, trim: trim,
                                        stopAfterHeader: true, final: n == 0)
            try check()
            if state.pointee.headerDone { try startData() }
            if n == 0 && !state.pointee.headerDone { throw CSVError(.emptyFile, file: path) }
        }
        if state.pointee.mode == .direct {
            CSVDriver.parseLines(parser, state, block, from..<n, cursor: &cursor, trim: trim, final: n == 0)
            try check()
        }
        if n == 0 { finished = true }
        return !finished
    }

    private func check() throws(CSVError) {
        if let f = state.pointee.failure {
            if case let .place(line, column) = f.location { throw CSVError(f.kind, file: path, line: line, column: column) }
            throw CSVError(f.kind, file: path)
        }
    }

    /// The header is known: check it, make the builders, and parse data from here on.
    private func startData() throws(CSVError) {
        let s = state.pointee
        if reader.options.hasHeader {
            var seen = Set<String>()
            for (j, bytes) in s.header.enumerated() {
                let place = { (k: CSVError.Kind) in CSVError(k, file: self.path, line: s.headerLine, column: j + 1) }
                if bytes.contains(0) { throw place(.nulByte) }
                guard let name = bytes.withUnsafeBufferPointer({ isValidUTF8($0) ? String(decoding: $0, as: UTF8.self) : nil }) else {
                    throw place(.invalidUTF8)
                }
                if name.isEmpty { throw place(.emptyHeader) }
                if !seen.insert(name).inserted { throw place(.duplicateHeader(name)) }
                names.append(name)
            }
        } else {
            names = (1...max(1, s.header.count)).map { "column_\($0)" }
        }
        let fixed: [Bool]
        if let fixedKinds {
            kinds = fixedKinds
            fixed = Array(repeating: true, count: kinds.count)
        } else {
            (kinds, fixed) = try reader.initialKinds(names, name: path)
        }
        guard kinds.count == names.count else {
            throw CSVError(.invalidOption("the file changed while it was read"), file: path)
        }
        let reserve = batchRows > 0 ? min(batchRows, 1 << 16) : 0
        let b = UnsafeMutablePointer<ColumnBuilder>.allocate(capacity: kinds.count)
        for j in kinds.indices { (b + j).initialize(to: ColumnBuilder(kind: kinds[j], fixed: fixed[j], reserve: reserve)) }
        builders = b
        sawNull = Array(repeating: false, count: kinds.count)
        state.pointee.builders = b
        state.pointee.expected = kinds.count
        state.pointee.batchRows = batchRows
        // Templates hold no memory (reserve 0), so copying them never shares a buffer.
        state.pointee.templates = kinds.indices.map { ColumnBuilder(kind: kinds[$0], fixed: fixed[$0], reserve: 0) }
        state.pointee.mode = .direct
        state.pointee.field = 0
        if !reader.options.hasHeader {
            // The first record was data: parse it again as such.
            throw CSVError(.invalidOption("batches need a header row (hasHeader)"), file: path)
        }
    }

    /// Drops stored values, keeping what was learnt about types (types-only pass).
    func discardValues() {
        guard let builders else { return }
        for j in kinds.indices {
            sawNull[j] = sawNull[j] || builders[j].sawNull
            builders[j].discardValues()
        }
    }

    func inferredSchema() throws(CSVError) -> (schema: Schema, kinds: [ColumnBuilder.Kind]) {
        var out: [ColumnBuilder.Kind] = []
        var fields: [Field] = []
        for j in kinds.indices {
            var k = builders?[j].kind ?? .string
            if k == .empty { k = .string }
            let nullable = sawNull[j] || (builders?[j].sawNull ?? false)
            out.append(k)
            var b = ColumnBuilder(kind: k, fixed: true, reserve: 0)
            b.promote(to: k)
            fields.append(Field(names[j], b.columnType, nullable: nullable))
        }
        do {
            return (try Schema(fields), out)
        } catch {
            throw CSVError(.invalidOption("\(error)"), file: path)
        }
    }

    /// The batches completed so far as frames (and, at the end, the last partial batch).
    func takeBatches(schema: Schema, final: Bool) throws(CSVError) -> [Frame] {
        var groups = state.pointee.completed
        state.pointee.completed = []
        if final, let builders, !kinds.isEmpty, builders[0].count > 0 {
            groups.append(Array(UnsafeBufferPointer(start: builders, count: kinds.count)))
            for j in kinds.indices { builders[j] = state.pointee.templates[j] }
        }
        var frames: [Frame] = []
        for g in groups {
            do {
                let f = try reader.assemble([g], names: names)
                // Keep the declared schema (nullability from the whole file).
                frames.append(try Frame(schema: schema, columns: f.columns))
            } catch let e as ParseFailure {
                throw CSVError(e.kind, file: path)
            } catch {
                throw CSVError(.invalidOption("\(error)"), file: path)
            }
        }
        return frames
    }
}
