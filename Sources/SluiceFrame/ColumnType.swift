/// The type of a ``Column``'s values.
///
/// Every type has a validity mask beside its values, so any column can hold nulls;
/// ``Field/nullable`` says whether it may.
public enum ColumnType: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// 64-bit IEEE floating point (`Double`). `NaN` is a value, not a null.
    case double
    /// 64-bit signed integer (`Int64`).
    case int64
    /// UTF-8 text, dictionary-encoded: `Int32` codes into a dictionary of distinct strings.
    case string
    /// `true` / `false`.
    case bool
    /// A calendar date: days since 1970-01-01, as `Int32`.
    case date
    /// An instant: microseconds since 1970-01-01T00:00:00Z, as `Int64`.
    case timestamp

    /// The lowercase name, as written in schemas and the CLI (`"double"`, `"int64"`, …).
    public var description: String { rawValue }

    /// Whether the values are numbers that convert to a matrix (double, int64, bool).
    public var isNumeric: Bool { self == .double || self == .int64 || self == .bool }
}
