import CLibPQ
import SluiceFrame

/// How a write treats the target table.
public struct PostgresWriteOptions: Sendable, Equatable {
    /// The key columns: the conflict target of `.upsert`, and the primary key of a table
    /// the write creates.
    public var keys: [String]
    /// Create the table (with the mapped types, see ``PostgresType``) when `.append`,
    /// `.replace` or `.upsert` finds none. On by default; `.create` always creates.
    public var createIfMissing: Bool

    /// Options with `keys` and `createIfMissing`.
    public init(keys: [String] = [], createIfMissing: Bool = true) {
        self.keys = keys
        self.createIfMissing = createIfMissing
    }
}

extension PostgresConnection {
    /// Writes `frame` to `table` with `COPY … FROM STDIN (FORMAT binary)`, all or nothing.
    ///
    /// - `.create`: create the table (fails if it exists), then copy.
    /// - `.append`: copy after the existing rows.
    /// - `.replace`: `TRUNCATE` and copy, in one transaction (readers of the table wait for
    ///   the commit and then see the new rows; before it, the old ones).
    /// - `.upsert`: copy into a temporary staging table, then `INSERT … SELECT … ON CONFLICT
    ///   (keys) DO UPDATE` every other column, in the same transaction. The table needs a
    ///   unique index or primary key on `keys`; the same rows twice give the same table (rows
    ///   whose values are unchanged are not rewritten, so a rerun writes, and counts, nothing).
    ///
    /// When no transaction is open, the write runs in its own (BEGIN … COMMIT, ROLLBACK on
    /// any failure). Inside ``transaction(_:)`` it joins the caller's transaction, so the
    /// caller's own statements commit, or roll back, with it.
    ///
    /// Names are checked before any SQL is sent: a table or column name that is empty or
    /// longer than 63 bytes, or two that PostgreSQL would see as one, is refused. Every name
    /// is quoted with `PQescapeIdentifier`. Columns whose table types differ from the
    /// mapped ones (say `integer` or `numeric` for an `int64`/`double` column) are copied
    /// through a staging table and converted by the server's assignment casts.
    ///
    /// - Returns: the number of rows written (inserted, or updated with new values).
    /// - Throws: ``PostgresError``; the table is then as it was. A COPY error names the
    ///   frame's row (`row`) and the column when the server says which.
    @discardableResult
    public func write(_ frame: Frame, to table: TableName, mode: WriteMode,
                      options: PostgresWriteOptions = PostgresWriteOptions()) throws(PostgresError) -> Int {
        let operation = "write \(mode.rawValue) to \(table)"
        try table.validate()
        try PostgresIdentifier.validateDistinct(frame.columnNames, role: "column")
        if frame.columnCount == 0 {
            throw PostgresError(.schema, operation: operation, message: "the frame has no columns")
        }
        for key in options.keys where frame.schema.index(of: key) == nil {
            throw PostgresError(.schema, operation: operation, message: "key column '\(key)' is not in the frame", column: key)
        }
        if Set(options.keys).count != options.keys.count {
            throw PostgresError(.schema, operation: operation, message: "a key column is listed twice: \(options.keys)")
        }
        if mode == .upsert && options.keys.isEmpty {
            throw PostgresError(.configuration, operation: operation, message: "upsert needs at least one key column")
        }

        let owns = !inTransaction
        if owns { try execute("BEGIN") }
        do {
            let written = try writeInTransaction(frame, to: table, mode: mode, options: options, operation: operation)
            if owns { try commit() }
            return written
        } catch {
            drainResults()
            if owns { rollbackQuietly() }
            throw error
        }
    }

    private func writeInTransaction(_ frame: Frame, to table: TableName, mode: WriteMode,
                                    options: PostgresWriteOptions, operation: String) throws(PostgresError) -> Int {
        let quoted = try table.quoted(self)
        let columnList = try frame.columnNames.map { name throws(PostgresError) in try quote(name) }.joined(separator: ", ")
        let existing = try existingColumns(of: quoted)

        if mode == .create, existing != nil {
            throw PostgresError(.schema, operation: operation, message: "table \(quoted) already exists", sqlState: "42P07",
                                table: table.description)
        }
        if existing == nil {
            guard mode == .create || options.createIfMissing else {
                throw PostgresError(.schema, operation: operation, message: "table \(quoted) does not exist", sqlState: "42P01",
                                    table: table.description)
            }
            try createTable(quoted, for: frame.schema, keys: options.keys, operation: operation)
            return try copyIn(frame, into: quoted, columns: columnList, operation: operation)
        }
        guard let existing else { return 0 }

        // Every frame column must be in the table; note those the server must convert.
        var direct = true
        for field in frame.schema.fields {
            guard let column = existing.first(where: { $0.name == field.name }) else {
                throw PostgresError(.schema, operation: operation,
                                    message: "table \(quoted) has no column '\(field.name)' (it has \(existing.map(\.name).joined(separator: ", ")))",
                                    sqlState: "42703", table: table.description, column: field.name)
            }
            if !PostgresType.acceptsBinary(column.oid, from: field.type) { direct = false }
        }

        if mode == .replace { try execute("TRUNCATE \(quoted)") }

        if mode != .upsert && direct {
            return try copyIn(frame, into: quoted, columns: columnList, operation: operation)
        }
        // Through a staging table: COPY, then one INSERT … SELECT.
        let staging = try quote("sluice_staging_\(String(UInt64.random(in: 0...UInt64.max), radix: 16))")
        try createTable(staging, for: frame.schema, keys: [], temporary: true, operation: operation)
        _ = try copyIn(frame, into: staging, columns: columnList, operation: operation + " (staging)")
        var insert = "INSERT INTO \(quoted) AS target (\(columnList)) SELECT \(columnList) FROM \(staging)"
        if mode == .upsert {
            // Rows whose values are already there are left alone: a rerun writes nothing new.
            let keys = try options.keys.map { k throws(PostgresError) in try quote(k) }
            let others = try frame.columnNames.filter { !options.keys.contains($0) }.map { name throws(PostgresError) in try quote(name) }
            insert += " ON CONFLICT (\(keys.joined(separator: ", "))) DO "
            if others.isEmpty {
                insert += "NOTHING"
            } else {
                insert += "UPDATE SET " + others.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
                insert += " WHERE (" + others.map { "target.\($0)" }.joined(separator: ", ") + ") IS DISTINCT FROM ("
                    + others.map { "EXCLUDED.\($0)" }.joined(separator: ", ") + ")"
            }
        }
        let written = try execute(insert)
        try execute("DROP TABLE \(staging)")
        return written
    }

