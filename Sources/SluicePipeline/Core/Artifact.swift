import Crypto
import Foundation
import SluiceCompute
import SluiceFrame

/// The code-free artifact format of a fitted pipeline, version 2.
///
/// ```
/// offset 0   8 bytes   magic  89 53 4C 55 49 43 45 0A  ("\x89SLUICE\n")
///        8   u32 LE    format version (2)
///       12   u32 LE    flags: bit 0 set = signed (the trailer is an HMAC-SHA256)
///       16   u64 LE    header length H
///       24   u64 LE    tensor section length T
///       32   H bytes   JSON header: metadata, then the fitted pipeline, matrices as tensor refs
///            0–7 bytes zero padding to a multiple of 8
///            T bytes   tensors: raw little-endian f64/f32 arrays, each padded to 8 bytes
///            32 bytes  SHA-256 of every byte before it, or HMAC-SHA256 with the key when signed
/// ```
///
/// Loading checks the magic, the version, that the file is exactly as long as the lengths
/// say (before allocating anything they size), the checksum or signature, then decodes
/// through an ``ArtifactCodec`` (stages and models by their stable kinds) and has every
/// stage and the model validate its own state. Nothing an artifact holds can trap.
///
/// Signing: with a key (``ArtifactKey``, by default from `SLUICE_ARTIFACT_KEY`), `save`
/// signs and `load` refuses an unsigned or wrongly signed artifact; without one, `load`
/// refuses a signed artifact it cannot verify. swift-crypto provides SHA-256 and HMAC:
/// a well-kept package with the same API on every platform, and no system library to install.
public enum Artifact {
    public static let formatVersion: UInt32 = 2
    static let magic: [UInt8] = [0x89, 0x53, 0x4C, 0x55, 0x49, 0x43, 0x45, 0x0A]
    static let fixedSize = 32
    static let trailerSize = 32
    static let signedFlag: UInt32 = 1
    /// The library version written into every artifact.
    public static let libraryVersion = "sluice 0.2.0"

    /// What the header says about the artifact, beside the pipeline itself: readable
    /// without decoding any stage or model (``metadata(at:)``).
    public struct Metadata: Codable, Sendable, Equatable {
        public var library: String
        /// The model's stable kind, e.g. `"logistic_regression"`.
        public var modelKind: String
        /// The model's state version.
        public var modelStateVersion: Int
        public var target: TargetDescription?
        public var keys: [Field]
        public var inputSchema: Schema
        public var featureNames: [String]
        public var seed: UInt64
        public var dataFingerprint: String
        /// The learner's configuration.
        public var hyperparameters: JSONValue
        public var metrics: [String: Double]
        /// The tensor section's layout: each tensor's element type and byte length, in order.
        public var tensors: [TensorEntry]
        /// Further JSON kept with the artifact by its writer, by name (a job keeps the
        /// profile of its training data here, for the drift check of later runs). Absent
        /// when empty, so artifacts without it encode as before.
        public var annotations: [String: JSONValue]?
    }

    /// One tensor of the tensor section.
    public struct TensorEntry: Codable, Sendable, Equatable {
        public var dtype: String
        public var bytes: Int
    }

    struct Header: Codable {
        // Metadata first in the file: `metadata(at:)` decodes it alone.
        var metadata: Metadata
        var pipeline: FittedPipeline
    }

