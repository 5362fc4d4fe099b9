/// A dictionary-encoded string column: one `Int32` code per row into `dictionary`.
///
/// A null row has code `-1`; every other code indexes `dictionary`. Categoricals with few
/// distinct values cost four bytes a row.
public struct StringColumn: Sendable, Hashable {
    /// One code per row; `-1` for null.
    public var codes: [Int32]
    /// The distinct strings the codes refer to. It may hold entries no row uses.
    public var dictionary: [String]

    /// Codes into a dictionary. Codes must be `-1` or index `dictionary`.
    public init(codes: [Int32], dictionary: [String]) {
        self.codes = codes
        self.dictionary = dictionary
    }

    /// Encodes `values`, first appearance first; `nil` is null.
    public init<S: Sequence>(_ values: S) where S.Element == String? {
        var index: [String: Int32] = [:]
        var dictionary: [String] = []
        var codes: [Int32] = []
        for v in values {
            guard let v else { codes.append(-1); continue }
            if let c = index[v] { codes.append(c); continue }
            let c = Int32(dictionary.count)
            index[v] = c
            dictionary.append(v)
            codes.append(c)
        }
        self.codes = codes
        self.dictionary = dictionary
    }

    /// The number of rows.
    public var count: Int { codes.count }

    /// The string at row `i`, or `nil` when it is null.
    public subscript(i: Int) -> String? {
        let c = codes[i]
        return c < 0 ? nil : dictionary[Int(c)]
    }
}

/// The values of a column, one case per ``ColumnType``.
///
/// Null rows hold a placeholder: `NaN` for doubles, `0` / `false` for the other numeric
/// types, code `-1` for strings. The ``ValidityMask`` is what says a row is null.
public enum ColumnData: Sendable {
    case double([Double])
    case int64([Int64])
    case string(StringColumn)
    case bool([Bool])
    /// Days since 1970-01-01.
    case date([Int32])
    /// Microseconds since 1970-01-01T00:00:00Z.
    case timestamp([Int64])

    /// The type of these values.
    public var type: ColumnType {
        switch self {
        case .double: .double
        case .int64: .int64
        case .string: .string
        case .bool: .bool
        case .date: .date
        case .timestamp: .timestamp
        }
    }

    /// The number of rows.
    public var count: Int {
        switch self {
        case let .double(v): v.count
        case let .int64(v): v.count
        case let .string(v): v.count
        case let .bool(v): v.count
        case let .date(v): v.count
        case let .timestamp(v): v.count
        }
    }
}

/// One cell, for printing and tests; bulk work uses the typed arrays.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case double(Double)
    case int64(Int64)
    case string(String)
    case bool(Bool)
    /// Days since 1970-01-01.
    case date(Int32)
    /// Microseconds since 1970-01-01T00:00:00Z.
    case timestamp(Int64)

    /// The value as a terminal shows it: `null`, numbers in shortest form, ISO 8601 dates.
    public var description: String {
        switch self {
        case .null: "null"
        case let .double(v): v.description
        case let .int64(v): v.description
        case let .string(v): v
        case let .bool(v): v ? "true" : "false"
        case let .date(v): CalendarDate.format(days: v)
        case let .timestamp(v): CalendarDate.format(microseconds: v)
        }
    }
}

/// A typed column of values with a validity mask.
///
/// A value type with copy-on-write arrays: copying a column is cheap until one copy is
/// written. Equality (`==`) compares the rows, not the storage: two string columns with the
/// same strings in differently ordered dictionaries are equal, null rows compare equal
/// whatever their placeholder, and `NaN` equals `NaN` (bitwise comparison of valid doubles,
/// except that all NaNs agree).
public struct Column: Sendable, Equatable, CustomStringConvertible {
    /// The values (placeholders in null rows).
    public private(set) var data: ColumnData
    /// Which rows are null.
    public private(set) var validity: ValidityMask

    /// A column of `data` with `validity` (every row valid by default).
    ///
    /// - Precondition: `validity.count == data.count`.
    public init(_ data: ColumnData, validity: ValidityMask? = nil) {
        let v = validity ?? ValidityMask(allValid: data.count)
        precondition(v.count == data.count, "validity has \(v.count) rows, data \(data.count)")
        self.data = data
        self.validity = v
        normalizePlaceholders()
    }

    /// Doubles; `nil` is null.
    public static func double<S: Sequence>(_ values: S) -> Column where S.Element == Double? {
        let a = Array(values)
        return Column(.double(a.map { $0 ?? .nan }), validity: ValidityMask(valid: a.lazy.map { $0 != nil }))
    }
    /// Int64s; `nil` is null.
    public static func int64<S: Sequence>(_ values: S) -> Column where S.Element == Int64? {
        let a = Array(values)
        return Column(.int64(a.map { $0 ?? 0 }), validity: ValidityMask(valid: a.lazy.map { $0 != nil }))
    }
    /// Strings, dictionary-encoded; `nil` is null.
    public static func string<S: Sequence>(_ values: S) -> Column where S.Element == String? {
        let s = StringColumn(values)
        return Column(.string(s), validity: ValidityMask(valid: s.codes.lazy.map { $0 >= 0 }))
    }
    /// Bools; `nil` is null.
    public static func bool<S: Sequence>(_ values: S) -> Column where S.Element == Bool? {
        let a = Array(values)
        return Column(.bool(a.map { $0 ?? false }), validity: ValidityMask(valid: a.lazy.map { $0 != nil }))
    }
    /// Dates as days since 1970-01-01; `nil` is null.
    public static func date<S: Sequence>(_ days: S) -> Column where S.Element == Int32? {
        let a = Array(days)
        return Column(.date(a.map { $0 ?? 0 }), validity: ValidityMask(valid: a.lazy.map { $0 != nil }))
    }
    /// Timestamps as microseconds since the epoch (UTC); `nil` is null.
    public static func timestamp<S: Sequence>(_ micros: S) -> Column where S.Element == Int64? {
        let a = Array(micros)
        return Column(.timestamp(a.map { $0 ?? 0 }), validity: ValidityMask(valid: a.lazy.map { $0 != nil }))
    }

