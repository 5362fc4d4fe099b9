import Foundation

/// Text made safe inside XML and HTML (element content and quoted attributes).
func escaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// A number for a label: up to four significant digits, no exponent for everyday sizes.
func formatted(_ v: Double, digits: Int = 4) -> String {
    guard v.isFinite else { return v.isNaN ? "–" : (v > 0 ? "∞" : "−∞") }
    if v == v.rounded() && abs(v) < 1e9 { return String(Int64(v)) }
    let magnitude = abs(v)
    if magnitude >= 1e-3 && magnitude < 1e9 {
        let decimals = max(0, digits - 1 - Int(log10(magnitude).rounded(.down)))
        var s = String(format: "%.\(min(decimals, 8))f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
    return String(format: "%.\(digits - 1)e", v)
}

/// A coordinate in SVG: two decimals are a hundredth of a pixel.
private func c(_ v: Double) -> String { String(format: "%.2f", v) }

/// The series colours, colour-blind safe (Okabe–Ito), in order.
let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

/// One chart drawn in SVG: a plotting area with axes, grid lines and ticks at round numbers,
/// and marks (lines, bars, points, cells) placed in data coordinates. Every chart carries
/// `class="chart"` and its `data-chart` name.
struct SVGPlot {
    var name: String
    var width: Double = 440
    var height: Double = 300
    var x: ClosedRange<Double>
    var y: ClosedRange<Double>
    var xLabel: String
    var yLabel: String
    /// Category labels under the x axis instead of numeric ticks (bar charts), at 0, 1, ….
    var xCategories: [String]? = nil
    var marks: [String] = []
    var legend: [(String, String)] = []
    let left = 56.0, right = 14.0, top = 14.0, bottom = 44.0

    init(name: String, x: ClosedRange<Double>, y: ClosedRange<Double>, xLabel: String, yLabel: String,
         width: Double = 440, height: Double = 300) {
        self.name = name
        self.x = x.lowerBound < x.upperBound ? x : (x.lowerBound - 0.5)...(x.upperBound + 0.5)
        self.y = y.lowerBound < y.upperBound ? y : (y.lowerBound - 0.5)...(y.upperBound + 0.5)
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
    }

    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }

    func px(_ v: Double) -> Double { left + (v - x.lowerBound) / (x.upperBound - x.lowerBound) * plotWidth }
    func py(_ v: Double) -> Double { top + plotHeight - (v - y.lowerBound) / (y.upperBound - y.lowerBound) * plotHeight }
    func clampX(_ v: Double) -> Double { min(max(v, x.lowerBound), x.upperBound) }
    func clampY(_ v: Double) -> Double { min(max(v, y.lowerBound), y.upperBound) }

    /// A polyline through the finite points, with a legend entry when `label` is given.
    mutating func line(_ xs: [Double], _ ys: [Double], color: String, label: String? = nil, dashed: Bool = false,
                       width strokeWidth: Double = 2) {
        let points = zip(xs, ys).filter { $0.0.isFinite && $0.1.isFinite }
            .map { "\(c(px(clampX($0.0)))),\(c(py(clampY($0.1))))" }
        guard !points.isEmpty else { return }
        marks.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(strokeWidth)\"\(dashed ? " stroke-dasharray=\"5 4\"" : "") points=\"\(points.joined(separator: " "))\"/>")
        if let label { legend.append((label, color)) }
    }

    /// Small circles at the points (a scatter).
    mutating func points(_ xs: [Double], _ ys: [Double], color: String, radius: Double = 2, opacity: Double = 0.5) {
        var path = ""
        for (a, b) in zip(xs, ys) where a.isFinite && b.isFinite {
            let (u, v) = (px(clampX(a)), py(clampY(b)))
            path += "M\(c(u - radius)),\(c(v))a\(c(radius)),\(c(radius)) 0 1,0 \(c(2 * radius)),0a\(c(radius)),\(c(radius)) 0 1,0 \(c(-2 * radius)),0"
        }
        guard !path.isEmpty else { return }
        marks.append("<path fill=\"\(color)\" fill-opacity=\"\(opacity)\" d=\"\(path)\"/>")
    }

    /// A rectangle between two data corners, with a hover title.
    mutating func rect(x0: Double, x1: Double, y0: Double, y1: Double, color: String, title: String? = nil,
                       opacity: Double = 1) {
        let (a, b) = (px(clampX(min(x0, x1))), px(clampX(max(x0, x1))))
        let (top, bottom) = (py(clampY(max(y0, y1))), py(clampY(min(y0, y1))))
        let tip = title.map { "<title>\(escaped($0))</title>" } ?? ""
        marks.append("<rect x=\"\(c(a))\" y=\"\(c(top))\" width=\"\(c(max(0.5, b - a)))\" height=\"\(c(max(0, bottom - top)))\" fill=\"\(color)\"\(opacity < 1 ? " fill-opacity=\"\(opacity)\"" : "")>\(tip)</rect>")
    }

    /// Text at a data point.
    mutating func text(_ s: String, x tx: Double, y ty: Double, anchor: String = "middle", color: String = "#222",
                       size: Double = 11) {
        marks.append("<text x=\"\(c(px(tx)))\" y=\"\(c(py(ty)))\" text-anchor=\"\(anchor)\" dominant-baseline=\"middle\" font-size=\"\(size)\" fill=\"\(color)\">\(escaped(s))</text>")
    }

    /// Round tick values covering `range`: steps of 1, 2 or 5 × 10ⁿ, about `count` of them.
    static func ticks(_ range: ClosedRange<Double>, count: Int = 5) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = span / Double(count)
        let power = pow(10, log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        var t = (range.lowerBound / step).rounded(.up) * step, out: [Double] = []
        while t <= range.upperBound + step * 1e-9 && out.count < 50 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }

    /// The chart as an `<svg>` element.
    func render(title: String? = nil) -> String {
        var s = "<svg class=\"chart\" data-chart=\"\(escaped(name))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
        if let title { s += "<title>\(escaped(title))</title>" }
        s += "<rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(plotWidth))\" height=\"\(c(plotHeight))\" fill=\"#fafafa\" stroke=\"#ccc\"/>"
        // Grid and ticks.
        for t in Self.ticks(y) {
            let v = py(t)
            s += "<line x1=\"\(c(left))\" x2=\"\(c(left + plotWidth))\" y1=\"\(c(v))\" y2=\"\(c(v))\" stroke=\"#e4e4e4\"/>"
            s += "<text x=\"\(c(left - 6))\" y=\"\(c(v))\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"10\" fill=\"#555\">\(escaped(formatted(t)))</text>"
        }
        if let categories = xCategories {
            let every = max(1, categories.count / 12)
            for (i, label) in categories.enumerated() where i % every == 0 {
                let short = label.count > 14 ? String(label.prefix(13)) + "…" : label
                s += "<text x=\"\(c(px(Double(i))))\" y=\"\(c(top + plotHeight + 14))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(escaped(short))</text>"
            }
        } else {
            for t in Self.ticks(x) {
                let u = px(t)
                s += "<line x1=\"\(c(u))\" x2=\"\(c(u))\" y1=\"\(c(top))\" y2=\"\(c(top + plotHeight))\" stroke=\"#e4e4e4\"/>"
                s += "<text x=\"\(c(u))\" y=\"\(c(top + plotHeight + 14))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(escaped(formatted(t)))</text>"
            }
        }
        s += marks.joined()
        s += "<text x=\"\(c(left + plotWidth / 2))\" y=\"\(c(height - 8))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">\(escaped(xLabel))</text>"
        s += "<text transform=\"translate(13,\(c(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">\(escaped(yLabel))</text>"
        for (i, entry) in legend.enumerated() {
            let ly = top + 10 + Double(i) * 15
            s += "<rect x=\"\(c(left + plotWidth - 150))\" y=\"\(c(ly - 5))\" width=\"10\" height=\"10\" fill=\"\(entry.1)\"/>"
            s += "<text x=\"\(c(left + plotWidth - 136))\" y=\"\(c(ly))\" dominant-baseline=\"middle\" font-size=\"10\" fill=\"#333\">\(escaped(entry.0))</text>"
        }
        return s + "</svg>"
    }
}

