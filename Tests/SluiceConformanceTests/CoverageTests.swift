import Testing
import SluiceConformance
import SluiceLearn
import SluicePipeline

@Suite("Conformance: every kind of the standard codec has examples")
struct CoverageTests {
    @Test("no stage or model kind of ArtifactCodec.standard lacks an example")
    func everyKindHasAnExample() throws {
        let missing = try Examples.table().missingKinds(in: ArtifactCodec.standard)
        #expect(missing.isEmpty, "add examples for: \(missing.joined(separator: ", "))")
    }

    @Test("each stage example sits under the kind it fits to")
    func examplesUnderTheirKind() throws {
        for (kind, examples) in try Examples.table().stages {
            for e in examples { #expect(try Conformance.fittedKind(e) == kind, "\(e.label)") }
        }
        for (kind, examples) in try Examples.table().learners {
            for e in examples { #expect(e.kind == kind, "\(e.label)") }
        }
    }

    @Test("the table finds a missing kind")
    func missingKindIsFound() throws {
        var table = try Examples.table()
        table.stages[StandardScaler.Fitted.kind] = nil
        #expect(table.missingKinds(in: ArtifactCodec.standard) == ["stage StandardScaler"])
    }
}
