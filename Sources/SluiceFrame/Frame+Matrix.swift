import SluiceCompute

/// What ``Frame/matrix(columns:as:nulls:)`` does with a null.
public enum MatrixNullPolicy: Sendable {
    /// A null becomes `NaN` (an imputer can fill it later).
    case nan
    /// A null is an error naming its column and row.
    case error
}

extension Frame {
    /// The columns `names` as a `rowCount × names.count` row-major matrix.
    ///
    /// `double`, `int64` and `bool` (0 / 1) columns convert; `NaN` values stay `NaN`.
    ///
    /// - Throws: ``FrameError/notNumeric(column:type:)`` for another type,
    ///   ``FrameError/nullInMatrix(column:row:)`` for a null when `nulls` is `.error`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func matrix<Scalar: BLASScalar>(columns names: [String], as: Scalar.Type = Double.self,
                                           nulls: MatrixNullPolicy = .nan) throws(FrameError) -> Matrix<Scalar> {
        var picked: [(String, Column)] = []
        for n in names {
            let c = try column(n)
            guard c.type.isNumeric else { throw .notNumeric(column: n, type: c.type) }
            if nulls == .error, c.nullCount > 0 {
                let row = (0..<c.count).first { c.isNull($0) } ?? 0
                throw .nullInMatrix(column: n, row: row)
            }
            picked.append((n, c))
        }
        let width = picked.count, rows = rowCount
        return Matrix<Scalar>(rows: rows, columns: width) { out in
            for (j, (_, c)) in picked.enumerated() {
                let v = c.validity
                switch c.data {
                case let .double(a):
                    for i in 0..<rows { out[i &* width &+ j] = v.isValid(i) ? Scalar(a[i]) : .nan }
                case let .int64(a):
                    for i in 0..<rows { out[i &* width &+ j] = v.isValid(i) ? Scalar(a[i]) : .nan }
                case let .bool(a):
                    for i in 0..<rows { out[i &* width &+ j] = v.isValid(i) ? (a[i] ? 1 : 0) : .nan }
                default:
                    for i in 0..<rows { out[i &* width &+ j] = .nan }
                }
            }
        }
    }

    /// Every measurement column's name (`double`, `int64`), in order: the columns
    /// `ColumnSelector.numeric` picks. A `bool` column is a two-category column (picked by
    /// `.categorical`), though it converts to a number (`ColumnType.isNumeric`) when it
    /// reaches a feature matrix.
    public var numericColumnNames: [String] { schema.fields.filter { $0.type == .double || $0.type == .int64 }.map(\.name) }
}
