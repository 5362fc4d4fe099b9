/// The heap buffer behind a ``Matrix``: one contiguous, 64-byte aligned allocation.
///
/// Shared between a matrix and the views taken from it; a matrix copies it before its
/// first write while it is shared (copy-on-write).
@usableFromInline
final class MatrixStorage<Scalar: BLASScalar>: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutablePointer<Scalar>
    @usableFromInline let count: Int

    @usableFromInline init(count: Int) {
        precondition(count >= 0, "a matrix cannot have a negative size")
        let bytes = max(count, 1) * MemoryLayout<Scalar>.stride
        pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            .bindMemory(to: Scalar.self, capacity: max(count, 1))
        self.count = count
    }

    @usableFromInline convenience init(repeating value: Scalar, count: Int) {
        self.init(count: count)
        pointer.initialize(repeating: value, count: count)
    }

    @usableFromInline func copy() -> MatrixStorage {
        let new = MatrixStorage(count: count)
        new.pointer.initialize(from: pointer, count: count)
        return new
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A dense row-major matrix of `Float` or `Double` in one contiguous buffer.
///
/// `Matrix` is a value type with copy-on-write storage: copies are cheap until one of
/// them is written. Views (``MatrixView``) of row ranges, column ranges and transposes
/// share the buffer and never copy. Vectors are `1×n` or `n×1` matrices.
public struct Matrix<Scalar: BLASScalar>: Sendable {
    @usableFromInline var storage: MatrixStorage<Scalar>
    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let columns: Int

    /// The number of elements, `rows × columns`.
    @inlinable public var count: Int { rows * columns }

    /// A `rows × columns` matrix with every element set to `value` (zero by default).
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        storage = MatrixStorage(repeating: value, count: rows * columns)
    }

    /// A `rows × columns` matrix holding `elements` in row-major order.
    ///
    /// - Precondition: `elements.count == rows × columns`.
    public init<C: Collection>(rows: Int, columns: Int, elements: C) where C.Element == Scalar {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        precondition(elements.count == rows * columns,
                     "expected \(rows * columns) elements for a \(rows)×\(columns) matrix, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        storage = MatrixStorage(count: rows * columns)
        _ = UnsafeMutableBufferPointer(start: storage.pointer, count: rows * columns).initialize(from: elements)
    }

    /// A matrix from nested rows, for tests and small literals. All rows must have one length.
    public init(_ rowArrays: [[Scalar]]) {
        let columns = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == columns }, "all rows must have the same length")
        self.init(rows: rowArrays.count, columns: columns, elements: rowArrays.joined())
    }

    /// A matrix whose elements are initialised by `body` through a buffer of `rows × columns`
    /// uninitialised elements; `body` must initialise every one.
    public init(rows: Int, columns: Int,
                unsafeUninitializedCapacity body: (UnsafeMutableBufferPointer<Scalar>) throws -> Void) rethrows {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        storage = MatrixStorage(count: rows * columns)
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: rows * columns))
    }

    init(storage: MatrixStorage<Scalar>, rows: Int, columns: Int) {
        self.storage = storage
        self.rows = rows
        self.columns = columns
    }

    /// The `n × n` identity matrix.
    public static func identity(_ n: Int) -> Matrix {
        let m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.storage.pointer[i * n + i] = 1 }
        return m
    }

    /// The element at `row`, `column`.
    @inlinable public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
            return storage.pointer[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
            makeUnique()
            storage.pointer[row * columns + column] = newValue
        }
    }

    /// Copies the buffer if another matrix or view shares it.
    @inlinable mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Calls `body` with the elements in row-major order.
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: storage.pointer, count: count))
        }
    }

    /// Calls `body` with the elements in row-major order, for writing; copies first if shared.
    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try withExtendedLifetime(storage) {
            try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
        }
    }

    /// The elements in row-major order, copied into an array.
    public var elements: [Scalar] { withUnsafeBufferPointer { Array($0) } }

    /// Row `i`, copied into an array.
    public func row(_ i: Int) -> [Scalar] {
        precondition(i >= 0 && i < rows, "row index out of range")
        return Array(UnsafeBufferPointer(start: storage.pointer + i * columns, count: columns))
    }

    /// The same elements read as a `rows × columns` matrix; no copy.
    ///
    /// - Precondition: `rows × columns == count`.
    public func reshaped(rows: Int, columns: Int) -> Matrix {
        precondition(rows * columns == count, "cannot reshape \(self.rows)×\(self.columns) to \(rows)×\(columns)")
        return Matrix(storage: storage, rows: rows, columns: columns)
    }

    /// The whole matrix as a view.
    @inlinable public var view: MatrixView<Scalar> {
        MatrixView(storage: storage, offset: 0, physicalRows: rows, physicalColumns: columns,
                   leadingDimension: columns, isTransposed: false)
    }

    /// The transpose, as a view that does not copy.
    @inlinable public var transposed: MatrixView<Scalar> { view.transposed }

    /// Rows `range` as a view that does not copy.
    public func rows(_ range: Range<Int>) -> MatrixView<Scalar> { view.rows(range) }

    /// Columns `range` as a strided view that does not copy.
    public func columns(_ range: Range<Int>) -> MatrixView<Scalar> { view.columns(range) }
}

