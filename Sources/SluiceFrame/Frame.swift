/// A columnar table: a ``Schema`` and one typed ``Column`` per field, all of one length.
///
/// `Frame` is a value type; its columns are copy-on-write arrays, so selecting, renaming
/// or reordering columns copies no values. Row operations (``taking(rows:)``,
/// ``filtered(by:)``, ``slice(_:)``) copy only the rows they keep.
///
/// ```swift
/// let frame = try Frame(["age": .double([31, nil, 45]), "plan": .string(["basic", "family", nil])])
/// let ages = try frame.doubles("age")          // [31, NaN, 45] (NaN in the null row)
/// let x = try frame.matrix(columns: ["age"], nulls: .nan)
/// ```
public struct Frame: Sendable, Equatable, CustomStringConvertible {
    /// The fields, in column order.
    public internal(set) var schema: Schema
    /// The columns, in the schema's order.
    public internal(set) var columns: [Column]
    /// The number of rows.
    public internal(set) var rowCount: Int

    /// A frame with no columns and no rows.
    public init() {
        schema = .empty
        columns = []
        rowCount = 0
    }

    /// A frame of `columns` described by `schema`.
    ///
    /// - Throws: ``FrameError`` if counts or types disagree with the schema, columns differ
    ///   in length, or a non-nullable field's column has nulls.
    public init(schema: Schema, columns: [Column]) throws(FrameError) {
        guard schema.count == columns.count else {
            throw .lengthMismatch(column: "<columns>", expected: schema.count, actual: columns.count)
        }
        let rows = columns.first?.count ?? 0
        for (f, c) in zip(schema.fields, columns) {
            guard f.type == c.type else { throw .typeMismatch(column: f.name, expected: f.type, actual: c.type) }
            guard c.count == rows else { throw .lengthMismatch(column: f.name, expected: rows, actual: c.count) }
            if !f.nullable && c.nullCount > 0 { throw .unexpectedNulls(column: f.name, count: c.nullCount) }
        }
        self.schema = schema
        self.columns = columns
        self.rowCount = rows
    }

    /// A frame of named columns, in order; every field nullable.
    public init(_ named: KeyValuePairs<String, Column>) throws(FrameError) {
        try self.init(named: named.map { ($0.key, $0.value) })
    }

    /// A frame of named columns, in order; every field nullable.
    public init(named: [(String, Column)]) throws(FrameError) {
        let schema = try Schema(named.map { Field($0.0, $0.1.type) })
        try self.init(schema: schema, columns: named.map(\.1))
    }

    /// The number of columns.
    public var columnCount: Int { columns.count }
    /// The column names, in order.
    public var columnNames: [String] { schema.names }

    // MARK: Access by name

    /// The column named `name`.
    ///
    /// - Throws: ``FrameError/unknownColumn(_:available:)`` naming the columns there are.
    public func column(_ name: String) throws(FrameError) -> Column {
        columns[try schema.requireIndex(of: name)]
    }

    /// The column named `name`, or `nil`.
    public subscript(name: String) -> Column? { schema.index(of: name).map { columns[$0] } }

    /// The `double` column `name` (NaN in null rows); throws on an unknown name or another type.
    public func doubles(_ name: String) throws(FrameError) -> [Double] { try column(name).doubleValues(name: name) }
    /// The `int64` column `name` (0 in null rows); throws on an unknown name or another type.
    public func int64s(_ name: String) throws(FrameError) -> [Int64] { try column(name).int64Values(name: name) }
    /// The `string` column `name` (code −1 in null rows); throws on an unknown name or another type.
    public func strings(_ name: String) throws(FrameError) -> StringColumn { try column(name).stringValues(name: name) }
    /// The `bool` column `name` (false in null rows); throws on an unknown name or another type.
    public func bools(_ name: String) throws(FrameError) -> [Bool] { try column(name).boolValues(name: name) }
    /// The `date` column `name`, days since 1970-01-01; throws on an unknown name or another type.
    public func dates(_ name: String) throws(FrameError) -> [Int32] { try column(name).dateValues(name: name) }
    /// The `timestamp` column `name`, µs since the epoch; throws on an unknown name or another type.
    public func timestamps(_ name: String) throws(FrameError) -> [Int64] { try column(name).timestampValues(name: name) }

    /// The validity mask of column `name`.
    public func validity(_ name: String) throws(FrameError) -> ValidityMask { try column(name).validity }

    /// The frame as a one-line summary plus its first rows.
    public var description: String { formatted() }

    public static func == (lhs: Frame, rhs: Frame) -> Bool {
        lhs.schema == rhs.schema && lhs.rowCount == rhs.rowCount && lhs.columns == rhs.columns
    }

    // Internal: assemble without checks (callers guarantee the invariants).
    init(uncheckedSchema schema: Schema, columns: [Column], rowCount: Int) {
        self.schema = schema
        self.columns = columns
        self.rowCount = rowCount
    }
}
