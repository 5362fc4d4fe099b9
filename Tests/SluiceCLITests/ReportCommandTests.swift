import Foundation
import Testing
import SluiceCSV
import SluiceFrame
import SluicePipeline
import SluiceTestSupport

@Suite("sluice report writes an evaluation report for any saved model", .serialized)
struct ReportCommandTests {
    @Test("HTML and JSON from a CSV with unlabelled rows left out; the numbers are the library's")
    func fromCSV() throws {
        let dir = try Fixtures.temporaryDirectory("report")
        let (artifact, csv, table) = try churnArtifact(in: dir)
        let html = dir.appendingPathComponent("report.html"), json = dir.appendingPathComponent("report.json")
        let r = try runSluice(["report", artifact.path, "--data", csv.path, "--output", html.path, "--json", json.path,
                               "--permutation-repeats", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.hasPrefix("<!doctype html>") && page.contains("data-chart=\"roc\""))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any]
        let evaluation = object?["evaluation"] as? [String: Any]
        let labelled = try table.droppingNulls(in: ["churned"])
        #expect(evaluation?["rows"] as? Int == labelled.rowCount)
        let metrics = evaluation?["metrics"] as? [[String: Any]] ?? []
        let auc = metrics.first { $0["name"] as? String == "ROC-AUC" }?["value"] as? Double
        let fitted = try Artifact.load(from: artifact)
        let expected = try Scoring.rocAUC(positive: "1").score(fitted.predict(labelled), truth: labelled.column("churned"))
        #expect(auc == expected)
        #expect((object?["model"] as? [String: Any])?["artifactDigest"] as? String == (try Artifact.digest(at: artifact)))
    }

    @Test("bad requests: no source, a missing target column, an unknown positive class")
    func refusals() throws {
        let dir = try Fixtures.temporaryDirectory("report-bad")
        let (artifact, csv, table) = try churnArtifact(in: dir, rows: 500)
        let out = dir.appendingPathComponent("never.html")
        #expect(try runSluice(["report", artifact.path, "--output", out.path]).status == 64)
        let unlabelled = dir.appendingPathComponent("unlabelled.csv")
        try AtomicFile.write(CSVWriter().encode(try table.dropping(["churned"])), to: unlabelled)
        let r = try runSluice(["report", artifact.path, "--data", unlabelled.path, "--output", out.path])
        #expect(r.status == 65 && r.stderr.contains("churned"), "\(r.stderr)")
        let p = try runSluice(["report", artifact.path, "--data", csv.path, "--output", out.path, "--positive-class", "maybe"])
        #expect(p.status != 0 && p.stderr.contains("maybe"), "\(p.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing written")
    }
}
