import Foundation
import SluiceFrame
import SluicePipeline

/// Format stability: a committed artifact still loads and predicts the committed values.
/// `NAME.sluice` and `NAME.expected.json` (predictions as text, probabilities) live in a
/// directory of the caller's; with `regenerate` the pipeline is fitted and both are written.
public enum GoldenArtifact {
    /// What a golden artifact must still predict.
    public struct Expected: Codable, Sendable, Equatable {
        public var predictions: [String]
        public var probabilities: [[Double]]?
    }

    /// The expected values of `pipeline` on `frame`.
    public static func expected(_ pipeline: FittedPipeline, on frame: Frame) throws -> Expected {
        let p = try pipeline.predict(frame)
        let probabilities = p.probabilities.map { m in (0..<m.rows).map { i in (0..<m.columns).map { m[i, $0] } } }
        return Expected(predictions: p.values.values.map(\.description), probabilities: probabilities)
    }

    /// Checks (or, with `regenerate`, writes) the golden artifact `name` in `directory`:
    /// it loads through `codec` and predicts on `frame` what `NAME.expected.json` says
    /// (numeric predictions and probabilities within `tolerance`, relative; labels exactly).
    public static func verify(_ name: String, in directory: URL, frame: Frame, codec: ArtifactCodec,
                              regenerate: Bool, tolerance: Double = 1e-9,
                              fit: () throws -> FittedPipeline) throws -> [ConformanceFailure] {
        let artifact = directory.appendingPathComponent("\(name).sluice")
        let expectedURL = directory.appendingPathComponent("\(name).expected.json")
        if regenerate {
            let fitted = try fit()
            try Artifact.save(fitted, to: artifact, key: nil)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(expected(fitted, on: frame)).write(to: expectedURL)
        }
        var findings = Findings()
        findings.run("golden", name) { findings in
            let loaded = try Artifact.load(from: artifact, codec: codec, key: nil)
            let want = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: expectedURL))
            let got = try expected(loaded, on: frame)
            // Numeric predictions (regression) within `tolerance`: the committed ones may come
            // from another CPU, whose BLAS kernels round differently. Labels exactly.
            let samePredictions = got.predictions.count == want.predictions.count && zip(got.predictions, want.predictions).allSatisfy { a, b in
                if a == b { return true }
                guard let x = Double(a), let y = Double(b) else { return false }
                return abs(x - y) <= tolerance * max(1, abs(y))
            }
            findings.expect(samePredictions, "golden", name, "predictions differ from the committed ones")
            let close = zip(got.probabilities ?? [], want.probabilities ?? []).allSatisfy { a, b in
                a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
            }
            findings.expect(close && (got.probabilities == nil) == (want.probabilities == nil), "golden", name,
                            "probabilities differ from the committed ones")
        }
        return findings.failures
    }
}
