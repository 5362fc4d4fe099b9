import Foundation
import SluiceCompute
import SluiceFrame
import SluicePipeline

extension EvaluationReport {
    /// The report of `pipeline` on held-out `data`, which holds the input columns and the
    /// target (rows whose target is null are left out). `source` says where the rows came from.
    public init(pipeline: FittedPipeline, data: Frame, source: String = "held-out rows",
                options: ReportOptions = ReportOptions()) throws {
        guard let target = pipeline.target else {
            throw PipelineError.invalidConfiguration(stage: "report",
                reason: "a '\(pipeline.model.kind)' model has no target to evaluate against; build the report with init(pipeline:scored:)")
        }
        _ = try Self.column(data, target.name)
        // Rows without a target (the unlabelled ones a nightly job scores) cannot be judged.
        let labelled = try data.droppingNulls(in: [target.name])
        let truth = try Self.column(labelled, target.name)
        var transform = TransformReport()
        let predictions = try pipeline.predict(labelled, report: &transform)
        let dropped = data.rowCount - labelled.rowCount
        try self.init(pipeline: pipeline, predictions: predictions, truth: truth, data: labelled,
                      source: source + (dropped > 0 ? " (\(dropped) rows without a target left out)" : ""),
                      unknownCategories: transform.unknownCategories, options: options)
    }

    /// The report of predictions made elsewhere (out-of-fold predictions of
    /// ``crossValPredict(_:_:folds:seed:)``, say) against `truth`, with `pipeline` the model
    /// fitted on all rows. `data` (the rows, with the target) adds the column summaries and
    /// permutation importance.
    public init(pipeline: FittedPipeline, predictions: Predictions, truth: Column, data: Frame? = nil,
                source: String = "out-of-fold predictions", unknownCategories: [String: Int] = [:],
                options: ReportOptions = ReportOptions()) throws {
        guard truth.count == predictions.values.count else {
            throw PipelineError.invalidValue(stage: "report", column: "target",
                reason: "\(truth.count) true values for \(predictions.values.count) predictions")
        }
        self.init(pipeline: pipeline, data: data, title: options.title, digest: options.artifactDigest)
        var metrics: [NamedValue] = []
        var scoring: Scoring?
        switch pipeline.target?.kind {
        case .classes?:
            let c = try Self.classification(predictions, truth: truth, options: options, metrics: &metrics)
            classification = c
            if let positive = c.positiveClass { scoring = .rocAUC(positive: positive) } else { scoring = .accuracy }
        case .values?:
            regression = try Self.regression(predictions, truth: truth, options: options, metrics: &metrics)
            scoring = .r2
        case .none?, nil:
            break
        }
        evaluation = EvaluationSummary(source: source, rows: truth.count, metrics: metrics, unknownCategories: unknownCategories)
        if let data, let scoring, let target = pipeline.target, options.permutationRepeats > 0, data.rowCount > 1 {
            importances.permutation = try PermutationImportance(pipeline, data: data, target: target.name, scoring: scoring,
                                                                repeats: options.permutationRepeats,
                                                                maxRows: options.permutationRows, seed: options.seed)
        }
    }

    /// The report of a model without an evaluation: its configuration, importances and
    /// curves, and the summaries of `scored` rows (a night's scoring input) when given.
    public init(pipeline: FittedPipeline, scored: Frame?, options: ReportOptions = ReportOptions()) {
        self.init(pipeline: pipeline, data: scored, title: options.title, digest: options.artifactDigest)
    }

