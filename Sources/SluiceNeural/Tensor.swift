import SluiceCompute

/// A batch-major `Float` n-dimensional array over one ``Matrix`` buffer.
///
/// `shape[0]` is the batch; the rest is one sample's shape (`[features]`, `[time, features]`,
/// `[height, width, channels]`: channels last). The storage is the `batch × sampleSize`
/// matrix of the same elements in row-major order, so a layer hands it to BLAS as it is and
/// reshaping never copies.
public struct Tensor: Sendable, Equatable {
    /// The full shape, batch first.
    public private(set) var shape: [Int]
    /// The elements as a `batch × sampleSize` matrix.
    public var storage: Matrix<Float>

    /// A tensor of `shape` over `storage`, whose element count must match.
    public init(shape: [Int], storage: Matrix<Float>) {
        precondition(shape.count >= 1 && shape.reduce(1, *) == storage.count, "tensor shape \(shape) does not fit \(storage.count) elements")
        self.shape = shape
        self.storage = storage.rows == shape[0] ? storage : storage.reshaped(rows: shape[0], columns: shape.dropFirst().reduce(1, *))
    }

    /// A tensor of zeros (or `value`).
    public init(zeros shape: [Int], value: Float = 0) {
        self.init(shape: shape, storage: Matrix(rows: shape[0], columns: shape.dropFirst().reduce(1, *), repeating: value))
    }

    /// A batch of row vectors: `matrix.rows × matrix.columns`.
    public init(_ matrix: Matrix<Float>) {
        self.init(shape: [matrix.rows, matrix.columns], storage: matrix)
    }

    /// The batch size.
    @inlinable public var batch: Int { shape[0] }
    /// One sample's shape.
    public var sampleShape: [Int] { Array(shape.dropFirst()) }
    /// Elements per sample.
    @inlinable public var sampleSize: Int { storage.columns }
    /// All elements.
    @inlinable public var count: Int { storage.count }

    /// The same elements with another sample shape; no copy.
    public func reshaped(sample: [Int]) -> Tensor {
        Tensor(shape: [batch] + sample, storage: storage)
    }

    /// The elements in row-major order.
    public var elements: [Float] { storage.elements }

    /// Calls `body` with the elements.
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the elements, for writing (copies first if shared).
    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// Samples `indices` gathered into a new batch.
    public func gathering(_ indices: ArraySlice<Int>) -> Tensor {
        let s = sampleSize
        let m = Matrix<Float>(rows: indices.count, columns: s) { out in
            storage.withUnsafeBufferPointer { src in
                for (r, i) in indices.enumerated() {
                    (out.baseAddress! + r * s).initialize(from: src.baseAddress! + i * s, count: s)
                }
            }
        }
        return Tensor(shape: [indices.count] + sampleShape, storage: m)
    }

    /// Samples `range` as a new batch.
    public func slicing(_ range: Range<Int>) -> Tensor {
        Tensor(shape: [range.count] + sampleShape, storage: storage.rows(range).copy())
    }
}

/// Text for a shape in errors: `[8, 8, 1]`.
func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
