import Foundation
import Testing
import SluiceCSV
import SluiceFrame
import SluiceLearn
import SluicePipeline
import SluiceTestSupport

/// A string column's values as text (a null as "").
private func texts(_ frame: Frame, _ name: String) throws -> [String] {
    let s = try frame.strings(name)
    return s.codes.map { $0 >= 0 && Int($0) < s.dictionary.count ? s.dictionary[Int($0)] : "" }
}

@Suite("sluice score --reasons K writes why each row was scored so", .serialized)
struct ScoreReasonsTests {
    @Test("--reasons 2 adds reason_1, reason_1_value, reason_2, reason_2_value before the constants, as the library does")
    func reasonsToCSV() throws {
        let dir = try Fixtures.temporaryDirectory("score-reasons")
        let (artifact, csv, table) = try churnArtifact(in: dir, rows: 600)
        let out = dir.appendingPathComponent("scores.csv")
        let r = try runSluice(["score", artifact.path, "--input", csv.path, "--output", out.path, "--model-version", "v7",
                               "--reasons", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let scores = try CSVReader().read(path: out.path)
        #expect(scores.columnNames == ["customer_id", "prediction", "probability_0", "probability_1",
                                       "reason_1", "reason_1_value", "reason_2", "reason_2_value", "model_version"])
        let fitted = try Artifact.load(from: artifact)
        let library = try fitted.score(table, output: ScoreOutput(reasons: 2))
        #expect(try texts(scores, "reason_1") == texts(library, "reason_1"))
        let cli = try scores.doubles("reason_1_value"), lib = try library.doubles("reason_1_value")
        #expect(cli.count == lib.count && zip(cli, lib).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
        let inputs = Set(fitted.inputSchema.names)
        #expect(try texts(scores, "reason_2").allSatisfy { inputs.contains($0) })
    }

    @Test("--reasons with a negative count is a usage error (64) and writes nothing")
    func negative() throws {
        let dir = try Fixtures.temporaryDirectory("score-reasons-bad")
        let (artifact, csv, _) = try churnArtifact(in: dir, rows: 300)
        let out = dir.appendingPathComponent("never.csv")
        let r = try runSluice(["score", artifact.path, "--input", csv.path, "--output", out.path, "--reasons", "-1"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
