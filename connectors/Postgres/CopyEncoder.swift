import CLibPQ
import Glibc
import SluiceFrame

/// A growable byte buffer for the binary COPY stream (big-endian writes, no per-value allocation).
struct CopyBuffer: ~Copyable {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    @inline(__always) mutating func reserve(_ extra: Int) {
        guard count &+ extra > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        bigger.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inline(__always) mutating func int16(_ v: Int16) { (base + count).storeBytes(of: v.bigEndian, as: Int16.self); count &+= 2 }
    @inline(__always) mutating func int32(_ v: Int32) { (base + count).storeBytes(of: v.bigEndian, as: Int32.self); count &+= 4 }
    @inline(__always) mutating func int64(_ v: Int64) { (base + count).storeBytes(of: v.bigEndian, as: Int64.self); count &+= 8 }
    @inline(__always) mutating func byte(_ v: UInt8) { (base + count).storeBytes(of: v, as: UInt8.self); count &+= 1 }
    @inline(__always) mutating func bytes(_ p: UnsafeRawPointer, _ n: Int) {
        (base + count).copyMemory(from: p, byteCount: n)
        count &+= n
    }
}

/// A frame's rows in PostgreSQL's binary COPY format, encoded a chunk of rows at a time.
///
/// For each chunk, every column's values and validity are first copied into raw scratch
/// buffers (one `withUnsafeBufferPointer` per column), so the row-major loop that writes the
/// tuples touches only raw pointers: no reference counting per value, and extra memory
/// bounded by the chunk. Strings are written from one UTF-8 arena per column's dictionary.
final class CopyEncoder {
    private enum Kind { case double, int64, bool, date, timestamp, string }

    /// Raw pointers only (trivial to copy).
    private struct Plan {
        var kind: Kind
        /// `chunkRows` values: 8 bytes (double, int64, timestamp) or 4 (date, string code) or 1 (bool).
        var values: UnsafeMutableRawPointer
        /// `chunkRows` flags, 1 = valid.
        var valid: UnsafeMutablePointer<UInt8>
        /// String columns: the dictionary's UTF-8 and entry `i` at `starts[i]..<starts[i+1]`.
        var arena: UnsafeMutableRawPointer?
        var starts: UnsafeMutablePointer<Int>?
    }

    static let chunkRows = 16_384
    private let frame: Frame
    private let plans: UnsafeMutablePointer<Plan>
    private let columnCount: Int
    /// The rows of the frame.
    let rowCount: Int

    init(_ frame: Frame) {
        self.frame = frame
        rowCount = frame.rowCount
        columnCount = frame.columnCount
        plans = .allocate(capacity: max(1, columnCount))
        for (c, column) in frame.columns.enumerated() {
            let kind: Kind, width: Int
            var arena: UnsafeMutableRawPointer?, starts: UnsafeMutablePointer<Int>?
            switch column.data {
            case .double: (kind, width) = (.double, 8)
            case .int64: (kind, width) = (.int64, 8)
            case .timestamp: (kind, width) = (.timestamp, 8)
            case .date: (kind, width) = (.date, 4)
            case .bool: (kind, width) = (.bool, 1)
            case let .string(strings):
                (kind, width) = (.string, 4)
                var bytes: [UInt8] = []
                let offsets = UnsafeMutablePointer<Int>.allocate(capacity: strings.dictionary.count + 1)
                offsets[0] = 0
                for (i, entry) in strings.dictionary.enumerated() {
                    bytes.append(contentsOf: entry.utf8)
                    offsets[i + 1] = bytes.count
                }
                let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 8)
                bytes.withUnsafeBytes { if let b = $0.baseAddress { raw.copyMemory(from: b, byteCount: $0.count) } }
                (arena, starts) = (raw, offsets)
            }
            (plans + c).initialize(to: Plan(
                kind: kind, values: .allocate(byteCount: Self.chunkRows * width, alignment: 8),
                valid: .allocate(capacity: Self.chunkRows), arena: arena, starts: starts))
        }
    }