    private init(pipeline: FittedPipeline, data: Frame?, title: String?, digest: String?) {
        let base: any FittedModel = pipeline.model.base
        let task: String
        switch pipeline.target?.kind {
        case .classes?: task = "classification"
        case .values?: task = "regression"
        case .none?, nil: task = "clustering"
        }
        let inputs = pipeline.inputSchema.names
        self.title = title ?? "\(pipeline.model.kind)\(pipeline.target.map { " → \($0.name)" } ?? "")"
        created = ISO8601DateFormatter().string(from: Date())
        model = ModelSummary(kind: pipeline.model.kind, task: task, target: pipeline.target?.name,
                             classes: pipeline.target?.classes, featureNames: pipeline.featureNames, inputColumns: inputs,
                             keys: pipeline.keys.map(\.name), seed: pipeline.seed, dataFingerprint: pipeline.dataFingerprint,
                             artifactDigest: digest, hyperparameters: pipeline.hyperparameters,
                             trainingBalance: pipeline.trainingBalance,
                             curves: (base as? any TrainingCurves)?.trainingCurves ?? [])
        importances = ImportanceSummary()
        if let m = base as? any FeatureImportances, m.featureImportances.count == pipeline.featureNames.count {
            let values = zip(pipeline.featureNames, m.featureImportances).map { NamedValue($0, $1) }
            importances.model = values
            importances.modelByInput = Self.grouped(values, inputs: inputs)
        }
        importances.coefficients = (base as? any LinearCoefficients)?.coefficientTable
        self.data = []
        if let data {
            let present = inputs.filter { data.schema[$0] != nil }
            if let frame = try? data.selecting(present) {
                let summaries = frame.describe().columns
                self.data = zip(frame.schema.fields, zip(frame.columns, summaries)).map { ColumnReport($0, $1.0, summary: $1.1) }
            }
        }
    }

    static func column(_ frame: Frame, _ name: String) throws -> Column {
        do { return try frame.column(name) } catch { throw PipelineError.missingColumn(stage: "report", column: name) }
    }

    /// Feature importances summed per input column: a feature named as an input column is
    /// that column; `column=value` (one-hot) and `column_…`, `column.…` (derived) features
    /// belong to the longest input column they start with; any other feature stands alone.
    static func grouped(_ values: [NamedValue], inputs: [String]) -> [NamedValue] {
        let byLength = inputs.sorted { $0.count > $1.count }
        var grouped: [NamedValue] = [], position: [String: Int] = [:]
        for v in values {
            let owner = inputs.contains(v.name) ? v.name : byLength.first { c in
                v.name.hasPrefix(c) && v.name.dropFirst(c.count).first.map { "=_.[".contains($0) } == true
            } ?? v.name
            if let i = position[owner] {
                grouped[i].value += v.value
            } else {
                position[owner] = grouped.count
                grouped.append(NamedValue(owner, v.value))
            }
        }
        return grouped
    }
}

// MARK: - Classification