    /// The artifact's bytes: the same pipeline, metrics and key give the same bytes.
    public static func encode(_ pipeline: FittedPipeline, metrics: [String: Double] = [:],
                              annotations: [String: JSONValue] = [:],
                              key: ArtifactKey? = ArtifactKey.fromEnvironment()) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // First pass: learn the tensor layout; second: encode the header with it (same order).
        let layout = TensorArchive()
        encoder.userInfo[.sluiceTensors] = layout
        _ = try encoder.encode(pipeline)
        let archive = TensorArchive()
        encoder.userInfo[.sluiceTensors] = archive
        let metadata = Metadata(library: libraryVersion, modelKind: pipeline.model.kind,
                                modelStateVersion: type(of: pipeline.model.base).stateVersion, target: pipeline.target,
                                keys: pipeline.keys, inputSchema: pipeline.inputSchema, featureNames: pipeline.featureNames,
                                seed: pipeline.seed, dataFingerprint: pipeline.dataFingerprint,
                                hyperparameters: pipeline.hyperparameters, metrics: metrics,
                                tensors: layout.tensors.map { TensorEntry(dtype: $0.dtype, bytes: $0.bytes.count) },
                                annotations: annotations.isEmpty ? nil : annotations)
        let header = try encoder.encode(Header(metadata: metadata, pipeline: pipeline))
        var bytes = magic
        append(formatVersion, to: &bytes)
        append(key == nil ? 0 : signedFlag, to: &bytes)
        append(UInt64(header.count), to: &bytes)
        append(UInt64(archive.tensors.reduce(0) { $0 + padded($1.bytes.count) }), to: &bytes)
        bytes += header
        bytes += [UInt8](repeating: 0, count: padded(header.count) - header.count)
        for t in archive.tensors {
            bytes += t.bytes
            bytes += [UInt8](repeating: 0, count: padded(t.bytes.count) - t.bytes.count)
        }
        bytes += trailer(of: bytes, key: key)
        return bytes
    }

    /// Writes `pipeline` to `url` atomically: readers see the old file or the whole new one.
    public static func save(_ pipeline: FittedPipeline, to url: URL, metrics: [String: Double] = [:],
                            key: ArtifactKey? = ArtifactKey.fromEnvironment()) throws {
        let bytes = try encode(pipeline, metrics: metrics, key: key)
        do { try AtomicFile.write(bytes, to: url) } catch {
            throw ArtifactError.cannotWrite(path: url.path, reason: error.reason)
        }
    }

    /// Reads the metadata of the artifact at `url` (checked as ``load(from:checking:codec:key:)``
    /// checks it) without decoding the pipeline.
    public static func metadata(at url: URL, key: ArtifactKey? = ArtifactKey.fromEnvironment()) throws -> Metadata {
        try metadata(of: sections(of: read(url), path: url.path, key: key).header, path: url.path)
    }

    /// Reads the metadata of artifact `bytes` (checked as ``decode(_:path:checking:codec:key:)``
    /// checks them) without decoding the pipeline; `path` names them in errors.
    public static func metadata(of bytes: [UInt8], path: String,
                                key: ArtifactKey? = ArtifactKey.fromEnvironment()) throws -> Metadata {
        try metadata(of: sections(of: bytes, path: path, key: key).header, path: path)
    }

    static func metadata(of header: Data, path: String) throws -> Metadata {
        struct Only: Decodable { var metadata: Metadata }
        do { return try JSONDecoder().decode(Only.self, from: header).metadata } catch {
            throw ArtifactError.corrupt(path: path, reason: "header: \(DecodingFailure(error))")
        }
    }

    /// The SHA-256 of the artifact file at `url`, as 64 hex digits: its identity in a model store.
    public static func digest(at url: URL) throws -> String {
        digest(of: try read(url))
    }

    /// The SHA-256 of artifact `bytes`, as 64 hex digits.
    public static func digest(of bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Loads the fitted pipeline at `url`, whatever its model kind, decoding stages and model
    /// through `codec`. With `schema`, also checks that a frame of that schema can be scored
    /// (the keys and every column the stages read, with their types), naming every wrong column.
    public static func load(from url: URL, checking schema: Schema? = nil, codec: ArtifactCodec,
                            key: ArtifactKey? = ArtifactKey.fromEnvironment()) throws -> FittedPipeline {
        try decode(read(url), path: url.path, checking: schema, codec: codec, key: key)
    }

    /// Decodes artifact bytes (as ``load(from:checking:codec:key:)``); `path` names them in errors.
    public static func decode(_ data: [UInt8], path: String, checking schema: Schema? = nil, codec: ArtifactCodec,
                              key: ArtifactKey? = ArtifactKey.fromEnvironment()) throws -> FittedPipeline {
        let (header, tensors) = try sections(of: data, path: path, key: key)
        let meta = try metadata(of: header, path: path)
        // Split the tensor section by the sizes the header lists, each checked to fit.
        var archiveTensors = [TensorArchive.Tensor](), offset = 0
        for entry in meta.tensors {
            guard entry.bytes >= 0, entry.bytes <= tensors.count - offset, padded(entry.bytes) <= tensors.count - offset else {
                throw ArtifactError.corrupt(path: path, reason: "tensor sizes exceed the tensor section")
            }
            let start = tensors.startIndex + offset
            archiveTensors.append(TensorArchive.Tensor(dtype: entry.dtype, bytes: Array(tensors[start..<(start + entry.bytes)])))
            offset += padded(entry.bytes)
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.userInfo[.sluiceTensors] = TensorArchive(tensors: archiveTensors)
        codec.configure(decoder)
        let pipeline: FittedPipeline
        do {
            pipeline = try decoder.decode(Header.self, from: header).pipeline
            try pipeline.validate()
        } catch let e as ArtifactCodec.Unknown {
            throw ArtifactError.unknownKind(path: path, reason: e.description)
        } catch {
            throw ArtifactError.corrupt(path: path, reason: "\(DecodingFailure(error))")
        }
        guard meta.featureNames == pipeline.featureNames, meta.inputSchema == pipeline.inputSchema else {
            throw ArtifactError.corrupt(path: path, reason: "metadata.featureNames or metadata.inputSchema disagree with the pipeline's")
        }
        guard pipeline.model.kind == meta.modelKind else {
            throw ArtifactError.corrupt(path: path, reason: "metadata names a '\(meta.modelKind)' model, the pipeline holds '\(pipeline.model.kind)'")
        }
        if let schema {
            let problems = pipeline.schemaProblems(schema)
            if !problems.isEmpty { throw ArtifactError.schemaMismatch(path: path, problems: problems) }
        }
        return pipeline
    }

    static func read(_ url: URL) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ArtifactError.cannotRead(path: url.path, reason: "no such file")
        }
        do { return [UInt8](try Data(contentsOf: url)) } catch {
            throw ArtifactError.cannotRead(path: url.path, reason: "\((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
    }

    /// The header JSON and tensor bytes of a checked artifact.
    static func sections(of data: [UInt8], path: String, key: ArtifactKey?) throws -> (header: Data, tensors: ArraySlice<UInt8>) {
        guard data.count >= 12, Array(data[0..<8]) == magic else { throw ArtifactError.notAnArtifact(path: path) }
        let version = read(UInt32.self, data, at: 8)
        guard version == formatVersion else {
            throw ArtifactError.unsupportedVersion(path: path, found: Int(version), supported: Int(formatVersion))
        }
        guard data.count >= fixedSize + trailerSize else {
            throw ArtifactError.truncated(path: path, expectedBytes: fixedSize + trailerSize, actualBytes: data.count)
        }
        let flags = read(UInt32.self, data, at: 12)
        guard flags & ~signedFlag == 0 else { throw ArtifactError.corrupt(path: path, reason: "unknown flags \(flags)") }
        let h = read(UInt64.self, data, at: 16), t = read(UInt64.self, data, at: 24)
        let available = UInt64(data.count - fixedSize - trailerSize)
        guard h <= available, t <= available, (h + 7) / 8 * 8 + t == available else {
            throw ArtifactError.truncated(path: path,
                expectedBytes: Int(min(h, available)) + Int(min(t, available)) + fixedSize + trailerSize, actualBytes: data.count)
        }
        let body = data[0..<(data.count - trailerSize)], stored = Array(data[(data.count - trailerSize)...])
        let signed = flags & signedFlag != 0
        switch (signed, key) {
        case (true, nil): throw ArtifactError.signature(path: path, reason: "the artifact is signed; set SLUICE_ARTIFACT_KEY to verify it")
        case (false, .some): throw ArtifactError.signature(path: path, reason: "the artifact is not signed, and a signing key is set")
        case (true, .some(let k)):
            guard HMAC<SHA256>.isValidAuthenticationCode(stored, authenticating: body, using: k.key) else {
                throw ArtifactError.signature(path: path, reason: "the signature does not match the key: modified, or signed with another key")
            }
        case (false, nil):
            guard Array(SHA256.hash(data: body)) == stored else { throw ArtifactError.checksumMismatch(path: path) }
        }
        let headerEnd = fixedSize + Int(h), tensorStart = fixedSize + padded(Int(h))
        return (Data(data[fixedSize..<headerEnd]), data[tensorStart..<(tensorStart + Int(t))])
    }

    static func trailer(of bytes: [UInt8], key: ArtifactKey?) -> [UInt8] {
        if let key { return Array(HMAC<SHA256>.authenticationCode(for: bytes, using: key.key)) }
        return Array(SHA256.hash(data: bytes))
    }

    static func padded(_ n: Int) -> Int { (n + 7) / 8 * 8 }

    static func append<T: FixedWidthInteger>(_ v: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func read<T: FixedWidthInteger>(_: T.Type, _ data: [UInt8], at offset: Int) -> T {
        data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}

/// The secret that signs artifacts (HMAC-SHA256).
public struct ArtifactKey: Sendable {
    private let secret: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: secret) }

    /// A key from secret bytes (at least 16).
    public init?(_ secret: some Collection<UInt8>) {
        guard secret.count >= 16 else { return nil }
        self.secret = Array(secret)
    }

    /// The key in `SLUICE_ARTIFACT_KEY` (its UTF-8 bytes), or nil when unset or empty.
    public static func fromEnvironment() -> ArtifactKey? {
        guard let s = ProcessInfo.processInfo.environment["SLUICE_ARTIFACT_KEY"], !s.isEmpty else { return nil }
        return ArtifactKey(Array(s.utf8)) ?? ArtifactKey(Array(SHA256.hash(data: Array(s.utf8))))
    }
}

/// A decoding error as one readable line: the coding path and the reason.
struct DecodingFailure: CustomStringConvertible {
    let error: any Error
    init(_ error: any Error) { self.error = error }

    var description: String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case let .dataCorrupted(c): return "\(path(c)): \(c.debugDescription)\(c.underlyingError.map { " (\($0))" } ?? "")"
        case let .keyNotFound(k, c): return "\(path(c)): missing field '\(k.stringValue)'"
        case let .typeMismatch(t, c): return "\(path(c)): expected \(t)"
        case let .valueNotFound(t, c): return "\(path(c)): missing \(t)"
        @unknown default: return "\(e)"
        }
    }
}

