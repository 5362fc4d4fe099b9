import CLibPQ
import Glibc
import SluiceFrame

/// Options for reading rows into frames.
public struct PostgresReadOptions: Sendable, Equatable {
    /// Read columns of types Sluice does not map (`jsonb`, `interval`, arrays, …) as their
    /// text form (a `string` column) instead of failing. Off by default.
    public var textFallback: Bool
    /// Rows per `FETCH` when a query has parameters (it then reads through a cursor, since
    /// `COPY` takes no parameters).
    public var cursorFetchRows: Int

    /// Options with the text fallback off and 10 000 rows per fetch.
    public init(textFallback: Bool = false, cursorFetchRows: Int = 10_000) {
        self.textFallback = textFallback
        self.cursorFetchRows = max(1, cursorFetchRows)
    }
}

/// One column of a table or a query's result, as the server describes it.
struct ResultColumn: Sendable, Equatable {
    var name: String
    var oid: UInt32
    var typmod: Int32
    var nullable: Bool
}

extension PostgresConnection {
    // MARK: Schema discovery

    /// The schema of `table` (its columns in order, with `NOT NULL` as non-nullable), read
    /// from the catalog without reading a row.
    ///
    /// - Throws: ``PostgresError`` of kind `.schema` when the table does not exist,
    ///   `.badData` when a column's type is not mapped and `textFallback` is off.
    public func schema(of table: TableName, options: PostgresReadOptions = PostgresReadOptions()) throws(PostgresError) -> Schema {
        try frameSchema(try describe(table: table).columns, options: options, source: "table \(table)")
    }

    /// The schema of a query's result, from the server's description of the prepared
    /// statement: no row is read and the query does not run.
    public func schema(ofQuery sql: String, parameters: [PostgresValue] = [],
                       options: PostgresReadOptions = PostgresReadOptions()) throws(PostgresError) -> Schema {
        try frameSchema(try describe(query: sql, parameters: parameters), options: options, source: "query")
    }

    /// The columns of `table` and whether it is a plain table (which `COPY t TO` accepts).
    func describe(table: TableName) throws(PostgresError) -> (columns: [ResultColumn], plain: Bool) {
        try table.validate()
        let quoted = try table.quoted(self)
        let found = try rows("SELECT c.oid::int8, c.relkind::text FROM pg_class c WHERE c.oid = to_regclass($1)", [.string(quoted)])
        guard let first = found.first, let oid = first[0] else {
            throw PostgresError(.schema, operation: "read table \(quoted)", message: "table \(quoted) does not exist", sqlState: "42P01", table: table.description)
        }
        let columns = try rows("""
            SELECT attname::text, atttypid::int8, atttypmod, attnotnull FROM pg_attribute
            WHERE attrelid = $1::int8::oid AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
            ORDER BY attnum
            """, [.string(oid)])
        let described = columns.map { r in
            ResultColumn(name: r[0] ?? "", oid: UInt32(r[1] ?? "0") ?? 0, typmod: Int32(r[2] ?? "-1") ?? -1, nullable: r[3] != "t")
        }
        return (described, first[1] == "r")
    }

    /// The result columns of `sql`, from `PQprepare` + `PQdescribePrepared` on the unnamed statement.
    func describe(query sql: String, parameters: [PostgresValue]) throws(PostgresError) -> [ResultColumn] {
        let operation = "describe query \(Self.summary(of: sql))"
        if Self.trimmed(sql).allSatisfy({ $0.isWhitespace || $0 == ";" }) {
            throw PostgresError(.invalidStatement, operation: "read query", message: "the query is empty")
        }
        let types = parameters.map { Oid($0.typeOID) }
        let prepared = types.withUnsafeBufferPointer { PQprepare(handle, "", Self.trimmed(sql), Int32(types.count), $0.baseAddress) }
        PQclear(try check(prepared, operation: operation))
        let description = try check(PQdescribePrepared(handle, ""), operation: operation)
        defer { PQclear(description) }
        return (0..<PQnfields(description)).map { i in
            ResultColumn(name: String(cString: PQfname(description, i)), oid: UInt32(PQftype(description, i)),
                         typmod: PQfmod(description, i), nullable: true)
        }
    }

