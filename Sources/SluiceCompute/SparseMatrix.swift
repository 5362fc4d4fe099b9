/// Why a compressed-sparse-row layout was refused by ``SparseMatrix/init(rows:columns:rowOffsets:columnIndices:values:)``.
public enum SparseMatrixError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The row offsets are not `rows + 1` non-decreasing values from 0 to the stored count.
    case badRowOffsets(String)
    /// A column index is outside `0..<columns`, or a row's indices are not strictly increasing.
    case badColumnIndex(row: Int, index: Int32)
    /// The index and value arrays differ in length.
    case lengthMismatch(indices: Int, values: Int)

    public var description: String {
        switch self {
        case .badRowOffsets(let reason): return "sparse matrix row offsets: \(reason)"
        case let .badColumnIndex(row, index):
            return "sparse matrix row \(row): column index \(index) is out of range or not increasing"
        case let .lengthMismatch(i, v): return "sparse matrix has \(i) column indices but \(v) values"
        }
    }
}

/// A sparse matrix in compressed-sparse-row (CSR) form, the layout of scikit-learn's and
/// SciPy's `csr_matrix`: row `i`'s stored entries are `values[rowOffsets[i]..<rowOffsets[i+1]]`
/// at columns `columnIndices[…]` (strictly increasing within a row). Entries not stored are zero.
///
/// Indices are `Int32` (4 bytes an entry), so 100 000 documents of ~100 distinct terms over a
/// vocabulary of 100 000 take about 120 MB as `Double` (12 bytes an entry) whatever the width.
/// Products with dense matrices (``multiplied(by:)``) run over row blocks on all cores; each
/// output element is summed by one thread in stored order, so results do not depend on the
/// thread count. `Xᵀ · R` is ``transposed()`` (a CSR of the transpose, built once) times `R`.
public struct SparseMatrix<Scalar: BLASScalar>: Sendable, Equatable, Codable {
    public let rows: Int
    public let columns: Int
    /// `rows + 1` offsets into ``columnIndices`` and ``values``.
    public private(set) var rowOffsets: [Int]
    /// The column of each stored entry.
    public private(set) var columnIndices: [Int32]
    /// The value of each stored entry.
    public private(set) var values: [Scalar]

    /// The number of stored entries.
    public var storedCount: Int { values.count }

    /// A CSR matrix from its three arrays, checked: offsets start at 0, never decrease and end
    /// at the entry count; each row's column indices are strictly increasing and in range.
    public init(rows: Int, columns: Int, rowOffsets: [Int], columnIndices: [Int32], values: [Scalar]) throws {
        guard rows >= 0, columns >= 0, columns <= Int(Int32.max) else {
            throw SparseMatrixError.badRowOffsets("shape \(rows) × \(columns) is not valid")
        }
        guard columnIndices.count == values.count else {
            throw SparseMatrixError.lengthMismatch(indices: columnIndices.count, values: values.count)
        }
        guard rowOffsets.count == rows + 1, rowOffsets.first == 0, rowOffsets.last == values.count else {
            throw SparseMatrixError.badRowOffsets("needs \(rows + 1) offsets from 0 to \(values.count)")
        }
        for i in 0..<rows {
            let lo = rowOffsets[i], hi = rowOffsets[i + 1]
            guard lo <= hi else { throw SparseMatrixError.badRowOffsets("row \(i) ends before it starts") }
            var previous: Int32 = -1
            for e in lo..<hi {
                let j = columnIndices[e]
                guard j > previous, Int(j) < columns else { throw SparseMatrixError.badColumnIndex(row: i, index: j) }
                previous = j
            }
        }
        self.init(unchecked: rows, columns, rowOffsets, columnIndices, values)
    }

    /// Arrays already known to satisfy the layout (built by this module or a trusted builder).
    init(unchecked rows: Int, _ columns: Int, _ rowOffsets: [Int], _ columnIndices: [Int32], _ values: [Scalar]) {
        self.rows = rows
        self.columns = columns
        self.rowOffsets = rowOffsets
        self.columnIndices = columnIndices
        self.values = values
    }

