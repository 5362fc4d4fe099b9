import Foundation
import SluiceCompute
import SluiceFrame

/// What the feature selectors share: the columns they judge, each one's score, and the
/// columns kept. Columns a selector does not judge pass through untouched.
///
/// **Schema before data.** Which columns survive depends on the data, so before fitting a
/// selector's ``Transformer/outputSchema(for:)`` is its input schema — an upper bound: a
/// later stage that names a column the selector then drops fails at fit time with a
/// ``PipelineError/missingColumn(stage:column:)`` naming that stage and column. The fitted
/// selector's ``FittedTransformer/outputSchema`` is exact.
enum Selection {
    /// `schema` without the judged columns not kept.
    static func schema(_ schema: Schema, judged: [String], kept: [String], stage: String) throws -> Schema {
        let dropped = Set(judged).subtracting(kept)
        return try framing(stage) { () throws(FrameError) in try Schema(schema.fields.filter { !dropped.contains($0.name) }) }
    }

    /// `frame` without the judged columns not kept.
    static func apply(_ frame: Frame, judged: [String], kept: [String], stage: String) throws -> Frame {
        let dropped = Array(Set(judged).subtracting(kept))
        return try framing(stage) { () throws(FrameError) in try frame.dropping(dropped) }
    }

    /// The numeric columns `names` as column arrays, refusing nulls and non-finite values
    /// (impute first) with an error naming the column and row.
    static func finiteColumns(_ frame: Frame, _ names: [String], stage: String) throws -> [[Double]] {
        try names.map { n in
            let v = ColumnValues.doubles(try framing(stage) { () throws(FrameError) in try frame.column(n) })
            if let i = v.firstIndex(where: { !$0.isFinite }) {
                throw PipelineError.invalidValue(stage: stage, column: n,
                                                 reason: "missing or non-finite value at row \(i); impute before selecting")
            }
            return v
        }
    }

    /// The class labels of the fit context's target, for supervised selectors.
    static func labels(_ context: FitContext, rows: Int, stage: String) throws -> ClassLabels {
        guard let t = context.target else { throw PipelineError.targetRequired(stage: stage) }
        guard t.count == rows else {
            throw PipelineError.invalidValue(stage: stage, column: "target", reason: "has \(t.count) rows, the frame \(rows)")
        }
        return try ClassLabels(column: t, name: "target")
    }
}

/// Drops numeric columns whose variance is not above ``threshold``, as scikit-learn's
/// `VarianceThreshold`: the population variance ignoring missing values (nulls and `NaN`),
/// and with the default threshold 0 also any column whose range is 0 (so a constant column
/// goes even if rounding leaves it a tiny variance). A column missing entirely has no
/// variance and is dropped. Keeping no column at all is an error, as in scikit-learn.
public struct VarianceThreshold: Transformer {
    public var columns: ColumnSelector
    public var threshold: Double
    public var name: String { "VarianceThreshold" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), threshold: Double = 0) {
        self.columns = columns
        self.threshold = threshold
    }

    /// The input schema: an upper bound until the variances are known (see ``Selection``).
    public func outputSchema(for input: Schema) throws -> Schema {
        _ = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return input
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        guard threshold >= 0, threshold.isFinite else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "threshold must be finite and ≥ 0, not \(threshold)")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        var variances = [Double]()
        for n in names {
            let v = ColumnValues.doubles(try framing(name) { () throws(FrameError) in try frame.column(n) })
            var count = 0.0, sum = 0.0, low = Double.infinity, high = -Double.infinity
            for x in v where !x.isNaN {
                count += 1
                sum += x
                low = min(low, x)
                high = max(high, x)
            }
            let mean = sum / count
            var ss = 0.0
            for x in v where !x.isNaN { ss += (x - mean) * (x - mean) }
            var variance = count > 0 ? ss / count : .nan
            // scikit-learn: with threshold 0, the smaller of variance and range (NaN-free columns only).
            if threshold == 0, count == Double(v.count), count > 0 { variance = min(variance, high - low) }
            variances.append(variance)
        }
        let kept = names.indices.filter { variances[$0] > threshold }.map { names[$0] }
        guard !kept.isEmpty || names.isEmpty else {
            throw PipelineError.invalidValue(stage: name, column: names[0],
                                             reason: "no column has a variance above \(threshold)")
        }
        return Fitted(columns: names, variances: variances, kept: kept,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try Selection.schema(frame.schema, judged: names, kept: kept, stage: name))
    }

    /// Fitted state: each judged column's variance and the columns kept.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "VarianceThreshold"
        public var columns: [String]
        public var variances: [Double]
        public var kept: [String]
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            return try Selection.apply(frame, judged: columns, kept: kept, stage: Self.kind)
        }
    }
}

