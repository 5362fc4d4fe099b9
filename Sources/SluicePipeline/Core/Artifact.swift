import Foundation
import SluiceCompute
import SluiceFrame

/// The code-free artifact format of a fitted pipeline.
///
/// ```
/// offset 0   8 bytes   magic  89 53 4C 55 49 43 45 0A  ("\x89SLUICE\n")
///        8   u32 LE    format version (1)
///       12   u32 LE    flags (0)
///       16   u64 LE    header length H
///       24   u64 LE    tensor section length T
///       32   H bytes   JSON header: metadata and the fitted pipeline, matrices as tensor refs
///            0–7 bytes zero padding to a multiple of 8
///            T bytes   tensors: raw little-endian f64/f32 arrays, in reference order
///            u64 LE    FNV-1a 64 checksum of every byte before it
/// ```
/// Loading checks the magic, the version, that the file is exactly as long as the lengths
/// say (before allocating anything they size), and the checksum, then decodes.
public enum Artifact {
    public static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = [0x89, 0x53, 0x4C, 0x55, 0x49, 0x43, 0x45, 0x0A]
    static let fixedSize = 32
    /// The library version written into every artifact.
    public static let libraryVersion = "sluice 0.1.0"

    /// What the header says about the artifact, beside the pipeline itself.
    public struct Metadata: Codable, Sendable, Equatable {
        public var library: String
        public var modelKind: String
        public var target: String
        public var inputSchema: Schema
        public var featureNames: [String]
        public var seed: UInt64
        public var dataFingerprint: String
        public var hyperparameters: String
        public var metrics: [String: Double]
        /// The tensor section's layout: each tensor's element type and byte length, in order.
        public var tensors: [TensorEntry]
    }

    /// One tensor of the tensor section.
    public struct TensorEntry: Codable, Sendable, Equatable {
        public var dtype: String
        public var bytes: Int
    }

    struct Header<Model: PredictiveModel>: Codable {
        // Metadata first in the file: `metadata(at:)` decodes it alone.
        var metadata: Metadata
        var pipeline: FittedPipeline<Model>
    }