/// Why an artifact could not be saved or loaded; each case names the file.
public enum ArtifactError: Error, Equatable, Sendable, CustomStringConvertible, ExitClassified {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case notAnArtifact(path: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case checksumMismatch(path: String)
    case signature(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case unknownKind(path: String, reason: String)
    case schemaMismatch(path: String, problems: [SchemaProblem])

    public var description: String {
        switch self {
        case let .cannotRead(p, r): return "\(p): cannot read: \(r)"
        case let .cannotWrite(p, r): return "\(p): cannot write: \(r)"
        case let .notAnArtifact(p): return "\(p): not a Sluice artifact (bad magic number)"
        case let .unsupportedVersion(p, f, s) where f < s:
            return "\(p): artifact format version \(f) was written by an earlier Sluice; this build reads version \(s): refit and save the pipeline again"
        case let .unsupportedVersion(p, f, s): return "\(p): artifact format version \(f), this build reads version \(s): upgrade Sluice"
        case let .truncated(p, e, a): return "\(p): truncated or padded artifact (\(a) bytes, the header implies \(e))"
        case let .checksumMismatch(p): return "\(p): SHA-256 checksum mismatch: the artifact was modified or damaged"
        case let .signature(p, r): return "\(p): \(r)"
        case let .corrupt(p, r): return "\(p): corrupt artifact: \(r)"
        case let .unknownKind(p, r): return "\(p): \(r)"
        case let .schemaMismatch(p, problems):
            return "\(p): the data does not fit the model: " + problems.map(\.description).joined(separator: ", ")
        }
    }

    /// A missing or unreadable file is 66, an unwritable one 73; a bad artifact (crafted,
    /// damaged, of an unknown kind, or data that does not fit it) is bad input, 65.
    public var exitStatus: ExitStatus {
        switch self {
        case .cannotRead: return .noInput
        case .cannotWrite: return .cannotCreate
        default: return .dataError
        }
    }
}