extension Matrix: Equatable {
    /// Two matrices are equal when they have the same shape and elements (`NaN ≠ NaN`).
    public static func == (lhs: Matrix, rhs: Matrix) -> Bool {
        guard lhs.rows == rhs.rows, lhs.columns == rhs.columns else { return false }
        return lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

extension Matrix: Codable {
    private enum CodingKeys: String, CodingKey { case rows, columns, elements, tensor }

    /// Decodes `{rows, columns, elements}`, or `{rows, columns, tensor}` from the
    /// ``TensorArchive`` in the decoder's user info.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rows = try c.decode(Int.self, forKey: .rows)
        let columns = try c.decode(Int.self, forKey: .columns)
        if let index = try c.decodeIfPresent(Int.self, forKey: .tensor) {
            guard let archive = decoder.userInfo[.sluiceTensors] as? TensorArchive,
                  let m: Matrix = archive.matrix(index, rows: rows, columns: columns) else {
                throw DecodingError.dataCorruptedError(forKey: .tensor, in: c,
                    debugDescription: "tensor \(index) is missing or does not hold a \(rows)×\(columns) \(Scalar.self) matrix")
            }
            self = m
            return
        }
        let elements = try c.decode([Scalar].self, forKey: .elements)
        guard rows >= 0, columns >= 0, rows <= TensorArchive.maxDimension, columns <= TensorArchive.maxDimension,
              rows.multipliedReportingOverflow(by: columns).overflow == false,
              elements.count == rows * columns else {
            throw DecodingError.dataCorruptedError(forKey: .elements, in: c,
                debugDescription: "\(elements.count) elements do not fill a \(rows)×\(columns) matrix")
        }
        self.init(rows: rows, columns: columns, elements: elements)
    }

    /// Encodes `{rows, columns, elements}`, or the elements into the ``TensorArchive`` in
    /// the encoder's user info and `{rows, columns, tensor}` here.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rows, forKey: .rows)
        try c.encode(columns, forKey: .columns)
        if let archive = encoder.userInfo[.sluiceTensors] as? TensorArchive {
            try c.encode(archive.append(self), forKey: .tensor)
            return
        }
        try c.encode(elements, forKey: .elements)
    }
}

extension Matrix: CustomStringConvertible {
    /// Up to 8 rows and 8 columns, elided with `…` beyond.
    public var description: String { view.description }
}

/// A window onto a matrix's buffer: a block of rows and columns, possibly transposed.
///
/// A view never copies: it records an offset into the shared buffer, the leading
/// dimension (the distance between physical rows) and a transpose flag, which is exactly
/// what BLAS takes. Use ``copy()`` to materialise it as a contiguous ``Matrix``.
public struct MatrixView<Scalar: BLASScalar>: Sendable {
    @usableFromInline let storage: MatrixStorage<Scalar>
    @usableFromInline let offset: Int
    @usableFromInline let physicalRows: Int
    @usableFromInline let physicalColumns: Int
    /// The distance, in elements, between the starts of consecutive physical rows.
    public let leadingDimension: Int
    /// Whether the view reads its physical block transposed.
    public let isTransposed: Bool

