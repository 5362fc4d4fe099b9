import SluiceFrame
import SluicePipeline

/// The fitted stage keeps rows, produces exactly the schema it declares, reads only
/// columns of its input schema (column order free), and names a missing column.
public struct StageContract: StageVerifier {
    public let name = "contract"
    public init() {}

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        let fitted = try Support.fit(e), out = try fitted.transform(e.frame)
        findings.expect(out.rowCount == e.frame.rowCount, name, e.label, "transform changed the row count")
        findings.expect(out.schema.names == fitted.outputSchema.names
                        && zip(out.schema.fields, fitted.outputSchema.fields).allSatisfy { $0.type == $1.type },
                        name, e.label, "output \(out.schema.names) is not the declared \(fitted.outputSchema.names)")
        let reversed = try e.frame.selecting(e.frame.columnNames.reversed())
        let outReversed = try fitted.transform(reversed)
        for n in out.columnNames {
            findings.expect(outReversed[n] == out[n], name, e.label, "column order at transform changes '\(n)'")
        }
        if let missing = fitted.inputSchema.names.first {
            do {
                _ = try fitted.transform(e.frame.dropping([missing]))
                findings.expect(false, name, e.label, "transform without input column '\(missing)' did not fail")
            } catch let error as PipelineError {
                findings.expect("\(error)".contains(missing), name, e.label, "the error does not name '\(missing)': \(error)")
            }
        }
    }
}
