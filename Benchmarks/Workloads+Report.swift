import Foundation
import Sluice

/// The evaluation report of a churn model on the 800k labelled rows; no peer (scikit-learn
/// and MLflow draw their charts with matplotlib, not as one page): the figures are the time
/// to build the report, its size and the time a headless Chromium takes to render it.
let reportWorkloads: [Workload] = [
    Workload(name: "report.churn_1m",
             summary: "EvaluationReport (predictions, curves, lift, thresholds, permutation importance on 5k rows, "
                 + "column summaries) of a logistic churn pipeline on the 800k labelled rows, written as HTML; "
                 + "extra: html_mb and render_seconds (chromium-headless-shell --dump-dom, when installed)") {
        [try reportFigure(context: $0)]
    },
]

private func reportFigure(context: BenchContext) throws -> Figure {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let labelled = try raw.droppingNulls(in: ["churned"])
    let pipeline = Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression()) { churnPreparation }
    let fitted = try pipeline.fit(labelled.slice(0..<100_000), seed: 7)
    var html = ""
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        html = try EvaluationReport(pipeline: fitted, data: labelled, source: "labelled churn rows").html()
    }
    let page = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-report-\(getpid()).html")
    try AtomicFile.write(Array(html.utf8), to: page)
    defer { unlink(page.path) }
    var render = Double.nan
    let browser = "/usr/bin/chromium-headless-shell"
    if FileManager.default.isExecutableFile(atPath: browser) {
        for _ in 0..<max(1, context.repeats) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: browser)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.absoluteString]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let start = DispatchTime.now().uptimeNanoseconds
            try process.run()
            process.waitUntilExit()
            render = min(render.isNaN ? .infinity : render, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }
    return Figure(workload: "report.churn_1m", seconds: seconds, rows: labelled.rowCount, peakRSSMB: rss,
                  extra: [("html_mb", Double(html.utf8.count) / 1e6), ("render_seconds", render)])
}