    @usableFromInline init(storage: MatrixStorage<Scalar>, offset: Int, physicalRows: Int, physicalColumns: Int,
                           leadingDimension: Int, isTransposed: Bool) {
        self.storage = storage
        self.offset = offset
        self.physicalRows = physicalRows
        self.physicalColumns = physicalColumns
        self.leadingDimension = leadingDimension
        self.isTransposed = isTransposed
    }

    /// The number of rows as seen through the view.
    @inlinable public var rows: Int { isTransposed ? physicalColumns : physicalRows }
    /// The number of columns as seen through the view.
    @inlinable public var columns: Int { isTransposed ? physicalRows : physicalColumns }

    /// Whether the elements are one contiguous row-major block (no stride, no transpose).
    public var isContiguous: Bool {
        !isTransposed && (leadingDimension == physicalColumns || physicalRows <= 1)
    }

    /// The element at `row`, `column` of the view.
    @inlinable public subscript(row: Int, column: Int) -> Scalar {
        precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
        let (r, c) = isTransposed ? (column, row) : (row, column)
        return storage.pointer[offset + r * leadingDimension + c]
    }

    /// The transpose of this view; no copy.
    @inlinable public var transposed: MatrixView {
        MatrixView(storage: storage, offset: offset, physicalRows: physicalRows, physicalColumns: physicalColumns,
                   leadingDimension: leadingDimension, isTransposed: !isTransposed)
    }

    /// Rows `range` of this view; no copy.
    public func rows(_ range: Range<Int>) -> MatrixView {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range \(range) out of 0..<\(rows)")
        return isTransposed
            ? physicalBlock(rows: 0..<physicalRows, columns: range)
            : physicalBlock(rows: range, columns: 0..<physicalColumns)
    }

    /// Columns `range` of this view; no copy.
    public func columns(_ range: Range<Int>) -> MatrixView {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns,
                     "column range \(range) out of 0..<\(columns)")
        return isTransposed
            ? physicalBlock(rows: range, columns: 0..<physicalColumns)
            : physicalBlock(rows: 0..<physicalRows, columns: range)
    }

    private func physicalBlock(rows r: Range<Int>, columns c: Range<Int>) -> MatrixView {
        MatrixView(storage: storage, offset: r.isEmpty || c.isEmpty ? offset : offset + r.lowerBound * leadingDimension + c.lowerBound,
                   physicalRows: r.count, physicalColumns: c.count,
                   leadingDimension: leadingDimension, isTransposed: isTransposed)
    }

    /// Calls `body` with a pointer to the first physical element; valid only inside `body`.
    @inlinable func withBase<R>(_ body: (UnsafePointer<Scalar>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafePointer(storage.pointer + offset)) }
    }

    /// The view's elements as a new contiguous matrix.
    public func copy() -> Matrix<Scalar> {
        let (m, n) = (rows, columns)
        return Matrix(rows: m, columns: n) { out in
            withBase { base in
                if !isTransposed {
                    for r in 0..<m {
                        (out.baseAddress! + r * n).initialize(from: base + r * leadingDimension, count: n)
                    }
                } else {
                    // Block the transpose so both sides stay in cache.
                    let block = 32
                    for r0 in stride(from: 0, to: m, by: block) {
                        for c0 in stride(from: 0, to: n, by: block) {
                            for r in r0..<min(r0 + block, m) {
                                for c in c0..<min(c0 + block, n) {
                                    (out.baseAddress! + r * n + c).initialize(to: base[c * leadingDimension + r])
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The view's elements in row-major order.
    public var elements: [Scalar] { copy().elements }
}

extension MatrixView: CustomStringConvertible {
    public var description: String {
        let shownRows = min(rows, 8), shownCols = min(columns, 8)
        var lines = ["\(rows)×\(columns) Matrix<\(Scalar.self)>"]
        for r in 0..<shownRows {
            var cells = (0..<shownCols).map { "\(self[r, $0])" }
            if columns > shownCols { cells.append("…") }
            lines.append("[" + cells.joined(separator: ", ") + "]")
        }
        if rows > shownRows { lines.append("…") }
        return lines.joined(separator: "\n")
    }
}