    /// The non-zero entries of a dense matrix.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public init(_ dense: Matrix<Scalar>) {
        var offsets = [0], indices = [Int32](), values = [Scalar]()
        offsets.reserveCapacity(dense.rows + 1)
        dense.withUnsafeBufferPointer { d in
            for i in 0..<dense.rows {
                for j in 0..<dense.columns where d[i * dense.columns + j] != 0 {
                    indices.append(Int32(j))
                    values.append(d[i * dense.columns + j])
                }
                offsets.append(values.count)
            }
        }
        self.init(unchecked: dense.rows, dense.columns, offsets, indices, values)
    }

    /// A matrix from rows given as (column, value) pairs in any order; repeated columns within
    /// a row are summed, zeros are kept only if stored explicitly. Columns must be in range.
    public init(columns: Int, rowEntries: [[(column: Int, value: Scalar)]]) throws {
        var offsets = [0], indices = [Int32](), values = [Scalar]()
        offsets.reserveCapacity(rowEntries.count + 1)
        for (i, row) in rowEntries.enumerated() {
            for (j, v) in row.sorted(by: { $0.column < $1.column }) {
                guard j >= 0, j < columns else { throw SparseMatrixError.badColumnIndex(row: i, index: Int32(clamping: j)) }
                if let last = indices.last, values.count > offsets[i], Int(last) == j {
                    values[values.count - 1] += v
                } else {
                    indices.append(Int32(j))
                    values.append(v)
                }
            }
            offsets.append(values.count)
        }
        self.init(unchecked: rowEntries.count, columns, offsets, indices, values)
    }

    /// The dense `rows × columns` matrix.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func dense() -> Matrix<Scalar> {
        var m = Matrix<Scalar>(rows: rows, columns: columns)
        m.withUnsafeMutableBufferPointer { d in
            for i in 0..<rows {
                for e in rowOffsets[i]..<rowOffsets[i + 1] { d[i * columns + Int(columnIndices[e])] = values[e] }
            }
        }
        return m
    }

    /// The element at (`row`, `column`): its stored value, or zero.
    public subscript(row: Int, column: Int) -> Scalar {
        precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
        var lo = rowOffsets[row], hi = rowOffsets[row + 1]
        let j = Int32(column)
        while lo < hi {  // binary search in the row's increasing indices
            let mid = (lo + hi) / 2
            if columnIndices[mid] < j { lo = mid + 1 } else { hi = mid }
        }
        return lo < rowOffsets[row + 1] && columnIndices[lo] == j ? values[lo] : 0
    }

    /// `self · b` (`rows × b.columns`), for `b` of `columns` rows.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func multiplied(by b: Matrix<Scalar>) -> Matrix<Scalar> {
        precondition(b.rows == columns, "sparse product: \(rows)×\(columns) times \(b.rows)×\(b.columns)")
        let k = b.columns
        var out = Matrix<Scalar>(rows: rows, columns: k)
        guard k > 0, rows > 0 else { return out }
        let perRow = max(1, storedCount / max(rows, 1)) * k
        out.withUnsafeMutableBufferPointer { o in
            b.withUnsafeBufferPointer { b in
                rowOffsets.withUnsafeBufferPointer { off in
                    columnIndices.withUnsafeBufferPointer { idx in
                        values.withUnsafeBufferPointer { val in
                            Parallel.forEachChunk(of: rows, minimumChunk: max(64, 32768 / perRow)) { range in
                                for i in range {
                                    let row = o.baseAddress! + i * k
                                    if k == 1 {
                                        var s: Scalar = 0
                                        for e in off[i]..<off[i + 1] { s += val[e] * b[Int(idx[e])] }
                                        row[0] = s
                                    } else {
                                        for e in off[i]..<off[i + 1] {
                                            let v = val[e], src = b.baseAddress! + Int(idx[e]) * k
                                            for c in 0..<k { row[c] += v * src[c] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The transpose as a CSR matrix (`columns × rows`): the compressed-sparse-column form of
    /// `self`. Entries keep their row order, so products with it are deterministic too.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func transposed() -> SparseMatrix {
        var counts = [Int](repeating: 0, count: columns + 1)
        for j in columnIndices { counts[Int(j) + 1] += 1 }
        for j in 0..<columns { counts[j + 1] += counts[j] }
        var next = counts
        var indices = [Int32](repeating: 0, count: storedCount), vals = [Scalar](repeating: 0, count: storedCount)
        for i in 0..<rows {
            for e in rowOffsets[i]..<rowOffsets[i + 1] {
                let j = Int(columnIndices[e]), at = next[j]
                indices[at] = Int32(i)
                vals[at] = values[e]
                next[j] += 1
            }
        }
        return SparseMatrix(unchecked: columns, rows, counts, indices, vals)
    }

    /// The rows at `indices` (repeats allowed), in that order.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func rows(_ indices: [Int]) -> SparseMatrix {
        var offsets = [0], idx = [Int32](), vals = [Scalar]()
        offsets.reserveCapacity(indices.count + 1)
        for i in indices {
            precondition(i >= 0 && i < rows, "row \(i) out of range")
            idx.append(contentsOf: columnIndices[rowOffsets[i]..<rowOffsets[i + 1]])
            vals.append(contentsOf: values[rowOffsets[i]..<rowOffsets[i + 1]])
            offsets.append(vals.count)
        }
        return SparseMatrix(unchecked: indices.count, columns, offsets, idx, vals)
    }

    /// Multiplies column `j`'s entries by `factors[j]`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func scaleColumns(by factors: [Scalar]) {
        precondition(factors.count == columns, "\(factors.count) factors for \(columns) columns")
        for e in values.indices { values[e] *= factors[Int(columnIndices[e])] }
    }

    /// Multiplies row `i`'s entries by `factors[i]`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func scaleRows(by factors: [Scalar]) {
        precondition(factors.count == rows, "\(factors.count) factors for \(rows) rows")
        for i in 0..<rows { for e in rowOffsets[i]..<rowOffsets[i + 1] { values[e] *= factors[i] } }
    }

    /// Applies `transform` to every stored value (zeros not stored stay zero).
    public mutating func transformValues(_ transform: (Scalar) -> Scalar) {
        for e in values.indices { values[e] = transform(values[e]) }
    }

    /// Scales each row to unit Euclidean norm, or with `l1` to unit sum of absolute values
    /// (rows of zeros stay zero).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func normalizeRows(l1: Bool = false) {
        var factors = [Scalar](repeating: 1, count: rows)
        for i in 0..<rows {
            var s: Scalar = 0
            for e in rowOffsets[i]..<rowOffsets[i + 1] { s += l1 ? abs(values[e]) : values[e] * values[e] }
            if s > 0 { factors[i] = 1 / (l1 ? s : s.squareRoot()) }
        }
        scaleRows(by: factors)
    }

    private enum CodingKeys: String, CodingKey { case rows, columns, rowOffsets, columnIndices, values }

    /// Decodes and checks the layout (a damaged or crafted archive is refused, never trusted).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(rows: c.decode(Int.self, forKey: .rows), columns: c.decode(Int.self, forKey: .columns),
                      rowOffsets: c.decode([Int].self, forKey: .rowOffsets),
                      columnIndices: c.decode([Int32].self, forKey: .columnIndices),
                      values: c.decode([Scalar].self, forKey: .values))
    }

    /// Whether every stored value is finite.
    public var isFinite: Bool { values.allSatisfy(\.isFinite) }
}

extension SparseMatrix {
    /// The same entries in another scalar type (a `Double` matrix as `Float`, say).
    public func converted<T: BLASScalar>(to _: T.Type = T.self) -> SparseMatrix<T> {
        SparseMatrix<T>(unchecked: rows, columns, rowOffsets, columnIndices, values.map { T($0) })
    }

    /// The matrices side by side (`rows × Σ columns`), in `Scalar`: row `i` holds each part's
    /// row `i`, its columns shifted past the parts before it. The parts must have equal row counts.
    @_specialize(where Scalar == Double, T == Double)
    @_specialize(where Scalar == Float, T == Float)
    @_specialize(where Scalar == Float, T == Double)
    public static func concatenatingColumns<T: BLASScalar>(_ parts: [SparseMatrix<T>]) throws -> SparseMatrix {
        let rows = parts.first?.rows ?? 0
        guard parts.allSatisfy({ $0.rows == rows }) else {
            throw SparseMatrixError.badRowOffsets("parts of \(parts.map(\.rows)) rows cannot stand side by side")
        }
        let width = parts.reduce(0) { $0 + $1.columns }
        guard width <= Int(Int32.max) else { throw SparseMatrixError.badRowOffsets("\(width) columns is too wide") }
        let stored = parts.reduce(0) { $0 + $1.storedCount }
        var offsets = [Int](repeating: 0, count: rows + 1)
        var indices = [Int32](), values = [Scalar]()
        indices.reserveCapacity(stored)
        values.reserveCapacity(stored)
        for i in 0..<rows {
            var shift: Int32 = 0
            for p in parts {
                for e in p.rowOffsets[i]..<p.rowOffsets[i + 1] {
                    indices.append(p.columnIndices[e] &+ shift)
                    values.append(Scalar(p.values[e]))
                }
                shift &+= Int32(p.columns)
            }
            offsets[i + 1] = values.count
        }
        return SparseMatrix(unchecked: rows, width, offsets, indices, values)
    }

    /// `self · vᵀ` for each row of `w` (`m × columns`, dense): the `rows × m` scores of a
    /// linear model, `x · wᵀ`, summed in stored order on row blocks over all cores.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func multiplied(byTransposeOf w: Matrix<Scalar>) -> Matrix<Scalar> {
        precondition(w.columns == columns, "sparse product: \(rows)×\(columns) times (\(w.rows)×\(w.columns))ᵀ")
        let m = w.rows
        var out = Matrix<Scalar>(rows: rows, columns: m)
        guard m > 0, rows > 0 else { return out }
        let p = columns
        out.withUnsafeMutableBufferPointer { o in
            w.withUnsafeBufferPointer { wp in
                rowOffsets.withUnsafeBufferPointer { off in
                    columnIndices.withUnsafeBufferPointer { idx in
                        values.withUnsafeBufferPointer { val in
                            Parallel.forEachChunk(of: rows, minimumChunk: 256) { range in
                                for i in range {
                                    for c in 0..<m {
                                        var s: Scalar = 0
                                        let row = wp.baseAddress! + c * p
                                        for e in off[i]..<off[i + 1] { s += val[e] * row[Int(idx[e])] }
                                        o[i * m + c] = s
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The entries of row `i`: its column indices and values.
    @inlinable
    public func row(_ i: Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Scalar>) {
        (columnIndices[rowOffsets[i]..<rowOffsets[i + 1]], values[rowOffsets[i]..<rowOffsets[i + 1]])
    }
}