    /// The type of the values.
    public var type: ColumnType { data.type }
    /// The number of rows.
    public var count: Int { validity.count }
    /// The number of null rows.
    public var nullCount: Int { validity.nullCount }

    /// Whether row `i` is null.
    public func isNull(_ i: Int) -> Bool { validity.isNull(i) }

    /// The cell at row `i`.
    public subscript(i: Int) -> Value {
        if validity.isNull(i) { return .null }
        switch data {
        case let .double(v): return .double(v[i])
        case let .int64(v): return .int64(v[i])
        case let .string(v): return v[i].map(Value.string) ?? .null
        case let .bool(v): return .bool(v[i])
        case let .date(v): return .date(v[i])
        case let .timestamp(v): return .timestamp(v[i])
        }
    }

    /// Sets null rows to the documented placeholders (NaN, 0, false, code −1).
    private mutating func normalizePlaceholders() {
        guard let words = validity.words else { return }
        func fix<T>(_ a: inout [T], _ p: T) {
            for w in 0..<words.count where words[w] != ~0 {
                var inv = ~words[w]
                while inv != 0 {
                    let i = w &* 64 &+ inv.trailingZeroBitCount
                    if i >= a.count { break }
                    a[i] = p
                    inv &= inv &- 1
                }
            }
        }
        switch data {
        case var .double(v): data = .int64([]); fix(&v, .nan); data = .double(v)
        case var .int64(v): data = .bool([]); fix(&v, 0); data = .int64(v)
        case var .string(s): data = .bool([]); fix(&s.codes, -1); data = .string(s)
        case var .bool(v): data = .int64([]); fix(&v, false); data = .bool(v)
        case var .date(v): data = .bool([]); fix(&v, 0); data = .date(v)
        case var .timestamp(v): data = .bool([]); fix(&v, 0); data = .timestamp(v)
        }
    }

    // MARK: Typed access

    /// The doubles (NaN in null rows). Throws if the column is not `double`.
    public func doubleValues(name: String = "") throws(FrameError) -> [Double] {
        guard case let .double(v) = data else { throw .typeMismatch(column: name, expected: .double, actual: type) }
        return v
    }
    /// The Int64s (0 in null rows). Throws if the column is not `int64`.
    public func int64Values(name: String = "") throws(FrameError) -> [Int64] {
        guard case let .int64(v) = data else { throw .typeMismatch(column: name, expected: .int64, actual: type) }
        return v
    }
    /// The dictionary-encoded strings (code −1 in null rows). Throws if the column is not `string`.
    public func stringValues(name: String = "") throws(FrameError) -> StringColumn {
        guard case let .string(v) = data else { throw .typeMismatch(column: name, expected: .string, actual: type) }
        return v
    }
    /// The bools (false in null rows). Throws if the column is not `bool`.
    public func boolValues(name: String = "") throws(FrameError) -> [Bool] {
        guard case let .bool(v) = data else { throw .typeMismatch(column: name, expected: .bool, actual: type) }
        return v
    }
    /// Days since 1970-01-01 (0 in null rows). Throws if the column is not `date`.
    public func dateValues(name: String = "") throws(FrameError) -> [Int32] {
        guard case let .date(v) = data else { throw .typeMismatch(column: name, expected: .date, actual: type) }
        return v
    }
    /// Microseconds since the epoch (0 in null rows). Throws if the column is not `timestamp`.
    public func timestampValues(name: String = "") throws(FrameError) -> [Int64] {
        guard case let .timestamp(v) = data else { throw .typeMismatch(column: name, expected: .timestamp, actual: type) }
        return v
    }

    /// Rows as `Value`s, for printing and tests.
    public var values: [Value] { (0..<count).map { self[$0] } }

    public static func == (lhs: Column, rhs: Column) -> Bool {
        guard lhs.type == rhs.type, lhs.count == rhs.count, lhs.nullCount == rhs.nullCount else { return false }
        for i in 0..<lhs.count where lhs.validity.isValid(i) != rhs.validity.isValid(i) { return false }
        switch (lhs.data, rhs.data) {
        case let (.double(a), .double(b)):
            for i in 0..<a.count where lhs.validity.isValid(i) {
                if a[i].isNaN && b[i].isNaN { continue }
                if a[i].bitPattern != b[i].bitPattern { return false }
            }
            return true
        case let (.int64(a), .int64(b)), let (.timestamp(a), .timestamp(b)):
            return (0..<a.count).allSatisfy { lhs.validity.isNull($0) || a[$0] == b[$0] }
        case let (.date(a), .date(b)):
            return (0..<a.count).allSatisfy { lhs.validity.isNull($0) || a[$0] == b[$0] }
        case let (.bool(a), .bool(b)):
            return (0..<a.count).allSatisfy { lhs.validity.isNull($0) || a[$0] == b[$0] }
        case let (.string(a), .string(b)):
            return (0..<a.count).allSatisfy { a[$0] == b[$0] }
        default: return false
        }
    }

    /// The type, row count and null count.
    public var description: String { "Column<\(type)>(\(count) rows, \(nullCount) nulls)" }
}