extension EvaluationReport {
    static func classification(_ p: Predictions, truth: Column, options: ReportOptions,
                               metrics: inout [NamedValue]) throws -> ClassificationEvaluation {
        guard let classes = p.classes, let prob = p.probabilities else {
            throw PipelineError.invalidConfiguration(stage: "report", reason: "a classification report needs class probabilities")
        }
        let labels = try ClassLabels(column: truth, name: "target")
        let index = Dictionary(classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        // A true class the model never saw gets the extra code `classes.count`.
        let unseen = classes.count
        let y = labels.codes.map { index[labels.classes[$0]] ?? unseen }
        let names = classes + (y.contains(unseen) ? ["(unseen)"] : [])
        let n = y.count, k = classes.count
        let column = { (c: Int) in (0..<n).map { prob[$0, c] } }
        var positive: Int?
        if k == 2 {
            if let name = options.positiveClass {
                guard let i = classes.firstIndex(of: name) else {
                    throw PipelineError.invalidConfiguration(stage: "report",
                        reason: "positive class '\(name)' is not one of the classes \(classes)")
                }
                positive = i
            } else {
                positive = 1
            }
        }
        let predicted: [Int]
        var thresholds: [ThresholdRow] = [], lift: [LiftRow] = [], gain: CurvePoints?, histogram: ScoreHistogram?
        if let positive {
            let scores = column(positive), binary = y.map { $0 == positive ? 1 : 0 }
            predicted = scores.map { $0 >= options.threshold ? positive : 1 - positive }
            let grid = (0...100).map { Double($0) / 100 }
            thresholds = zip(grid, Metrics.confusionByThreshold(binary, scores: scores, thresholds: grid)).map { t, c in
                ThresholdRow(threshold: t, truePositives: Int(c.truePositives), falsePositives: Int(c.falsePositives),
                             trueNegatives: Int(c.trueNegatives), falseNegatives: Int(c.falseNegatives),
                             precision: c.precision, recall: c.recall, f1: c.f1)
            }
            lift = Metrics.liftTable(binary, scores: scores, slices: 10)
            let percentiles = Metrics.liftTable(binary, scores: scores, slices: 100)
            gain = CurvePoints(x: [0] + percentiles.map(\.fraction), y: [0] + percentiles.map(\.cumulativeGain))
            var pos = [Int](repeating: 0, count: 20), neg = pos
            for (s, t) in zip(scores, binary) {
                let b = min(19, max(0, Int((s * 20).rounded(.down))))
                if t == 1 { pos[b] += 1 } else { neg[b] += 1 }
            }
            histogram = ScoreHistogram(edges: (0...20).map { Double($0) / 20 }, positives: pos, negatives: neg)
            metrics.append(NamedValue("ROC-AUC", Metrics.rocAUC(binary, scores: scores)))
            metrics.append(NamedValue("average precision", Metrics.averagePrecision(binary, scores: scores)))
            metrics.append(NamedValue("Brier score", Metrics.brierScore(binary, probabilityOfPositive: scores)))
        } else {
            predicted = prob.rowArgmax()
            metrics.append(NamedValue("ROC-AUC (one-vs-rest)",
                                      Metrics.rocAUCOneVsRest(y, probabilities: (0..<n).map { prob.row($0) })))
        }
        metrics.insert(NamedValue("accuracy", Metrics.accuracy(y, predicted)), at: 0)
        metrics.insert(NamedValue("balanced accuracy", Metrics.balancedAccuracy(y, predicted, classCount: names.count)), at: 1)
        metrics.insert(NamedValue("F1 (macro)", Metrics.f1(y, predicted, classCount: names.count, average: .macro)), at: 2)
        if !y.contains(unseen) {
            metrics.append(NamedValue("log loss", Metrics.logLoss(y, probabilities: (0..<n).map { prob.row($0) })))
        }
        let curveClasses = positive.map { [$0] } ?? Array(0..<min(k, 20))
        let curves = curveClasses.map { c -> ClassCurves in
            let scores = column(c), binary = y.map { $0 == c ? 1 : 0 }
            let roc = Metrics.rocCurve(binary, scores: scores)
            let pr = Metrics.precisionRecallCurve(binary, scores: scores)
            return ClassCurves(className: classes[c], rocAUC: Metrics.rocAUC(binary, scores: scores),
                               averagePrecision: Metrics.averagePrecision(binary, scores: scores),
                               roc: thinned(roc.falsePositiveRate, roc.truePositiveRate, options.maxCurvePoints),
                               precisionRecall: thinned(pr.recall, pr.precision, options.maxCurvePoints),
                               calibration: Metrics.calibrationCurve(binary, probability: scores, bins: 10),
                               positives: binary.reduce(0, +))
        }
        let confusion = Metrics.confusionMatrix(y, predicted, classCount: names.count).map { $0.map { Int($0) } }
        return ClassificationEvaluation(classes: classes, positiveClass: positive.map { classes[$0] }, curves: curves,
                                        confusion: confusion, threshold: positive == nil ? nil : options.threshold,
                                        thresholds: thresholds, lift: lift, gain: gain, scoreHistogram: histogram,
                                        report: ClassificationReport(y, predicted, classNames: names))
    }

    /// At most `limit` points of a curve, kept at even steps of its length (|Δx| + |Δy|), the
    /// first and last always: a curve's shape survives where index-even thinning would lose
    /// its steep start. Non-finite points are dropped.
    static func thinned(_ x: [Double], _ y: [Double], _ limit: Int) -> CurvePoints {
        let points = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        guard points.count > limit, limit >= 2 else { return CurvePoints(x: points.map(\.0), y: points.map(\.1)) }
        var length = 0.0
        for i in 1..<points.count { length += abs(points[i].0 - points[i - 1].0) + abs(points[i].1 - points[i - 1].1) }
        let step = length / Double(limit - 1)
        var kx = [points[0].0], ky = [points[0].1], walked = 0.0
        for i in 1..<points.count - 1 {
            walked += abs(points[i].0 - points[i - 1].0) + abs(points[i].1 - points[i - 1].1)
            if walked >= step && kx.count < limit - 1 {
                kx.append(points[i].0)
                ky.append(points[i].1)
                walked = 0
            }
        }
        kx.append(points[points.count - 1].0)
        ky.append(points[points.count - 1].1)
        return CurvePoints(x: kx, y: ky)
    }
}

// MARK: - Regression

extension EvaluationReport {
    static func regression(_ p: Predictions, truth: Column, options: ReportOptions,
                           metrics: inout [NamedValue]) throws -> RegressionEvaluation {
        guard truth.type.isNumeric, p.values.type.isNumeric else {
            throw PipelineError.invalidConfiguration(stage: "report", reason: "a regression report needs a numeric target")
        }
        let actualAll = numbers(truth), predictedAll = numbers(p.values)
        // Rows whose target is null (NaN) have nothing to be measured against.
        let kept = actualAll.indices.filter { actualAll[$0].isFinite && predictedAll[$0].isFinite }
        let actual = kept.map { actualAll[$0] }, predicted = kept.map { predictedAll[$0] }
        metrics = [NamedValue("R²", Metrics.r2(actual, predicted)),
                   NamedValue("RMSE", Metrics.rootMeanSquaredError(actual, predicted)),
                   NamedValue("MAE", Metrics.meanAbsoluteError(actual, predicted))]
        let residuals = zip(actual, predicted).map { $0 - $1 }
        let both = range(actual + predicted)
        let residualRange = range(residuals)
        return RegressionEvaluation(
            predictedVsActual: scatter(predicted, actual, x: both, y: both, options),
            residualsVsPredicted: scatter(predicted, residuals, x: range(predicted), y: residualRange, options),
            residualHistogram: ColumnReport.histogram(residuals, range: residualRange, bins: 40))
    }

