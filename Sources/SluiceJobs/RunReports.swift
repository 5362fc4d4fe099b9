import Foundation
import Logging
import SluiceFrame
import SluicePipeline
import SluicePostgres
import SluiceReport

/// Each run's report, kept next to its ledger row in `sluice.run_reports` (the HTML page and
/// its JSON), so a nightly machine needs no report folder and `sluice history` can point
/// at it: `sluice report --run ID --output run.html` writes it out.
public struct RunReports {
    let connection: PostgresConnection

    public init(_ connection: PostgresConnection) { self.connection = connection }

    /// Stores (or replaces) the report of `run`.
    public func store(_ report: EvaluationReport, run: RunID) throws {
        let json = String(decoding: try report.json(), as: UTF8.self)
        _ = try connection.execute("""
            INSERT INTO sluice.run_reports (run_id, html, json) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (run_id) DO UPDATE SET html = EXCLUDED.html, json = EXCLUDED.json, created_at = clock_timestamp()
            """, [.int64(run), .string(report.html()), .string(json)])
    }

    /// The HTML page and JSON of `run`'s report, or nil when it has none.
    public func load(run: RunID) throws -> (html: String, json: String)? {
        guard let row = try connection.rows("SELECT html, json::text FROM sluice.run_reports WHERE run_id = $1", [.int64(run)]).first,
              let html = row[0], let json = row[1] else { return nil }
        return (html, json)
    }
}

/// What a run gathers for its report as it goes.
struct RunReportParts: Sendable {
    /// The trained model, its hold-out rows and its predictions of them, when the run
    /// trained: evaluated after the run has published, so the report costs the night's
    /// predictions no latency.
    var holdout: (fitted: FittedPipeline, rows: Frame, predictions: Predictions)?
    /// The model that scored, when the run scored.
    var scoring: FittedPipeline?
    var drift: DriftSection?
    var decision = ""
    var metricName: String?
    var trainedValue: Double?
    var previousValue: Double?
    var scoringDigest: String?
}

extension JobRunner {
    /// The hold-out evaluation of a freshly fitted model, from the predictions the key metric
    /// was measured on; permutation importance on at most 2 000 hold-out rows, 3 shuffles.
    func holdoutReport(_ h: (fitted: FittedPipeline, rows: Frame, predictions: Predictions)) throws -> EvaluationReport? {
        guard let target = h.fitted.target else { return nil }
        return try EvaluationReport(pipeline: h.fitted, predictions: h.predictions, truth: try h.rows.column(target.name), data: h.rows,
                                    source: "hold-out (\(Int(job.holdoutFraction * 100))% of the labelled rows)",
                                    options: ReportOptions(permutationRepeats: 3, permutationRows: 2_000, seed: job.seed))
    }

    /// The drift table of `meter`: each profiled column's bins with their training and
    /// tonight's shares.
    static func driftSection(_ meter: DriftMeter, policy: DriftPolicy) -> DriftSection {
        let features = zip(meter.profile.columns, meter.counts).map { column, counts -> DriftFeature in
            let total = Double(max(1, counts.reduce(0, +)))
            var bins: [String]
            if let edges = column.edges {
                bins = edges.isEmpty ? ["all"] : ["< \(formattedEdge(edges[0]))"]
                if edges.count > 1 {
                    bins += (1..<edges.count).map { "\(formattedEdge(edges[$0 - 1])) – \(formattedEdge(edges[$0]))" }
                }
                if !edges.isEmpty { bins.append("≥ \(formattedEdge(edges[edges.count - 1]))") }
            } else {
                bins = (column.categories ?? []) + ["other"]
            }
            bins.append("null")
            return DriftFeature(column: column.name, psi: PopulationStability.index(expected: column.fractions, actualCounts: counts),
                                bins: bins, training: column.fractions, tonight: counts.map { Double($0) / total })
        }
        return DriftSection(threshold: policy.threshold, action: policy.action.rawValue, features: features)
    }

