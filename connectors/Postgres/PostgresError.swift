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
        /// A statement ran out of time (`statement_timeout`) or was cancelled. CLI: 75.
        case timeout
        /// The data was refused: a constraint, a bad value, a type that cannot be read. CLI: 65.
        case badData
        /// A table or column name cannot be used (too long, empty, colliding). CLI: 65.
        case invalidIdentifier
        /// The table does not exist, already exists, or lacks a column. CLI: 65.
        case schema
        /// Any other server error (syntax, privileges, …). CLI: 70.
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
    public var row: Int?

    /// An error of `kind` while doing `operation`; every text is redacted.
    public init(_ kind: Kind, operation: String, message: String, sqlState: String? = nil,
                detail: String? = nil, hint: String? = nil, context: String? = nil,
                table: String? = nil, column: String? = nil, constraint: String? = nil, row: Int? = nil) {
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
    }

    /// The kind a server error with this SQLSTATE belongs to.
    public static func kind(forSQLState state: String) -> Kind {
        switch state {
        case "57014": return .timeout                                   // query_canceled (statement_timeout)
        case "57P01", "57P02", "57P03": return .connectionLost         // admin/crash shutdown, cannot connect now
        case "42P01", "42P07", "42703", "42P10": return .schema        // undefined/duplicate table, undefined column, bad ON CONFLICT
        default: break
        }
        switch state.prefix(2) {
        case "08": return .connectionLost
        case "28": return .authentication
        case "22", "23": return .badData
        case "53": return .unavailable   // insufficient resources (disk full, too many connections)
        default: return .server
        }
    }

    /// One line with the operation and message, then indented lines with the SQLSTATE and
    /// place, detail, hint and context.
    public var description: String {
        var text = "\(operation): \(message)"
        var place: [String] = []
        if let sqlState { place.append("SQLSTATE \(sqlState)") }
        if let table { place.append("table \(table)") }
        if let column { place.append("column \(column)") }
        if let constraint { place.append("constraint \(constraint)") }
        if let row { place.append("row \(row)") }
        if !place.isEmpty { text += "\n  " + place.joined(separator: ", ") }
        if let detail { text += "\n  detail: \(detail)" }
        if let hint { text += "\n  hint: \(hint)" }
        if let context { text += "\n  context: \(context)" }
        return text
    }
}

extension PostgresError: ExitClassified {
    /// The class of each ``Kind``, as its documentation says.
    public var exitStatus: ExitStatus {
        switch kind {
        case .unavailable, .connectionLost: return .unavailable
        case .authentication, .configuration: return .configuration
        case .badData, .invalidIdentifier, .schema: return .dataError
        case .timeout: return .temporaryFailure
        case .server, .protocolViolation: return .software
        }
    }
}
