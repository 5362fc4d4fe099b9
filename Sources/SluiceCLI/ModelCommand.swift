import ArgumentParser
import Foundation
import SluiceFrame
import SluiceLearn
import SluicePipeline

/// `sluice model inspect ARTIFACT [--json]`: what a saved model is, without scoring anything.
public struct ModelCommand: ParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect saved model artifacts.",
        subcommands: [Inspect.self]
    )

    public init() {}

    /// `sluice model inspect ARTIFACT [--json]`.
    public struct Inspect: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Print an artifact's model kind, target, input schema, features, metrics, hyperparameters, seed, "
                + "data fingerprint and SHA-256 digest (the artifact is fully checked and decoded first)."
        )

        @Argument(help: "The model artifact.")
        var artifact: String

        @Flag(help: "Print JSON instead of text.")
        var json = false

        public init() {}

        public func run() throws {
            do {
                let url = URL(fileURLWithPath: artifact)
                let fitted = try Artifact.load(from: url, codec: jobCodec)   // every check a scoring run makes
                let meta = try Artifact.metadata(at: url)
                let summary = Summary(meta: meta, digest: try Artifact.digest(at: url),
                                      stages: fitted.stages.map { type(of: $0.base).kind })
                print(json ? try summary.json() : summary.text)
            } catch {
                throw ExitCodes.report(error)
            }
        }
    }

    /// What `model inspect` prints.
    struct Summary: Encodable {
        var kind: String
        var stateVersion: Int
        var target: TargetDescription?
        var keys: [Field]
        var inputSchema: [Field]
        var stages: [String]
        var features: [String]
        var metrics: [String: Double]
        var hyperparameters: JSONValue
        var seed: UInt64
        var dataFingerprint: String
        var digest: String
        var library: String

        init(meta: Artifact.Metadata, digest: String, stages: [String]) {
            kind = meta.modelKind
            stateVersion = meta.modelStateVersion
            target = meta.target
            keys = meta.keys
            inputSchema = meta.inputSchema.fields
            self.stages = stages
            features = meta.featureNames
            metrics = meta.metrics
            hyperparameters = meta.hyperparameters
            seed = meta.seed
            dataFingerprint = meta.dataFingerprint
            self.digest = digest
            library = meta.library
        }

        func json() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }

        var text: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let hyper = (try? encoder.encode(hyperparameters)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            var lines = [
                "model:        \(kind) (state version \(stateVersion))",
                "target:       \(target.map { "\($0.name): \($0.type)" + ($0.classes.map { ", classes \($0.joined(separator: ", "))" } ?? "") } ?? "none")",
                "keys:         \(keys.isEmpty ? "none" : keys.map(\.description).joined(separator: ", "))",
                "input:        \(inputSchema.map(\.description).joined(separator: ", "))",
                "stages:       \(stages.isEmpty ? "none" : stages.joined(separator: " → "))",
                "features:     \(features.count): \(features.prefix(12).joined(separator: ", "))\(features.count > 12 ? ", …" : "")",
                "hyperparameters: \(hyper)",
                "seed:         \(seed)",
                "fingerprint:  \(dataFingerprint)",
                "sha256:       \(digest)",
                "library:      \(library)",
            ]
            if !metrics.isEmpty {
                lines.insert("metrics:      " + metrics.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "), at: 6)
            }
            return lines.joined(separator: "\n")
        }
    }
}
