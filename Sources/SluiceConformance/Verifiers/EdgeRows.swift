import SluiceFrame
import SluicePipeline

/// 0- and 1-row frames: fitting either works or refuses with a typed error that says its
/// exit class (never a trap);
/// a fitted stage transforms 0 and 1 rows into its declared columns.
public struct EdgeRows: StageVerifier, LearnerVerifier {
    public let name = "0 and 1 rows"
    public init() {}

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        for rows in [0, 1] {
            do {
                let small = try Support.fit(e, e.frame.head(rows))
                let out = try small.transform(e.frame.head(rows))
                findings.expect(out.rowCount == rows, name, e.label, "fitted on \(rows) rows, transform changed the row count")
            } catch is any ExitClassified {
            } catch is FrameError {
            } catch {
                findings.expect(false, name, e.label, "fit on \(rows) rows threw an unclassified error: \(error)")
            }
        }
        let fitted = try Support.fit(e)
        for rows in [0, 1] {
            let out = try fitted.transform(e.frame.head(rows))
            findings.expect(out.rowCount == rows, name, e.label, "transform of \(rows) rows gave \(out.rowCount)")
            findings.expect(out.columnNames == fitted.outputSchema.names, name, e.label,
                            "transform of \(rows) rows gave columns \(out.columnNames)")
        }
    }

    public func verify(_ e: LearnerExample, into findings: inout Findings) throws {
        for rows in [0, 1] {
            do { _ = try e.fit(e.frame.head(rows)) } catch is any ExitClassified {
            } catch {
                findings.expect(false, name, e.label, "fit on \(rows) rows threw an unclassified error: \(error)")
            }
        }
        let fitted = try e.fit(e.frame)
        for rows in [0, 1] {
            let out = try fitted.score(e.frame.head(rows))
            findings.expect(out.rowCount == rows, name, e.label, "scoring \(rows) rows gave \(out.rowCount)")
        }
    }
}
