import SluiceFrame
import SluicePipeline

/// Encoding and decoding through the codec (and its validation) gives a stage that
/// transforms identically, or a pipeline whose artifact loads and scores identically and
/// encodes to the same bytes again.
public struct ArtifactRoundTrip: StageVerifier, LearnerVerifier {
    public let name = "artifact round trip"
    public init() {}

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        let fitted = try Support.fit(e)
        let (data, archive) = try Support.encode(fitted)
        let restored = try Support.decode(data, archive, codec: e.codec)
        let d = Support.difference(try restored.transform(e.frame), try fitted.transform(e.frame))
        findings.expect(d == nil, name, e.label, "the decoded stage transforms differently: \(d ?? "")")
    }

    public func verify(_ e: LearnerExample, into findings: inout Findings) throws {
        let fitted = try e.fit(e.frame)
        let bytes = try Artifact.encode(fitted, key: nil)
        let loaded = try Artifact.decode(bytes, path: e.label, codec: e.codec, key: nil)
        let d = Support.difference(try loaded.score(e.frame), try fitted.score(e.frame))
        findings.expect(d == nil, name, e.label, "the loaded pipeline scores differently: \(d ?? "")")
        findings.expect(try Artifact.encode(loaded, key: nil) == bytes, name, e.label, "re-encoding changes the bytes")
    }
}
