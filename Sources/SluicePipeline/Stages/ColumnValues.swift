import SluiceFrame

/// Shared helpers for stages that read numeric columns and rebuild schemas.
enum ColumnValues {
    /// A numeric column (`double`, `int64`, `bool`) as doubles, `NaN` where null.
    static func doubles(_ c: Column) -> [Double] {
        let v = c.validity, n = c.count
        switch c.data {
        case .double(let a):
            guard v.hasNulls else { return a }
            return (0..<n).map { v.isValid($0) ? a[$0] : .nan }
        case .int64(let a): return (0..<n).map { v.isValid($0) ? Double(a[$0]) : .nan }
        case .bool(let a): return (0..<n).map { v.isValid($0) ? (a[$0] ? 1 : 0) : .nan }
        default: return [Double](repeating: .nan, count: n)
        }
    }

    /// Resolves `selector` and checks every chosen column has an accepted type.
    static func numericColumns(_ selector: ColumnSelector, in schema: Schema, stage: String) throws -> [String] {
        try selector.resolve(in: schema, stage: stage, accepting: \.isNumeric, expected: "a numeric column")
    }

    /// `schema` with each of `names` replaced in place by a nullable `double` field.
    static func replacingWithDoubles(_ schema: Schema, _ names: [String], nullable: Bool = true) throws -> Schema {
        let set = Set(names)
        return try framing("schema") { () throws(FrameError) in
            try Schema(schema.fields.map { set.contains($0.name) ? Field($0.name, .double, nullable: nullable && $0.nullable) : $0 })
        }
    }

    /// The sub-schema of `names`, in that order.
    static func subschema(_ schema: Schema, _ names: [String], stage: String) throws -> Schema {
        let fields = try names.map { try schema.require($0, stage: stage) }
        return try framing(stage) { () throws(FrameError) in try Schema(fields) }
    }

    /// A frame from fields and columns, keeping each field's nullability.
    static func frame(_ parts: [(Field, Column)], stage: String) throws -> Frame {
        try framing(stage) { () throws(FrameError) in
            try Frame(schema: Schema(parts.map(\.0)), columns: parts.map(\.1))
        }
    }
}
