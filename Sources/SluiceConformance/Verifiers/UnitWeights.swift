import SluiceFrame
import SluicePipeline

/// A weight of 1 on every row fits the same model as no weights (predictions and
/// probabilities agree to `tolerance`, relative).
public struct UnitWeights: LearnerVerifier {
    public let name = "unit weights"
    public let tolerance: Double
    public init(tolerance: Double = 1e-9) { self.tolerance = tolerance }

    public func verify(_ e: LearnerExample, into findings: inout Findings) throws {
        guard e.supportsWeights else { return }
        let plain = try e.fit(e.frame).score(e.frame)
        let weighted = try e.fit(e.frame, sampleWeights: [Double](repeating: 1, count: e.frame.rowCount)).score(e.frame)
        findings.expect(plain.columnNames == weighted.columnNames, name, e.label, "columns differ")
        for (n, (a, b)) in zip(plain.columnNames, zip(plain.columns, weighted.columns)) {
            if case .double(let x) = a.data, case .double(let y) = b.data {
                let close = zip(x, y).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($0)) }
                findings.expect(close, name, e.label, "column '\(n)' differs beyond \(tolerance)")
            } else {
                findings.expect(a == b, name, e.label, "column '\(n)' differs")
            }
        }
    }
}
