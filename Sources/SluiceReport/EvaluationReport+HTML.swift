import Foundation
import SluiceFrame
import SluicePipeline

extension EvaluationReport {
    /// The report as one self-contained HTML page: inline CSS, inline SVG charts drawn here,
    /// and a few lines of script for the threshold slider; nothing is fetched to view it.
    ///
    /// Inline SVG rather than a charting library: every registry charting package for the
    /// browser would be JavaScript to ship inside each report (hundreds of kilobytes), and a
    /// report's charts are few and fixed. Drawn by Sluice, they render without script too.
    public func html() -> String {
        var page = HTMLPage(title: title)
        page.header(self)
        if let run { page.runSection(run) }
        if let evaluation { page.summarySection(evaluation) }
        if let classification { page.classificationSection(classification, balance: model.trainingBalance) }
        if let regression { page.regressionSection(regression) }
        page.modelSection(model, importances)
        if !data.isEmpty { page.dataSection(data) }
        return page.finish()
    }

    /// Writes ``html()`` to `url` through the atomic writer: the page appears whole or not at
    /// all.
    public func write(html url: URL) throws {
        try AtomicFile.write(Array(html().utf8), to: url)
    }
}

/// The page being written, section by section.
struct HTMLPage {
    private var body = ""
    private var nav: [(String, String)] = []
    private var scripts = ""
    let title: String

    init(title: String) { self.title = title }

    mutating func section(_ id: String, _ heading: String, _ content: String) {
        nav.append((id, heading))
        body += "<section id=\"\(id)\"><h2>\(escaped(heading))</h2>\(content)</section>\n"
    }

    static func figure(_ svg: String, caption: String) -> String {
        "<figure>\(svg)<figcaption>\(escaped(caption))</figcaption></figure>"
    }

