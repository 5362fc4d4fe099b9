import CLibPQ
import Foundation
import SluiceFrame

/// One libpq connection: statements with bound parameters, transactions, reads and writes
/// of frames (see `PostgresConnection+Read.swift` and `PostgresConnection+Write.swift`).
///
/// A connection is not thread-safe and its calls block: use it from one thread at a time,
/// off Swift's cooperative pool (``PostgresSource`` and ``PostgresSink`` do that for you).
/// It closes when released, or on ``close()``.
///
/// ```swift
/// let connection = try PostgresConnection(PostgresConfiguration(url))
/// try connection.transaction { tx in
///     try tx.write(predictions, to: "predictions", mode: .upsert, keys: ["customer_id"])
///     try tx.execute("UPDATE runs SET state = 'succeeded' WHERE id = $1", [.string(runID)])
/// }   // one COMMIT for both, or a ROLLBACK of both
/// ```
public final class PostgresConnection {
    let handle: OpaquePointer
    /// The configuration it was opened with.
    public let configuration: PostgresConfiguration
    private var closed = false

    /// Connects, with the configuration's defaults (timeouts, keepalives, UTF-8).
    ///
    /// - Throws: ``PostgresError`` of kind `.configuration` for a connection string libpq
    ///   cannot parse, `.authentication` when the server refuses the credentials, and
    ///   `.unavailable` when it cannot be reached within `connect_timeout`.
    public init(_ configuration: PostgresConfiguration) throws(PostgresError) {
        self.configuration = configuration
        let operation = "connect to \(configuration)"
        if let refusal = configuration.refusal {
            throw PostgresError(.configuration, operation: "connect", message: refusal)
        }
        let pairs = configuration.connectionParameters()
        let keys = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer { (keys + values).forEach { free($0) } }
        let connection: OpaquePointer? = keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { k in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, 1)
            }
        }
        guard let connection else {
            throw PostgresError(.unavailable, operation: operation, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.clean(String(cString: PQerrorMessage(connection)))
            let password = PQpass(connection).map { String(cString: $0) }
            PQfinish(connection)
            throw PostgresError(Self.classifyConnectFailure(message), operation: operation,
                                message: Self.scrub(message, password: password))
        }
        handle = connection
        // Server notices (NOTICE: table … does not exist, skipping) are not printed on stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        try applySessionDefaults()
    }

    deinit { if !closed { PQfinish(handle) } }

    /// Closes the connection (an open transaction is rolled back by the server).
    public func close() {
        guard !closed else { return }
        closed = true
        PQfinish(handle)
    }

    /// Whether the connection is still usable (libpq has not seen it break).
    public var isAlive: Bool { !closed && PQstatus(handle) == CONNECTION_OK }

    /// The server's backend process id (for `pg_terminate_backend`, `pg_stat_activity`).
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Whether a transaction is open (including a failed one waiting for ROLLBACK).
    public var inTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    private func applySessionDefaults() throws(PostgresError) {
        guard let milliseconds = configuration.statementTimeoutMilliseconds else { return }
        // A statement_timeout in the connection string's `options` (or PGOPTIONS) wins.
        var options = configuration.environment["PGOPTIONS"] ?? ""
        if let info = PQconninfo(handle) {
            var entry = info
            while let keyword = entry.pointee.keyword {
                if String(cString: keyword) == "options", let value = entry.pointee.val { options += String(cString: value) }
                entry += 1
            }
            PQconninfoFree(info)
        }
        if options.contains("statement_timeout") { return }
        try execute("SELECT set_config('statement_timeout', $1, false)", [.string(String(milliseconds))])
    }

    // MARK: Statements

    /// Runs one statement with bound parameters (`$1`, `$2`, …) and returns the number of
    /// rows it affected (0 for statements that report none).
    ///
    /// - Throws: ``PostgresError`` with the server's SQLSTATE, message, detail and place.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> Int {
        try execute(sql, parameters, operation: Self.summary(of: sql))
    }

    /// ``execute(_:_:)`` with `operation` as the first words of an error (the statement then
    /// goes to its detail lines).
    @discardableResult
    func execute(_ sql: String, _ parameters: [PostgresValue], operation: String) throws(PostgresError) -> Int {
        let result = try run(sql, parameters, operation: operation)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// Runs a query with bound parameters and returns its rows as text (NULL as `nil`); for
    /// small results such as catalog look-ups. Use ``read(query:parameters:options:)`` for data.
    public func rows(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> [[String?]] {
        let result = try run(sql, parameters, operation: Self.summary(of: sql))
        defer { PQclear(result) }
        let n = PQntuples(result), m = PQnfields(result)
        return (0..<n).map { r in
            (0..<m).map { c in PQgetisnull(result, r, c) != 0 ? nil : String(cString: PQgetvalue(result, r, c)) }
        }
    }

    /// Runs `body` in a transaction: BEGIN, then COMMIT when `body` returns, ROLLBACK when it
    /// throws (and the error is rethrown). Writes inside `body` join this transaction.
    ///
    /// - Throws: what `body` throws, or ``PostgresError`` from BEGIN or COMMIT, or of kind
    ///   `.configuration` when a transaction is already open (transactions do not nest).
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        if inTransaction {
            throw PostgresError(.configuration, operation: "BEGIN", message: "a transaction is already open on this connection; transactions do not nest")
        }
        try execute("BEGIN")
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        try commit()
        return value
    }

    func commit() throws(PostgresError) {
        let result = try run("COMMIT", [], operation: "COMMIT")
        PQclear(result)
    }

    /// Rolls back an open transaction, ignoring errors (the connection may be gone).
    func rollbackQuietly() {
        guard isAlive, inTransaction else { return }
        if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
    }

    /// Quotes an identifier with `PQescapeIdentifier` (`my "t"` → `"my ""t"""`).
    public func quote(_ identifier: String) throws(PostgresError) -> String {
        let bytes = Array(identifier.utf8)
        guard let quoted = bytes.withUnsafeBufferPointer({ b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(1, b.count)) { PQescapeIdentifier(handle, $0, b.count) }
        }) else {
            throw PostgresError(.invalidIdentifier, operation: "quote identifier", message: Self.clean(String(cString: PQerrorMessage(handle))))
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    // MARK: libpq plumbing

    /// Runs `sql` with `parameters` in text format; returns a result whose status is
    /// COMMAND_OK, TUPLES_OK or one of the COPY states, or throws.
    func run(_ sql: String, _ parameters: [PostgresValue], operation: String, resultFormat: Int32 = 0) throws(PostgresError) -> OpaquePointer {
        let texts = parameters.map { $0.text.map { strdup($0) } ?? nil }
        defer { texts.forEach { free($0) } }
        let types = parameters.map { Oid($0.typeOID) }
        let result: OpaquePointer? = texts.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            types.withUnsafeBufferPointer { oids in
                PQexecParams(handle, sql, Int32(parameters.count), oids.baseAddress, values.baseAddress, nil, nil, resultFormat)
            }
        }
        do {
            return try check(result, operation: operation)
        } catch {
            var error = error
            if error.statement == nil { error.statement = Redaction.redact(Self.summary(of: sql, limit: 2000)) }
            throw error
        }
    }

    /// Returns `result` when it succeeded; otherwise clears it and throws its error.
    func check(_ result: OpaquePointer?, operation: String, rowOffset: Int? = nil) throws(PostgresError) -> OpaquePointer {
        guard let result else { throw connectionError(operation: operation) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_SINGLE_TUPLE, PGRES_EMPTY_QUERY:
            return result
        default:
            let error = serverError(result, operation: operation, rowOffset: rowOffset)
            PQclear(result)
            throw error
        }
    }

    /// The error a failed result carries, with its diagnostic fields.
    func serverError(_ result: OpaquePointer, operation: String, rowOffset: Int? = nil) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue ?? 0)) else { return nil }
            let text = String(cString: value)
            return text.isEmpty ? nil : text
        }
        let state = field("C")
        let message = field("M") ?? Self.clean(String(cString: PQresultErrorMessage(result)))
        var kind = state.map(PostgresError.kind(forSQLState:)) ?? .connectionLost
        if PQstatus(handle) == CONNECTION_BAD && kind == .server { kind = .connectionLost }
        let context = field("W")
        var row: Int? = nil
        if let context, let rowOffset, let line = Self.copyLine(in: context) { row = rowOffset + line - 1 }
        let table = field("t").map { t in field("s").map { "\($0).\(t)" } ?? t }
        let column = field("c") ?? context.flatMap(Self.copyColumn(in:))
        return PostgresError(kind, operation: operation, message: scrub(message), sqlState: state,
                             detail: field("D").map(scrub), hint: field("H"), context: context.map(scrub),
                             table: table, column: column, constraint: field("n"), row: row)
    }

    /// The error for a call that returned no result or failed outside a result.
    func connectionError(operation: String) -> PostgresError {
        let message = Self.clean(String(cString: PQerrorMessage(handle)))
        let kind: PostgresError.Kind = PQstatus(handle) == CONNECTION_BAD ? .connectionLost : .protocolViolation
        return PostgresError(kind, operation: operation, message: scrub(message.isEmpty ? "no result from the server" : message))
    }

    /// Drains every pending result (after COPY or an error), so the connection can be reused.
    func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    private func scrub(_ text: String) -> String {
        Self.scrub(text, password: PQpass(handle).map { String(cString: $0) })
    }

    /// Registers the password libpq used (from the string, `PGPASSWORD` or `.pgpass`) as a
    /// secret and redacts `text` (see ``Redaction``).
    static func scrub(_ text: String, password: String?) -> String {
        if let password, !password.isEmpty { Redaction.register(secrets: [password]) }
        return Redaction.redact(text)
    }

    static func clean(_ message: String) -> String {
        message.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n", with: "; ")
    }

    /// The `line N` of a COPY error's context (`COPY t, line 4, column b: …`).
    static func copyLine(in context: String) -> Int? {
        guard let range = context.range(of: ", line ") else { return nil }
        let digits = context[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    /// The `column NAME` of a COPY error's context (`COPY t, line 4, column b: …`).
    static func copyColumn(in context: String) -> String? {
        guard context.hasPrefix("COPY "), let range = context.range(of: ", column ") else { return nil }
        let rest = context[range.upperBound...]
        let name = rest.range(of: ": ").map { rest[..<$0.lowerBound] } ?? rest
        return name.isEmpty ? nil : String(name)
    }

    static func classifyConnectFailure(_ message: String) -> PostgresError.Kind {
        let lower = message.lowercased()
        if lower.contains("password authentication failed") || lower.contains("no password supplied")
            || lower.contains("authentication failed") || lower.contains("no pg_hba.conf entry")
            || lower.contains("role \"") && lower.contains("does not exist") {
            return .authentication
        }
        if lower.contains("database \"") && lower.contains("does not exist") { return .configuration }
        if lower.contains("invalid ") && (lower.contains("option") || lower.contains("uri") || lower.contains("value")) {
            return .configuration
        }
        return .unavailable
    }

    /// The first words of a statement, for error messages (never its parameters).
    static func summary(of sql: String, limit: Int = 80) -> String {
        let flat = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit - 3)) + "…" : flat
    }
}
