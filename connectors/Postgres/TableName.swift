/// A table's name, optionally schema-qualified. Names are used exactly as given (case and
/// every character kept) and are always quoted with `PQescapeIdentifier` in SQL.
///
/// PostgreSQL truncates identifiers to 63 bytes; Sluice refuses longer names instead (see
/// ``PostgresIdentifier/validate(_:role:)``).
public struct TableName: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The schema, or `nil` for the connection's `search_path`.
    public var schema: String?
    /// The table's own name.
    public var name: String

    /// The table `name` in `schema` (or on the search path).
    public init(_ name: String, schema: String? = nil) {
        self.name = name
        self.schema = schema
    }

    public init(stringLiteral value: String) { self.init(value) }

    /// `schema.name` or `name`, unquoted, for messages.
    public var description: String { schema.map { "\($0).\(name)" } ?? name }

    /// The quoted SQL form, `"schema"."name"`.
    func quoted(_ connection: PostgresConnection) throws(PostgresError) -> String {
        let table = try connection.quote(name)
        guard let schema else { return table }
        return try connection.quote(schema) + "." + table
    }

    func validate() throws(PostgresError) {
        try PostgresIdentifier.validate(name, role: "table")
        if let schema { try PostgresIdentifier.validate(schema, role: "schema") }
    }
}

/// Checks of identifiers before any SQL is sent.
public enum PostgresIdentifier {
    /// PostgreSQL's identifier limit (NAMEDATALEN − 1).
    public static let maximumBytes = 63

    /// Throws unless `name` is usable as is: not empty, no NUL, at most 63 bytes of UTF-8.
    /// `role` (`table`, `column`, …) names it in the error.
    public static func validate(_ name: String, role: String) throws(PostgresError) {
        let bytes = name.utf8.count
        if bytes == 0 {
            throw PostgresError(.invalidIdentifier, operation: "check \(role) name", message: "the \(role) name is empty")
        }
        if name.utf8.contains(0) {
            throw PostgresError(.invalidIdentifier, operation: "check \(role) name", message: "the \(role) name '\(name)' contains a NUL byte")
        }
        if bytes > maximumBytes {
            throw PostgresError(.invalidIdentifier, operation: "check \(role) name",
                                message: "the \(role) name '\(name)' is \(bytes) bytes; PostgreSQL keeps only \(maximumBytes) and would truncate it")
        }
    }

    /// Validates every name and throws if two are equal once truncated to 63 bytes (the
    /// server would see them as one).
    public static func validateDistinct(_ names: [String], role: String) throws(PostgresError) {
        var seen: [[UInt8]: String] = [:]
        for name in names {
            try validate(name, role: role)
            let key = Array(name.utf8.prefix(maximumBytes))
            if let other = seen[key] {
                throw PostgresError(.invalidIdentifier, operation: "check \(role) names",
                                    message: "the \(role) names '\(other)' and '\(name)' are the same to PostgreSQL")
            }
            seen[key] = name
        }
    }
}
