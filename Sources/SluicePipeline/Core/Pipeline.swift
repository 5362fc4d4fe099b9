import SluiceCompute
import SluiceFrame

/// One step of a pipeline: a row-preserving transformer, or a sampler (fit path only).
public enum PipelineStep: Sendable {
    case transformer(any Transformer)
    case sampler(any Sampler)

    var name: String {
        switch self {
        case .transformer(let t): return t.name
        case .sampler(let s): return s.name
        }
    }
}

/// Builds a pipeline's steps from a list of stages written one per line.
@resultBuilder
public enum PipelineBuilder {
    public static func buildExpression(_ stage: some Transformer) -> [PipelineStep] { [.transformer(stage)] }
    public static func buildExpression(_ sampler: some Sampler) -> [PipelineStep] { [.sampler(sampler)] }
    public static func buildExpression(_ steps: [PipelineStep]) -> [PipelineStep] { steps }
    public static func buildBlock(_ parts: [PipelineStep]...) -> [PipelineStep] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [PipelineStep]?) -> [PipelineStep] { part ?? [] }
    public static func buildEither(first: [PipelineStep]) -> [PipelineStep] { first }
    public static func buildEither(second: [PipelineStep]) -> [PipelineStep] { second }
    public static func buildArray(_ parts: [[PipelineStep]]) -> [PipelineStep] { parts.flatMap { $0 } }
}

/// A final estimator a pipeline can end with: it fits on the numeric features the stages
/// produce and the raw target column. ``Classifier``s and ``Regressor``s are estimators.
public protocol Estimator: Sendable {
    associatedtype Model: PredictiveModel
    /// Fits on features and the target column (converted as the estimator needs).
    func fit(features: Matrix<Double>, target: Column, sampleWeights: [Double]?) throws -> Model
}

/// A fitted model a pipeline ends with.
public protocol PredictiveModel: Codable, Sendable {
    var featureCount: Int { get }
    /// Predictions for each row of `x`.
    func predictions(_ x: Matrix<Double>) throws -> Predictions
}

/// A pipeline's output for a batch of rows.
public struct Predictions: Sendable {
    /// The predicted value: class names for a classifier, numbers for a regressor.
    public var values: Column
    /// Class probabilities (`rows × classes.count`), for classifiers.
    public var probabilities: Matrix<Double>?
    /// The class names, in the order of probability columns.
    public var classes: [String]?
}

extension ClassLabels {
    /// Class labels from a target column: strings as they are, numbers by their text,
    /// booleans as `false`/`true`. A null is an error naming its row.
    public init(column: Column, name: String) throws {
        guard column.nullCount == 0 else {
            let row = (0..<column.count).first { column.isNull($0) } ?? 0
            throw PipelineError.invalidValue(stage: "target", column: name,
                reason: "\(column.nullCount) nulls (first at row \(row)); drop unlabelled rows before fitting")
        }
        switch column.data {
        case .string(let s):
            self.init(s.codes.map { s.dictionary[Int($0)] })
        case .int64(let v):
            self.init(v)
        case .bool(let v):
            self.init(codes: v.map { $0 ? 1 : 0 }, classes: ["false", "true"])
        case .double(let v):
            let classes = Array(Set(v)).sorted()
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            self.init(codes: v.map { index[$0]! }, classes: classes.map { "\($0)" })
        default:
            throw PipelineError.unsupportedType(stage: "target", column: name, type: column.type,
                                                expected: "string, int64, bool or double")
        }
    }
}

extension Classifier {
    public func fit(features: Matrix<Double>, target: Column, sampleWeights: [Double]?) throws -> Model {
        try fit(features, ClassLabels(column: target, name: "target"), sampleWeights: sampleWeights)
    }
}

extension Regressor {
    public func fit(features: Matrix<Double>, target: Column, sampleWeights: [Double]?) throws -> Model {
        let y = try Frame(named: [("target", target)]).matrix(columns: ["target"], nulls: .error).elements
        return try fit(features, y, sampleWeights: sampleWeights)
    }
}

extension ClassificationModel {
    public func predictions(_ x: Matrix<Double>) throws -> Predictions {
        let p = try predictProbabilities(x)
        let best = p.rowArgmax()
        return Predictions(values: .string(best.map { classes[$0] }), probabilities: p, classes: classes)
    }
}

extension RegressionModel {
    public func predictions(_ x: Matrix<Double>) throws -> Predictions {
        Predictions(values: .double(try predict(x)), probabilities: nil, classes: nil)
    }
}

/// Preprocessing stages and samplers, then an estimator, fitted as one.
///
/// ```swift
/// let pipeline = Pipeline(target: "churned", estimator: LogisticRegression()) {
///     SimpleImputer(columns: .numeric, strategy: .median)
///     StandardScaler(columns: .numeric)
///     OneHotEncoder(columns: .categorical)
/// }
/// let fitted = try pipeline.fit(trainingFrame, seed: 7)
/// let predictions = try fitted.predict(scoringFrame)
/// ```
public struct Pipeline<E: Estimator>: Sendable {
    /// The name of the target column.
    public var target: String
    public var steps: [PipelineStep]
    public var estimator: E