    /// Writes `pipeline` to `url` atomically (a temporary file renamed into place).
    public static func save<Model: PredictiveModel>(_ pipeline: FittedPipeline<Model>, to url: URL,
                                                    metrics: [String: Double] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // First pass: learn the tensor layout; second: encode the header with it (same order).
        let layout = TensorArchive()
        encoder.userInfo[.sluiceTensors] = layout
        _ = try encoder.encode(pipeline)
        let archive = TensorArchive()
        encoder.userInfo[.sluiceTensors] = archive
        let metadata = Metadata(library: libraryVersion, modelKind: String(reflecting: Model.self), target: pipeline.target,
                                inputSchema: pipeline.inputSchema, featureNames: pipeline.featureNames,
                                seed: pipeline.seed, dataFingerprint: pipeline.dataFingerprint,
                                hyperparameters: pipeline.hyperparameters, metrics: metrics,
                                tensors: layout.tensors.map { TensorEntry(dtype: $0.dtype, bytes: $0.bytes.count) })
        let header = try encoder.encode(Header(metadata: metadata, pipeline: pipeline))
        var bytes = magic
        append(UInt32(formatVersion), to: &bytes)
        append(UInt32(0), to: &bytes)
        append(UInt64(header.count), to: &bytes)
        let tensorLength = archive.tensors.reduce(0) { $0 + padded($1.bytes.count) }
        append(UInt64(tensorLength), to: &bytes)
        bytes += header
        bytes += [UInt8](repeating: 0, count: padded(header.count) - header.count)
        for t in archive.tensors {
            bytes += t.bytes
            bytes += [UInt8](repeating: 0, count: padded(t.bytes.count) - t.bytes.count)
        }
        append(fnv1a(bytes), to: &bytes)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        do {
            try Data(bytes).write(to: temporary)
            _ = try? FileManager.default.removeItem(at: url)
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ArtifactError.io(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    /// Reads the metadata of the artifact at `url` without decoding the pipeline.
    public static func metadata(at url: URL) throws -> Metadata {
        let (header, _) = try sections(of: url)
        struct Only: Decodable { var metadata: Metadata }
        do { return try JSONDecoder().decode(Only.self, from: header).metadata } catch {
            throw ArtifactError.corrupt(path: url.path, reason: "header: \(error)")
        }
    }

    /// Loads a fitted pipeline whose model is `Model`. With `schema`, also checks that a
    /// frame of that schema can be scored (every input column present with its type).
    public static func load<Model: PredictiveModel>(_: Model.Type, from url: URL,
                                                    checking schema: Schema? = nil) throws -> FittedPipeline<Model> {
        let (header, tensors) = try sections(of: url)
        let meta = try metadata(at: url)
        guard meta.modelKind == String(reflecting: Model.self) else {
            throw ArtifactError.modelKindMismatch(path: url.path, expected: String(reflecting: Model.self), found: meta.modelKind)
        }
        // Split the tensor section by the sizes the header lists, each checked to fit.
        var archiveTensors = [TensorArchive.Tensor](), offset = 0
        for entry in meta.tensors {
            guard entry.bytes >= 0, entry.bytes <= tensors.count - offset, padded(entry.bytes) <= tensors.count - offset else {
                throw ArtifactError.corrupt(path: url.path, reason: "tensor sizes exceed the tensor section")
            }
            let start = tensors.startIndex + offset
            archiveTensors.append(TensorArchive.Tensor(dtype: entry.dtype, bytes: Array(tensors[start..<(start + entry.bytes)])))
            offset += padded(entry.bytes)
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.userInfo[.sluiceTensors] = TensorArchive(tensors: archiveTensors)
        let pipeline: FittedPipeline<Model>
        do { pipeline = try decoder.decode(Header<Model>.self, from: header).pipeline } catch {
            throw ArtifactError.corrupt(path: url.path, reason: "\(error)")
        }
        if let schema {
            for f in pipeline.inputSchema.fields {
                guard let actual = schema[f.name] else {
                    throw ArtifactError.schemaMismatch(path: url.path, column: f.name, expected: f.type.rawValue, found: "missing")
                }
                guard actual.type == f.type else {
                    throw ArtifactError.schemaMismatch(path: url.path, column: f.name, expected: f.type.rawValue,
                                                       found: actual.type.rawValue)
                }
            }
        }
        return pipeline
    }

    /// The header JSON and tensor bytes of a checked artifact file.
    static func sections(of url: URL) throws -> (header: Data, tensors: ArraySlice<UInt8>) {
        let data: [UInt8]
        do { data = [UInt8](try Data(contentsOf: url)) } catch {
            throw ArtifactError.io(path: url.path, reason: error.localizedDescription)
        }
        guard data.count >= fixedSize + 8, Array(data[0..<8]) == magic else {
            throw ArtifactError.notAnArtifact(path: url.path)
        }
        let version = read(UInt32.self, data, at: 8)
        guard version == formatVersion else {
            throw ArtifactError.unsupportedVersion(path: url.path, found: Int(version), supported: Int(formatVersion))
        }
        let h = read(UInt64.self, data, at: 16), t = read(UInt64.self, data, at: 24)
        let available = UInt64(data.count - fixedSize - 8)
        guard h <= available, t <= available, UInt64(padded(Int(h))) + t == available else {
            throw ArtifactError.truncated(path: url.path, expectedBytes: Int(min(h, available)) + Int(min(t, available)) + fixedSize + 8,
                                          actualBytes: data.count)
        }
        let body = data[0..<(data.count - 8)]
        guard fnv1a(body) == read(UInt64.self, data, at: data.count - 8) else {
            throw ArtifactError.checksumMismatch(path: url.path)
        }
        let headerEnd = fixedSize + Int(h), tensorStart = fixedSize + padded(Int(h))
        return (Data(data[fixedSize..<headerEnd]), data[tensorStart..<(tensorStart + Int(t))])
    }

    static func padded(_ n: Int) -> Int { (n + 7) / 8 * 8 }

    static func append<T: FixedWidthInteger>(_ v: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func read<T: FixedWidthInteger>(_: T.Type, _ data: [UInt8], at offset: Int) -> T {
        data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// FNV-1a, 64 bits.
    static func fnv1a<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// Why an artifact could not be saved or loaded; each case names the file.
public enum ArtifactError: Error, Equatable, Sendable, CustomStringConvertible {
    case io(path: String, reason: String)
    case notAnArtifact(path: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case checksumMismatch(path: String)
    case corrupt(path: String, reason: String)
    case modelKindMismatch(path: String, expected: String, found: String)
    case schemaMismatch(path: String, column: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .io(p, r): return "\(p): \(r)"
        case let .notAnArtifact(p): return "\(p): not a Sluice artifact (bad magic number)"
        case let .unsupportedVersion(p, f, s): return "\(p): artifact format version \(f), this build reads version \(s)"
        case let .truncated(p, e, a): return "\(p): truncated or padded artifact (\(a) bytes, the header implies \(e))"
        case let .checksumMismatch(p): return "\(p): checksum mismatch: the artifact was modified or damaged"
        case let .corrupt(p, r): return "\(p): corrupt artifact: \(r)"
        case let .modelKindMismatch(p, e, f): return "\(p): holds a \(f) model, expected \(e)"
        case let .schemaMismatch(p, c, e, f): return "\(p): input column '\(c)': model expects \(e), data has \(f)"
        }
    }
}