    static func table(_ header: [String], _ rows: [[String]], numericFrom: Int = 1) -> String {
        var s = "<table><thead><tr>" + header.map { "<th>\(escaped($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            s += "<tr>" + r.enumerated().map { i, v in i >= numericFrom ? "<td class=\"n\">\(escaped(v))</td>" : "<td>\(escaped(v))</td>" }.joined() + "</tr>"
        }
        return s + "</tbody></table>"
    }

    mutating func header(_ r: EvaluationReport) {
        var facts = ["model <b>\(escaped(r.model.kind))</b>", escaped(r.model.task)]
        if let target = r.model.target { facts.append("target <b>\(escaped(target))</b>") }
        if let e = r.evaluation { facts.append("\(e.rows) rows (\(escaped(e.source)))") }
        facts.append("made \(escaped(r.created))")
        body += "<header><h1>\(escaped(r.title))</h1><p>\(facts.joined(separator: " · "))</p></header>\n"
    }

    mutating func summarySection(_ e: EvaluationSummary) {
        var s = "<div class=\"cards\">" + e.metrics.map {
            "<div class=\"card\"><div class=\"v\">\(escaped(formatted($0.value)))</div><div class=\"k\">\(escaped($0.name))</div></div>"
        }.joined() + "</div>"
        if !e.unknownCategories.isEmpty {
            s += "<h3>Unknown categories at scoring</h3>" + Self.table(["stage.column", "rows"],
                e.unknownCategories.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
        }
        section("summary", "Metrics", s)
    }

    // MARK: Classification

    mutating func classificationSection(_ c: ClassificationEvaluation, balance: ClassBalance?) {
        var s = "<div class=\"grid\">"
        var roc = SVGPlot(name: "roc", x: 0...1, y: 0...1, xLabel: "false positive rate", yLabel: "true positive rate")
        var pr = SVGPlot(name: "precision-recall", x: 0...1, y: 0...1, xLabel: "recall", yLabel: "precision")
        var calibration = SVGPlot(name: "calibration", x: 0...1, y: 0...1, xLabel: "mean predicted probability",
                                  yLabel: "fraction of positives")
        roc.line([0, 1], [0, 1], color: "#999", dashed: true, width: 1)
        calibration.line([0, 1], [0, 1], color: "#999", dashed: true, width: 1)
        for (i, curve) in c.curves.enumerated() {
            let color = palette[i % palette.count]
            roc.line(curve.roc.x, curve.roc.y, color: color, label: "\(curve.className) AUC \(formatted(curve.rocAUC, digits: 3))")
            pr.line(curve.precisionRecall.x, curve.precisionRecall.y, color: color,
                    label: "\(curve.className) AP \(formatted(curve.averagePrecision, digits: 3))")
            calibration.line(curve.calibration.meanPredicted, curve.calibration.fractionPositive, color: color, label: curve.className)
            calibration.points(curve.calibration.meanPredicted, curve.calibration.fractionPositive, color: color, radius: 3, opacity: 1)
        }
        let vs = c.positiveClass == nil ? " (one class against the rest)" : " (class \(c.positiveClass!) positive)"
        s += Self.figure(roc.render(title: "ROC curve"), caption: "ROC curve\(vs)")
        s += Self.figure(pr.render(title: "Precision-recall curve"), caption: "Precision against recall\(vs)")
        s += Self.figure(calibration.render(title: "Reliability diagram"),
                         caption: "Reliability diagram: observed share of positives per bin of predicted probability (10 bins)")
        if let h = c.scoreHistogram {
            let top = Double(max(1, (h.positives + h.negatives).max() ?? 1))
            var plot = SVGPlot(name: "score-histogram", x: 0...1, y: 0...top, xLabel: "predicted probability of \(c.positiveClass ?? "")",
                               yLabel: "rows")
            for b in 0..<h.positives.count {
                plot.rect(x0: h.edges[b], x1: h.edges[b + 1], y0: 0, y1: Double(h.negatives[b]), color: palette[0],
                          title: "\(h.negatives[b]) other rows", opacity: 0.6)
                plot.rect(x0: h.edges[b], x1: h.edges[b + 1], y0: 0, y1: Double(h.positives[b]), color: palette[1],
                          title: "\(h.positives[b]) positive rows", opacity: 0.6)
            }
            plot.legend = [("class \(c.positiveClass ?? "")", palette[1]), ("other classes", palette[0])]
            s += Self.figure(plot.render(title: "Score histogram"), caption: "Predicted probabilities by true class")
        }
        s += "</div>"

        // Confusion matrix and the threshold slider.
        let rowLabels = c.report.classes.map(\.label)
        let columns = Array(rowLabels.prefix(c.confusion.first?.count ?? 0))
        s += "<h3>Confusion matrix</h3><div class=\"grid\">"
        s += Self.figure(matrixChart(name: "confusion", c.confusion, rowLabels: rowLabels, columnLabels: columns,
                                     rowTitle: "true class", columnTitle: "predicted class",
                                     cellIDs: c.threshold == nil ? nil : "cm"),
                         caption: c.threshold.map { "At threshold \(formatted($0)) on the probability of \(c.positiveClass ?? "")" }
                            ?? "At the most probable class")
        if let t = c.threshold, let positive = c.positiveClass, let p = c.classes.firstIndex(of: positive),
           let at = c.thresholds.indices.min(by: { abs(c.thresholds[$0].threshold - t) < abs(c.thresholds[$1].threshold - t) }) {
            let rows = c.thresholds.map { [$0.threshold, Double($0.truePositives), Double($0.falsePositives),
                                           Double($0.trueNegatives), Double($0.falseNegatives), $0.precision, $0.recall, $0.f1] }
            let data = (try? JSONEncoder().encode(rows)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
            let current = c.thresholds[at]
            s += """
                <div class="slider"><label>threshold <input id="threshold" type="range" min="0" max="\(c.thresholds.count - 1)" \
                value="\(at)" data-positive="\(p)"> <output id="threshold-value">\(formatted(current.threshold))</output></label>
                <p>precision <b id="t-precision">\(formatted(current.precision))</b> · recall <b id="t-recall">\(formatted(current.recall))</b> · \
                F1 <b id="t-f1">\(formatted(current.f1))</b></p>
                <p class="note">Moving the slider recounts the matrix at that threshold.</p></div>
                <script type="application/json" id="threshold-data">\(data)</script>
                """
            scripts += Self.sliderScript
        }
        s += "</div>"
        if !c.thresholds.isEmpty {
            let every = c.thresholds.filter { Int(($0.threshold * 100).rounded()) % 5 == 0 }
            s += "<details><summary>Precision, recall and F1 by threshold</summary>" + Self.table(
                ["threshold", "TP", "FP", "TN", "FN", "precision", "recall", "F1"],
                every.map { [formatted($0.threshold), String($0.truePositives), String($0.falsePositives), String($0.trueNegatives),
                             String($0.falseNegatives), formatted($0.precision), formatted($0.recall), formatted($0.f1)] }) + "</details>"
        }

        // Lift and gain.
        if let gain = c.gain, !c.lift.isEmpty {
            s += "<h3>Lift and gain</h3><div class=\"grid\">"
            var g = SVGPlot(name: "gain", x: 0...1, y: 0...1, xLabel: "share of rows targeted (highest scores first)",
                            yLabel: "share of positives found")
            g.line([0, 1], [0, 1], color: "#999", dashed: true, width: 1)
            g.line(gain.x, gain.y, color: palette[0], label: "model")
            s += Self.figure(g.render(title: "Cumulative gain"), caption: "Cumulative gain: the top decile finds \(formatted(100 * c.lift[0].cumulativeGain, digits: 3))% of the positives")
            let top = max(1.0, c.lift.map(\.lift).filter(\.isFinite).max() ?? 1)
            var l = SVGPlot(name: "lift", x: -0.5...Double(c.lift.count) - 0.5, y: 0...top * 1.1, xLabel: "decile", yLabel: "lift")
            l.xCategories = (1...c.lift.count).map(String.init)
            for (i, row) in c.lift.enumerated() {
                l.rect(x0: Double(i) - 0.4, x1: Double(i) + 0.4, y0: 0, y1: row.lift.isFinite ? row.lift : 0, color: palette[2],
                       title: "decile \(i + 1): lift \(formatted(row.lift)), \(Int(row.positives)) of \(row.rows) rows positive")
            }
            l.line([-0.5, Double(c.lift.count) - 0.5], [1, 1], color: "#999", dashed: true, width: 1)
            s += Self.figure(l.render(title: "Lift by decile"), caption: "Positive rate of each decile over the overall rate")
            s += "</div>" + Self.table(["decile", "rows", "positives", "lift", "cumulative gain"], c.lift.enumerated().map {
                [String($0.offset + 1), String($0.element.rows), String(Int($0.element.positives)), formatted($0.element.lift),
                 formatted($0.element.cumulativeGain)]
            })
        }

        // Class balance.
        if let balance {
            let top = Double(max(1, (balance.before + balance.after).max() ?? 1))
            var b = SVGPlot(name: "class-balance", x: -0.5...Double(balance.classes.count) - 0.5, y: 0...top * 1.1,
                            xLabel: "class", yLabel: "training rows")
            b.xCategories = balance.classes
            for i in balance.classes.indices {
                b.rect(x0: Double(i) - 0.4, x1: Double(i), y0: 0, y1: Double(balance.before[i]), color: palette[0],
                       title: "\(balance.classes[i]): \(balance.before[i]) rows before sampling")
                b.rect(x0: Double(i), x1: Double(i) + 0.4, y0: 0, y1: Double(balance.after[i]), color: palette[1],
                       title: "\(balance.classes[i]): \(balance.after[i]) rows after sampling")
            }
            b.legend = [("before sampling", palette[0]), ("after sampling", palette[1])]
            s += "<h3>Class balance in training</h3>" + Self.figure(b.render(title: "Class balance"),
                caption: balance.before == balance.after ? "No sampler changed the rows" : "Rows per class before and after the pipeline's samplers")
        }

        s += "<h3>Per class</h3>" + Self.table(["class", "precision", "recall", "F1", "support"], c.report.classes.map {
            [$0.label, formatted($0.precision), formatted($0.recall), formatted($0.f1), formatted($0.support)]
        })
        section("classification", "Classification", s)
    }

    // MARK: Regression

    mutating func regressionSection(_ r: RegressionEvaluation) {
        var s = "<div class=\"grid\">"
        var pva = Self.scatterPlot("predicted-vs-actual", r.predictedVsActual, xLabel: "predicted", yLabel: "actual")
        let lo = max(r.predictedVsActual.xRange.lowerBound, r.predictedVsActual.yRange.lowerBound)
        let hi = min(r.predictedVsActual.xRange.upperBound, r.predictedVsActual.yRange.upperBound)
        pva.line([lo, hi], [lo, hi], color: "#999", dashed: true, width: 1)
        let binned = r.predictedVsActual.grid != nil ? " (binned: darker cells hold more rows)" : ""
        s += Self.figure(pva.render(title: "Predicted against actual"), caption: "Predicted against actual\(binned)")
        var rvp = Self.scatterPlot("residuals-vs-predicted", r.residualsVsPredicted, xLabel: "predicted", yLabel: "residual (actual − predicted)")
        rvp.line([r.residualsVsPredicted.xRange.lowerBound, r.residualsVsPredicted.xRange.upperBound], [0, 0], color: "#999",
                 dashed: true, width: 1)
        s += Self.figure(rvp.render(title: "Residuals against predicted"), caption: "Residuals against predicted\(binned)")
        let h = r.residualHistogram
        // A decoded report may hold any edges: draw only a well-formed histogram.
        if let first = h.edges.first, let last = h.edges.last, first <= last, h.edges.count == h.counts.count + 1 {
            var hist = SVGPlot(name: "residual-histogram", x: first...last, y: 0...Double(max(1, h.counts.max() ?? 1)),
                               xLabel: "residual", yLabel: "rows")
            for b in h.counts.indices {
                hist.rect(x0: h.edges[b], x1: h.edges[b + 1], y0: 0, y1: Double(h.counts[b]), color: palette[0],
                          title: "\(formatted(h.edges[b]))…\(formatted(h.edges[b + 1])): \(h.counts[b]) rows")
            }
            s += Self.figure(hist.render(title: "Residual histogram"), caption: "Residuals (the tails beyond the 0.5th and 99.5th percentiles in the end bins)")
        }
        section("regression", "Regression", s + "</div>")
    }

    static func scatterPlot(_ name: String, _ sc: Scatter, xLabel: String, yLabel: String) -> SVGPlot {
        var plot = SVGPlot(name: name, x: sc.xRange, y: sc.yRange, xLabel: xLabel, yLabel: yLabel)
        if let p = sc.points {
            plot.points(p.x, p.y, color: palette[0], radius: p.x.count > 2000 ? 1.5 : 2.5, opacity: p.x.count > 2000 ? 0.3 : 0.6)
        } else if let g = sc.grid {
            let maximum = Double(g.counts.flatMap { $0 }.max() ?? 1)
            let wx = (sc.xRange.upperBound - sc.xRange.lowerBound) / Double(g.columns)
            let wy = (sc.yRange.upperBound - sc.yRange.lowerBound) / Double(g.rows)
            for j in 0..<g.rows {
                for i in 0..<g.columns where g.counts[j][i] > 0 {
                    // Log shading: one row shows, the densest cell is darkest.
                    let shade = log1p(Double(g.counts[j][i])) / log1p(maximum)
                    plot.rect(x0: sc.xRange.lowerBound + Double(i) * wx, x1: sc.xRange.lowerBound + Double(i + 1) * wx,
                              y0: sc.yRange.lowerBound + Double(j) * wy, y1: sc.yRange.lowerBound + Double(j + 1) * wy,
                              color: palette[0], opacity: 0.08 + 0.92 * shade)
                }
            }
        }
        return plot
    }

    // MARK: Model

    mutating func modelSection(_ m: ModelSummary, _ i: ImportanceSummary) {
        var s = ""
        var charts = ""
        if let byInput = i.modelByInput {
            charts += Self.figure(barChart(name: "model-importance", byInput.map { ($0.name, $0.value) }, valueLabel: "importance"),
                                  caption: "The model's own importances, summed per input column")
        }
        if let p = i.permutation {
            charts += Self.figure(barChart(name: "permutation-importance", p.entries.map { ($0.column, $0.mean) },
                                           valueLabel: "decrease in \(p.scoring)", color: palette[2],
                                           errors: p.entries.map(\.standardDeviation)),
                                  caption: "Permutation importance on \(p.rows) held-out rows: the drop in \(p.scoring) (baseline \(formatted(p.baseline))) when a column is shuffled; bars ± one standard deviation")
        }
        if !charts.isEmpty { s += "<h3>What the model relies on</h3><div class=\"grid\">\(charts)</div>" }
        if let features = i.model, features.count != i.modelByInput?.count {
            s += "<details><summary>Importances of the \(features.count) features the model sees</summary>"
                + barChart(name: "feature-importance", features.map { ($0.name, $0.value) }, valueLabel: "importance", limit: 40)
                + "</details>"
        }
        if let table = i.coefficients {
            let header = ["feature"] + table.outputs.map { "coefficient (\($0))" }
            var rows = m.featureNames.enumerated().map { j, name in
                [name] + table.coefficients.map { j < $0.count ? formatted($0[j]) : "" }
            }
            rows.append(["(intercept)"] + table.intercepts.map { formatted($0) })
            s += "<h3>Coefficients</h3>" + barChart(name: "coefficients",
                m.featureNames.enumerated().map { j, name in
                    (name, table.coefficients.first.map { row in j < row.count ? row[j] : 0 } ?? 0)
                },
                valueLabel: "coefficient (\(table.outputs.first ?? ""))", color: palette[5])
                + "<details><summary>Every coefficient</summary>" + Self.table(header, rows) + "</details>"
        }
        if !m.curves.isEmpty {
            let values = m.curves.flatMap(\.values).filter(\.isFinite)
            let steps = m.curves.map(\.values.count).max() ?? 1
            var plot = SVGPlot(name: "training-curves", x: 0...Double(max(1, steps - 1)), y: (values.min() ?? 0)...(values.max() ?? 1),
                               xLabel: m.curves[0].step, yLabel: "value")
            for (k, curve) in m.curves.enumerated() {
                plot.line(curve.values.indices.map(Double.init), curve.values, color: palette[k % palette.count], label: curve.name)
            }
            s += "<h3>Training</h3>" + Self.figure(plot.render(title: "Training curves"), caption: "Loss per \(m.curves[0].step)")
        }
        var lineage: [[String]] = [["kind", m.kind], ["task", m.task], ["seed", String(m.seed)],
                                   ["training data fingerprint", m.dataFingerprint]]
        if let d = m.artifactDigest { lineage.append(["artifact digest", d]) }
        if let target = m.target { lineage.append(["target", target]) }
        if let classes = m.classes { lineage.append(["classes", classes.joined(separator: ", ")]) }
        if !m.keys.isEmpty { lineage.append(["keys", m.keys.joined(separator: ", ")]) }
        lineage.append(["input columns", m.inputColumns.joined(separator: ", ")])
        lineage.append(["features", "\(m.featureNames.count)"])
        s += "<h3>Lineage</h3>" + Self.table(["", ""], lineage, numericFrom: 2)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let hyper = (try? encoder.encode(m.hyperparameters)).flatMap { String(data: $0, encoding: .utf8) } ?? "null"
        s += "<details><summary>Hyperparameters</summary><pre>\(escaped(hyper))</pre></details>"
        section("model", "Model", s)
    }

    // MARK: Data

    mutating func dataSection(_ columns: [ColumnReport]) {
        var rows = ""
        for c in columns {
            let s = c.summary
            var spark = ""
            if let h = c.histogram {
                spark = Self.sparkBars(name: "column-\(s.name)", h.counts.map(Double.init))
            } else if let top = c.top {
                spark = Self.sparkBars(name: "column-\(s.name)", top.map { Double($0.count) } + ((c.other ?? 0) > 0 ? [Double(c.other!)] : []))
            }
            let detail: String
            if let top = c.top {
                detail = top.prefix(5).map { "\(escaped($0.value)) (\($0.count))" }.joined(separator: ", ") + ((c.other ?? 0) > 0 ? ", … (\(c.other!) other)" : "")
            } else {
                detail = [s.min.map { "min \(formatted($0))" }, s.median.map { "median \(formatted($0))" }, s.max.map { "max \(formatted($0))" },
                          s.mean.map { "mean \(formatted($0))" }].compactMap { $0 }.joined(separator: " · ")
            }
            rows += "<tr><td>\(escaped(s.name))</td><td>\(s.type.rawValue)</td><td class=\"n\">\(s.count + s.nullCount)</td><td class=\"n\">\(s.nullCount)</td><td class=\"n\">\(c.distinct)</td><td>\(spark)</td><td>\(detail)</td></tr>"
        }
        section("data", "Data", "<table><thead><tr><th>column</th><th>type</th><th>rows</th><th>nulls</th><th>distinct</th><th>distribution</th><th></th></tr></thead><tbody>\(rows)</tbody></table>")
    }

    /// A small bar chart without axes (a column's distribution in a table cell).
    static func sparkBars(name: String, _ values: [Double]) -> String {
        let w = 160.0, h = 28.0, maximum = max(1, values.max() ?? 1), bar = w / Double(max(1, values.count))
        var s = "<svg class=\"chart spark\" data-chart=\"\(escaped(name))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        for (i, v) in values.enumerated() {
            let height = max(v > 0 ? 1 : 0, v / maximum * (h - 2))
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>",
                        Double(i) * bar, h - height, max(0.5, bar - 1), height, palette[0])
        }
        return s + "</svg>"
    }

    // MARK: Run

    mutating func runSection(_ r: RunSummary) {
        var s = "<div class=\"cards\">"
        s += "<div class=\"card\"><div class=\"v\">\(escaped(r.status))</div><div class=\"k\">run \(r.runID) · \(escaped(r.logicalDate)) · \(escaped(r.mode))</div></div>"
        for n in r.rows { s += "<div class=\"card\"><div class=\"v\">\(n.count)</div><div class=\"k\">\(escaped(n.name))</div></div>" }
        s += "</div><p>started \(escaped(r.started))\(r.finished.map { ", finished \(escaped($0))" } ?? "")</p>"
        let d = r.deployment
        s += "<h3>Model</h3><p>\(escaped(d.decision))</p>"
        if !r.phases.isEmpty {
            s += Self.figure(barChart(name: "phases", r.phases.map { ($0.name, $0.value) }, valueLabel: "seconds", limit: 30, color: palette[5]),
                             caption: "Time per phase: \(formatted(r.phases.reduce(0) { $0 + $1.value })) s in all")
        }
        if let drift = r.drift {
            s += "<h3>Drift</h3><p>Population stability index per feature between the training rows and tonight's; above \(formatted(drift.threshold)) a feature counts as drifted (policy: \(escaped(drift.action))).</p>"
            s += barChart(name: "drift", drift.features.map { ($0.column, $0.psi) }, valueLabel: "PSI", limit: 40, color: palette[3])
            s += "<table><thead><tr><th>feature</th><th>PSI</th><th></th><th>training vs tonight</th></tr></thead><tbody>"
            for f in drift.features.sorted(by: { $0.psi > $1.psi }) {
                let flag = f.psi > drift.threshold ? "<b class=\"bad\">drifted</b>" : "ok"
                s += "<tr><td>\(escaped(f.column))</td><td class=\"n\">\(formatted(f.psi))</td><td>\(flag)</td><td>\(Self.pairedBars(name: "drift-\(f.column)", f))</td></tr>"
            }
            s += "</tbody></table>"
        }
        if r.history.count > 0, let metric = d.metric {
            let values = r.history.map(\.value)
            var plot = SVGPlot(name: "metric-history", x: 0...Double(max(1, r.history.count - 1)),
                               y: (values.min() ?? 0)...(values.max() ?? 1), xLabel: "training", yLabel: metric)
            plot.xCategories = r.history.map { "v\($0.version)" }
            plot.line(values.indices.map(Double.init), values, color: palette[0], label: metric)
            plot.points(values.indices.map(Double.init), values, color: palette[0], radius: 3, opacity: 1)
            for (i, p) in r.history.enumerated() where p.deployed {
                plot.points([Double(i)], [p.value], color: palette[3], radius: 5, opacity: 1)
            }
            s += "<h3>Key metric across trainings</h3>" + Self.figure(plot.render(title: "Key metric history"),
                caption: "\(metric) of each trained version on its hold-out (deployed versions in red)")
        }
        section("run", "Nightly run", s)
    }

    /// Training (blue) and tonight (orange) shares per bin, side by side.
    static func pairedBars(name: String, _ f: DriftFeature) -> String {
        let w = 240.0, h = 40.0, maximum = max(1e-9, (f.training + f.tonight).max() ?? 1)
        let group = w / Double(max(1, f.bins.count))
        var s = "<svg class=\"chart spark\" data-chart=\"\(escaped(name))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        for i in f.bins.indices {
            for (k, share) in [f.training[i], f.tonight[i]].enumerated() {
                let height = max(share > 0 ? 1 : 0, share / maximum * (h - 2))
                s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@</title></rect>",
                            Double(i) * group + Double(k) * group / 2, h - height, max(0.5, group / 2 - 1), height,
                            palette[k], escaped("\(f.bins[i]): \(k == 0 ? "training" : "tonight") \(formatted(100 * share, digits: 3))%"))
            }
        }
        return s + "</svg>"
    }

    // MARK: Page

    static let sliderScript = """
        (function () {
          var input = document.getElementById('threshold');
          if (!input) return;
          var rows = JSON.parse(document.getElementById('threshold-data').textContent);
          var p = +input.dataset.positive, q = 1 - p;
          function fmt(v) { return (Math.round(v * 10000) / 10000).toString(); }
          function set(id, v) { var e = document.getElementById(id); if (e) e.textContent = v; }
          function update() {
            var r = rows[+input.value];
            set('threshold-value', fmt(r[0]));
            set('cm-' + p + '-' + p, r[1]); set('cm-' + q + '-' + p, r[2]);
            set('cm-' + q + '-' + q, r[3]); set('cm-' + p + '-' + q, r[4]);
            set('t-precision', fmt(r[5])); set('t-recall', fmt(r[6])); set('t-f1', fmt(r[7]));
          }
          input.addEventListener('input', update);
        })();
        """

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:0 auto;max-width:1180px;padding:0 20px 40px}
        header{border-bottom:2px solid #0072B2;margin-bottom:10px}h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
        h3{font-size:15px;margin:18px 0 6px}nav a{margin-right:14px;color:#0072B2;text-decoration:none}
        .grid{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}figure{margin:0}figcaption{font-size:12px;color:#555;max-width:440px}
        table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border-bottom:1px solid #e6e6e6;padding:3px 8px;text-align:left;vertical-align:middle}
        td.n{text-align:right;font-variant-numeric:tabular-nums}.cards{display:flex;flex-wrap:wrap;gap:10px}
        .card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:110px}.card .v{font-size:20px;font-weight:600}.card .k{font-size:12px;color:#555}
        .slider{padding:10px 0}.note{font-size:12px;color:#666}.bad{color:#D55E00}pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:360px}
        details{margin:8px 0}summary{cursor:pointer;color:#0072B2}
        """

    func finish() -> String {
        let links = nav.map { "<a href=\"#\($0.0)\">\(escaped($0.1))</a>" }.joined()
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escaped(title))</title><style>\(Self.style)</style></head>
            <body><nav>\(links)</nav>
            \(body)<script>\(scripts)</script></body></html>

            """
    }
}
