import SluiceFrame
import SluicePipeline

/// Fitting twice under one seed gives the same fitted state, byte for byte (stages), or the
/// same artifact bytes (learners).
public struct DeterministicFit: StageVerifier, LearnerVerifier {
    public let name = "deterministic"
    public init() {}

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        let (a, _) = try Support.encode(Support.fit(e)), (b, _) = try Support.encode(Support.fit(e))
        findings.expect(a == b, name, e.label, "two fits under seed 42 encode differently")
    }

    public func verify(_ e: LearnerExample, into findings: inout Findings) throws {
        let a = try Artifact.encode(e.fit(e.frame), key: nil), b = try Artifact.encode(e.fit(e.frame), key: nil)
        findings.expect(a == b, name, e.label, "two fits under seed 7 give different artifacts")
    }
}
