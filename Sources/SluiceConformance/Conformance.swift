import SluiceFrame
import SluicePipeline

/// Runs the verifiers over examples: scikit-learn's `check_estimator`, in Swift. Each call
/// returns every broken contract (an empty list means the example conforms); an error a
/// verifier hits is reported as its failure, not thrown.
///
/// ```swift
/// let table = try PipelineExamples.table(codec: .standard).merging(myExamples)
/// #expect(table.missingKinds(in: .standard).isEmpty)
/// for (_, examples) in table.stages { for e in examples { #expect(Conformance.check(e).isEmpty) } }
/// ```
public enum Conformance {
    /// What every stage example runs.
    public static let stageVerifiers: [any StageVerifier] = [
        StageContract(), DeterministicFit(), InputUntouched(), BatchInvariance(), EdgeRows(), UnseenCategories(),
        ArtifactRoundTrip(), PlannedSchema(), CraftedState(),
    ]
    /// What every learner example runs.
    public static let learnerVerifiers: [any LearnerVerifier] = [
        DeterministicFit(), InputUntouched(), BatchInvariance(), EdgeRows(), UnseenCategories(), UnitWeights(),
        ArtifactRoundTrip(), CraftedState(),
    ]
    /// What every sampler example runs (add ``SamplerFitPathOnly`` with a learner).
    public static let samplerVerifiers: [any SamplerVerifier] = [SamplerContract(), InputUntouched()]

    public static func check(_ e: StageExample, with verifiers: [any StageVerifier] = stageVerifiers) -> [ConformanceFailure] {
        var findings = Findings()
        for v in verifiers { findings.run(v.name, e.label) { try v.verify(e, into: &$0) } }
        return findings.failures
    }

    public static func check(_ e: LearnerExample, with verifiers: [any LearnerVerifier] = learnerVerifiers) -> [ConformanceFailure] {
        var findings = Findings()
        for v in verifiers { findings.run(v.name, e.label) { try v.verify(e, into: &$0) } }
        return findings.failures
    }

    public static func check(_ e: SamplerExample, with verifiers: [any SamplerVerifier] = samplerVerifiers) -> [ConformanceFailure] {
        var findings = Findings()
        for v in verifiers { findings.run(v.name, e.label) { try v.verify(e, into: &$0) } }
        return findings.failures
    }

    /// The fitted kind of a stage example (to check it sits under its kind in a table).
    public static func fittedKind(_ e: StageExample) throws -> String {
        type(of: try Support.fit(e)).kind
    }
}
