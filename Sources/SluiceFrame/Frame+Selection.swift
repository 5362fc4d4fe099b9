extension Frame {
    // MARK: Columns

    /// The columns `names`, in that order. Copies no values.
    public func selecting(_ names: [String]) throws(FrameError) -> Frame {
        var fields: [Field] = [], cols: [Column] = []
        for n in names {
            let i = try schema.requireIndex(of: n)
            fields.append(schema[i])
            cols.append(columns[i])
        }
        return Frame(uncheckedSchema: try Schema(fields), columns: cols, rowCount: rowCount)
    }

    /// Every column except `names`. Throws on a name the frame does not have.
    public func dropping(_ names: [String]) throws(FrameError) -> Frame {
        var drop = Set<Int>()
        for n in names { drop.insert(try schema.requireIndex(of: n)) }
        let keep = (0..<columnCount).filter { !drop.contains($0) }
        return Frame(uncheckedSchema: Schema(unchecked: keep.map { schema[$0] }),
                     columns: keep.map { columns[$0] }, rowCount: rowCount)
    }

    /// The frame with columns renamed by `mapping` (old name → new name).
    public func renaming(_ mapping: [String: String]) throws(FrameError) -> Frame {
        for old in mapping.keys { _ = try schema.requireIndex(of: old) }
        let fields = schema.fields.map { f in Field(mapping[f.name] ?? f.name, f.type, nullable: f.nullable) }
        return Frame(uncheckedSchema: try Schema(fields), columns: columns, rowCount: rowCount)
    }

    /// The frame with `column` added as `name` at the end, or replacing the column of that
    /// name in place.
    ///
    /// - Throws: ``FrameError/lengthMismatch(column:expected:actual:)`` if the row count differs
    ///   (any length is accepted when the frame has no columns).
    public func setting(_ name: String, to column: Column, nullable: Bool = true) throws(FrameError) -> Frame {
        var copy = self
        try copy.set(name, to: column, nullable: nullable)
        return copy
    }

    /// Adds `column` as `name` at the end, or replaces the column of that name in place.
    public mutating func set(_ name: String, to column: Column, nullable: Bool = true) throws(FrameError) {
        if columnCount > 0 && column.count != rowCount {
            throw .lengthMismatch(column: name, expected: rowCount, actual: column.count)
        }
        if name.isEmpty { throw .emptyColumnName(index: schema.index(of: name) ?? columnCount) }
        if !nullable && column.nullCount > 0 { throw .unexpectedNulls(column: name, count: column.nullCount) }
        var fields = schema.fields
        let field = Field(name, column.type, nullable: nullable)
        if let i = schema.index(of: name) {
            fields[i] = field
            columns[i] = column
        } else {
            fields.append(field)
            columns.append(column)
        }
        schema = Schema(unchecked: fields)
        rowCount = column.count
    }

    // MARK: Rows

    /// The rows at `indices`, in that order (indices may repeat).
    ///
    /// - Throws: ``FrameError/rowOutOfRange(index:rowCount:)`` for an index outside the frame.
    public func taking(rows indices: [Int]) throws(FrameError) -> Frame {
        for i in indices where i < 0 || i >= rowCount { throw .rowOutOfRange(index: i, rowCount: rowCount) }
        return Frame(uncheckedSchema: schema, columns: columns.map { $0.taking(indices) }, rowCount: indices.count)
    }

    /// The rows where `mask` is `true`, in order.
    ///
    /// - Throws: ``FrameError/lengthMismatch(column:expected:actual:)`` if the mask's length differs.
    public func filtered(by mask: [Bool]) throws(FrameError) -> Frame {
        guard mask.count == rowCount else { throw .lengthMismatch(column: "<mask>", expected: rowCount, actual: mask.count) }
        let keep = mask.indices.filter { mask[$0] }
        return Frame(uncheckedSchema: schema, columns: columns.map { $0.taking(keep) }, rowCount: keep.count)
    }

    /// The rows where none of `names` is null, in order (pandas' `dropna(subset=…)`): e.g.
    /// the labelled rows, `frame.droppingNulls(in: ["churned"])`.
    ///
    /// - Throws: ``FrameError/unknownColumn(_:available:)`` for a name the frame lacks.
    public func droppingNulls(in names: [String]) throws(FrameError) -> Frame {
        var masks = [ValidityMask]()
        for n in names { masks.append(try column(n).validity) }
        guard masks.contains(where: \.hasNulls) else { return self }
        let keep = (0..<rowCount).filter { i in masks.allSatisfy { $0.isValid(i) } }
        return Frame(uncheckedSchema: schema, columns: columns.map { $0.taking(keep) }, rowCount: keep.count)
    }

    /// The rows where at least one of `names` is null, in order: e.g. the rows to score.
    public func rowsWithNulls(in names: [String]) throws(FrameError) -> Frame {
        var masks = [ValidityMask]()
        for n in names { masks.append(try column(n).validity) }
        let keep = (0..<rowCount).filter { i in masks.contains { $0.isNull(i) } }
        return Frame(uncheckedSchema: schema, columns: columns.map { $0.taking(keep) }, rowCount: keep.count)
    }

    /// Rows `range`, clamped to the frame.
    public func slice(_ range: Range<Int>) -> Frame {
        let r = range.clamped(to: 0..<rowCount)
        return Frame(uncheckedSchema: schema, columns: columns.map { $0.slice(r) }, rowCount: r.count)
    }

    /// The first `n` rows (or all, if fewer).
    public func head(_ n: Int = 10) -> Frame { slice(0..<max(0, n)) }

    /// The rows of `frames` one after another. All must have one schema (names, types and
    /// nullability, in order); string dictionaries are merged.
    ///
    /// - Throws: ``FrameError/schemaMismatch(expected:actual:)`` naming both schemas.
    public static func concatenating(_ frames: [Frame]) throws(FrameError) -> Frame {
        guard let first = frames.first else { return Frame() }
        for f in frames.dropFirst() where f.schema != first.schema {
            throw .schemaMismatch(expected: first.schema, actual: f.schema)
        }
        if frames.count == 1 { return first }
        var cols: [Column] = []
        for j in 0..<first.columnCount {
            cols.append(try Column.concatenating(frames.map { $0.columns[j] }, name: first.schema[j].name))
        }
        return Frame(uncheckedSchema: first.schema, columns: cols, rowCount: frames.reduce(0) { $0 + $1.rowCount })
    }

    /// The cell at `row` of column `name`.
    public func value(row: Int, column name: String) throws(FrameError) -> Value {
        guard row >= 0 && row < rowCount else { throw .rowOutOfRange(index: row, rowCount: rowCount) }
        return try column(name)[row]
    }
}