    public init(target: String, estimator: E, @PipelineBuilder steps: () -> [PipelineStep]) {
        self.target = target
        self.estimator = estimator
        self.steps = steps()
    }

    /// The schema the stages produce from `input` (the target removed), checked stage by
    /// stage before any data moves; throws at the first stage that cannot take its input.
    public func outputSchema(for input: Schema) throws -> Schema {
        var schema = try framing("pipeline") { () throws(FrameError) in try Schema(input.fields.filter { $0.name != target }) }
        for case .transformer(let t) in steps { schema = try t.outputSchema(for: schema) }
        for f in schema.fields where !f.type.isNumeric && !f.name.hasSuffix("=…") {
            throw PipelineError.nonNumericFeature(column: f.name, type: f.type)
        }
        return schema
    }

    /// Fits every stage in order (samplers resample the rows on the way), then the estimator.
    /// `seed` drives every random choice: the same data and seed give the same fitted pipeline.
    public func fit(_ frame: Frame, seed: UInt64, sampleWeights: [Double]? = nil) throws -> FittedPipeline<E.Model> {
        _ = try outputSchema(for: frame.schema)
        var targetColumn = try framing("pipeline") { () throws(FrameError) in try frame.column(target) }
        var current = try framing("pipeline") { () throws(FrameError) in try frame.dropping([target]) }
        let inputSchema = current.schema
        var context = FitContext(seed: seed, target: targetColumn)
        var fitted: [AnyFittedTransformer] = []
        for step in steps {
            switch step {
            case .transformer(let t):
                let (f, out) = try t.fitTransform(current, context: &context)
                current = out
                fitted.append(AnyFittedTransformer(f))
            case .sampler(let s):
                if sampleWeights != nil {
                    throw PipelineError.invalidConfiguration(stage: s.name,
                        reason: "sample weights cannot follow rows through a sampler; use class weights instead")
                }
                (current, targetColumn) = try s.resample(current, target: targetColumn, context: &context)
                context.target = targetColumn
            }
        }
        let x = try FittedPipeline<E.Model>.featureMatrix(current)
        let model = try estimator.fit(features: x, target: targetColumn, sampleWeights: sampleWeights)
        return FittedPipeline(target: target, inputSchema: inputSchema, stages: fitted,
                              featureNames: current.columnNames, model: model, seed: seed,
                              dataFingerprint: Fingerprint.of(frame), hyperparameters: "\(estimator)")
    }
}

/// A fitted pipeline: fitted stages and a model. It checks incoming frames against the
/// schema it was trained on, transforms them, and predicts. Samplers are not part of it.
public struct FittedPipeline<Model: PredictiveModel>: Codable, Sendable {
    /// The target column's name at training time.
    public var target: String
    /// The columns (and types) the pipeline reads; others are ignored, order is free.
    public var inputSchema: Schema
    public var stages: [AnyFittedTransformer]
    /// The names of the features the model sees, in order.
    public var featureNames: [String]
    public var model: Model
    /// The seed the pipeline was fitted with.
    public var seed: UInt64
    /// A fingerprint of the training frame (schema and every value), for lineage.
    public var dataFingerprint: String
    /// The estimator's configuration, as text.
    public var hyperparameters: String

    /// The feature frame the model sees for `frame`; `report` collects what the stages
    /// worked around (unknown categories).
    public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
        try inputSchema.check(frame, stage: "input")
        var current = try framing("input") { () throws(FrameError) in try frame.selecting(inputSchema.names) }
        for s in stages { current = try s.base.transform(current, report: &report) }
        return current
    }

    /// Predictions for every row of `frame`.
    public func predict(_ frame: Frame) throws -> Predictions {
        var report = TransformReport()
        return try predict(frame, report: &report)
    }

    /// Predictions for every row of `frame`, with the transform report.
    public func predict(_ frame: Frame, report: inout TransformReport) throws -> Predictions {
        try model.predictions(features(frame, report: &report))
    }

    /// The feature matrix the model sees for `frame` (`rows × featureNames.count`).
    public func features(_ frame: Frame) throws -> Matrix<Double> {
        var report = TransformReport()
        return try features(frame, report: &report)
    }

    /// The feature matrix the model sees for `frame`, with the transform report.
    public func features(_ frame: Frame, report: inout TransformReport) throws -> Matrix<Double> {
        try Self.featureMatrix(transform(frame, report: &report))
    }

    static func featureMatrix(_ frame: Frame) throws -> Matrix<Double> {
        for f in frame.schema.fields where !f.type.isNumeric {
            throw PipelineError.nonNumericFeature(column: f.name, type: f.type)
        }
        return try framing("estimator input") { () throws(FrameError) in
            try frame.matrix(columns: frame.columnNames, nulls: .error)
        }
    }
}
