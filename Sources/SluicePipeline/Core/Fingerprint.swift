import SluiceFrame

/// A 64-bit FNV-1a fingerprint of a frame's schema and every value (nulls included), as
/// 16 hex digits: the same data always gives the same fingerprint.
enum Fingerprint {
    static func of(_ frame: Frame) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: UnsafeRawBufferPointer) {
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        func mix<T>(_ array: [T]) { array.withUnsafeBytes { mix($0) } }
        mix(Array("\(frame.schema.fields)".utf8))
        for c in frame.columns {
            mix((0..<c.count).map { c.isNull($0) ? UInt8(0) : 1 })
            switch c.data {
            case .double(let a): mix(a)
            case .int64(let a): mix(a)
            case .bool(let a): mix(a)
            case .date(let a): mix(a)
            case .timestamp(let a): mix(a)
            case .string(let s):
                mix(s.codes)
                for d in s.dictionary { mix(Array(d.utf8) + [0]) }
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
