import Foundation

/// scikit-learn's `classification_report`: per-class precision, recall, F1 and support,
/// then accuracy and the macro and weighted averages; as text or as JSON.
public struct ClassificationReport: Sendable, Equatable, Codable, CustomStringConvertible {
    /// One line of the report.
    public struct Line: Sendable, Equatable, Codable {
        public var label: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Double
    }

    public var classes: [Line]
    public var accuracy: Double
    public var macroAverage: Line
    public var weightedAverage: Line

    /// The report of predictions `yPred` against `yTrue` (codes into `classNames`).
    public init(_ yTrue: [Int], _ yPred: [Int], classNames: [String], sampleWeights: [Double]? = nil) {
        let k = classNames.count
        let s = Metrics.classScores(yTrue, yPred, classCount: k, sampleWeights: sampleWeights)
        classes = (0..<k).map { Line(label: classNames[$0], precision: s.precision[$0], recall: s.recall[$0],
                                     f1: s.f1[$0], support: s.support[$0]) }
        accuracy = Metrics.accuracy(yTrue, yPred, sampleWeights: sampleWeights)
        let total = s.support.reduce(0, +)
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(k, 1)) }
        func weighted(_ v: [Double]) -> Double { total > 0 ? zip(v, s.support).reduce(0) { $0 + $1.0 * $1.1 } / total : 0 }
        macroAverage = Line(label: "macro avg", precision: mean(s.precision), recall: mean(s.recall),
                            f1: mean(s.f1), support: total)
        weightedAverage = Line(label: "weighted avg", precision: weighted(s.precision), recall: weighted(s.recall),
                               f1: weighted(s.f1), support: total)
    }

    /// The report as an aligned text table (4 decimals), as scikit-learn prints it.
    public var description: String {
        let width = max(12, (classes.map(\.label.count) + [12]).max()!)
        func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        func num(_ v: Double) -> String { String(format: "%.4f", v) }
        func support(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }
        var out = pad("", width) + " " + ["precision", "recall", "f1-score", "support"].map { pad($0, 10) }.joined(separator: " ")
        out += "\n\n"
        for l in classes {
            out += pad(l.label, width) + " " + [num(l.precision), num(l.recall), num(l.f1), support(l.support)]
                .map { pad($0, 10) }.joined(separator: " ") + "\n"
        }
        out += "\n" + pad("accuracy", width) + " " + [pad("", 10), pad("", 10), pad(num(accuracy), 10),
                                                      pad(support(macroAverage.support), 10)].joined(separator: " ") + "\n"
        for l in [macroAverage, weightedAverage] {
            out += pad(l.label, width) + " " + [num(l.precision), num(l.recall), num(l.f1), support(l.support)]
                .map { pad($0, 10) }.joined(separator: " ") + "\n"
        }
        return out
    }

    /// The report as JSON (keys sorted, so output is stable).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// A regression report: MAE, MSE, RMSE and R² of predictions, as text or JSON.
public struct RegressionReport: Sendable, Equatable, Codable, CustomStringConvertible {
    public var rows: Int
    public var meanAbsoluteError: Double
    public var meanSquaredError: Double
    public var rootMeanSquaredError: Double
    public var r2: Double

    public init(_ yTrue: [Double], _ yPred: [Double], sampleWeights: [Double]? = nil) {
        rows = yTrue.count
        meanAbsoluteError = Metrics.meanAbsoluteError(yTrue, yPred, sampleWeights: sampleWeights)
        meanSquaredError = Metrics.meanSquaredError(yTrue, yPred, sampleWeights: sampleWeights)
        rootMeanSquaredError = meanSquaredError.squareRoot()
        r2 = Metrics.r2(yTrue, yPred, sampleWeights: sampleWeights)
    }

    public var description: String {
        [("rows", "\(rows)"), ("MAE", String(format: "%.6g", meanAbsoluteError)),
         ("MSE", String(format: "%.6g", meanSquaredError)), ("RMSE", String(format: "%.6g", rootMeanSquaredError)),
         ("R²", String(format: "%.6f", r2))].map { "\($0.0.padding(toLength: 5, withPad: " ", startingAt: 0)) \($0.1)" }
            .joined(separator: "\n")
    }

    /// The report as JSON (keys sorted).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
