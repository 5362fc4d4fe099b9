import Testing
import SluiceConformance
import SluiceLearn

@Suite("Conformance: every stage kind")
struct StageConformanceTests {
    @Test("stage verifiers", arguments: Examples.stageExamples.indices)
    func stage(index: Int) {
        let e = Examples.stageExamples[index]
        let failures = Conformance.check(e)
        #expect(failures.isEmpty, "\(e.label):\n\(failures.map(\.description).joined(separator: "\n"))")
    }
}

@Suite("Conformance: every learner kind")
struct LearnerConformanceTests {
    @Test("learner verifiers", arguments: Examples.learnerExamples.indices)
    func learner(index: Int) {
        let e = Examples.learnerExamples[index]
        let failures = Conformance.check(e)
        #expect(failures.isEmpty, "\(e.label):\n\(failures.map(\.description).joined(separator: "\n"))")
    }
}

@Suite("Conformance: every sampler")
struct SamplerConformanceTests {
    @Test("sampler verifiers", arguments: Examples.samplerExamples.indices)
    func sampler(index: Int) {
        let e = Examples.samplerExamples[index]
        let failures = Conformance.check(e, with: Conformance.samplerVerifiers
                                         + [SamplerFitPathOnly(learner: SluiceLearn.LogisticRegression())])
        #expect(failures.isEmpty, "\(e.label):\n\(failures.map(\.description).joined(separator: "\n"))")
    }
}
