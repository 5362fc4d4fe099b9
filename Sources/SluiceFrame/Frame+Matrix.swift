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
        var x = Matrix<Scalar>(rows: rowCount, columns: names.count)
        try write(columns: names, into: &x, at: 0, nulls: nulls)
        return x
    }

    /// Writes the columns `names` into columns `offset ..< offset + names.count` of the
    /// row-major `x`, converting as ``matrix(columns:as:nulls:)`` does.
    ///
    /// The rows go in blocks that fit in cache, each block's columns one after another, the
    /// blocks spread over the cores: one pass over `x` whatever the column count.
    ///
    /// - Precondition: `x.rows == rowCount` and `offset + names.count <= x.columns`.
    /// - Throws: as ``matrix(columns:as:nulls:)``; `x` is then partly written.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func write<Scalar: BLASScalar>(columns names: [String], into x: inout Matrix<Scalar>, at offset: Int,
                                          nulls: MatrixNullPolicy = .nan) throws(FrameError) {
        precondition(x.rows == rowCount && offset >= 0 && offset + names.count <= x.columns,
                     "Frame.write(columns:into:at:): \(x.rows) × \(x.columns) matrix for \(rowCount) rows, columns \(offset)+\(names.count)")
        var picked: [Column] = []
        for n in names {
            let c = try column(n)
            guard c.type.isNumeric else { throw .notNumeric(column: n, type: c.type) }
            if nulls == .error, c.nullCount > 0 {
                let row = (0..<c.count).first { c.isNull($0) } ?? 0
                throw .nullInMatrix(column: n, row: row)
            }
            picked.append(c)
        }
        let width = x.columns, rows = rowCount
        // About 256 KB of output per block: its cache lines are written once, by all columns.
        let block = max(64, (256 << 10) / max(1, width * MemoryLayout<Scalar>.stride))
        x.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress! + offset
            Parallel.forEachChunk(of: rows, minimumChunk: 32_768) { range in
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(range.upperBound, start + block)
                    for (j, c) in picked.enumerated() {
                        Self.copy(c, rows: start..<end, into: base + j, stride: width)
                    }
                    start = end
                }
            }
        }
    }

    /// Copies rows `rows` of `c` to `out[i * stride]`, `out` pointing at row 0's element.
    private static func copy<Scalar: BLASScalar>(_ c: Column, rows: Range<Int>, into out: UnsafeMutablePointer<Scalar>,
                                                 stride: Int) {
        let v = c.validity
        func each<T>(_ a: [T], _ convert: (T) -> Scalar) {
            a.withUnsafeBufferPointer { a in
                if v.hasNulls {
                    for i in rows { out[i &* stride] = v.isValid(i) ? convert(a[i]) : .nan }
                } else {
                    for i in rows { out[i &* stride] = convert(a[i]) }
                }
            }
        }
        switch c.data {
        case let .double(a): each(a) { Scalar($0) }
        case let .int64(a): each(a) { Scalar($0) }
        case let .bool(a): each(a) { $0 ? 1 : 0 }
        default: for i in rows { out[i &* stride] = .nan }
        }
    }

    /// Every measurement column's name (`double`, `int64`), in order: the columns
    /// `ColumnSelector.numeric` picks. A `bool` column is a two-category column (picked by
    /// `.categorical`), though it converts to a number (`ColumnType.isNumeric`) when it
    /// reaches a feature matrix.
    public var numericColumnNames: [String] { schema.fields.filter { $0.type == .double || $0.type == .int64 }.map(\.name) }
}
