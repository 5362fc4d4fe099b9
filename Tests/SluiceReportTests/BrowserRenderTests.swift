import Foundation
import Testing
import SluiceCSV
import SluiceDatasets
import SluiceFrame
import SluiceLearn
import SluicePipeline
import SluiceReport
import SluiceTestSupport

/// The demo's churn pipeline (imputation, scaling, one-hot encoding, SMOTE, logistic
/// regression) on generated churn rows, and its report on a held-out quarter.
func churnReport(rows: Int) throws -> EvaluationReport {
    let dir = try Fixtures.temporaryDirectory("churn-report")
    let csv = dir.appendingPathComponent("churn.csv").path
    try ChurnGenerator(rows: rows, seed: 5).writeCSV(toPath: csv)
    let labelled = try CSVReader().read(path: csv).droppingNulls(in: ["churned"])
    let (train, test) = try split(labelled)
    let pipeline = Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression()) {
        ColumnTransformer(
            remainder: .drop,
            .init(.numeric, SimpleImputer(strategy: .median, addIndicator: true), StandardScaler()),
            .init(.categorical, SimpleImputer(strategy: .mostFrequent), OneHotEncoder())
        )
        SMOTE()
    }
    let fitted = try pipeline.fit(train, seed: 7)
    return try EvaluationReport(pipeline: fitted, data: test, source: "held-out churn rows",
                                options: ReportOptions(permutationRepeats: 3, permutationRows: 2_000))
}

/// What a headless Chromium saw of a page.
struct BrowserCheck {
    /// Each chart's name with the size of the element and of what is drawn inside it.
    var charts: [(name: String, width: Double, height: Double, drawnWidth: Double, drawnHeight: Double)]
    /// Console messages (errors, warnings, logs) the page produced.
    var console: [String]
}

/// Opens `page` in Debian's `chromium-headless-shell` with every host unresolvable (no
/// network), after appending a probe script to a copy of it that records every
/// `svg.chart`'s size and its content's bounding box; saves a screenshot to `screenshot`.
func openInBrowser(_ page: URL, screenshot: URL) throws -> BrowserCheck {
    let probe = page.deletingPathExtension().appendingPathExtension("probe.html")
    var html = try String(contentsOf: page, encoding: .utf8)
    let script = """
        <script>window.addEventListener('load', function () {
          var out = [];
          document.querySelectorAll('svg.chart').forEach(function (s) {
            var r = s.getBoundingClientRect(), b = s.getBBox();
            out.push([encodeURIComponent(s.dataset.chart), r.width, r.height, b.width, b.height].join(':'));
          });
          document.body.setAttribute('data-probe', out.join(';'));
        });</script>
        """
    html = html.replacingOccurrences(of: "</body>", with: script + "</body>")
    try Data(html.utf8).write(to: probe)
    let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,6000"]
    let (dom, log) = try runBrowser(flags + ["--enable-logging=stderr", "--v=0", "--dump-dom", probe.absoluteString])
    _ = try runBrowser(flags + ["--screenshot=\(screenshot.path)", page.absoluteString])
    guard let start = dom.range(of: "data-probe=\"") else { return BrowserCheck(charts: [], console: ["no probe result"]) }
    let value = dom[start.upperBound...].prefix { $0 != "\"" }
    let charts = value.split(separator: ";").compactMap { entry -> (String, Double, Double, Double, Double)? in
        let f = entry.split(separator: ":", omittingEmptySubsequences: false)
        guard f.count == 5 else { return nil }
        return (String(f[0]).removingPercentEncoding ?? String(f[0]), Double(f[1]) ?? 0, Double(f[2]) ?? 0, Double(f[3]) ?? 0, Double(f[4]) ?? 0)
    }
    let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
    return BrowserCheck(charts: charts.map { (name: $0.0, width: $0.1, height: $0.2, drawnWidth: $0.3, drawnHeight: $0.4) },
                        console: console)
}

/// Runs the browser with `arguments`, killed after two minutes; its stdout and stderr.
func runBrowser(_ arguments: [String]) throws -> (String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium-headless-shell")
    process.arguments = arguments
    let dir = try Fixtures.temporaryDirectory("browser")
    let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    try process.run()
    let deadline = Date().addingTimeInterval(120)
    while process.isRunning && Date() < deadline { usleep(50_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
}

@Suite("Reports render in a real browser")
struct BrowserRenderTests {
    @Test("the churn report opens offline in headless Chromium: every chart drawn, no console message, a screenshot")
    func churn() throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium-headless-shell"),
                "scripts/setup installs chromium-headless-shell")
        let report = try churnReport(rows: 20_000)
        let out = Fixtures.repositoryRoot.appendingPathComponent(".build/reports")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let page = out.appendingPathComponent("churn-report.html")
        try report.write(html: page)
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"), "nothing to fetch")
        let expected = charts(in: html)
        let seen = try openInBrowser(page, screenshot: out.appendingPathComponent("churn-report.png"))
        #expect(seen.console.isEmpty, "console: \(seen.console)")
        #expect(Set(seen.charts.map(\.name)) == expected, "rendered \(seen.charts.count) of \(expected.count) charts")
        for c in seen.charts {
            #expect(c.width > 0 && c.height > 0 && c.drawnWidth > 0 && c.drawnHeight > 0, "chart \(c.name) is empty")
        }
        for chart in ["roc", "precision-recall", "calibration", "confusion", "gain", "lift", "class-balance", "permutation-importance"] {
            #expect(expected.contains(chart), "chart \(chart)")
        }
        let size = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("churn-report.png").path)[.size] as? Int
        #expect((size ?? 0) > 10_000, "a screenshot with something in it")
    }
}
