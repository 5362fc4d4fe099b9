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

/// A frame's columns prepared for encoding rows in PostgreSQL's binary COPY format.
struct CopyEncoder {
    private enum Source {
        case double([Double])
        case int64([Int64])
        case bool([Bool])
        case date([Int32])
        case timestamp([Int64])
        /// Codes, and the dictionary's UTF-8 in one arena with entry `i` at `starts[i]..<starts[i+1]`.
        case string(codes: [Int32], arena: [UInt8], starts: [Int])
    }

    private let sources: [Source]
    private let validity: [ValidityMask]
    let rowCount: Int

    init(_ frame: Frame) {
        rowCount = frame.rowCount
        validity = frame.columns.map(\.validity)
        sources = frame.columns.map { column -> Source in
            switch column.data {
            case let .double(v): return .double(v)
            case let .int64(v): return .int64(v)
            case let .bool(v): return .bool(v)
            case let .date(v): return .date(v)
            case let .timestamp(v): return .timestamp(v)
            case let .string(s):
                var arena: [UInt8] = []
                var starts = [0]
                starts.reserveCapacity(s.dictionary.count + 1)
                for entry in s.dictionary {
                    arena.append(contentsOf: entry.utf8)
                    starts.append(arena.count)
                }
                return .string(codes: s.codes, arena: arena, starts: starts)
            }
        }
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

    /// Appends row `row` as one binary tuple.
    @inline(__always) func encode(row: Int, into buffer: inout CopyBuffer) {
        buffer.reserve(2 + 12 * sources.count)
        buffer.int16(Int16(truncatingIfNeeded: sources.count))
        for c in 0..<sources.count {
            if validity[c].isNull(row) {
                buffer.reserve(4)
                buffer.int32(-1)
                continue
            }
            switch sources[c] {
            case let .double(v):
                buffer.reserve(12)
                buffer.int32(8)
                buffer.int64(Int64(bitPattern: v[row].bitPattern))
            case let .int64(v):
                buffer.reserve(12)
                buffer.int32(8)
                buffer.int64(v[row])
            case let .bool(v):
                buffer.reserve(5)
                buffer.int32(1)
                buffer.byte(v[row] ? 1 : 0)
            case let .date(v):
                let d = v[row]
                buffer.reserve(8)
                buffer.int32(4)
                buffer.int32(d == .max || d == .min ? d : d &- PostgresType.epochDays)
            case let .timestamp(v):
                let t = v[row]
                buffer.reserve(12)
                buffer.int32(8)
                buffer.int64(t == .max || t == .min ? t : t &- PostgresType.epochMicroseconds)
            case let .string(codes, arena, starts):
                let code = Int(codes[row])
                guard code >= 0 else {
                    buffer.reserve(4)
                    buffer.int32(-1)
                    continue
                }
                let start = starts[code], length = starts[code + 1] - start
                buffer.reserve(4 + length)
                buffer.int32(Int32(length))
                arena.withUnsafeBytes { if length > 0 { buffer.bytes($0.baseAddress! + start, length) } }
            }
        }
    }
}