    /// The columns of the table `quoted` names, or `nil` when there is no such table.
    private func existingColumns(of quoted: String) throws(PostgresError) -> [ResultColumn]? {
        let rows = try rows("""
            SELECT attname::text, atttypid::int8, atttypmod, attnotnull FROM pg_attribute
            WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, [.string(quoted)])
        if rows.isEmpty {
            let exists = try self.rows("SELECT to_regclass($1) IS NOT NULL", [.string(quoted)])
            return exists.first?.first == "t" ? [] : nil
        }
        return rows.map { r in
            ResultColumn(name: r[0] ?? "", oid: UInt32(r[1] ?? "0") ?? 0, typmod: Int32(r[2] ?? "-1") ?? -1, nullable: r[3] != "t")
        }
    }

    private func createTable(_ quoted: String, for schema: Schema, keys: [String], temporary: Bool = false,
                             operation: String) throws(PostgresError) {
        var parts: [String] = []
        for field in schema.fields {
            parts.append("\(try quote(field.name)) \(PostgresType.sqlName(for: field.type))\(field.nullable ? "" : " NOT NULL")")
        }
        if !keys.isEmpty {
            parts.append("PRIMARY KEY (\(try keys.map { k throws(PostgresError) in try quote(k) }.joined(separator: ", ")))")
        }
        let sql = temporary
            ? "CREATE TEMPORARY TABLE \(quoted) (\(parts.joined(separator: ", "))) ON COMMIT DROP"
            : "CREATE TABLE \(quoted) (\(parts.joined(separator: ", ")))"
        let result = try run(sql, [], operation: operation + ": create table \(quoted)")
        PQclear(result)
    }

    /// Streams the frame's rows in binary COPY format in chunks of about 1 MB; returns the
    /// server's row count.
    func copyIn(_ frame: Frame, into quoted: String, columns: String, operation: String) throws(PostgresError) -> Int {
        let copyOperation = "COPY into \(quoted)"
        let started = try run("COPY \(quoted) (\(columns)) FROM STDIN (FORMAT binary)", [], operation: copyOperation)
        let status = PQresultStatus(started)
        PQclear(started)
        guard status == PGRES_COPY_IN else {
            throw PostgresError(.protocolViolation, operation: copyOperation, message: "the server did not start COPY IN")
        }
        let encoder = CopyEncoder(frame)
        let chunk = 1 << 20
        var buffer = CopyBuffer(capacity: chunk + 4096)
        CopyEncoder.header(into: &buffer)
        var sendFailed = false
        for first in stride(from: 0, to: encoder.rowCount, by: CopyEncoder.chunkRows) {
            encoder.encode(first..<min(first + CopyEncoder.chunkRows, encoder.rowCount), into: &buffer)
            if buffer.count >= chunk {
                if PQputCopyData(handle, buffer.base.assumingMemoryBound(to: CChar.self), Int32(buffer.count)) != 1 {
                    sendFailed = true
                    break
                }
                buffer.count = 0
            }
        }
        if !sendFailed {
            CopyEncoder.trailer(into: &buffer)
            if PQputCopyData(handle, buffer.base.assumingMemoryBound(to: CChar.self), Int32(buffer.count)) != 1 { sendFailed = true }
        }
        if sendFailed || PQputCopyEnd(handle, nil) != 1 {
            // The connection failed while sending: the server's error, if any, says why.
            if let result = PQgetResult(handle), PQresultStatus(result) == PGRES_FATAL_ERROR {
                let error = serverError(result, operation: copyOperation, rowOffset: 0)
                PQclear(result)
                throw error
            }
            throw connectionError(operation: copyOperation)
        }
        let result = try check(PQgetResult(handle), operation: copyOperation, rowOffset: 0)
        defer { PQclear(result) }
        drainResults()
        return Int(String(cString: PQcmdTuples(result))) ?? frame.rowCount
    }
}