/// Keeps the `k` numeric columns that score highest against a class target, as
/// scikit-learn's `SelectKBest`: ties at the cut go to the later column, a `NaN` score
/// (a constant column under ANOVA) ranks lowest.
///
/// - ``Score/anovaF``: scikit-learn's `f_classif`, the one-way ANOVA F statistic of each
///   column across classes, with its p-value (exactly as scikit-learn computes them).
/// - ``Score/mutualInformation(neighbors:)``: scikit-learn's `mutual_info_classif` for
///   continuous features (Kraskov's k-nearest-neighbour estimate, Ross's variant for a
///   discrete target): each column scaled to unit deviation and jittered by `1e-10` times
///   its mean magnitude with normal noise from the pipeline's seeded generator, as
///   scikit-learn jitters with its `random_state`. The jitter only breaks ties, so the
///   scores agree with scikit-learn's closely but not bit for bit.
///
/// Judged columns must be finite and non-null (impute first); errors name the column.
public struct SelectKBest: Transformer {
    public enum Score: Sendable, Equatable {
        case anovaF
        case mutualInformation(neighbors: Int)
    }
    public var columns: ColumnSelector
    /// How many columns to keep (`nil`: all, scikit-learn's `k="all"`).
    public var k: Int?
    public var score: Score
    public var name: String { "SelectKBest" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), k: Int?, score: Score = .anovaF) {
        self.columns = columns
        self.k = k
        self.score = score
    }

    /// The input schema: an upper bound until the scores are known (see ``Selection``).
    public func outputSchema(for input: Schema) throws -> Schema {
        _ = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return input
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        if let k, k < 0 { throw PipelineError.invalidConfiguration(stage: name, reason: "k must be ≥ 0, not \(k)") }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        if let k, k > names.count {
            throw PipelineError.invalidConfiguration(stage: name, reason: "k = \(k) but only \(names.count) columns are judged")
        }
        let labels = try Selection.labels(context, rows: frame.rowCount, stage: name)
        let x = try Selection.finiteColumns(frame, names, stage: name)
        var scores = [Double](), pValues: [Double]? = nil
        switch score {
        case .anovaF:
            let r = x.map { Self.anovaF($0, labels) }
            scores = r.map(\.f)
            pValues = r.map(\.p)
        case .mutualInformation(let neighbors):
            guard neighbors >= 1 else {
                throw PipelineError.invalidConfiguration(stage: name, reason: "neighbors must be at least 1")
            }
            scores = MutualInformation.classif(x, labels, neighbors: neighbors, rng: &context.rng)
        }
        let kept = Self.topK(scores, k: k ?? names.count).map { names[$0] }
        return Fitted(columns: names, scores: scores, pValues: pValues, kept: kept,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try Selection.schema(frame.schema, judged: names, kept: kept, stage: name))
    }

    /// The indices of the `k` highest scores, in column order: scikit-learn's stable
    /// ascending sort taking the last `k` (ties favour later columns; `NaN` lowest).
    static func topK(_ scores: [Double], k: Int) -> [Int] {
        let clean = scores.map { $0.isNaN ? -Double.greatestFiniteMagnitude : $0 }
        let ascending = clean.indices.sorted { clean[$0] != clean[$1] ? clean[$0] < clean[$1] : $0 < $1 }
        return ascending.suffix(k).sorted()
    }

    /// scikit-learn's `f_classif` for one column: the F statistic and its p-value, with
    /// scikit-learn's sums-of-squares formulas.
    static func anovaF(_ x: [Double], _ y: ClassLabels) -> (f: Double, p: Double) {
        let k = y.classes.count
        var sums = [Double](repeating: 0, count: k), counts = [Double](repeating: 0, count: k)
        var ssAll = 0.0
        for (i, v) in x.enumerated() {
            sums[y.codes[i]] += v
            counts[y.codes[i]] += 1
            ssAll += v * v
        }
        let n = Double(x.count)
        let present = (0..<k).filter { counts[$0] > 0 }
        let total = present.reduce(0.0) { $0 + sums[$1] }
        let squareOfSums = total * total
        let ssTotal = ssAll - squareOfSums / n
        var ssBetween = present.reduce(0.0) { $0 + sums[$1] * sums[$1] / counts[$1] }
        ssBetween -= squareOfSums / n
        let ssWithin = ssTotal - ssBetween
        let dfBetween = Double(present.count - 1), dfWithin = n - Double(present.count)
        let f = (ssBetween / dfBetween) / (ssWithin / dfWithin)
        return (f, SpecialFunctions.fSurvival(f, dfBetween, dfWithin))
    }

    /// Fitted state: each judged column's score (and p-value, for ANOVA) and the columns kept.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "SelectKBest"
        public var columns: [String]
        public var scores: [Double]
        public var pValues: [Double]?
        public var kept: [String]
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            return try Selection.apply(frame, judged: columns, kept: kept, stage: Self.kind)
        }
    }
}