    deinit {
        for c in 0..<columnCount {
            plans[c].values.deallocate()
            plans[c].valid.deallocate()
            plans[c].arena?.deallocate()
            plans[c].starts?.deallocate()
        }
        plans.deallocate()
    }

    static func header(into buffer: inout CopyBuffer) {
        let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]
        buffer.reserve(19)
        signature.withUnsafeBytes { buffer.bytes($0.baseAddress!, 11) }
        buffer.int32(0)
        buffer.int32(0)
    }

    static func trailer(into buffer: inout CopyBuffer) {
        buffer.reserve(2)
        buffer.int16(-1)
    }

    /// Copies rows `range` of every column into the scratch buffers.
    private func stage(_ range: Range<Int>) {
        func copy<T>(_ array: [T], to destination: UnsafeMutableRawPointer) {
            array.withUnsafeBufferPointer { b in
                destination.copyMemory(from: b.baseAddress! + range.lowerBound, byteCount: range.count * MemoryLayout<T>.stride)
            }
        }
        for (c, column) in frame.columns.enumerated() {
            let plan = plans[c]
            switch column.data {
            case let .double(v): copy(v, to: plan.values)
            case let .int64(v), let .timestamp(v): copy(v, to: plan.values)
            case let .date(v): copy(v, to: plan.values)
            case let .string(s): copy(s.codes, to: plan.values)
            case let .bool(v):
                v.withUnsafeBufferPointer { b in
                    for i in 0..<range.count { plan.values.storeBytes(of: b[range.lowerBound + i] ? 1 : 0, toByteOffset: i, as: UInt8.self) }
                }
            }
            if let words = column.validity.words {
                words.withUnsafeBufferPointer { w in
                    for i in 0..<range.count {
                        let row = range.lowerBound + i
                        plan.valid[i] = UInt8(truncatingIfNeeded: (w[row &>> 6] &>> UInt64(row & 63)) & 1)
                    }
                }
            } else {
                plan.valid.update(repeating: 1, count: range.count)
            }
        }
    }

    /// Appends rows `range` (at most ``chunkRows``) as binary tuples.
    func encode(_ range: Range<Int>, into buffer: inout CopyBuffer) {
        stage(range)
        let columns = columnCount
        for i in 0..<range.count {
            buffer.reserve(2 + 12 * columns)
            buffer.int16(Int16(truncatingIfNeeded: columns))
            for c in 0..<columns {
                let plan = plans[c]
                if plan.valid[i] == 0 {
                    buffer.int32(-1)
                    continue
                }
                switch plan.kind {
                case .double, .int64:
                    buffer.int32(8)
                    buffer.int64(plan.values.load(fromByteOffset: i &* 8, as: Int64.self))
                case .timestamp:
                    let t = plan.values.load(fromByteOffset: i &* 8, as: Int64.self)
                    buffer.int32(8)
                    buffer.int64(t == .max || t == .min ? t : t &- PostgresType.epochMicroseconds)
                case .date:
                    let d = plan.values.load(fromByteOffset: i &* 4, as: Int32.self)
                    buffer.int32(4)
                    buffer.int32(d == .max || d == .min ? d : d &- PostgresType.epochDays)
                case .bool:
                    buffer.int32(1)
                    buffer.byte(plan.values.load(fromByteOffset: i, as: UInt8.self))
                case .string:
                    let code = Int(plan.values.load(fromByteOffset: i &* 4, as: Int32.self))
                    guard code >= 0, let starts = plan.starts, let arena = plan.arena else {
                        buffer.int32(-1)
                        continue
                    }
                    let start = starts[code], length = starts[code &+ 1] &- start
                    buffer.reserve(4 &+ length &+ 12 &* columns)
                    buffer.int32(Int32(truncatingIfNeeded: length))
                    buffer.bytes(arena + start, length)
                }
            }
        }
    }
}
