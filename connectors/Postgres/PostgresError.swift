import SluiceFrame

/// An error from the PostgreSQL connector: what Sluice was doing, what the server said,
/// and where (table, column, row) when known.
///
/// Every text in it has been through ``Redaction/redact(_:)``: no password appears in
/// ``description`` or in any field.
///
/// ```
/// COPY into "predictions": null value in column "score" of relation "predictions" violates not-null constraint
///   SQLSTATE 23502, table predictions, column score, row 499999
///   detail: Failing row contains (…).
/// ```
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; it decides the CLI's exit status.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The server could not be reached (refused, unknown host, connect timeout). CLI: 69.
        case unavailable
        /// The connection was lost during work (backend terminated, server shut down). CLI: 69.
        case connectionLost
        /// Authentication failed (wrong password, no such role, pg_hba refusal). CLI: 78.
        case authentication
        /// The connection string or an option is invalid. CLI: 78.
        case configuration
        /// A statement ran out of time (`statement_timeout`), was cancelled, could not get a
        /// lock in time (`lock_timeout`, 55P03), or lost a serialization race or a deadlock
        /// (40001, 40P01): trying again later may work. CLI: 75.
        case timeout
        /// The data was refused: a constraint, a bad value, a type that cannot be read. CLI: 65.
        case badData
        /// A table or column name cannot be used (too long, empty, colliding). CLI: 65.
        case invalidIdentifier
        /// The table does not exist, already exists, or lacks a column. CLI: 65.
        case schema
        /// The role lacks a privilege (SQLSTATE 42501: a grant on a table, column or schema). CLI: 77.
        case privilege
        /// A statement the user wrote cannot run: a syntax error, an unknown function, an
        /// empty query, a write inside a read-only export (SQLSTATE class 42, 0A000, 25006). CLI: 65.
        case invalidStatement
        /// Any other server error (internal errors, unclassified states). CLI: 70.
        case server
        /// The server or libpq broke the protocol Sluice expects. CLI: 70.
        case protocolViolation
    }

    /// The kind of failure.
    public var kind: Kind
    /// What Sluice was doing, e.g. `COPY into "predictions"` or `connect to postgresql://u:***@db/app`.
    public var operation: String
    /// The primary message (the server's, or Sluice's own).
    public var message: String
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The server's DETAIL.
    public var detail: String?
    /// The server's HINT.
    public var hint: String?
    /// The server's CONTEXT (for COPY: `COPY t, line 4, column b: "…"`).
    public var context: String?
    /// The table the error is about.
    public var table: String?
    /// The column the error is about.
    public var column: String?
    /// The constraint the error is about.
    public var constraint: String?
    /// The 0-based row of the frame being written (or of the rows read) the error is about.
    /// ``description`` prints it 1-based, as `row N`.
    public var row: Int?
    /// The 1-based line of the input file the error is about, when the caller knows how the
    /// frame's rows map to lines (the CLI's `load` sets it from ``row``).
    public var line: Int?
    /// For an error about two rows (a key repeated in an upsert's input), the 0-based row of
    /// the first; ``row`` is the second.
    public var firstRow: Int?
    /// The 1-based input line of ``firstRow``, when the caller knows it.
    public var firstLine: Int?
    /// The SQL statement that failed, shown in the detail lines (never its parameters).
    public var statement: String?

    /// An error of `kind` while doing `operation`; every text is redacted.
    public init(_ kind: Kind, operation: String, message: String, sqlState: String? = nil,
                detail: String? = nil, hint: String? = nil, context: String? = nil,
                table: String? = nil, column: String? = nil, constraint: String? = nil, row: Int? = nil,
                statement: String? = nil) {
        self.kind = kind
        self.operation = Redaction.redact(operation)
        self.message = Redaction.redact(message)
        self.sqlState = sqlState
        self.detail = detail.map(Redaction.redact)
        self.hint = hint.map(Redaction.redact)
        self.context = context.map(Redaction.redact)
        self.table = table
        self.column = column
        self.constraint = constraint
        self.row = row
        self.statement = statement.map(Redaction.redact)
    }

    /// The kind a server error with this SQLSTATE belongs to, by class (the first two
    /// characters) with a few states singled out:
    ///
    /// | SQLSTATE | kind | CLI |
    /// |---|---|---|
    /// | 08, 57P01–57P03 | `.connectionLost` | 69 |
    /// | 53 (insufficient resources) | `.unavailable` | 69 |
    /// | 28 | `.authentication` | 78 |
    /// | 3D000 (no such database) | `.configuration` | 78 |
    /// | 21, 22, 23 (cardinality, data exceptions, constraints) | `.badData` | 65 |
    /// | 42P01, 42P07, 42703, 42P10, 42804, 3F000, 54 (undefined or duplicate table, column, schema; type mismatch; program limits) | `.schema` | 65 |
    /// | 42501 | `.privilege` | 77 |
    /// | other 42, 0A000, 25006, 34000, 26000 (syntax, unknown object, unsupported, read-only) | `.invalidStatement` | 65 |
    /// | 57014, 55P03, 40001, 40P01 | `.timeout` | 75 |
    /// | anything else | `.server` | 70 |
    public static func kind(forSQLState state: String) -> Kind {
        switch state {
        case "57014", "55P03", "40001", "40P01": return .timeout      // canceled, lock_not_available, serialization, deadlock
        case "57P01", "57P02", "57P03": return .connectionLost         // admin/crash shutdown, cannot connect now
        case "42P01", "42P07", "42703", "42P10", "42804", "3F000": return .schema
        case "42501": return .privilege
        case "3D000": return .configuration
        case "0A000", "25006", "34000", "26000": return .invalidStatement
        default: break
        }
        switch state.prefix(2) {
        case "08": return .connectionLost
        case "28": return .authentication
        case "21", "22", "23": return .badData
        case "54": return .schema        // program_limit_exceeded: too many columns, too complex
        case "42": return .invalidStatement
        case "53": return .unavailable   // insufficient resources (disk full, too many connections)
        default: return .server
        }
    }

    /// One line with the operation, the column (when known) and the message; then indented
    /// lines with the SQLSTATE and place (the row 1-based, or the input line), detail, hint,
    /// context and the statement.
    public var description: String {
        var text = operation
        if let column, !operation.contains("column") { text += ", column \(column)" }
        text += ": \(message)"
        var place: [String] = []
        if let sqlState { place.append("SQLSTATE \(sqlState)") }
        if let table { place.append("table \(table)") }
        if let column { place.append("column \(column)") }
        if let constraint { place.append("constraint \(constraint)") }
        if let line {
            place.append(firstLine.map { "lines \($0) and \(line)" } ?? "line \(line)")
        } else if let row {
            place.append(firstRow.map { "rows \($0 + 1) and \(row + 1)" } ?? "row \(row + 1)")
        }
        if !place.isEmpty { text += "\n  " + place.joined(separator: ", ") }
        if let detail { text += "\n  detail: \(detail)" }
        if let hint { text += "\n  hint: \(hint)" }
        if let context, line == nil || !context.hasPrefix("COPY ") { text += "\n  context: \(context)" }
        if let statement { text += "\n  sql: \(statement)" }
        return text
    }
}

extension PostgresError: ExitClassified {
    /// The class of each ``Kind``, as its documentation says.
    public var exitStatus: ExitStatus {
        switch kind {
        case .unavailable, .connectionLost: return .unavailable
        case .authentication, .configuration: return .configuration
        case .badData, .invalidIdentifier, .schema, .invalidStatement: return .dataError
        case .privilege: return .noPermission
        case .timeout: return .temporaryFailure
        case .server, .protocolViolation: return .software
        }
    }
}