/// A horizontal bar chart of named values (importances, timings), largest first, at most
/// `limit` bars; negative values draw left of zero.
func barChart(name: String, _ values: [(String, Double)], valueLabel: String, limit: Int = 20,
              color: String = palette[0], errors: [Double]? = nil) -> String {
    let indexed = values.enumerated().sorted { abs($0.element.1) > abs($1.element.1) }.prefix(limit)
    let rows = Array(indexed)
    let barHeight = 18.0, labelWidth = 170.0, width = 560.0
    let height = Double(rows.count) * barHeight + 40
    let lo = min(0, rows.map { $0.element.1 - (errors?[$0.offset] ?? 0) }.min() ?? 0)
    let hi = max(0, rows.map { $0.element.1 + (errors?[$0.offset] ?? 0) }.max() ?? 1)
    let span = hi - lo > 0 ? hi - lo : 1
    let plot = width - labelWidth - 70
    func px(_ v: Double) -> Double { labelWidth + (v - lo) / span * plot }
    var s = "<svg class=\"chart\" data-chart=\"\(escaped(name))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
    for (row, entry) in rows.enumerated() {
        let (label, v) = entry.element
        let yTop = 10 + Double(row) * barHeight
        let (a, b) = (px(min(0, v)), px(max(0, v)))
        let short = label.count > 26 ? String(label.prefix(25)) + "…" : label
        s += "<text x=\"\(c(labelWidth - 6))\" y=\"\(c(yTop + barHeight / 2))\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"11\" fill=\"#333\">\(escaped(short))<title>\(escaped(label))</title></text>"
        s += "<rect x=\"\(c(a))\" y=\"\(c(yTop + 2))\" width=\"\(c(max(0.5, b - a)))\" height=\"\(c(barHeight - 4))\" fill=\"\(v < 0 ? palette[3] : color)\"><title>\(escaped(label)): \(escaped(formatted(v)))</title></rect>"
        if let e = errors?[entry.offset], e > 0 {
            s += "<line x1=\"\(c(px(v - e)))\" x2=\"\(c(px(v + e)))\" y1=\"\(c(yTop + barHeight / 2))\" y2=\"\(c(yTop + barHeight / 2))\" stroke=\"#333\"/>"
        }
        s += "<text x=\"\(c(b + 4))\" y=\"\(c(yTop + barHeight / 2))\" dominant-baseline=\"middle\" font-size=\"10\" fill=\"#555\">\(escaped(formatted(v)))</text>"
    }
    s += "<line x1=\"\(c(px(0)))\" x2=\"\(c(px(0)))\" y1=\"8\" y2=\"\(c(height - 28))\" stroke=\"#999\"/>"
    s += "<text x=\"\(c(labelWidth + plot / 2))\" y=\"\(c(height - 10))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">\(escaped(valueLabel))</text>"
    return s + "</svg>"
}

