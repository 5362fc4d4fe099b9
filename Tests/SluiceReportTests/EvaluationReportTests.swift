import Foundation
import Testing
import SluiceCompute
import SluiceCSV
import SluiceFrame
import SluiceLearn
import SluicePipeline
import SluiceReport
import SluiceTestSupport

/// A shared-data CSV (`Tests/Data/NAME.csv`) as a frame.
func dataset(_ name: String) throws -> Frame {
    try CSVReader().read(path: Fixtures.repositoryRoot.appendingPathComponent("Tests/Data/\(name).csv").path)
}

/// A seeded split of `frame` into training and held-out rows (a quarter).
func split(_ frame: Frame, seed: UInt64 = 3) throws -> (train: Frame, test: Frame) {
    var rng = SeededGenerator(seed: seed)
    var order = Array(0..<frame.rowCount)
    rng.shuffle(&order)
    let cut = frame.rowCount * 3 / 4
    return (try frame.taking(rows: Array(order[..<cut]).sorted()), try frame.taking(rows: Array(order[cut...]).sorted()))
}

/// The class codes of `column` in the order of `classes`.
func codes(_ column: Column, _ classes: [String]) throws -> [Int] {
    let labels = try ClassLabels(column: column, name: "target")
    return labels.codes.map { classes.firstIndex(of: labels.classes[$0])! }
}

func value(_ report: EvaluationReport, _ name: String) -> Double? {
    report.evaluation?.metrics.first { $0.name == name }?.value
}

func charts(in html: String) -> Set<String> {
    var names = Set<String>()
    var rest = html[...]
    while let r = rest.range(of: "data-chart=\"") {
        rest = rest[r.upperBound...]
        if let end = rest.firstIndex(of: "\"") { names.insert(String(rest[..<end])) }
    }
    return names
}

