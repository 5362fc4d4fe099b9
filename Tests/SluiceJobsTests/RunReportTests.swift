import Foundation
import Testing
import SluiceJobs
import SluicePipeline
import SluicePostgres
import SluiceReport

@Suite("nightly run reports, stored beside the ledger row (issue 14)", .serialized)
struct RunReportTests {
    func stored(_ run: RunID?) async throws -> (html: String, report: EvaluationReport)? {
        let c = try await JobsDatabase.connect()
        defer { c.close() }
        guard let run, let s = try RunReports(c).load(run: run) else { return nil }
        return (s.html, try JSONDecoder().decode(EvaluationReport.self, from: Data(s.json.utf8)))
    }

    @Test("a training night's report: hold-out evaluation, rows, phase times, drift, the deployment and the metric history")
    func trainingNight() async throws {
        let (train, score) = try await customerTables("report")
        let job = customerJob(uniqueJob("report"), train: train, score: score)
        let first = try await runner(job).run(RunRequest(logicalDate: night))
        let (html, report) = try #require(try await stored(first.runID))
        let run = try #require(report.run)
        #expect(run.status == "succeeded" && run.runID == first.runID && run.logicalDate == "\(night)")
        #expect(run.rows.first { $0.name == "written" }?.count == 200)
        #expect(run.phases.map(\.name).starts(with: ["prepare", "read-training", "fit"]))
        #expect(run.phases.contains { $0.name == "commit" })
        #expect(run.deployment.trainedVersion == 1 && run.deployment.deployed && run.deployment.scoringVersion == 1)
        #expect(run.history.count == 1 && run.history[0].version == 1 && run.history[0].deployed)
        #expect(run.drift?.features.count == report.model.inputColumns.count)
        let holdout = try #require(report.evaluation)
        #expect(holdout.metrics.first { $0.name == "ROC-AUC" }?.value == first.metrics["holdout.ROC-AUC"])
        for chart in ["phases", "drift", "metric-history", "roc", "confusion"] {
            #expect(charts(html).contains(chart), "chart \(chart)")
        }
        // A second training: the history has both versions, oldest first.
        let second = try await runner(job).run(RunRequest(logicalDate: night.adding(days: 1)))
        let later = try #require(try await stored(second.runID)).report
        #expect(later.run?.history.map(\.version) == [1, 2])
    }

    @Test("a score-only night's report has no evaluation but the model, drift and counts; a failed run keeps its report")
    func scoreOnlyAndFailed() async throws {
        let (train, score) = try await customerTables("report_s")
        let job = customerJob(uniqueJob("report_s"), train: train, score: score)
        _ = try await runner(job).run(RunRequest(logicalDate: night))
        let scored = try await runner(job).run(RunRequest(logicalDate: night.adding(days: 1), mode: .score))
        let report = try #require(try await stored(scored.runID)).report
        #expect(report.evaluation == nil && report.classification == nil)
        #expect(report.run?.deployment.trainedVersion == nil && report.run?.deployment.scoringVersion == 1)
        #expect(report.run?.drift != nil && report.model.kind == "logistic_regression")

        let (_, shifted) = try await customerTables("report_d", shift: 3)
        var drifting = job
        drifting.scoringSource = .table(shifted)
        var failedRun: RunID?
        do {
            _ = try await runner(drifting).run(RunRequest(logicalDate: night.adding(days: 2), mode: .score))
            Issue.record("published drifted rows")
        } catch {
            failedRun = try await JobsDatabase.scalar("SELECT max(run_id) FROM sluice.runs WHERE job = $1", [.string(job.name)]).flatMap { Int64($0) }
        }
        let failed = try #require(try await stored(failedRun)).report
        #expect(failed.run?.status == "failed")
        let drift = try #require(failed.run?.drift)
        #expect(drift.features.contains { $0.column == "x1" && $0.psi > drift.threshold })
    }
}

private func charts(_ html: String) -> Set<String> {
    var names = Set<String>(), rest = html[...]
    while let r = rest.range(of: "data-chart=\"") {
        rest = rest[r.upperBound...]
        if let end = rest.firstIndex(of: "\"") { names.insert(String(rest[..<end])) }
    }
    return names
}
