#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns byte strings into dense `Int32` codes, first appearance first: an arena of bytes
/// and an open-addressing hash table, so a repeated category costs a hash and a compare,
/// never a `String`. The CSV and PostgreSQL connectors build string columns with it.
public struct ByteDictionary: Sendable {
    /// Every entry's bytes, back to back.
    @usableFromInline private(set) var bytes: [UInt8] = []
    /// End offset in `bytes` of entry `i` (its start is the previous entry's end).
    @usableFromInline private(set) var ends: [Int] = []
    @usableFromInline var hashes: [UInt32] = []
    /// Entry index + 1 per slot; 0 is empty.
    @usableFromInline var slots: [Int32] = [Int32](repeating: 0, count: 64)

    /// An empty dictionary.
    public init() {}

    /// The number of entries.
    public var count: Int { ends.count }

    /// FNV-1a, 32 bits.
    @inlinable @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for i in 0..<n { h = (h ^ UInt32(p[i])) &* 16_777_619 }
        return h
    }

    /// Whether the `n` bytes at `a` and `b` are equal; inline, since categories are short.
    @inlinable @inline(__always) static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        if n > 32 { return memcmp(a, b, n) == 0 }
        var i = 0
        while i &+ 8 <= n {
            if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
                return false
            }
            i &+= 8
        }
        while i < n {
            if a[i] != b[i] { return false }
            i &+= 1
        }
        return true
    }

    /// The code of the `n` bytes at `p`, adding them if new.
    @inlinable @inline(__always)
    public mutating func intern(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        let h = Self.hash(p, n)
        let mask = slots.count &- 1
        var s = Int(h) & mask
        while true {
            let e = Int(slots[s])
            if e == 0 { break }
            let idx = e &- 1
            if hashes[idx] == h {
                let start = idx == 0 ? 0 : ends[idx &- 1]
                if ends[idx] &- start == n && (n == 0 || bytes.withUnsafeBufferPointer({ b in
                    b.baseAddress.map { Self.equal($0 + start, p, n) } ?? false })) {
                    return Int32(idx)
                }
            }
            s = (s &+ 1) & mask
        }
        let code = ends.count
        bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        ends.append(bytes.count)
        hashes.append(h)
        slots[s] = Int32(code &+ 1)
        if ends.count &* 2 > slots.count { grow() }
        return Int32(code)
    }

    @usableFromInline mutating func grow() {
        var new = [Int32](repeating: 0, count: slots.count * 2)
        let mask = new.count - 1
        for (i, h) in hashes.enumerated() {
            var s = Int(h) & mask
            while new[s] != 0 { s = (s + 1) & mask }
            new[s] = Int32(i + 1)
        }
        slots = new
    }

    /// The bytes of entry `i`.
    public func entry(_ i: Int) -> ArraySlice<UInt8> {
        bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    /// Forgets every entry (keeps the table size).
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = 0 }
    }
}

extension ByteDictionary {
    /// Calls `body` with the bytes of every entry, in code order.
    public func withEntries(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        bytes.withUnsafeBufferPointer { all in
            var start = 0
            for end in ends {
                body(UnsafeBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }
}
