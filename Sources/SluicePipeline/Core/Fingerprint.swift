import SluiceFrame

/// A 64-bit fingerprint of a frame's schema and every value (nulls included), as 16 hex
/// digits: the same data always gives the same fingerprint. FNV-1a style mixing over
/// 8-byte words (a byte at a time only for tails), so a 1M-row frame costs milliseconds.
enum Fingerprint {
    static func of(_ frame: Frame) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: UnsafeRawBufferPointer) {
            let words = bytes.count / 8
            for i in 0..<words {
                h = (h ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0x100_0000_01b3
                h ^= h >> 29
            }
            for i in (words * 8)..<bytes.count { h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01b3 }
            h = (h ^ UInt64(bytes.count)) &* 0x100_0000_01b3
        }
        func mix<T>(_ array: [T]) { array.withUnsafeBytes { mix($0) } }
        mix(Array("\(frame.schema.fields)".utf8))
        for c in frame.columns {
            let v = c.validity
            if v.hasNulls, var words = v.words {  // the bits past the last row are not data
                if v.count % 64 != 0, let last = words.indices.last { words[last] &= (1 << UInt64(v.count % 64)) &- 1 }
                mix(words)
            }
            switch c.data {
            case .double(let a): mix(a)
            case .int64(let a): mix(a)
            case .bool(let a): mix(a)
            case .date(let a): mix(a)
            case .timestamp(let a): mix(a)
            case .string(let s):
                mix(s.codes)
                for d in s.dictionary { mix(Array(d.utf8)) }
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
