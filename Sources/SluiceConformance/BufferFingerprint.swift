import Crypto
import SluiceFrame

/// The SHA-256 of a frame's raw column buffers (values under nulls included, validity
/// words, string dictionaries and codes) and schema: unlike `==` on a value type, it
/// changes when code writes through an unsafe pointer into storage it shares.
public enum BufferFingerprint {
    public static func of(_ frame: Frame) -> String {
        var hash = SHA256()
        hash.update(data: Array("\(frame.schema.fields)".utf8))
        func add<T>(_ a: [T]) { a.withUnsafeBytes { hash.update(bufferPointer: $0) } }
        for c in frame.columns {
            if let words = c.validity.words { add(words) }
            switch c.data {
            case .double(let a): add(a)
            case .int64(let a), .timestamp(let a): add(a)
            case .bool(let a): add(a)
            case .date(let a): add(a)
            case .string(let s):
                add(s.codes)
                for d in s.dictionary { add(Array(d.utf8)); add([0 as UInt8]) }
            }
        }
        return hash.finalize().map { String($0, radix: 16) }.joined()
    }
}
