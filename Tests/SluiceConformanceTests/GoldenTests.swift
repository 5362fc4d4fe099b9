import Foundation
import Testing
import SluiceConformance
import SluiceFrame
import SluiceLearn
import SluicePipeline
import SluiceTestSupport

/// Format stability. The golden artifacts under `Golden/` were written by this same test
/// with `SLUICE_REGENERATE_GOLDEN=1 swift test --filter GoldenTests`; without the variable
/// it checks that each still loads and predicts what was committed beside it.
@Suite("Conformance: committed golden artifacts still load and predict")
struct GoldenTests {
    static let directory = Fixtures.repositoryRoot.appendingPathComponent("Tests/SluiceConformanceTests/Golden")
    static let regenerate = ProcessInfo.processInfo.environment["SLUICE_REGENERATE_GOLDEN"] == "1"

    /// One golden pipeline per stage kind (its first example, then imputed numeric columns
    /// into a logistic regression) and per learner example's kind.
    static let stageKinds: [String] = ((try? Examples.table().stages.keys.sorted()) ?? [])
    static let modelKinds: [String] = ((try? Examples.table().learners.keys.sorted()) ?? [])

    @Test("stage kinds", arguments: stageKinds)
    func stage(kind: String) throws {
        guard let e = try Examples.table().stages[kind]?.first else { Issue.record("no example"); return }
        var frame = try e.frame.setting("label", to: ConformanceData.target(rows: e.frame.rowCount), nullable: false)
        frame = try frame.dropping(frame.columnNames.filter { $0 == "score" })
        let pipeline = Pipeline(target: "label", estimator: LogisticRegression()) {
            [PipelineStep.transformer(e.stage)]
            ColumnTransformer(remainder: .drop, .init(.numeric, SimpleImputer(strategy: .mean)))
        }
        let failures = try GoldenArtifact.verify("stage-\(kind)", in: Self.directory, frame: frame, codec: Examples.codec,
                                                 regenerate: Self.regenerate) { try pipeline.fit(frame, seed: 3) }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("model kinds", arguments: modelKinds)
    func model(kind: String) throws {
        guard let e = try Examples.table().learners[kind]?.first else { Issue.record("no example"); return }
        let failures = try GoldenArtifact.verify("model-\(kind)", in: Self.directory, frame: e.frame, codec: Examples.codec,
                                                 regenerate: Self.regenerate, tolerance: max(1e-9, e.outputTolerance)) {
            try e.fit(e.frame)
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}