@Suite("Evaluation reports")
struct EvaluationReportTests {
    @Test("binary classifier: every figure equals its metrics function; every chart is drawn")
    func binary() throws {
        let (train, test) = try split(dataset("breast_cancer"))
        let fitted = try Pipeline(target: "target", estimator: LogisticRegression()) { StandardScaler() }.fit(train, seed: 1)
        let report = try EvaluationReport(pipeline: fitted, data: test, options: ReportOptions(permutationRepeats: 3))
        let classes = try #require(fitted.target?.classes)
        let y = try codes(test.column("target"), classes)
        let p = try fitted.predictProbabilities(test)
        let scores = (0..<p.rows).map { p[$0, 1] }
        let c = try #require(report.classification)
        #expect(c.positiveClass == classes[1])
        #expect(value(report, "ROC-AUC") == Metrics.rocAUC(y, scores: scores))
        #expect(c.curves[0].rocAUC == Metrics.rocAUC(y, scores: scores))
        #expect(value(report, "average precision") == Metrics.averagePrecision(y, scores: scores))
        #expect(value(report, "Brier score") == Metrics.brierScore(y, probabilityOfPositive: scores))
        let predicted = scores.map { $0 >= 0.5 ? 1 : 0 }
        #expect(value(report, "accuracy") == Metrics.accuracy(y, predicted))
        #expect(value(report, "F1 (macro)") == Metrics.f1(y, predicted, classCount: 2, average: .macro))
        #expect(c.confusion == Metrics.confusionMatrix(y, predicted, classCount: 2).map { $0.map { Int($0) } })
        // The threshold table's row at 0.5 is the confusion matrix.
        let half = try #require(c.thresholds.first { $0.threshold == 0.5 })
        #expect(half.truePositives == c.confusion[1][1] && half.falsePositives == c.confusion[0][1])
        #expect(half.trueNegatives == c.confusion[0][0] && half.falseNegatives == c.confusion[1][0])
        #expect(half.f1 == Metrics.f1(y, predicted, classCount: 2, average: .binary(positive: 1)))
        #expect(c.lift == Metrics.liftTable(y, scores: scores))
        #expect(c.curves[0].calibration == Metrics.calibrationCurve(y, probability: scores))
        #expect(c.report == ClassificationReport(y, predicted, classNames: classes))
        // The down-sampled curves keep their ends.
        #expect(c.curves[0].roc.x.first == 0 && c.curves[0].roc.y.last == 1)
        // Model section: coefficients with names, |coef| importances, permutation on every input column.
        #expect(report.importances.coefficients?.coefficients.first?.count == fitted.featureNames.count)
        #expect(report.importances.permutation?.entries.map(\.column) == fitted.inputSchema.names)
        #expect(report.importances.permutation?.baseline == Metrics.rocAUC(y, scores: scores))
        #expect(report.model.trainingBalance?.before == report.model.trainingBalance?.after)
        #expect(report.data.count == fitted.inputSchema.names.count)
        let html = report.html()
        for chart in ["roc", "precision-recall", "calibration", "score-histogram", "confusion", "gain", "lift", "class-balance",
                      "model-importance", "permutation-importance", "coefficients"] {
            #expect(charts(in: html).contains(chart), "chart \(chart)")
        }
        #expect(!html.contains("http://") || !html.contains("src=\"http"), "nothing fetched")
        // JSON carries the same numbers.
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: report.json())
        #expect(decoded.classification == report.classification)
        #expect(decoded.evaluation == report.evaluation)
    }

    @Test("multiclass boosting: one-vs-rest curves per class, learning curves, gain importances by input column")
    func multiclass() throws {
        let (train, test) = try split(dataset("wine"))
        let fitted = try Pipeline(target: "target", estimator: HistGradientBoostingClassifier(maxIterations: 30, earlyStopping: .enabled,
                                                                                             validationFraction: 0.2)).fit(train, seed: 2)
        let report = try EvaluationReport(pipeline: fitted, data: test, options: ReportOptions(permutationRepeats: 2))
        let c = try #require(report.classification)
        let classes = try #require(fitted.target?.classes)
        let y = try codes(test.column("target"), classes)
        let p = try fitted.predictProbabilities(test)
        #expect(c.positiveClass == nil && c.curves.count == classes.count && c.thresholds.isEmpty && c.lift.isEmpty)
        for (k, curve) in c.curves.enumerated() {
            #expect(curve.rocAUC == Metrics.rocAUC(y.map { $0 == k ? 1 : 0 }, scores: (0..<p.rows).map { p[$0, k] }))
        }
        #expect(value(report, "ROC-AUC (one-vs-rest)") == Metrics.rocAUCOneVsRest(y, probabilities: (0..<p.rows).map { p.row($0) }))
        #expect(c.confusion == Metrics.confusionMatrix(y, p.rowArgmax(), classCount: classes.count).map { $0.map { Int($0) } })
        #expect(report.model.curves.map(\.name) == ["training loss", "validation loss"])
        #expect(report.importances.modelByInput?.count == fitted.featureNames.count)
        let html = report.html()
        #expect(charts(in: html).isSuperset(of: ["roc", "confusion", "training-curves", "model-importance"]))
    }

    @Test("regression: metrics equal, scatter as points below the limit and binned above it")
    func regression() throws {
        let (train, test) = try split(dataset("diabetes"))
        let fitted = try Pipeline(target: "target", estimator: LinearRegression()) { StandardScaler() }.fit(train, seed: 1)
        let report = try EvaluationReport(pipeline: fitted, data: test, options: ReportOptions(permutationRepeats: 2))
        let y = try test.doubles("target"), yhat = try fitted.predict(test).values.doubleValues()
        #expect(value(report, "R²") == Metrics.r2(y, yhat))
        #expect(value(report, "RMSE") == Metrics.rootMeanSquaredError(y, yhat))
        #expect(value(report, "MAE") == Metrics.meanAbsoluteError(y, yhat))
        let r = try #require(report.regression)
        #expect(r.predictedVsActual.points?.x.count == test.rowCount && r.predictedVsActual.grid == nil)
        #expect(r.residualHistogram.counts.reduce(0, +) == test.rowCount)
        #expect(charts(in: report.html()).isSuperset(of: ["predicted-vs-actual", "residuals-vs-predicted", "residual-histogram"]))
        // A null target is left out, not counted as an error of NaN.
        var holey = test
        var target = try test.doubles("target").map { Optional($0) }
        target[0] = nil
        try holey.set("target", to: .double(target))
        let withNull = try EvaluationReport(pipeline: fitted, data: holey, options: ReportOptions(permutationRepeats: 0))
        #expect(withNull.regression?.residualHistogram.counts.reduce(0, +) == test.rowCount - 1)
        #expect(value(withNull, "R²")?.isFinite == true)
    }

    @Test("large evaluations stay under 5 MB: curves thinned (300k classified rows), scatter binned (1M regression rows)")
    func large() throws {
        let n = 300_000
        var rng = SeededGenerator(seed: 9)
        let truthCodes = (0..<n).map { _ in rng.nextDouble() < 0.3 ? 1 : 0 }
        let scores = truthCodes.map { t in min(1, max(0, 0.3 * Double(t) + rng.nextDouble() * 0.7)) }
        let small = try Frame(["x": .double([0, 1, 2, 3, 4, 5]), "y": .string(["a", "b", "a", "b", "a", "b"])])
        let fitted = try Pipeline(target: "y", estimator: LogisticRegression()) { StandardScaler() }.fit(small)
        let probabilities = Matrix(rows: n, columns: 2, elements: scores.flatMap { [1 - $0, $0] })
        let predictions = Predictions(values: .string(scores.map { $0 >= 0.5 ? "b" : "a" }), codes: scores.map { $0 >= 0.5 ? 1 : 0 },
                                      probabilities: probabilities, classes: ["a", "b"])
        let report = try EvaluationReport(pipeline: fitted, predictions: predictions, truth: .string(truthCodes.map { $0 == 1 ? "b" : "a" }))
        let c = try #require(report.classification)
        #expect(c.curves[0].roc.x.count <= 300 && c.curves[0].precisionRecall.x.count <= 300)
        #expect(c.curves[0].rocAUC == Metrics.rocAUC(truthCodes, scores: scores))
        let html = report.html()
        #expect(html.utf8.count < 5_000_000, "\(html.utf8.count) bytes")

        let m = 1_000_000
        let actual = (0..<m).map { _ in rng.normal() }
        let regressor = try Pipeline(target: "t", estimator: LinearRegression()).fit(
            Frame(["x": .double([0, 1, 2, 3]), "t": .double([0, 1, 2, 3.5])]))
        let r = try EvaluationReport(pipeline: regressor, predictions: Predictions(values: .double(actual.map { $0 + rng.normal() * 0.3 })),
                                     truth: .double(actual))
        #expect(r.regression?.predictedVsActual.grid?.counts.joined().reduce(0, +) == m)
        let regressionHTML = r.html()
        #expect(regressionHTML.utf8.count < 5_000_000, "\(regressionHTML.utf8.count) bytes")
    }

    @Test("hostile names are escaped; unknown categories are counted; a missing target is named")
    func hostile() throws {
        let train = try Frame(["<b>x</b>": .double([1, 2, 3, 4, 5, 6, 7, 8]),
                               "plan": .string(["a", "b", "a", "b", "a", "b", "a", "b"]),
                               "y": .string(["<script>alert(1)</script>", "ok", "<script>alert(1)</script>", "ok",
                                             "ok", "<script>alert(1)</script>", "ok", "<script>alert(1)</script>"])])
        let fitted = try Pipeline(target: "y", estimator: LogisticRegression()) { OneHotEncoder(columns: .types(.string)) }.fit(train)
        var test = train
        try test.set("plan", to: .string(["a", "c", "c", "b", "a", "b", "a", "b"]))
        let report = try EvaluationReport(pipeline: fitted, data: test, options: ReportOptions(title: "Q&A <1>", permutationRepeats: 1))
        #expect(report.evaluation?.unknownCategories.values.reduce(0, +) == 2)
        let html = report.html()
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<b>x</b>"))
        #expect(html.contains("Q&amp;A &lt;1&gt;"))
        #expect(throws: PipelineError.self) { try EvaluationReport(pipeline: fitted, data: test.dropping(["y"])) }
    }
}