    /// Every row of a numeric column as a double, a null as NaN.
    static func numbers(_ column: Column) -> [Double] {
        func all<T>(_ v: [T], _ f: (T) -> Double) -> [Double] { v.indices.map { column.isNull($0) ? .nan : f(v[$0]) } }
        switch column.data {
        case .double(let v): return all(v) { $0 }
        case .int64(let v): return all(v) { Double($0) }
        case .bool(let v): return all(v) { $0 ? 1 : 0 }
        case .date(let v): return all(v) { Double($0) }
        case .timestamp(let v): return all(v) { Double($0) }
        case .string(let s): return [Double](repeating: .nan, count: s.count)
        }
    }

    /// The 0.5th to 99.5th percentile of `values` (all of them when fewer than 200), so a few
    /// outliers do not squeeze the plot; never empty.
    static func range(_ values: [Double]) -> ClosedRange<Double> {
        let sorted = values.sorted()
        guard let first = sorted.first, let last = sorted.last else { return 0...1 }
        let tail = sorted.count >= 200 ? sorted.count / 200 : 0
        let lo = sorted.count >= 200 ? sorted[tail] : first, hi = sorted.count >= 200 ? sorted[sorted.count - 1 - tail] : last
        return lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
    }

    /// Points, or above the limit a 60 × 60 grid of counts (values outside the ranges in the
    /// edge cells).
    static func scatter(_ x: [Double], _ y: [Double], x xr: ClosedRange<Double>, y yr: ClosedRange<Double>,
                        _ options: ReportOptions) -> Scatter {
        if x.count <= options.maxScatterPoints {
            return Scatter(points: CurvePoints(x: x, y: y), grid: nil, xRange: xr, yRange: yr)
        }
        let cells = 60
        var counts = [[Int]](repeating: [Int](repeating: 0, count: cells), count: cells)
        let wx = (xr.upperBound - xr.lowerBound) / Double(cells), wy = (yr.upperBound - yr.lowerBound) / Double(cells)
        for (a, b) in zip(x, y) {
            let i = min(cells - 1, max(0, Int(((a - xr.lowerBound) / wx).rounded(.down))))
            let j = min(cells - 1, max(0, Int(((b - yr.lowerBound) / wy).rounded(.down))))
            counts[j][i] += 1
        }
        return Scatter(points: nil, grid: HeatGrid(columns: cells, rows: cells, counts: counts), xRange: xr, yRange: yr)
    }
}

// MARK: - JSON

extension EvaluationReport {
    /// The report's numbers as JSON (keys sorted; non-finite numbers as strings).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(self)
    }
}
