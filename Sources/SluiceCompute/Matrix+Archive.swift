import Foundation

/// Where ``Matrix`` values go when encoded for an artifact: instead of JSON numbers, each
/// matrix's elements are appended here as raw little-endian bytes and the JSON keeps only
/// its shape and tensor index. Decoding reads them back, checking every size first.
public final class TensorArchive: @unchecked Sendable {
    /// One stored tensor: element type and raw little-endian bytes.
    public struct Tensor: Sendable, Equatable {
        public var dtype: String
        public var bytes: [UInt8]

        public init(dtype: String, bytes: [UInt8]) {
            self.dtype = dtype
            self.bytes = bytes
        }
    }

    public private(set) var tensors: [Tensor]

    public init(tensors: [Tensor] = []) { self.tensors = tensors }

    /// The largest number of rows or columns a decoded matrix may have (2³¹ − 1, what BLAS indexes).
    public static let maxDimension = Int(Int32.max)

    func append<T: BLASScalar>(_ m: Matrix<T>) -> Int {
        var bytes = [UInt8]()
        bytes.reserveCapacity(m.count * MemoryLayout<T>.size)
        m.withUnsafeBufferPointer { p in
            for x in p {
                if T.self == Double.self {
                    withUnsafeBytes(of: Double(x).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                } else {
                    withUnsafeBytes(of: Float(x).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                }
            }
        }
        tensors.append(Tensor(dtype: T.self == Double.self ? "f64" : "f32", bytes: bytes))
        return tensors.count - 1
    }

    func matrix<T: BLASScalar>(_ index: Int, rows: Int, columns: Int) -> Matrix<T>? {
        let size = MemoryLayout<T>.size
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        let (bytes, overflowBytes) = count.multipliedReportingOverflow(by: size)
        // Each dimension is bounded too: a 2⁶⁰ × 0 matrix has no bytes but no sane shape either.
        guard index >= 0, index < tensors.count, rows >= 0, columns >= 0, rows <= Self.maxDimension,
              columns <= Self.maxDimension, !overflow, !overflowBytes,
              tensors[index].dtype == (T.self == Double.self ? "f64" : "f32"),
              tensors[index].bytes.count == bytes else { return nil }
        return tensors[index].bytes.withUnsafeBytes { raw in
            Matrix<T>(rows: rows, columns: columns) { out in
                for i in 0..<(rows * columns) {
                    if T.self == Double.self {
                        let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: UInt64.self))
                        out.initializeElement(at: i, to: T(Double(bitPattern: bits)))
                    } else {
                        let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: UInt32.self))
                        out.initializeElement(at: i, to: T(Float(bitPattern: bits)))
                    }
                }
            }
        }
    }
}

extension CodingUserInfoKey {
    /// Set to a ``TensorArchive`` to encode and decode matrices as raw tensors.
    public static let sluiceTensors = CodingUserInfoKey(rawValue: "sluice.tensors")!
}
