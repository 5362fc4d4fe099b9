import SluiceFrame
import SluicePipeline

/// String values never seen at fit reach transform (or scoring) without an error: rows kept,
/// declared columns produced (encoders map them to their documented fallback).
public struct UnseenCategories: StageVerifier, LearnerVerifier {
    public let name = "unseen categories"
    public init() {}

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        let fitted = try Support.fit(e)
        let out = try fitted.transform(ConformanceData.unseen(e.frame))
        findings.expect(out.rowCount == e.frame.rowCount, name, e.label, "rows changed")
        findings.expect(out.columnNames == fitted.outputSchema.names, name, e.label, "columns \(out.columnNames)")
    }

    public func verify(_ e: LearnerExample, into findings: inout Findings) throws {
        let fitted = try e.fit(e.frame)
        let scoring = try ConformanceData.unseen(e.frame.dropping(e.target.map { [$0] } ?? []))
        let out = try fitted.score(scoring)
        findings.expect(out.rowCount == scoring.rowCount, name, e.label, "rows changed")
    }
}
