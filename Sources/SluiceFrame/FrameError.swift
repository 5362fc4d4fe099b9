/// An error from a frame operation. Each case names the column (and row) it is about.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No column has this name; `available` lists the names there are.
    case unknownColumn(String, available: [String])
    /// The column exists but holds another type than the accessor asked for.
    case typeMismatch(column: String, expected: ColumnType, actual: ColumnType)
    /// Two columns (or a new column and a frame) differ in row count.
    case lengthMismatch(column: String, expected: Int, actual: Int)
    /// A name appears twice.
    case duplicateColumn(String)
    /// A column name is empty.
    case emptyColumnName(index: Int)
    /// A non-nullable field's column holds nulls.
    case unexpectedNulls(column: String, count: Int)
    /// A row index is outside `0..<rowCount`.
    case rowOutOfRange(index: Int, rowCount: Int)
    /// Frames to concatenate have different schemas.
    case schemaMismatch(expected: Schema, actual: Schema)
    /// A matrix was asked for with nulls refused, and this column has one at `row`.
    case nullInMatrix(column: String, row: Int)
    /// A non-numeric column was asked for in a matrix.
    case notNumeric(column: String, type: ColumnType)
    /// The dictionary of a string column and its codes disagree.
    case invalidStringCode(column: String, row: Int, code: Int32)

    /// A one-line explanation naming the column or row.
    public var description: String {
        switch self {
        case let .unknownColumn(name, available):
            let shown = available.prefix(20).joined(separator: ", ")
            return "no column named '\(name)' (columns: \(shown)\(available.count > 20 ? ", …" : ""))"
        case let .typeMismatch(column, expected, actual):
            return "column '\(column)' is \(actual), not \(expected)"
        case let .lengthMismatch(column, expected, actual):
            return "column '\(column)' has \(actual) rows, expected \(expected)"
        case let .duplicateColumn(name): return "duplicate column name '\(name)'"
        case let .emptyColumnName(index): return "column \(index + 1) has an empty name"
        case let .unexpectedNulls(column, count): return "column '\(column)' is not nullable but has \(count) nulls"
        case let .rowOutOfRange(index, rowCount): return "row \(index) is out of range 0..<\(rowCount)"
        case let .schemaMismatch(expected, actual):
            return "schema mismatch: expected [\(expected.fields.map(\.description).joined(separator: ", "))], got [\(actual.fields.map(\.description).joined(separator: ", "))]"
        case let .nullInMatrix(column, row): return "column '\(column)' is null at row \(row), and nulls were refused"
        case let .notNumeric(column, type): return "column '\(column)' is \(type), not numeric"
        case let .invalidStringCode(column, row, code): return "column '\(column)' row \(row) has code \(code) outside its dictionary"
        }
    }
}

extension FrameError: ExitClassified {
    /// Frame errors come from the data (a missing column, a null where none may be): 65.
    public var exitStatus: ExitStatus { .dataError }
}
