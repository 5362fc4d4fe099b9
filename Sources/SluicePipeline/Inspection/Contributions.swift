import SluiceCompute
import SluiceFrame

/// A fitted model that explains each prediction as per-feature contributions (SHAP values)
/// that add up, with an expected value, to its raw output.
///
/// For output `k` of ``contributionOutputs`` and row `i`, `contributions(x)[i, k·p + j]`
/// is feature `j`'s contribution (`p` = ``FittedModel/featureCount``), and
/// `expectedValues[k] + Σⱼ contributions[i, k·p + j]` is the model's output `k` for the
/// row. Which output is explained is the model's to document: the logit for logistic
/// regression and boosting, each class's probability for scikit-learn-style trees and forests
/// (as `shap` explains them), the prediction for regressors.
public protocol ContributionModel: FittedModel {
    /// The number of outputs explained.
    var contributionOutputs: Int { get }
    /// The expected output of each output over the training data.
    var expectedValues: [Double] { get }
    /// `n × (contributionOutputs · featureCount)` contributions.
    func contributions(_ x: Matrix<Scalar>) throws -> Matrix<Double>
}

/// Why contributions cannot be computed or mapped to input columns.
public enum ContributionError: Error, Equatable, Sendable, CustomStringConvertible, ExitClassified {
    /// The model has no contributions (it is not a ``ContributionModel``).
    case notExplainable(model: String)
    /// The model was stored without what its contributions are measured against (a linear
    /// model's training means, in artifacts written before they were kept).
    case noBaseline(model: String)
    /// A stage makes a column from several input columns (PCA, polynomial features, ratios,
    /// k-NN imputation, custom code), or its lineage is unknown, so a contribution to it
    /// cannot be given to one input column.
    case mixesColumns(stage: String, column: String)
    /// The pipeline gives the model sparse features, which contributions do not take.
    case sparseFeatures
    /// A number of reasons below 0.
    case invalidReasonCount(Int)

    public var description: String {
        switch self {
        case let .notExplainable(model): return "contributions: a '\(model)' model has no contributions (trees, forests, boosting, linear and logistic regression have)"
        case let .noBaseline(model): return "contributions: this '\(model)' model was stored without its training means; refit it"
        case let .mixesColumns(stage, column):
            return "contributions: \(stage) makes '\(column)' from several input columns, so its contribution has no one input column"
        case .sparseFeatures: return "contributions: the pipeline gives sparse features, which contributions do not take"
        case let .invalidReasonCount(k): return "reasons: the number of reasons must be 0 or more, got \(k)"
        }
    }

    /// A request the model or pipeline cannot answer is configuration (78); a bad count is usage (64).
    public var exitStatus: ExitStatus {
        if case .invalidReasonCount = self { return .usage }
        return .configuration
    }
}

/// Contributions of a pipeline's input columns (or of its model's features) to each row's output.
///
/// `values[i, k · columns.count + j]` is column `j`'s contribution to output `k` for row `i`,
/// and `expectedValues[k]` plus the row's contributions to `k` is the model's output `k`.
public struct Contributions: Sendable, Equatable {
    /// What each contribution is attributed to, in order: input columns, or features.
    public var columns: [String]
    /// The outputs explained: class names (the class whose score or probability is explained),
    /// or the target's name for a regressor.
    public var outputs: [String]
    /// The expected value of each output.
    public var expectedValues: [Double]
    /// `rows × (outputs.count · columns.count)`.
    public var values: Matrix<Double>

    public init(columns: [String], outputs: [String], expectedValues: [Double], values: Matrix<Double>) {
        self.columns = columns
        self.outputs = outputs
        self.expectedValues = expectedValues
        self.values = values
    }

    /// Column `column`'s contribution to output `output` for row `row`.
    public func value(row: Int, output: Int, column: Int) -> Double { values[row, output * columns.count + column] }

    /// The expected value plus row `row`'s contributions to output `output`: the model's output.
    public func total(row: Int, output: Int) -> Double {
        (0..<columns.count).reduce(expectedValues[output]) { $0 + value(row: row, output: output, column: $1) }
    }