/// Keeps the numeric columns a fitted model finds important, as scikit-learn's
/// `SelectFromModel`: the estimator is fitted on the judged columns and the target, each
/// column's importance is read from the model (``FeatureImportances``: `|coefficient|`
/// for linear models, summed over classes), and columns with importance at or above the
/// threshold are kept — at most ``maxFeatures`` of them, the most important (ties: the
/// earlier column). The model itself is not kept; the fitted stage stores the importances.
public struct SelectFromModel<E: Learner>: Transformer where E.Model: FeatureImportances {
    /// The importance a column needs to be kept.
    public enum Threshold: Sendable, Equatable {
        /// The mean importance (scikit-learn's default for non-L1 models).
        case mean
        case median
        /// `factor ×` the mean importance (scikit-learn's `"1.25*mean"`).
        case scaledMean(Double)
        case value(Double)
    }
    public var estimator: E
    public var columns: ColumnSelector
    public var threshold: Threshold
    public var maxFeatures: Int?
    public var name: String { "SelectFromModel" }

    public init(_ estimator: E, columns: ColumnSelector = .routeColumns(otherwise: .numeric), threshold: Threshold = .mean, maxFeatures: Int? = nil) {
        self.estimator = estimator
        self.columns = columns
        self.threshold = threshold
        self.maxFeatures = maxFeatures
    }

    /// The input schema: an upper bound until the model is fitted (see ``Selection``).
    public func outputSchema(for input: Schema) throws -> Schema {
        _ = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return input
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> SelectFromModelFitted {
        if let m = maxFeatures, m < 0 {
            throw PipelineError.invalidConfiguration(stage: name, reason: "maxFeatures must be ≥ 0, not \(m)")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        guard let target = context.target else { throw PipelineError.targetRequired(stage: name) }
        _ = try Selection.finiteColumns(frame, names, stage: name)
        let x = try framing(name) { () throws(FrameError) in try frame.matrix(columns: names, as: E.Scalar.self, nulls: .error) }
        let y = try TargetDescription(name: "target", column: target, kind: estimator.targetKind).target(target)
        let model = try estimator.fit(TrainingSet(features: x, featureNames: names, target: y), context: &context)
        let importances = model.featureImportances
        let cut: Double
        switch threshold {
        case .mean: cut = importances.reduce(0, +) / Double(max(1, importances.count))
        case .median: cut = SimpleImputer.median(importances)
        case .scaledMean(let f): cut = f * importances.reduce(0, +) / Double(max(1, importances.count))
        case .value(let v): cut = v
        }
        var candidate = [Bool](repeating: true, count: names.count)
        if let m = maxFeatures {
            let ranked = importances.indices.sorted { importances[$0] != importances[$1] ? importances[$0] > importances[$1] : $0 < $1 }
            candidate = [Bool](repeating: false, count: names.count)
            for j in ranked.prefix(m) { candidate[j] = true }
        }
        let kept = names.indices.filter { candidate[$0] && !(importances[$0] < cut) }.map { names[$0] }
        return SelectFromModelFitted(columns: names, importances: importances, threshold: cut, kept: kept,
                                     inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                                     outputSchema: try Selection.schema(frame.schema, judged: names, kept: kept, stage: name))
    }
}

/// Fitted state of a ``SelectFromModel`` (of any estimator): each judged column's
/// importance, the threshold it was held to, and the columns kept.
public struct SelectFromModelFitted: FittedTransformer, Equatable {
    public static let kind = "SelectFromModel"
    public var columns: [String]
    public var importances: [Double]
    public var threshold: Double
    public var kept: [String]
    public var inputSchema: Schema
    public var outputSchema: Schema

    public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
        try inputSchema.check(frame, stage: Self.kind)
        return try Selection.apply(frame, judged: columns, kept: kept, stage: Self.kind)
    }
}

extension Selection {
    /// Shared by the selectors: judged columns are distinct numeric input columns with one
    /// score each; the kept columns are among them and in the output schema.
    static func validate(_ kind: String, columns: [String], scores: [(String, [Double])], kept: [String],
                         input: Schema, output: Schema) throws {
        let check = StateCheck(kind)
        try check.columns(columns, in: input, types: numericTypes)
        for (field, values) in scores { try check.count(values.count, field, equals: columns.count) }
        try check.unique(kept, "kept")
        let judged = Set(columns)
        for n in kept { try check.require(judged.contains(n), "kept", "'\(n)' is not a judged column") }
        try check.outputs(kept, in: output)
    }
}

extension VarianceThreshold.Fitted {
    public func validate() throws {
        try Selection.validate(Self.kind, columns: columns, scores: [("variances", variances)], kept: kept,
                               input: inputSchema, output: outputSchema)
    }
}

extension SelectKBest.Fitted {
    public func validate() throws {
        try Selection.validate(Self.kind, columns: columns, scores: [("scores", scores)] + (pValues.map { [("pValues", $0)] } ?? []),
                               kept: kept, input: inputSchema, output: outputSchema)
    }
}

extension SelectFromModelFitted {
    public func validate() throws {
        try Selection.validate(Self.kind, columns: columns, scores: [("importances", importances)], kept: kept,
                               input: inputSchema, output: outputSchema)
        try StateCheck(Self.kind).require(!threshold.isNaN, "threshold", "is NaN")
    }
}
