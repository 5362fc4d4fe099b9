import SluiceFrame
import SluicePipeline

/// Fitting and transforming leave the input's buffers as they were: compared by a
/// fingerprint of the raw column bytes, which `==` on a copy-on-write value cannot show.
public struct InputUntouched: StageVerifier, LearnerVerifier, SamplerVerifier {
    public let name = "input untouched"
    public init() {}

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        let before = BufferFingerprint.of(e.frame)
        let fitted = try Support.fit(e)
        findings.expect(BufferFingerprint.of(e.frame) == before, name, e.label, "fit changed its input's buffers")
        _ = try fitted.transform(e.frame)
        findings.expect(BufferFingerprint.of(e.frame) == before, name, e.label, "transform changed its input's buffers")
    }

    public func verify(_ e: LearnerExample, into findings: inout Findings) throws {
        let before = BufferFingerprint.of(e.frame)
        let fitted = try e.fit(e.frame)
        findings.expect(BufferFingerprint.of(e.frame) == before, name, e.label, "fit changed its input's buffers")
        _ = try fitted.score(e.frame)
        findings.expect(BufferFingerprint.of(e.frame) == before, name, e.label, "scoring changed its input's buffers")
    }

    public func verify(_ e: SamplerExample, into findings: inout Findings) throws {
        let before = BufferFingerprint.of(e.frame), target = try Frame(["t": e.target])
        let targetBefore = BufferFingerprint.of(target)
        var context = FitContext(seed: 3, target: e.target)
        _ = try e.sampler.resample(e.frame, target: e.target, context: &context)
        findings.expect(BufferFingerprint.of(e.frame) == before, name, e.label, "resample changed its input's buffers")
        findings.expect(BufferFingerprint.of(target) == targetBefore, name, e.label, "resample changed the target's buffers")
    }
}
