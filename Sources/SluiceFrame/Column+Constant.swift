extension Column {
    /// A column of no rows of `type`.
    public static func empty(_ type: ColumnType) -> Column {
        switch type {
        case .double: return Column(.double([]))
        case .int64: return Column(.int64([]))
        case .string: return Column(.string(StringColumn(codes: [], dictionary: [])))
        case .bool: return Column(.bool([]))
        case .date: return Column(.date([]))
        case .timestamp: return Column(.timestamp([]))
        }
    }

    /// `count` copies of `value` (all null for ``Value/null``, as a `double` column).
    public static func repeating(_ value: Value, count: Int) -> Column {
        switch value {
        case .null: return .double([Double?](repeating: nil, count: count))
        case .double(let v): return Column(.double([Double](repeating: v, count: count)))
        case .int64(let v): return Column(.int64([Int64](repeating: v, count: count)))
        case .string(let v): return Column(.string(StringColumn(codes: [Int32](repeating: 0, count: count), dictionary: [v])))
        case .bool(let v): return Column(.bool([Bool](repeating: v, count: count)))
        case .date(let v): return Column(.date([Int32](repeating: v, count: count)))
        case .timestamp(let v): return Column(.timestamp([Int64](repeating: v, count: count)))
        }
    }
}

extension Frame {
    /// A frame of no rows with `schema`.
    public static func empty(_ schema: Schema) throws(FrameError) -> Frame {
        try Frame(schema: schema, columns: schema.fields.map { Column.empty($0.type) })
    }
}

extension Value {
    /// The column type of a non-null value; nil for ``null``.
    public var columnType: ColumnType? {
        switch self {
        case .null: return nil
        case .double: return .double
        case .int64: return .int64
        case .string: return .string
        case .bool: return .bool
        case .date: return .date
        case .timestamp: return .timestamp
        }
    }
}