    /// The same contributions summed over the groups of columns `owner` gives (`owner[j]` is
    /// the index into `names` column `j` belongs to).
    func grouped(into names: [String], owner: [Int]) -> Contributions {
        let n = values.rows, p = columns.count, q = names.count, m = outputs.count
        var out = Matrix<Double>(rows: n, columns: m * q)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    for k in 0..<m {
                        for j in 0..<p { o[i * m * q + k * q + owner[j]] += v[i * m * p + k * p + j] }
                    }
                }
            }
        }
        return Contributions(columns: names, outputs: outputs, expectedValues: expectedValues, values: out)
    }
}

// MARK: - Column lineage

/// A fitted stage that says which one of its input columns each of its output columns is
/// computed from, so that a contribution to a feature can be given to an input column.
///
/// Stages that scale, impute, clip, transform or encode each column on its own conform;
/// stages that mix columns (PCA, polynomial features, ratios, k-NN imputation) do not, and a
/// pipeline holding one refuses per-column contributions with ``ContributionError/mixesColumns(stage:column:)``.
public protocol ColumnLineage {
    /// For each output column the stage makes under a new name, the input column it is made
    /// from alone. An output column named as an input column (rewritten in place, or passed
    /// through) comes from that column and need not be listed.
    func columnSources() throws -> [String: String]
}

extension ColumnLineage {
    public func columnSources() throws -> [String: String] { [:] }
}

extension StandardScaler.Fitted: ColumnLineage {}
extension MinMaxScaler.Fitted: ColumnLineage {}
extension MaxAbsScaler.Fitted: ColumnLineage {}
extension RobustScaler.Fitted: ColumnLineage {}
extension Log1pTransform.Fitted: ColumnLineage {}
extension PowerTransformer.Fitted: ColumnLineage {}
extension PowerFeature.Fitted: ColumnLineage {}
extension QuantileTransformer.Fitted: ColumnLineage {}
extension OutlierClipper.Fitted: ColumnLineage {}
extension OrdinalEncoder.Fitted: ColumnLineage {}
extension KBinsDiscretizer.Fitted: ColumnLineage {}
extension VarianceThreshold.Fitted: ColumnLineage {}
extension SelectKBest.Fitted: ColumnLineage {}
extension SelectFromModelFitted: ColumnLineage {}

extension SimpleImputer.Fitted: ColumnLineage {
    /// Each `NAME_missing` indicator comes from `NAME`.
    public func columnSources() throws -> [String: String] {
        Dictionary(indicators.map { ("\($0)_missing", $0) }, uniquingKeysWith: { a, _ in a })
    }
}

extension OneHotEncoder.Fitted: ColumnLineage {
    /// Each indicator `column=category` comes from its column.
    public func columnSources() throws -> [String: String] {
        Dictionary(encodings.flatMap { e in e.outputNames.map { ($0, e.column) } }, uniquingKeysWith: { a, _ in a })
    }
}

extension DateParts.Fitted: ColumnLineage {
    /// Each part `NAME_part` comes from `NAME`.
    public func columnSources() throws -> [String: String] { ColumnLineages.byPrefix(outputSchema, of: columns) }
}

extension TargetEncoder.Fitted: ColumnLineage {
    /// Each encoded column (one per class for a multiclass target) comes from its column.
    public func columnSources() throws -> [String: String] {
        ColumnLineages.byPrefix(outputSchema, of: encodings.map(\.column))
    }
}

extension ColumnTransformer.Fitted: ColumnLineage {
    /// Each route's outputs come from the route's input columns, through its stages' lineage.
    public func columnSources() throws -> [String: String] {
        var sources = [String: String]()
        for r in routes {
            var owner = Dictionary(r.columns.map { ($0, $0) }, uniquingKeysWith: { a, _ in a })
            try ColumnLineages.walk(r.stages, owner: &owner)
            let out = r.stages.last?.base.outputSchema.names ?? r.columns
            for name in out {
                guard let o = owner[name] else { throw ContributionError.mixesColumns(stage: Self.kind, column: name) }
                sources[name] = o
            }
        }
        return sources
    }
}

