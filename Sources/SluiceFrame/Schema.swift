/// One column of a ``Schema``: its name, type and whether it may hold nulls.
public struct Field: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The column name; unique within a schema.
    public var name: String
    /// The type of the values.
    public var type: ColumnType
    /// Whether the column may hold nulls. A frame refuses a non-nullable column with nulls.
    public var nullable: Bool

    /// A field named `name` of type `type`, nullable unless told otherwise.
    public init(_ name: String, _ type: ColumnType, nullable: Bool = true) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }

    /// `name: type` with a `?` after nullable types, e.g. `age: double?`.
    public var description: String { "\(name): \(type)\(nullable ? "?" : "")" }
}

/// The ordered list of a frame's fields (name, type, nullable).
///
/// Names are unique; ``index(of:)`` finds a name in constant time.
public struct Schema: Sendable, Hashable, Codable, CustomStringConvertible, RandomAccessCollection {
    /// The fields, in column order.
    public let fields: [Field]
    private let positions: [String: Int]

    /// A schema of `fields`.
    ///
    /// - Throws: ``FrameError/duplicateColumn(_:)`` if two fields share a name,
    ///   ``FrameError/emptyColumnName(index:)`` if a name is empty.
    public init(_ fields: [Field]) throws(FrameError) {
        var positions: [String: Int] = [:]
        positions.reserveCapacity(fields.count)
        for (i, f) in fields.enumerated() {
            if f.name.isEmpty { throw .emptyColumnName(index: i) }
            if positions.updateValue(i, forKey: f.name) != nil { throw .duplicateColumn(f.name) }
        }
        self.fields = fields
        self.positions = positions
    }

    /// The empty schema.
    public static let empty: Schema = Schema(unchecked: [])

    init(unchecked fields: [Field]) {
        self.fields = fields
        var positions: [String: Int] = [:]
        for (i, f) in fields.enumerated() { positions[f.name] = i }
        self.positions = positions
    }

    /// The column names, in order.
    public var names: [String] { fields.map(\.name) }

    /// The position of the column named `name`, or `nil`.
    public func index(of name: String) -> Int? { positions[name] }

    /// The field named `name`, or `nil`.
    public subscript(name: String) -> Field? { positions[name].map { fields[$0] } }

    /// The position of `name`, or an ``FrameError/unknownColumn(_:available:)`` error.
    public func requireIndex(of name: String) throws(FrameError) -> Int {
        guard let i = positions[name] else { throw .unknownColumn(name, available: names) }
        return i
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { fields.count }
    public subscript(position: Int) -> Field { fields[position] }

    public static func == (lhs: Schema, rhs: Schema) -> Bool { lhs.fields == rhs.fields }
    public func hash(into hasher: inout Hasher) { hasher.combine(fields) }

    private enum CodingKeys: String, CodingKey { case fields }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(c.decode([Field].self, forKey: .fields))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fields, forKey: .fields)
    }

    /// One field per line.
    public var description: String { fields.map(\.description).joined(separator: "\n") }
}
