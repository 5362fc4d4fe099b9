import Foundation
import SluiceFrame

/// A fitted stage of any kind, Codable through its ``FittedTransformer/kind``: encoded as
/// `{"kind": …, "state": …}`, decoded through the ``ArtifactCodec`` in the decoder's
/// `userInfo` (which lists the kinds an artifact may name), and validated as it decodes.
public struct AnyFittedTransformer: Codable, Sendable {
    /// The wrapped stage.
    public let base: any FittedTransformer

    public init(_ base: any FittedTransformer) { self.base = base }

    private enum CodingKeys: String, CodingKey { case kind, state }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type(of: base).kind, forKey: .kind)
        try c.encode(base, forKey: .state)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        let codec = try ArtifactCodec.current(decoder)
        guard let type = codec.stageType(kind) else {
            throw ArtifactCodec.Unknown(what: "stage kind", kind: kind, known: codec.stageKinds)
        }
        base = try c.decode(type, forKey: .state)
        do { try base.validate() } catch { throw ArtifactCodec.InvalidState(kind: kind, underlying: error) }
    }
}

/// A fitted model of any kind, Codable through its stable ``FittedModel/kind`` and state
/// version: encoded as `{"kind": …, "version": …, "state": …}`, decoded through the
/// ``ArtifactCodec`` in the decoder's `userInfo`, and validated as it decodes.
public struct AnyModel: Codable, Sendable {
    /// The wrapped model.
    public let base: any FittedModel

    public init(_ base: any FittedModel) { self.base = base }

    /// The model's stable kind, e.g. `"logistic_regression"`.
    public var kind: String { type(of: base).kind }

    private enum CodingKeys: String, CodingKey { case kind, version, state }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type(of: base).kind, forKey: .kind)
        try c.encode(type(of: base).stateVersion, forKey: .version)
        try c.encode(base, forKey: .state)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        let version = try c.decode(Int.self, forKey: .version)
        let codec = try ArtifactCodec.current(decoder)
        guard let type = codec.modelType(kind) else {
            throw ArtifactCodec.Unknown(what: "model kind", kind: kind, known: codec.modelKinds)
        }
        guard version == type.stateVersion else {
            throw ArtifactCodec.InvalidState(kind: kind, underlying: ArtifactCodec.VersionMismatch(
                kind: kind, found: version, supported: type.stateVersion))
        }
        base = try c.decode(type, forKey: .state)
        do { try base.validate() } catch { throw ArtifactCodec.InvalidState(kind: kind, underlying: error) }
    }
}

/// The kinds an artifact may name, and how to decode each: Sluice's stages and models plus
/// the caller's own. Passed explicitly to ``Artifact/load(from:checking:codec:key:)`` (no
/// global registry): a nightly job loads whatever model is deployed by listing the kinds it
/// accepts.
///
/// ```swift
/// let codec = ArtifactCodec.standard.adding(stages: [MyStage.Fitted.self], customStages: [tenureYears])
/// let fitted = try Artifact.load(from: url, codec: codec)
/// ```
public struct ArtifactCodec: Sendable {
    /// Fitted stage types by kind.
    public private(set) var stages: [String: any FittedTransformer.Type]
    /// Fitted model types by kind.
    public private(set) var models: [String: any FittedModel.Type]
    /// Closure stages by name (a ``CustomStage`` stores only its name in an artifact).
    public private(set) var customStages: [String: CustomStage]

    /// A codec of exactly these kinds. A later entry of the same kind replaces an earlier one.
    public init(stages: [any FittedTransformer.Type] = [], models: [any FittedModel.Type] = [],
                customStages: [CustomStage] = []) {
        self.stages = Dictionary(stages.map { ($0.kind, $0) }, uniquingKeysWith: { _, b in b })
        self.models = Dictionary(models.map { ($0.kind, $0) }, uniquingKeysWith: { _, b in b })
        self.customStages = Dictionary(customStages.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b })
    }

    /// Every fitted stage kind of SluicePipeline, and no model kinds (SluiceLearn's
    /// `ArtifactCodec.standard` adds its models).
    public static let pipelineStages = ArtifactCodec(stages: builtInStageKinds)

    /// This codec with more kinds (replacing any of the same kind or name).
    public func adding(stages: [any FittedTransformer.Type] = [], models: [any FittedModel.Type] = [],
                       customStages: [CustomStage] = []) -> ArtifactCodec {
        var c = self
        for s in stages { c.stages[s.kind] = s }
        for m in models { c.models[m.kind] = m }
        for s in customStages { c.customStages[s.name] = s }
        return c
    }

    /// Makes `decoder` decode ``AnyFittedTransformer`` and ``AnyModel`` values through this codec.
    public func configure(_ decoder: JSONDecoder) {
        decoder.userInfo[.sluiceCodec] = Box(self)
    }

    /// The stage kinds, sorted.
    public var stageKinds: [String] { stages.keys.sorted() }
    /// The model kinds, sorted.
    public var modelKinds: [String] { models.keys.sorted() }

    func stageType(_ kind: String) -> (any FittedTransformer.Type)? { stages[kind] }
    func modelType(_ kind: String) -> (any FittedModel.Type)? { models[kind] }

    /// The codec a decoder was given, or an error saying none was.
    static func current(_ decoder: any Decoder) throws -> ArtifactCodec {
        guard let box = decoder.userInfo[.sluiceCodec] as? Box else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "no ArtifactCodec in the decoder's userInfo[.sluiceCodec]"))
        }
        return box.codec
    }

    /// Holds a codec in a decoder's `userInfo`.
    final class Box: Sendable {
        let codec: ArtifactCodec
        init(_ codec: ArtifactCodec) { self.codec = codec }
    }

    /// An artifact names a kind this codec does not list.
    public struct Unknown: Error, CustomStringConvertible {
        public var what: String
        public var kind: String
        public var known: [String]
        public var description: String {
            "unknown \(what) '\(kind)' (this codec knows \(known.joined(separator: ", "))); add it to the ArtifactCodec"
        }
    }

    /// A decoded stage or model failed its own consistency check.
    public struct InvalidState: Error, CustomStringConvertible {
        public var kind: String
        public var underlying: any Error
        public var description: String { "\(kind): \(underlying)" }
    }

    /// A model's stored state version is not the one this build reads.
    public struct VersionMismatch: Error, CustomStringConvertible {
        public var kind: String
        public var found: Int
        public var supported: Int
        public var description: String {
            "state version \(found), this build reads version \(supported): refit the model with this build"
        }
    }
}

extension CodingUserInfoKey {
    /// Set to an `ArtifactCodec.Box` so that stages and models decode by kind.
    static let sluiceCodec = CodingUserInfoKey(rawValue: "sluice.codec")!
}