/// Walking stages to find each feature's input column.
enum ColumnLineages {
    /// Updates `owner` (column name → the input column it comes from) through `stages`;
    /// throws naming the first stage that mixes columns or has no lineage.
    static func walk(_ stages: [AnyFittedTransformer], owner: inout [String: String]) throws {
        for s in stages {
            let kind = type(of: s.base).kind
            guard let lineage = s.base as? any ColumnLineage else {
                throw ContributionError.mixesColumns(stage: kind, column: s.base.outputSchema.names.first ?? "")
            }
            let sources = try lineage.columnSources(), reads = Set(s.base.inputSchema.names)
            var next = owner
            for name in s.base.outputSchema.names {
                let source = sources[name] ?? name
                // A column the stage neither reads nor makes passes through (its owner, if any, stays).
                if sources[name] == nil && !reads.contains(name) { continue }
                guard let o = owner[source] else { throw ContributionError.mixesColumns(stage: kind, column: name) }
                next[name] = o
            }
            owner = next
        }
    }

    /// Output columns named as one of `columns` followed by `_`, `=` or `.` (the longest such
    /// column) come from it; a column named as one comes from itself.
    static func byPrefix(_ schema: Schema, of columns: [String]) -> [String: String] {
        let byLength = columns.sorted { $0.count > $1.count }
        var out = [String: String]()
        for name in schema.names where !columns.contains(name) {
            if let c = byLength.first(where: { c in
                name.hasPrefix(c) && name.dropFirst(c.count).first.map { "_=.".contains($0) } == true
            }) { out[name] = c }
        }
        return out
    }
}

// MARK: - Pipeline contributions

extension FittedPipeline {
    /// The input column each of the model's features comes from (``featureNames`` order),
    /// and the explained input columns (those that give at least one feature, in input order).
    /// Throws ``ContributionError/mixesColumns(stage:column:)`` naming a stage that mixes columns.
    public func featureLineage() throws -> (owners: [Int], columns: [String]) {
        guard features.sparseNames == nil else { throw ContributionError.sparseFeatures }
        var owner = Dictionary(inputSchema.names.map { ($0, $0) }, uniquingKeysWith: { a, _ in a })
        try ColumnLineages.walk(stages, owner: &owner)
        let names = try features.names.map { n in
            guard let o = owner[n] else { throw ContributionError.mixesColumns(stage: "features", column: n) }
            return o
        }
        let used = Set(names)
        let columns = inputSchema.names.filter { used.contains($0) }
        let index = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return (names.map { index[$0] ?? 0 }, columns)
    }

    /// The names of the outputs the model's contributions explain, or an error for a model without.
    func contributionOutputNames(_ model: any ContributionModel) -> [String] {
        let m = model.contributionOutputs
        if let classes = target?.classes {
            if m == classes.count { return classes }
            if m == 1, classes.count == 2 { return [classes[1]] }
        }
        return m == 1 ? [target?.name ?? "prediction"] : (0..<m).map { "output_\($0)" }
    }

    /// Each row's contributions (SHAP values) to the model's output, per **input column**
    /// (`byInputColumn`, the default: a one-hot group, an imputer's indicator, a scaled or
    /// imputed column sum to the column they came from) or per feature of the model.
    ///
    /// What is explained is the model's output as its ``ContributionModel`` documents it:
    /// the logit of `classes[1]` (binary) or each class's score for logistic regression and
    /// boosting, each class's probability for trees and forests, the prediction for regressors.
    /// Expected value plus a row's contributions equal that output.
    ///
    /// Throws ``ContributionError`` for a model without contributions, a pipeline with sparse
    /// features, or (per input column) a stage that mixes columns.
    public func contributions(_ frame: Frame, byInputColumn: Bool = true) throws -> Contributions {
        var report = TransformReport()
        return try contributions(frame, byInputColumn: byInputColumn, report: &report)
    }

    /// ``contributions(_:byInputColumn:)`` with the transform report.
    public func contributions(_ frame: Frame, byInputColumn: Bool = true, report: inout TransformReport) throws -> Contributions {
        guard let m = model.base as? any ContributionModel else { throw ContributionError.notExplainable(model: model.kind) }
        guard features.sparseNames == nil else { throw ContributionError.sparseFeatures }
        let lineage = byInputColumn ? try featureLineage() : nil
        let transformed = try transform(frame, report: &report)
        let (values, expected) = try Self.explain(m, transformed, features, &report)
        let perFeature = Contributions(columns: features.names, outputs: contributionOutputNames(m), expectedValues: expected,
                                       values: values)
        guard let lineage else { return perFeature }
        return perFeature.grouped(into: lineage.columns, owner: lineage.owners)
    }

