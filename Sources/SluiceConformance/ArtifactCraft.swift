import Crypto
import Foundation
import SluicePipeline

/// Rewrites an artifact's JSON header and reseals it (lengths, padding and SHA-256
/// recomputed), so that tests can hand a loader an artifact whose checksum is right but
/// whose content is crafted: shortened arrays, repeated categories, absurd sizes.
///
/// ```swift
/// var craft = try ArtifactCraft(Artifact.encode(fitted, key: nil))
/// try craft.edit("pipeline.stages.0.state.means") { $0 = .array([]) }
/// #expect(throws: ArtifactError.self) { try Artifact.decode(craft.bytes(), path: "x", codec: .standard, key: nil) }
/// ```
///
/// Paths are dot-separated keys into the header object, a number indexing an array:
/// `"metadata.featureNames"`, `"pipeline.stages.0.state.encodings.1.categories"`. The header
/// holds `metadata` and `pipeline`; matrices appear as `{rows, columns, tensor}` (the tensor
/// bytes are kept as they are). The resealed artifact is unsigned.
public struct ArtifactCraft {
    /// The header as parsed, Foundation JSON objects (`[String: Any]`, `[Any]`, `NSNumber`, `String`, `NSNull`).
    private var header: Any
    private var tensors: [[UInt8]]
    private let prefix: [UInt8]

    /// Why an artifact could not be crafted.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses the header of `artifact` (unsigned or signed; the signature is not checked).
    public init(_ artifact: [UInt8]) throws {
        guard artifact.count >= 64 else { throw Failure(description: "not an artifact: \(artifact.count) bytes") }
        let h = Int(Self.readUInt64(artifact, at: 16)), t = Int(Self.readUInt64(artifact, at: 24))
        let tensorStart = 32 + (h + 7) / 8 * 8
        guard h >= 0, t >= 0, tensorStart <= artifact.count - 32, t <= artifact.count - 32 - tensorStart else {
            throw Failure(description: "the section lengths do not fit the artifact")
        }
        header = try JSONSerialization.jsonObject(with: Data(artifact[32..<(32 + h)]), options: [.fragmentsAllowed])
        // Split the tensor section by the sizes the metadata lists.
        let entries = (Self.get(header, Self.keys("metadata.tensors")) as? [Any]) ?? []
        var offset = tensorStart
        tensors = []
        for entry in entries {
            guard let size = (entry as? [String: Any])?["bytes"] as? Int, size >= 0,
                  size <= tensorStart + t - offset else { throw Failure(description: "the tensor list does not fit the tensor section") }
            tensors.append(Array(artifact[offset..<(offset + size)]))
            offset += (size + 7) / 8 * 8
        }
        prefix = Array(artifact[0..<12])
    }

    /// The JSON value at `path`, or nil if there is none.
    public func value(at path: String) throws -> JSONValue? {
        guard let v = Self.get(header, Self.keys(path)) else { return nil }
        return try Self.jsonValue(v)
    }

    /// Replaces the value at `path` (its parent must exist) with `value`.
    public mutating func set(_ path: String, to value: JSONValue) throws {
        header = try Self.put(header, Self.keys(path)[...], Self.foundation(value), path: path)
    }

    /// Replaces the value at `path` with the integer `value`, written exactly (a size
    /// such as `rows = 1 << 60` does not fit a JSON number read as a double).
    public mutating func set(_ path: String, toInteger value: Int) throws {
        header = try Self.put(header, Self.keys(path)[...], NSNumber(value: value), path: path)
    }

    /// Edits the value at `path` in place (it must exist).
    public mutating func edit(_ path: String, _ body: (inout JSONValue) throws -> Void) throws {
        guard var v = try value(at: path) else { throw Failure(description: "no value at '\(path)'") }
        try body(&v)
        try set(path, to: v)
    }

    /// The raw little-endian bytes of tensor `index` (matrices refer to tensors by index).
    public func tensor(_ index: Int) -> [UInt8]? { tensors.indices.contains(index) ? tensors[index] : nil }

    /// Replaces tensor `index` with `bytes`, updating its length in the metadata.
    public mutating func setTensor(_ index: Int, to bytes: [UInt8]) throws {
        guard tensors.indices.contains(index) else { throw Failure(description: "no tensor \(index)") }
        tensors[index] = bytes
        try set("metadata.tensors.\(index).bytes", toInteger: bytes.count)
    }

    /// The artifact with the edited header, its lengths and SHA-256 trailer recomputed
    /// (flags cleared: unsigned).
    public func bytes() throws -> [UInt8] {
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .fragmentsAllowed])
        var out = Array(prefix[0..<8])
        Self.append(Self.readUInt32(prefix, at: 8), to: &out)
        Self.append(UInt32(0), to: &out)
        Self.append(UInt64(json.count), to: &out)
        Self.append(UInt64(tensors.reduce(0) { $0 + ($1.count + 7) / 8 * 8 }), to: &out)
        out += json
        out += [UInt8](repeating: 0, count: (json.count + 7) / 8 * 8 - json.count)
        for t in tensors { out += t + [UInt8](repeating: 0, count: (t.count + 7) / 8 * 8 - t.count) }
        out += Array(SHA256.hash(data: out))
        return out
    }

    /// `bytes` with the SHA-256 trailer recomputed over everything before it (for crafts of
    /// the fixed header or the tensors, made on the raw bytes).
    public static func resealing(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 32 else { return bytes }
        let body = Array(bytes[0..<(bytes.count - 32)])
        return body + Array(SHA256.hash(data: body))
    }

    // MARK: - JSON plumbing

    enum Key { case name(String), index(Int) }

    static func keys(_ path: String) -> [Key] {
        path.split(separator: ".").map { part in Int(part).map(Key.index) ?? .name(String(part)) }
    }

    static func get(_ v: Any, _ keys: [Key]) -> Any? {
        var current: Any = v
        for k in keys {
            switch k {
            case .name(let n):
                guard let o = current as? [String: Any], let next = o[n] else { return nil }
                current = next
            case .index(let i):
                guard let a = current as? [Any], a.indices.contains(i) else { return nil }
                current = a[i]
            }
        }
        return current
    }

    static func put(_ v: Any, _ keys: ArraySlice<Key>, _ value: Any, path: String) throws -> Any {
        guard let k = keys.first else { return value }
        switch k {
        case .name(let n):
            guard var o = v as? [String: Any] else { throw Failure(description: "'\(path)': '\(n)' is not in an object") }
            o[n] = try put(o[n] ?? NSNull(), keys.dropFirst(), value, path: path)
            return o
        case .index(let i):
            guard var a = v as? [Any], a.indices.contains(i) else { throw Failure(description: "'\(path)': no element \(i)") }
            a[i] = try put(a[i], keys.dropFirst(), value, path: path)
            return a
        }
    }

    static func jsonValue(_ v: Any) throws -> JSONValue {
        let data = try JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed])
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    static func foundation(_ v: JSONValue) throws -> Any {
        // Whole numbers are written as integers (sizes, indices, versions decode as Int).
        func plain(_ v: JSONValue) -> Any {
            switch v {
            case .null: return NSNull()
            case .bool(let b): return b
            case .number(let x):
                if x.rounded() == x, abs(x) < 9.0e15 { return Int(x) }
                return x
            case .string(let s): return s
            case .array(let a): return a.map(plain)
            case .object(let o): return o.mapValues(plain)
            }
        }
        return plain(v)
    }

    static func readUInt64(_ b: [UInt8], at o: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) }
    }

    static func readUInt32(_ b: [UInt8], at o: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) }
    }

    static func append<T: FixedWidthInteger>(_ v: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