    func frameSchema(_ columns: [ResultColumn], options: PostgresReadOptions, source: String) throws(PostgresError) -> Schema {
        var fields: [Field] = []
        for column in columns {
            if let kind = DecodeKind(oid: column.oid) {
                fields.append(Field(column.name, kind.columnType, nullable: column.nullable))
            } else if options.textFallback {
                fields.append(Field(column.name, .string, nullable: column.nullable))
            } else {
                let type = (try? rows("SELECT format_type($1::int8::oid, $2::int4)", [.int64(Int64(column.oid)), .int64(Int64(column.typmod))]))?
                    .first?.first ?? nil
                throw PostgresError(.badData, operation: "read \(source)",
                                    message: "column '\(column.name)' has type \(type ?? "oid \(column.oid)"), which Sluice does not read; cast it in the query (e.g. \"\(column.name)\"::text) or turn on the text fallback",
                                    column: column.name)
            }
        }
        do {
            return try Schema(fields)
        } catch {
            throw PostgresError(.schema, operation: "read \(source)", message: "\(error)")
        }
    }

    // MARK: Reading

    /// Reads every row of `table` with `COPY … TO STDOUT (FORMAT binary)`.
    public func read(_ table: TableName, options: PostgresReadOptions = PostgresReadOptions()) throws(PostgresError) -> Frame {
        let reader = try makeReader(table: table, options: options)
        return try reader.readAll()
    }

    /// Reads every row of a query. Without parameters it runs as `COPY (query) TO STDOUT
    /// (FORMAT binary)`; with parameters (bound, never pasted into the SQL) through a
    /// cursor fetched in binary format, since `COPY` takes no parameters.
    public func read(query sql: String, parameters: [PostgresValue] = [],
                     options: PostgresReadOptions = PostgresReadOptions()) throws(PostgresError) -> Frame {
        let reader = try makeReader(query: sql, parameters: parameters, options: options)
        return try reader.readAll()
    }

    /// A reader that streams `table` in batches (see ``PostgresRowReader/next(maxRows:)``).
    public func makeReader(table: TableName, options: PostgresReadOptions = PostgresReadOptions()) throws(PostgresError) -> PostgresRowReader {
        let (columns, plain) = try describe(table: table)
        let schema = try frameSchema(columns, options: options, source: "table \(table)")
        let quoted = try table.quoted(self)
        let needsCasts = columns.contains { DecodeKind(oid: $0.oid) == nil }
        let source: String
        if needsCasts {
            source = try castingQuery("SELECT * FROM \(quoted)", columns: columns)
        } else {
            source = plain ? quoted : "(SELECT * FROM \(quoted))"
        }
        return try PostgresRowReader(connection: self, schema: schema, columns: columns, copySource: source,
                                     operation: "read table \(quoted)")
    }

    /// A reader that streams a query's rows in batches (see ``PostgresRowReader/next(maxRows:)``).
    public func makeReader(query sql: String, parameters: [PostgresValue] = [],
                           options: PostgresReadOptions = PostgresReadOptions()) throws(PostgresError) -> PostgresRowReader {
        let columns = try describe(query: sql, parameters: parameters)
        let schema = try frameSchema(columns, options: options, source: "query")
        var body = Self.trimmed(sql)
        if columns.contains(where: { DecodeKind(oid: $0.oid) == nil }) {
            body = String(try castingQuery(body, columns: columns).dropFirst().dropLast())
        }
        let operation = "read query \(Self.summary(of: sql))"
        if parameters.isEmpty {
            return try PostgresRowReader(connection: self, schema: schema, columns: columns, copySource: "(\(body))",
                                         operation: operation)
        }
        return try PostgresRowReader(connection: self, schema: schema, columns: columns, cursorQuery: body, parameters: parameters,
                                     fetchRows: options.cursorFetchRows, operation: operation)
    }

    /// `(SELECT q."1", q."2"::text, … FROM (query) AS q("1", "2", …))`: unmapped columns as text.
    private func castingQuery(_ sql: String, columns: [ResultColumn]) throws(PostgresError) -> String {
        let aliases = columns.indices.map { "\"c\($0 + 1)\"" }
        let list = zip(columns, aliases).map { column, alias in
            DecodeKind(oid: column.oid) == nil ? "q.\(alias)::text" : "q.\(alias)"
        }
        return "(SELECT \(list.joined(separator: ", ")) FROM (\(sql)) AS q(\(aliases.joined(separator: ", "))))"
    }

