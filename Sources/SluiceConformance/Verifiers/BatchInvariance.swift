import SluiceFrame
import SluicePipeline

/// Transforming (or scoring) the whole frame gives the same rows as transforming it in
/// batches of 1 and of 17 rows and concatenating: no state leaks between rows. Stages must
/// agree bit for bit; learners' `double` outputs within the larger of `tolerance` and the
/// example's ``LearnerExample/outputTolerance`` (relative), because BLAS blocks a 1-row
/// product differently from a 60-row one and rounds differently.
public struct BatchInvariance: StageVerifier, LearnerVerifier {
    public let name = "batches"
    public let sizes: [Int]
    public let tolerance: Double
    public init(sizes: [Int] = [1, 17], tolerance: Double = 1e-12) {
        self.sizes = sizes
        self.tolerance = tolerance
    }

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        let fitted = try Support.fit(e), whole = try fitted.transform(e.frame)
        for size in sizes {
            let parts = try Support.batches(e.frame, of: size).map { try fitted.transform($0) }
            let joined = try Frame.concatenating(parts)
            if let d = Support.difference(whole, joined) { findings.expect(false, name, e.label, "batches of \(size): \(d)") }
        }
    }

    public func verify(_ e: LearnerExample, into findings: inout Findings) throws {
        let fitted = try e.fit(e.frame), whole = try fitted.score(e.frame)
        for size in sizes {
            let parts = try Support.batches(e.frame, of: size).map { try fitted.score($0) }
            let joined = try Frame.concatenating(parts)
            if let d = Support.difference(whole, joined, tolerance: max(tolerance, e.outputTolerance)) {
                findings.expect(false, name, e.label, "batches of \(size): \(d)")
            }
        }
    }
}
