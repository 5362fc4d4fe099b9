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
    ///   A key repeated in the frame is refused before anything is sent. A role without
    ///   SELECT on the non-key columns (which `EXCLUDED` and that guard read) gets an
    ///   `UPDATE … FROM` staging of the existing keys, then `INSERT … ON CONFLICT DO NOTHING`
    ///   of the new ones: it needs only INSERT, UPDATE and SELECT on the keys.
    ///
    /// Grants each mode needs on an existing table: `.append` INSERT; `.replace` INSERT and
    /// TRUNCATE; `.upsert` INSERT, UPDATE and SELECT on the key columns. A missing one is
    /// named before anything is written (kind `.privilege`). Creating a table needs CREATE on
    /// its schema; the staging table needs TEMPORARY on the database (PUBLIC has it by default).
    ///
    /// Into an existing table a value is converted only where it survives unchanged (see
    /// ``PostgresColumn``): a fraction into an integer column, a time of day into a date, a
    /// number past a column's range or precision, or a type with no meaning in the target (a
    /// number into a boolean) is refused with the column, both types and the first such row.
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
        if frame.columnCount > Self.maximumColumns {
            throw PostgresError(.schema, operation: operation,
                                message: "the input has \(frame.columnCount) columns; a PostgreSQL table holds at most \(Self.maximumColumns)",
                                sqlState: "54011", table: table.description)
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
        if mode == .upsert { try Self.checkUniqueKeys(frame, keys: options.keys, table: table, operation: operation) }

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
        if let schema = table.schema,
           try rows("SELECT 1 FROM pg_namespace WHERE nspname = $1", [.string(schema)]).isEmpty {
            throw PostgresError(.schema, operation: operation,
                                message: "schema '\(schema)' does not exist (create it, or leave out --schema for the search path)",
                                sqlState: "3F000", table: table.description)
        }
        var existing = try existingColumns(quoted: quoted)
        if existing == nil {
            // Two writers creating one table: the second waits here for the first to commit,
            // then finds the table (and reports 42P07 for .create) instead of colliding in the
            // catalog's unique indexes.
            try execute("SELECT pg_advisory_xact_lock(hashtext($1))", [.string("sluice write " + quoted)],
                        operation: operation)
            existing = try existingColumns(quoted: quoted)
        }

        if mode == .create, existing != nil {
            throw PostgresError(.schema, operation: operation, message: "table \(quoted) already exists", sqlState: "42P07",
                                table: table.description)
        }
        guard let existing else {
            guard mode == .create || options.createIfMissing else {
                throw PostgresError(.schema, operation: operation, message: "table \(quoted) does not exist", sqlState: "42P01",
                                    table: table.description)
            }
            try createTable(quoted, for: frame.schema, keys: options.keys, table: table, operation: operation)
            return try copyIn(frame, into: quoted, columns: columnList, operation: operation)
        }

        // Every frame column must be in the table, and reach it with its values unchanged.
        var targets: [String: TargetColumn] = [:]
        for column in existing { targets[column.name] = column }
        for field in frame.schema.fields where targets[field.name] == nil {
            throw PostgresError(.schema, operation: operation,
                                message: "table \(quoted) has no column '\(field.name)' (it has \(existing.map(\.name).joined(separator: ", ")))",
                                sqlState: "42703", table: table.description, column: field.name)
        }
        let routes = try routes(for: frame, into: targets, table: table, operation: operation)
        try checkPrivileges(quoted, table: table, columns: frame.columnNames, mode: mode, keys: options.keys, operation: operation)
        var sent = frame
        if routes.contains(where: { if case .converted = $0 { true } else { false } }) {
            var fields = frame.schema.fields, columns = frame.columns
            for (i, route) in routes.enumerated() {
                if case let .converted(column) = route {
                    columns[i] = column
                    fields[i].type = column.type
                }
            }
            do { sent = try Frame(schema: try Schema(fields), columns: columns) } catch {
                throw PostgresError(.protocolViolation, operation: operation, message: "\(error)")
            }
        }
        let direct = !routes.contains(.cast)

        if mode == .replace { try execute("TRUNCATE \(quoted)", [], operation: operation) }

        if mode != .upsert && direct {
            return try copyIn(sent, into: quoted, columns: columnList, operation: operation)
        }
        // Through a staging table: COPY, then one INSERT … SELECT with a cast per converted column.
        let staging = try quote("sluice_staging_\(String(UInt64.random(in: 0...UInt64.max), radix: 16))")
        try createTable(staging, for: sent.schema, keys: [], temporary: true, table: table, operation: operation)
        _ = try copyIn(sent, into: staging, columns: columnList, operation: operation)
        let selectList = try zip(sent.schema.fields, routes).map { field, route throws(PostgresError) -> String in
            let name = try quote(field.name)
            guard route == .cast, let target = targets[field.name] else { return name }
            return "\(name)::\(target.sqlType)"
        }.joined(separator: ", ")
        var insert = "INSERT INTO \(quoted) AS target (\(columnList)) SELECT \(selectList) FROM \(staging)"
        if mode == .upsert {
            let keys = try options.keys.map { k throws(PostgresError) in try quote(k) }
            let otherNames = frame.columnNames.filter { !options.keys.contains($0) }
            let others = try otherNames.map { name throws(PostgresError) in try quote(name) }
            insert += " ON CONFLICT (\(keys.joined(separator: ", "))) DO "
            if others.isEmpty {
                insert += "NOTHING"
            } else {
                // `EXCLUDED.v` and the guard read the target's columns: they need SELECT on
                // them. A role with only INSERT, UPDATE and SELECT on the keys updates the
                // existing keys first, then inserts the new ones.
                if try !missingColumnPrivileges(quoted, otherNames.map { ($0, "SELECT") }).isEmpty {
                    let updated = try execute(
                        "UPDATE \(quoted) AS target SET " + others.map { "\($0) = source.\($0)" }.joined(separator: ", ")
                            + " FROM (SELECT \(selectList) FROM \(staging)) AS source (\(columnList)) WHERE ("
                            + keys.map { "target.\($0)" }.joined(separator: ", ") + ") = ("
                            + keys.map { "source.\($0)" }.joined(separator: ", ") + ")",
                        [], operation: operation)
                    let inserted = try execute(insert + "NOTHING", [], operation: operation)
                    try execute("DROP TABLE \(staging)", [], operation: operation)
                    return updated + inserted
                }
                insert += "UPDATE SET " + others.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
                // Rows whose values are already there are left alone, so a rerun writes nothing new.
                insert += " WHERE (" + others.map { "target.\($0)" }.joined(separator: ", ") + ") IS DISTINCT FROM ("
                    + others.map { "EXCLUDED.\($0)" }.joined(separator: ", ") + ")"
            }
        }
        let written = try execute(insert, [], operation: operation)
        try execute("DROP TABLE \(staging)", [], operation: operation)
        return written
    }

    /// The columns of the table `quoted` names, or `nil` when there is no such table.
    func existingColumns(quoted: String) throws(PostgresError) -> [TargetColumn]? {
        let rows = try rows("""
            SELECT attname::text, atttypid::int8, atttypmod, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, [.string(quoted)])
        if rows.isEmpty {
            let exists = try self.rows("SELECT to_regclass($1) IS NOT NULL", [.string(quoted)])
            return exists.first?.first == "t" ? [] : nil
        }
        return rows.map { r in
            TargetColumn(name: r[0] ?? "", oid: UInt32(r[1] ?? "0") ?? 0, typmod: Int32(r[2] ?? "-1") ?? -1, sqlType: r[3] ?? "text")
        }
    }

    private func createTable(_ quoted: String, for schema: Schema, keys: [String], temporary: Bool = false,
                             table: TableName, operation: String) throws(PostgresError) {
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
        do {
            PQclear(try run(sql, [], operation: operation))
        } catch where error.sqlState == "23505"
            && (error.constraint == "pg_type_typname_nsp_index" || error.constraint == "pg_class_relname_nsp_index") {
            // Another session created the same name first (and committed meanwhile).
            throw PostgresError(.schema, operation: operation, message: "table \(quoted) already exists (created meanwhile by another session)",
                                sqlState: "42P07", table: table.description, statement: sql)
        }
    }

    /// Streams the frame's rows in binary COPY format in chunks of about 1 MB; returns the
    /// server's row count.
    func copyIn(_ frame: Frame, into quoted: String, columns: String, operation: String) throws(PostgresError) -> Int {
        let sql = "COPY \(quoted) (\(columns)) FROM STDIN (FORMAT binary)"
        do {
            return try copyIn(frame, sql: sql, operation: operation)
        } catch {
            var error = error
            if error.statement == nil { error.statement = Self.summary(of: sql, limit: 2000) }
            throw error
        }
    }

    private func copyIn(_ frame: Frame, sql: String, operation copyOperation: String) throws(PostgresError) -> Int {
        let started = try run(sql, [], operation: copyOperation)
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
