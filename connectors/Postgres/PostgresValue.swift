/// A value bound to a `$n` parameter of a statement. Values are sent beside the SQL text,
/// never pasted into it.
public enum PostgresValue: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    /// SQL NULL.
    case null
    /// Text; its type is left for the server to infer from the context (`unknown`).
    case string(String)
    /// A `bigint`.
    case int64(Int64)
    /// A `double precision` (NaN and ±Infinity included).
    case double(Double)
    /// A `boolean`.
    case bool(Bool)
    /// A `date`, as days since 1970-01-01.
    case date(Int32)
    /// A `timestamptz`, as microseconds since 1970-01-01T00:00:00Z.
    case timestamp(Int64)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }

    /// The parameter's type OID (0: let the server infer it).
    var typeOID: UInt32 {
        switch self {
        case .null, .string: 0
        case .int64: PostgresType.int8
        case .double: PostgresType.float8
        case .bool: PostgresType.bool
        case .date: PostgresType.date
        case .timestamp: PostgresType.timestamptz
        }
    }

    /// The text form sent to the server, or `nil` for NULL.
    var text: String? {
        switch self {
        case .null: nil
        case let .string(s): s
        case let .int64(v): String(v)
        case let .double(v):
            v.isNaN ? "NaN" : v == .infinity ? "Infinity" : v == -.infinity ? "-Infinity" : "\(v)"
        case let .bool(v): v ? "t" : "f"
        case let .date(d): PostgresType.formatDate(days: d)
        case let .timestamp(us): PostgresType.formatTimestamp(microseconds: us)
        }
    }
}
