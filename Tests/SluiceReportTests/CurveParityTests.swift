import Foundation
import Testing
import SluicePipeline
import SluiceTestSupport

/// The curves behind the report's charts against scikit-learn on the same scores (with many
/// ties), written by `Scripts/curves.py`.
@Suite("Curves match scikit-learn")
struct CurveParityTests {
    nonisolated(unsafe) static let json: [String: Any] = {
        guard let url = Bundle.module.url(forResource: "Expectations/curves", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static func doubles(_ path: String...) -> [Double] {
        var node: Any? = json
        for p in path { node = (node as? [String: Any])?[p] }
        return (node as? [Any])?.map { ($0 as? Double) ?? (($0 as? String) == "inf" ? .infinity : .nan) } ?? []
    }

    let y = (json["y"] as? [Int]) ?? []
    let scores = doubles("scores")

    func close(_ a: [Double], _ b: [Double], _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) points, scikit-learn has \(b.count)")
        #expect(isApproximatelyEqual(a.map { $0.isInfinite ? 1e300 : $0 }, b.map { $0.isInfinite ? 1e300 : $0 },
                                     absolute: 1e-12, relative: 1e-12), "\(what)")
    }

    @Test("inputs loaded") func loaded() { #expect(y.count == 500 && scores.count == 500) }

    @Test("roc_curve (drop_intermediate=False), and its area is rocAUC")
    func roc() {
        let c = Metrics.rocCurve(y, scores: scores)
        close(c.falsePositiveRate, Self.doubles("roc", "fpr"), "fpr")
        close(c.truePositiveRate, Self.doubles("roc", "tpr"), "tpr")
        close(c.thresholds, Self.doubles("roc", "thresholds"), "thresholds")
        var area = 0.0
        for i in 1..<c.thresholds.count {
            area += (c.falsePositiveRate[i] - c.falsePositiveRate[i - 1]) * (c.truePositiveRate[i] + c.truePositiveRate[i - 1]) / 2
        }
        #expect(isApproximatelyEqual(area, Metrics.rocAUC(y, scores: scores), absolute: 1e-12))
    }

    @Test("precision_recall_curve")
    func precisionRecall() {
        let c = Metrics.precisionRecallCurve(y, scores: scores)
        close(c.precision, Self.doubles("pr", "precision"), "precision")
        close(c.recall, Self.doubles("pr", "recall"), "recall")
        close(c.thresholds, Self.doubles("pr", "thresholds"), "thresholds")
    }

    @Test("calibration_curve, uniform and quantile bins")
    func calibration() {
        let u = Metrics.calibrationCurve(y, probability: scores, bins: 10)
        close(u.fractionPositive, Self.doubles("calibration_uniform", "fraction"), "uniform fraction")
        close(u.meanPredicted, Self.doubles("calibration_uniform", "mean"), "uniform mean")
        #expect(u.counts.reduce(0, +) == y.count)
        let q = Metrics.calibrationCurve(y, probability: scores, bins: 5, strategy: .quantile)
        close(q.fractionPositive, Self.doubles("calibration_quantile", "fraction"), "quantile fraction")
        close(q.meanPredicted, Self.doubles("calibration_quantile", "mean"), "quantile mean")
    }

    @Test("confusion counts by threshold equal confusion_matrix at each threshold")
    func byThreshold() {
        let grid = Self.doubles("threshold_grid")
        let expected = (Self.json["by_threshold"] as? [[Int]]) ?? []
        let got = Metrics.confusionByThreshold(y, scores: scores, thresholds: grid)
        #expect(got.map { [Int($0.truePositives), Int($0.falsePositives), Int($0.trueNegatives), Int($0.falseNegatives)] } == expected)
    }

    @Test("lift table by decile, ties by row order")
    func lift() {
        let expected = (Self.json["lift"] as? [[String: Any]]) ?? []
        let got = Metrics.liftTable(y, scores: scores)
        #expect(got.count == 10 && expected.count == 10)
        for (g, e) in zip(got, expected) {
            #expect(g.rows == e["rows"] as? Int)
            #expect(Int(g.positives) == e["positives"] as? Int)
            #expect(isApproximatelyEqual(g.lift, e["lift"] as? Double ?? .nan, absolute: 1e-12))
            #expect(isApproximatelyEqual(g.cumulativeGain, e["gain"] as? Double ?? .nan, absolute: 1e-12))
        }
        #expect(got.last?.cumulativeGain == 1)
    }
}