    private static func formattedEdge(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e12 ? String(Int64(v)) : String(format: "%.4g", v)
    }

    /// Builds the run's report and stores it beside its ledger row. A report that fails is
    /// logged, never fails a run that has published.
    func storeReport(_ db: PostgresConnection, _ state: RunState, run: RunID, status: String) {
        do {
            let parts = state.reportParts
            var report: EvaluationReport
            if let h = parts.holdout, let evaluation = try holdoutReport(h) {
                report = evaluation
            } else if let scoring = parts.scoring {
                report = EvaluationReport(pipeline: scoring, scored: nil,
                                          options: ReportOptions(title: "\(job.name): run", artifactDigest: parts.scoringDigest))
            } else {
                return
            }
            report.title = "\(job.name) — \(state.request.logicalDate) (run \(run))"
            report.run = try runSummary(db, state, run: run, status: status)
            try RunReports(db).store(report, run: run)
            state.logger.info("run report stored", metadata: ["run_id": "\(run)", "read_with": "sluice report --run \(run) --output report.html"])
        } catch {
            state.logger.warning("run report not stored", metadata: ["error": "\(error)"])
        }
    }

    private func runSummary(_ db: PostgresConnection, _ state: RunState, run: RunID, status: String) throws -> RunSummary {
        let r = state.result, parts = state.reportParts
        var rows = [NamedCount]()
        if let trained = r.metrics["rows_trained"] { rows.append(NamedCount("rows trained on", Int(trained))) }
        if let holdout = r.metrics["rows_holdout"] { rows.append(NamedCount("hold-out rows", Int(holdout))) }
        rows += [NamedCount("scoring rows read", r.counts.read), NamedCount("rejected", r.counts.rejected),
                 NamedCount("scored", r.counts.scored), NamedCount("written", r.counts.written)]
        let phases = r.metrics.filter { $0.key.hasPrefix("seconds.") }
            .map { NamedValue(String($0.key.dropFirst("seconds.".count)), $0.value) }
            .sorted { (RunPhase.order[$0.name] ?? 99, $0.name) < (RunPhase.order[$1.name] ?? 99, $1.name) }
        let times = try db.rows("SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), mode FROM sluice.runs WHERE run_id = $1",
                                [.int64(run)]).first
        let history = try db.rows("""
            SELECT m.run_id, coalesce(r.logical_date::text, ''), m.version, m.key_value,
                   EXISTS (SELECT 1 FROM sluice.deployments d WHERE d.job = m.job AND d.version = m.version)
            FROM sluice.models m LEFT JOIN sluice.runs r ON r.run_id = m.run_id
            WHERE m.job = $1 AND m.key_value IS NOT NULL ORDER BY m.version DESC LIMIT 60
            """, [.string(job.name)]).reversed().compactMap { row -> MetricPoint? in
            guard let version = row[2].flatMap({ Int($0) }), let value = row[3].flatMap({ Double($0) }) else { return nil }
            return MetricPoint(runID: row[0].flatMap { Int64($0) } ?? 0, logicalDate: row[1] ?? "", version: version, value: value,
                               deployed: row[4] == "t")
        }
        let deployment = DeploymentSection(scoringVersion: r.scoredWith, trainedVersion: r.trainedVersion, deployed: r.deployed,
                                           metric: parts.metricName, trainedValue: parts.trainedValue,
                                           previousValue: parts.previousValue, decision: parts.decision)
        return RunSummary(job: job.name, runID: run, logicalDate: "\(state.request.logicalDate)", mode: times?[1] ?? "",
                          status: status, started: times?[0] ?? "", finished: ISO8601DateFormatter().string(from: Date()),
                          rows: rows, phases: phases, drift: parts.drift, deployment: deployment, history: history)
    }
}

extension RunPhase {
    /// The phases in run order, for the report's timing chart.
    static let order: [String: Int] = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1.rawValue, $0) })
}