    /// `sql` without trailing white space and semicolons.
    static func trimmed(_ sql: String) -> String {
        var s = Substring(sql)
        while let last = s.last, last == ";" || last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

/// Rows of a table or query, decoded from PostgreSQL's binary format straight into typed
/// columns, a batch at a time: memory stays bounded by the batch, whatever the table's size.
///
/// Made by ``PostgresConnection/makeReader(table:options:)`` or
/// ``PostgresConnection/makeReader(query:parameters:options:)``. The connection is busy
/// until the reader is exhausted or ``cancel()``ed.
public final class PostgresRowReader {
    /// The schema of every batch.
    public let schema: Schema
    let connection: PostgresConnection
    let operation: String
    private let states: UnsafeMutablePointer<ColumnState>
    private let columnCount: Int
    private var finished = false
    /// Rows returned in earlier batches (to place errors).
    private var rowsBefore = 0

    // COPY state.
    private var isCopy: Bool
    private var pending: [UInt8] = []
    private var headerDone = false
    private var trailerSeen = false

    // Cursor state.
    private var cursorName = ""
    private var ownsTransaction = false
    private var fetchRows = 0

    private init(connection: PostgresConnection, schema: Schema, columns: [ResultColumn], operation: String, isCopy: Bool) {
        self.connection = connection
        self.schema = schema
        self.operation = operation
        self.isCopy = isCopy
        columnCount = schema.count
        states = .allocate(capacity: max(1, schema.count))
        for i in 0..<schema.count {
            // Unmapped types arrive cast to text.
            let kind = i < columns.count ? DecodeKind(oid: columns[i].oid) ?? .text : .text
            (states + i).initialize(to: ColumnState(kind: kind))
        }
    }

    convenience init(connection: PostgresConnection, schema: Schema, columns: [ResultColumn], copySource: String,
                     operation: String) throws(PostgresError) {
        self.init(connection: connection, schema: schema, columns: columns, operation: operation, isCopy: true)
        let result = try connection.run("COPY \(copySource) TO STDOUT (FORMAT binary)", [], operation: operation)
        let status = PQresultStatus(result)
        PQclear(result)
        guard status == PGRES_COPY_OUT else {
            throw PostgresError(.protocolViolation, operation: operation, message: "the server did not start COPY OUT")
        }
    }

    convenience init(connection: PostgresConnection, schema: Schema, columns: [ResultColumn], cursorQuery: String,
                     parameters: [PostgresValue], fetchRows: Int, operation: String) throws(PostgresError) {
        self.init(connection: connection, schema: schema, columns: columns, operation: operation, isCopy: false)
        self.fetchRows = fetchRows
        cursorName = "sluice_cursor_\(UInt32.random(in: 0...UInt32.max))"
        if !connection.inTransaction {
            try connection.execute("BEGIN")
            ownsTransaction = true
        }
        do {
            try connection.execute("DECLARE \(cursorName) NO SCROLL CURSOR FOR \(cursorQuery)", parameters)
        } catch {
            if ownsTransaction { connection.rollbackQuietly() }
            throw error
        }
    }

    deinit {
        if !finished { cancel() }
        states.deinitialize(count: columnCount)
        states.deallocate()
    }

    /// Whether every row has been returned.
    public var isFinished: Bool { finished }

    /// The next batch of at most `maxRows` rows, or `nil` when every row has been read.
    ///
    /// - Throws: ``PostgresError`` when the server fails or the connection is lost; the
    ///   reader is then finished (and a transaction it opened is rolled back).
    public func next(maxRows: Int) throws(PostgresError) -> Frame? {
        guard !finished else { return nil }
        let limit = max(1, maxRows)
        var rows = 0
        do {
            if isCopy { rows = try copyBatch(limit: limit) } else { rows = try cursorBatch(limit: limit) }
        } catch {
            finished = true
            connection.drainResults()
            if ownsTransaction { connection.rollbackQuietly() }
            throw error
        }
        if rows == 0 && finished { return nil }
        var columns: [Column] = []
        columns.reserveCapacity(columnCount)
        for i in 0..<columnCount { columns.append(states[i].take()) }
        rowsBefore += rows
        do {
            return try Frame(schema: schema, columns: columns)
        } catch {
            throw PostgresError(.badData, operation: operation, message: "\(error)")
        }
    }

    /// Every remaining row as one frame.
    public func readAll() throws(PostgresError) -> Frame {
        var frames: [Frame] = []
        while let frame = try next(maxRows: Int.max) { frames.append(frame) }
        if frames.count == 1 { return frames[0] }
        do {
            return try frames.isEmpty ? Frame.empty(schema) : Frame.concatenating(frames)
        } catch {
            throw PostgresError(.badData, operation: operation, message: "\(error)")
        }
    }

    /// Stops reading: cancels the COPY on the server (or closes the cursor) and leaves the
    /// connection ready for other statements.
    public func cancel() {
        guard !finished else { return }
        finished = true
        if isCopy {
            if let cancel = PQgetCancel(connection.handle) {
                var message = [CChar](repeating: 0, count: 256)
                _ = PQcancel(cancel, &message, Int32(message.count))
                PQfreeCancel(cancel)
            }
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(connection.handle, &buffer, 0) > 0 {
                PQfreemem(buffer)
                buffer = nil
            }
            connection.drainResults()
        } else if connection.isAlive {
            if ownsTransaction { connection.rollbackQuietly() } else { _ = try? connection.execute("CLOSE \(cursorName)") }
        }
    }

    // MARK: COPY OUT

    private func copyBatch(limit: Int) throws(PostgresError) -> Int {
        var rows = 0
        if !pending.isEmpty {
            try parsePending(limit: limit, rows: &rows)
        }
        let handle = connection.handle
        while rows < limit && !trailerSeen {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(handle, &buffer, 0)
            if n > 0, let buffer {
                defer { PQfreemem(buffer) }
                let raw = UnsafeRawPointer(buffer)
                if pending.isEmpty {
                    let consumed = try parse(raw, Int(n), limit: limit, rows: &rows)
                    if consumed < Int(n) { pending.append(contentsOf: UnsafeRawBufferPointer(start: raw + consumed, count: Int(n) - consumed)) }
                } else {
                    pending.append(contentsOf: UnsafeRawBufferPointer(start: raw, count: Int(n)))
                    try parsePending(limit: limit, rows: &rows)
                }
            } else if n == -1 {
                break
            } else {
                throw finalError(fallback: "the COPY stream failed")
            }
        }
        if trailerSeen || rows < limit {
            // The end of COPY: -1 from PQgetCopyData, then the command's result.
            if trailerSeen {
                var buffer: UnsafeMutablePointer<CChar>?
                while true {
                    let n = PQgetCopyData(handle, &buffer, 0)
                    if n > 0 { PQfreemem(buffer); buffer = nil; continue }
                    if n == -1 { break }
                    throw finalError(fallback: "the COPY stream failed")
                }
            }
            guard let result = PQgetResult(handle) else {
                throw connection.connectionError(operation: operation)
            }
            let checked = try connection.check(result, operation: operation)
            PQclear(checked)
            connection.drainResults()
            guard trailerSeen, pending.isEmpty else {
                throw PostgresError(.protocolViolation, operation: operation, message: "the binary COPY data ended without its trailer")
            }
            finished = true
        }
        return rows
    }

    /// Parses the bytes held over from earlier messages.
    private func parsePending(limit: Int, rows: inout Int) throws(PostgresError) {
        let held = pending
        var counted = rows
        let outcome: Result<Int, PostgresError> = held.withUnsafeBytes { b in
            do throws(PostgresError) {
                return .success(try parse(b.baseAddress!, b.count, limit: limit, rows: &counted))
            } catch {
                return .failure(error)
            }
        }
        rows = counted
        pending.removeFirst(try outcome.get())
    }

    /// The server's error after a failed COPY (or the connection's).
    private func finalError(fallback: String) -> PostgresError {
        if let result = PQgetResult(connection.handle) {
            let error: PostgresError
            if PQresultStatus(result) == PGRES_FATAL_ERROR {
                error = connection.serverError(result, operation: operation)
            } else {
                error = connection.connectionError(operation: operation)
            }
            PQclear(result)
            return error
        }
        return connection.connectionError(operation: operation)
    }

    /// Decodes whole tuples from `n` bytes at `p` until `limit` rows or the trailer; returns
    /// the bytes consumed (a partial tuple at the end is left for the next message).
    private func parse(_ p: UnsafeRawPointer, _ n: Int, limit: Int, rows: inout Int) throws(PostgresError) -> Int {
        var offset = 0
        if !headerDone {
            guard n >= 19 else { return 0 }
            let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]
            for i in 0..<11 where p.load(fromByteOffset: i, as: UInt8.self) != signature[i] {
                throw PostgresError(.protocolViolation, operation: operation, message: "the COPY data does not start with the binary signature")
            }
            let flags = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 11, as: UInt32.self))
            if flags & 0xFFFF_0000 != 0 {
                throw PostgresError(.protocolViolation, operation: operation, message: "the binary COPY header has unknown critical flags \(flags)")
            }
            let extensionLength = Int(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 15, as: UInt32.self)))
            guard n >= 19 + extensionLength else { return 0 }
            offset = 19 + extensionLength
            headerDone = true
        }
        let columns = columnCount
        let states = self.states
        while offset + 2 <= n && rows < limit {
            let fieldCount = Int(Int16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
            if fieldCount == -1 {
                trailerSeen = true
                return offset + 2
            }
            guard fieldCount == columns else {
                throw PostgresError(.protocolViolation, operation: operation,
                                    message: "a tuple has \(fieldCount) fields, expected \(columns)", row: rowsBefore + rows)
            }
            // Check the tuple is complete and every length fits its column before decoding.
            var end = offset + 2
            for c in 0..<columns {
                guard end + 4 <= n else { return offset }
                let length = Int(Int32(bigEndian: p.loadUnaligned(fromByteOffset: end, as: Int32.self)))
                end += 4
                if length >= 0 {
                    guard states[c].accepts(length: length) else {
                        throw PostgresError(.protocolViolation, operation: operation,
                                            message: "column '\(schema[c].name)' has a \(length)-byte value that is not a valid \(states[c].kind)",
                                            column: schema[c].name, row: rowsBefore + rows)
                    }
                    end += length
                    guard end <= n else { return offset }
                } else if length != -1 {
                    throw PostgresError(.protocolViolation, operation: operation, message: "negative field length \(length)",
                                        column: schema[c].name, row: rowsBefore + rows)
                }
            }
            var at = offset + 2
            for c in 0..<columns {
                let length = Int(Int32(bigEndian: p.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                at += 4
                if length < 0 {
                    states[c].appendNull()
                } else {
                    states[c].decode(p + at, length)
                    at += length
                }
            }
            offset = end
            rows += 1
        }
        return offset
    }

    // MARK: Cursor

    private func cursorBatch(limit: Int) throws(PostgresError) -> Int {
        var rows = 0
        while rows < limit {
            let want = min(fetchRows, limit - rows)
            let result = try connection.run("FETCH FORWARD \(want) FROM \(cursorName)", [], operation: operation, resultFormat: 1)
            defer { PQclear(result) }
            let n = Int(PQntuples(result))
            guard Int(PQnfields(result)) == columnCount else {
                throw PostgresError(.protocolViolation, operation: operation, message: "FETCH returned \(PQnfields(result)) columns, expected \(columnCount)")
            }
            for r in 0..<Int32(n) {
                for c in 0..<Int32(columnCount) {
                    if PQgetisnull(result, r, c) != 0 {
                        states[Int(c)].appendNull()
                    } else {
                        let length = Int(PQgetlength(result, r, c))
                        guard states[Int(c)].accepts(length: length), let value = PQgetvalue(result, r, c) else {
                            throw PostgresError(.protocolViolation, operation: operation,
                                                message: "column '\(schema[Int(c)].name)' has a \(length)-byte value that is not a valid \(states[Int(c)].kind)",
                                                column: schema[Int(c)].name, row: rowsBefore + rows + Int(r))
                        }
                        states[Int(c)].decode(UnsafeRawPointer(value), length)
                    }
                }
            }
            rows += n
            if n < want {
                _ = try? connection.execute("CLOSE \(cursorName)")
                if ownsTransaction { try connection.commit() }
                finished = true
                break
            }
        }
        return rows
    }
}