/// A grid of counts as coloured cells with their numbers (a confusion matrix): rows are the
/// true classes, columns the predicted ones.
func matrixChart(name: String, _ counts: [[Int]], rowLabels: [String], columnLabels: [String],
                 rowTitle: String, columnTitle: String, cellIDs: String? = nil) -> String {
    let cell = counts.count > 10 ? 28.0 : 56.0, labelWidth = 110.0, header = 40.0
    let width = labelWidth + cell * Double(columnLabels.count) + 20, height = header + cell * Double(rowLabels.count) + 30
    let maximum = Double(counts.flatMap { $0 }.max() ?? 1)
    var s = "<svg class=\"chart\" data-chart=\"\(escaped(name))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
    s += "<text x=\"\(c(labelWidth + cell * Double(columnLabels.count) / 2))\" y=\"12\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">\(escaped(columnTitle))</text>"
    for (j, label) in columnLabels.enumerated() {
        s += "<text x=\"\(c(labelWidth + cell * (Double(j) + 0.5)))\" y=\"\(c(header - 8))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(escaped(String(label.prefix(10))))</text>"
    }
    for (i, row) in counts.enumerated() {
        s += "<text x=\"\(c(labelWidth - 6))\" y=\"\(c(header + cell * (Double(i) + 0.5)))\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"10\" fill=\"#555\">\(escaped(String(rowLabels[i].prefix(14))))</text>"
        let total = max(1, row.reduce(0, +))
        for (j, n) in row.enumerated() {
            let shade = maximum > 0 ? Double(n) / maximum : 0
            let (x0, y0) = (labelWidth + cell * Double(j), header + cell * Double(i))
            let fill = String(format: "rgb(%d,%d,%d)", Int(255 - 200 * shade), Int(255 - 140 * shade), Int(255 - 60 * shade))
            let id = cellIDs.map { " id=\"\($0)-\(i)-\(j)\"" } ?? ""
            s += "<rect x=\"\(c(x0))\" y=\"\(c(y0))\" width=\"\(c(cell - 2))\" height=\"\(c(cell - 2))\" fill=\"\(fill)\"><title>true \(escaped(rowLabels[i])), predicted \(escaped(columnLabels[j])): \(n) (\(formatted(100 * Double(n) / Double(total), digits: 3))% of the row)</title></rect>"
            s += "<text\(id) x=\"\(c(x0 + cell / 2 - 1))\" y=\"\(c(y0 + cell / 2 - 1))\" text-anchor=\"middle\" dominant-baseline=\"middle\" font-size=\"\(cell > 30 ? 12 : 8)\" fill=\"\(shade > 0.6 ? "#fff" : "#222")\">\(n)</text>"
        }
    }
    s += "<text transform=\"translate(12,\(c(header + cell * Double(rowLabels.count) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">\(escaped(rowTitle))</text>"
    return s + "</svg>"
}