    private static func explain<M: ContributionModel>(_ model: M, _ frame: Frame, _ encoding: FeatureEncoding,
                                                      _ report: inout TransformReport) throws -> (Matrix<Double>, [Double]) {
        let x: Matrix<M.Scalar> = try encoding.matrix(frame, report: &report)
        return (try model.contributions(x), model.expectedValues)
    }
}

// MARK: - Reasons in the score output

extension FittedPipeline {
    /// How many reasons ``score(_:output:report:)`` writes for `output`: its ``ScoreOutput/reasons``,
    /// at most the number of explained input columns; 0 without reasons. Throws when reasons are
    /// asked of a model or pipeline that cannot give them.
    func reasonCount(_ output: ScoreOutput) throws -> Int {
        guard output.reasons != 0 else { return 0 }
        guard output.reasons > 0 else { throw ContributionError.invalidReasonCount(output.reasons) }
        guard model.base is any ContributionModel else { throw ContributionError.notExplainable(model: model.kind) }
        guard target?.kind == .classes || target?.kind == .values else { throw ContributionError.notExplainable(model: model.kind) }
        return min(output.reasons, try featureLineage().columns.count)
    }

    /// The reason fields: `reason_1`, `reason_1_value`, … (`output.reasonPrefix`), a `string`
    /// naming the input column and its `double` contribution, for each of ``reasonCount(_:)``.
    func reasonFields(_ output: ScoreOutput) throws -> [Field] {
        let k = try reasonCount(output)
        guard k > 0 else { return [] }
        return (1...k).flatMap { r in
            [Field("\(output.reasonPrefix)\(r)", .string, nullable: false),
             Field("\(output.reasonPrefix)\(r)_value", .double, nullable: false)]
        }
    }

    /// The reason columns for `frame`, whose predictions are `predictions`: per row, the input
    /// columns with the largest contributions in magnitude (ties in input column order) to the
    /// output behind the prediction (the predicted class's score or probability; for a binary
    /// model with one score, its logit, negated when class 0 is predicted; a regressor's value),
    /// so that a positive value pushes toward what was predicted.
    func reasonColumns(_ frame: Frame, output: ScoreOutput, predictions: Predictions) throws -> [Column] {
        let k = try reasonCount(output)
        guard k > 0 else { return [] }
        var scratch = TransformReport()
        let c = try contributions(frame, byInputColumn: true, report: &scratch)
        let n = c.values.rows, q = c.columns.count, m = c.outputs.count
        let codes = predictions.codes
        var names = [[Int32]](repeating: [Int32](repeating: 0, count: n), count: k)
        var values = [[Double]](repeating: [Double](repeating: 0, count: n), count: k)
        var order = [Int](repeating: 0, count: q), row = [Double](repeating: 0, count: q)
        c.values.withUnsafeBufferPointer { v in
            for i in 0..<n {
                var out = 0, sign = 1.0
                if let codes, i < codes.count {
                    if m > 1 { out = min(codes[i], m - 1) } else if codes[i] == 0 && target?.classes?.count == 2 { sign = -1 }
                }
                let base = i * m * q + out * q
                for j in 0..<q { row[j] = sign * v[base + j]; order[j] = j }
                order.sort { a, b in
                    let (x, y) = (Self.magnitude(row[a]), Self.magnitude(row[b]))
                    return x != y ? x > y : a < b
                }
                for r in 0..<k {
                    names[r][i] = Int32(order[r])
                    values[r][i] = row[order[r]]
                }
            }
        }
        return (0..<k).flatMap { r in
            [Column(.string(StringColumn(codes: names[r], dictionary: c.columns))), Column(.double(values[r]))]
        }
    }

    /// `|v|`, with NaN below every number (so that sorting stays a strict order).
    private static func magnitude(_ v: Double) -> Double { v.isNaN ? -1 : abs(v) }
}
