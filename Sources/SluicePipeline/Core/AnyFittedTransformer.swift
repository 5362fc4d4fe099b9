import Foundation
import SluiceFrame

/// A fitted stage of any kind, Codable through its ``FittedTransformer/kind``: encoded as
/// `{"kind": …, "state": …}`, decoded through the registry of known kinds.
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
        guard let type = StageRegistry.type(of: kind) else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription:
                "unknown stage kind '\(kind)': register it with StageRegistry.register before loading")
        }
        base = try c.decode(type, forKey: .state)
    }
}

/// The fitted stage kinds an artifact may name. Sluice's own stages are known; register
/// your own fitted stage types before loading an artifact that holds them.
public enum StageRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var registered: [String: any FittedTransformer.Type] = [:]

    /// Sluice's built-in fitted stages; each area of stages lists its own kinds.
    static let builtIn: [any FittedTransformer.Type] = coreStageKinds + transformStageKinds + encodingStageKinds
        + selectionStageKinds

    /// Makes `type` loadable from artifacts under its `kind`.
    public static func register(_ type: any FittedTransformer.Type) {
        lock.lock()
        defer { lock.unlock() }
        registered[type.kind] = type
    }

    static func type(of kind: String) -> (any FittedTransformer.Type)? {
        if let t = builtIn.first(where: { $0.kind == kind }) { return t }
        lock.lock()
        defer { lock.unlock() }
        return registered[kind]
    }
}
