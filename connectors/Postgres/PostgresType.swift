import SluiceFrame

/// PostgreSQL type OIDs Sluice reads and writes, and how they map to ``ColumnType``.
///
/// | PostgreSQL | Sluice | notes |
/// |---|---|---|
/// | `smallint`, `integer`, `bigint`, `oid` | `int64` | |
/// | `real`, `double precision` | `double` | NaN and ±Infinity kept |
/// | `numeric` | `double` | rounded to the nearest double; NaN and ±Infinity kept |
/// | `boolean` | `bool` | |
/// | `text`, `varchar`, `char(n)`, `name` | `string` | `char(n)` keeps its padding |
/// | `uuid` | `string` | lower-case `8-4-4-4-12` form |
/// | `date` | `date` | `±infinity` become `Int32.max` / `Int32.min` |
/// | `timestamp`, `timestamptz` | `timestamp` | µs since the epoch, UTC (a `timestamp` is taken as UTC); `±infinity` become `Int64.max` / `Int64.min` |
///
/// Written columns map back as `double` → `double precision`, `int64` → `bigint`,
/// `string` → `text`, `bool` → `boolean`, `date` → `date`, `timestamp` → `timestamptz`.
public enum PostgresType {
    static let bool: UInt32 = 16
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let bpchar: UInt32 = 1042
    static let varchar: UInt32 = 1043
    static let date: UInt32 = 1082
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let numeric: UInt32 = 1700
    static let uuid: UInt32 = 2950

    /// The Sluice column type a PostgreSQL type OID reads as, or `nil` when it is not mapped.
    public static func columnType(forOID oid: UInt32) -> ColumnType? {
        switch oid {
        case int2, int4, int8, oid: .int64
        case float4, float8, numeric: .double
        case bool: .bool
        case text, varchar, bpchar, name, uuid: .string
        case date: .date
        case timestamp, timestamptz: .timestamp
        default: nil
        }
    }

    /// The SQL type a Sluice column type is written as.
    public static func sqlName(for type: ColumnType) -> String {
        switch type {
        case .double: "double precision"
        case .int64: "bigint"
        case .string: "text"
        case .bool: "boolean"
        case .date: "date"
        case .timestamp: "timestamptz"
        }
    }

    /// The OID of ``sqlName(for:)``.
    static func oid(for type: ColumnType) -> UInt32 {
        switch type {
        case .double: float8
        case .int64: int8
        case .string: text
        case .bool: bool
        case .date: date
        case .timestamp: timestamptz
        }
    }

    /// Whether a column of `oid` accepts the binary form Sluice writes for `type` as is.
    static func acceptsBinary(_ oid: UInt32, from type: ColumnType) -> Bool {
        switch type {
        case .double: oid == float8
        case .int64: oid == int8
        case .string: oid == text || oid == varchar || oid == bpchar
        case .bool: oid == bool
        case .date: oid == date
        case .timestamp: oid == timestamp || oid == timestamptz
        }
    }

    /// Days between 1970-01-01 and 2000-01-01, PostgreSQL's epoch.
    static let epochDays: Int32 = 10_957
    /// Microseconds between 1970-01-01 and 2000-01-01.
    static let epochMicroseconds: Int64 = 946_684_800_000_000

    static func formatDate(days: Int32) -> String {
        if days == .max { return "infinity" }
        if days == .min { return "-infinity" }
        return Value.date(days).description
    }

    static func formatTimestamp(microseconds: Int64) -> String {
        if microseconds == .max { return "infinity" }
        if microseconds == .min { return "-infinity" }
        return Value.timestamp(microseconds).description
    }
}
