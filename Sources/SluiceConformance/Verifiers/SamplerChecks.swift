import SluiceFrame
import SluicePipeline

/// Samplers: deterministic under a seed; the schema unchanged; the target as long as the
/// rows; every output row equal to an input row carries that row's target (kept rows stay
/// aligned; synthetic rows take a class of the input).
public struct SamplerContract: SamplerVerifier {
    public let name = "sampler"
    public init() {}

    public func verify(_ e: SamplerExample, into findings: inout Findings) throws {
        func run() throws -> (Frame, Column) {
            var context = FitContext(seed: 11, target: e.target)
            return try e.sampler.resample(e.frame, target: e.target, context: &context)
        }
        let (rows, target) = try run(), (again, againTarget) = try run()
        findings.expect(BufferFingerprint.of(rows) == BufferFingerprint.of(again) && target == againTarget,
                        name, e.label, "two runs under one seed differ")
        findings.expect(rows.schema.names == e.frame.schema.names
                        && zip(rows.schema.fields, e.frame.schema.fields).allSatisfy { $0.type == $1.type },
                        name, e.label, "the schema changed")
        findings.expect(target.count == rows.rowCount, name, e.label, "\(target.count) targets for \(rows.rowCount) rows")
        var targetsOfRow = [String: Set<String>]()
        for i in 0..<e.frame.rowCount { targetsOfRow[Self.key(e.frame, i), default: []].insert("\(e.target[i])") }
        let classes = Set((0..<e.target.count).map { "\(e.target[$0])" })
        for i in 0..<min(rows.rowCount, target.count) {
            let label = "\(target[i])"
            if let known = targetsOfRow[Self.key(rows, i)] {
                findings.expect(known.contains(label), name, e.label, "row \(i) equals an input row but carries target \(label)")
            } else {
                findings.expect(classes.contains(label), name, e.label, "synthetic row \(i) carries an unknown class \(label)")
            }
        }
    }

    static func key(_ frame: Frame, _ row: Int) -> String {
        frame.columns.map { "\($0[row])" }.joined(separator: "\u{1F}")
    }
}

/// A pipeline with the sampler fits, and its fitted form holds no sampler: scoring keeps
/// every row (rows only change on the fit path).
public struct SamplerFitPathOnly<L: Learner>: SamplerVerifier {
    public let name = "fit path only"
    public let learner: L
    public init(learner: L) { self.learner = learner }

    public func verify(_ e: SamplerExample, into findings: inout Findings) throws {
        let frame = try Support.withTarget(e.frame, e.target, name: "conformance_target")
        let pipeline = Pipeline(target: "conformance_target", estimator: learner) {
            [PipelineStep.sampler(e.sampler)]
            ColumnTransformer(remainder: .drop, .init(.numeric, SimpleImputer(strategy: .mean)))
        }
        let fitted = try pipeline.fit(frame, seed: 5)
        let scored = try fitted.score(frame)
        findings.expect(scored.rowCount == frame.rowCount, name, e.label, "scoring gave \(scored.rowCount) rows for \(frame.rowCount)")
    }
}
