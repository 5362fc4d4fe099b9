import SluiceCompute
import SluiceFrame

/// A fitted pipeline: fitted stages, the feature encoding and a model of any kind. It checks
/// incoming frames against the columns its stages read, transforms them and predicts.
/// Samplers are not part of it. Saved and loaded whole by ``Artifact``; the model's type
/// need not be known to score (``model(as:)`` gives typed access).
public struct FittedPipeline: Codable, Sendable {
    /// The target at training time, or nil for a learner without one.
    public var target: TargetDescription?
    /// The key columns carried through scoring, with their training types.
    public var keys: [Field]
    /// The columns (and types) the stages read: the input a scoring frame must have besides
    /// the keys. Other columns are ignored, order is free.
    public var inputSchema: Schema
    public var stages: [AnyFittedTransformer]
    /// How the last stage's output becomes the model's feature matrix.
    public var features: FeatureEncoding
    /// The fitted model.
    public var model: AnyModel
    /// The seed the pipeline was fitted with.
    public var seed: UInt64
    /// A fingerprint of the training frame (schema and every value), for lineage.
    public var dataFingerprint: String
    /// The learner's configuration, as JSON.
    public var hyperparameters: JSONValue
    /// A classifier's training class counts before and after the samplers (nil for other
    /// targets, and in artifacts written before it was kept).
    public var trainingBalance: ClassBalance? = nil

    /// The names of the features the model sees, in order.
    public var featureNames: [String] { features.allNames }

    /// The model as its concrete type, or an error naming the kind it is.
    public func model<M: FittedModel>(as _: M.Type) throws -> M {
        guard let m = model.base as? M else {
            throw PipelineError.invalidConfiguration(stage: "model",
                reason: "the model is a '\(model.kind)', not a '\(M.kind)'")
        }
        return m
    }

    /// Every problem with `schema` as input to this pipeline (columns missing or of another
    /// type), keys included; empty when it can be scored.
    public func schemaProblems(_ schema: Schema) -> [SchemaProblem] {
        Self.problems(keys + inputSchema.fields, in: schema)
    }

    /// Every field of `fields` that `schema` lacks or types otherwise.
    public static func problems(_ fields: [Field], in schema: Schema) -> [SchemaProblem] {
        fields.compactMap { f in
            guard let actual = schema[f.name] else { return SchemaProblem(column: f.name, expected: f.type, found: nil) }
            return actual.type == f.type ? nil : SchemaProblem(column: f.name, expected: f.type, found: actual.type)
        }
    }

    /// Throws ``PipelineError/inputSchema(_:)`` listing every column of `schema` that is wrong.
    public func check(_ schema: Schema) throws {
        let problems = schemaProblems(schema)
        if !problems.isEmpty { throw PipelineError.inputSchema(problems) }
    }

    /// The feature frame the model sees for `frame`; `report` collects what the stages
    /// worked around (unknown categories).
    ///
    /// In a pipeline with sparse stages (``SparseFeatureTransformer``), sparse features whose
    /// stage is followed by one that consumes them (``SparseFeatureConsumer``, TruncatedSVD)
    /// never appear; those that reach the model are not in a frame, and asking for it is an
    /// error (use ``sparseFeatures(_:as:report:)``).
    public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
        if routesSparse {
            guard features.sparseNames == nil else {
                throw PipelineError.invalidConfiguration(stage: "features",
                    reason: "the pipeline gives sparse features: use sparseFeatures(_:as:) rather than a frame")
            }
            return try sparseTransform(frame, report: &report).0
        }
        let problems = Self.problems(inputSchema.fields, in: frame.schema)
        if !problems.isEmpty { throw PipelineError.inputSchema(problems) }
        var current = try framing("input") { () throws(FrameError) in try frame.selecting(inputSchema.names) }
        for s in stages { current = try s.base.transform(current, report: &report) }
        return current
    }

    /// Whether a stage gives its features as CSR inside this pipeline.
    var routesSparse: Bool {
        stages.contains { ($0.base as? any SparseFeatureTransformer)?.producesSparse == true }
    }

    /// The feature matrix the model sees for `frame`, in the model's scalar type.
    public func features<S: BLASScalar>(_ frame: Frame, as _: S.Type = Double.self, report: inout TransformReport) throws -> Matrix<S> {
        try features.matrix(transform(frame, report: &report), report: &report)
    }

    /// The CSR feature matrix the model sees for `frame` (the frame's features, then each
    /// sparse stage's), in the scalar `S`; for a pipeline without sparse stages, its dense
    /// features as CSR.
    public func sparseFeatures<S: BLASScalar>(_ frame: Frame, as _: S.Type = Double.self,
                                              report: inout TransformReport) throws -> SparseMatrix<S> {
        let (rest, blocks) = try sparseTransform(frame, report: &report)
        return try SparseFeatures.assemble(dense: features.matrix(rest, report: &report), blocks: blocks, as: S.self)
    }

    /// The stages' output for `frame` with each sparse stage's features as a block.
    func sparseTransform(_ frame: Frame, report: inout TransformReport) throws -> (Frame, [SparseFeatureBlock]) {
        let problems = Self.problems(inputSchema.fields, in: frame.schema)
        if !problems.isEmpty { throw PipelineError.inputSchema(problems) }
        let input = try framing("input") { () throws(FrameError) in try frame.selecting(inputSchema.names) }
        return try SparseFeatures.transform(input, stages: stages, report: &report)
    }

    /// The feature matrix the model sees for `frame`.
    public func features<S: BLASScalar>(_ frame: Frame, as scalar: S.Type = Double.self) throws -> Matrix<S> {
        var report = TransformReport()
        return try features(frame, as: scalar, report: &report)
    }

    /// The model's raw output for `frame`.
    func output(_ frame: Frame, report: inout TransformReport) throws -> ModelOutput {
        if features.sparseNames != nil {
            let (rest, blocks) = try sparseTransform(frame, report: &report)
            return try SparseFeatures.output(model.base, dense: features.matrix(rest, report: &report), blocks: blocks)
        }
        let transformed = try transform(frame, report: &report)
        let base: any FittedModel = model.base
        return try Self.output(of: base, transformed, features, &report)
    }

    private static func output<M: FittedModel>(of model: M, _ frame: Frame, _ encoding: FeatureEncoding,
                                               _ report: inout TransformReport) throws -> ModelOutput {
        try model.output(encoding.matrix(frame, report: &report))
    }

    /// Predictions for every row of `frame`, with the transform report.
    public func predict(_ frame: Frame, report: inout TransformReport) throws -> Predictions {
        switch try output(frame, report: &report) {
        case .probabilities(let p):
            guard let target, let classes = target.classes, p.columns == classes.count, p.rows == frame.rowCount else {
                throw PipelineError.invalidValue(stage: "model", column: "probabilities",
                    reason: "the model's class count does not match the target's")
            }
            let codes = p.rowArgmax()
            return Predictions(values: try target.classColumn(codes), codes: codes, probabilities: p, classes: classes)
        case .values(let v):
            return Predictions(values: .double(v))
        case .clusters(let c):
            return Predictions(values: .int64(c.map { Int64($0) }), codes: c)
        }
    }

    /// Predictions for every row of `frame`.
    public func predict(_ frame: Frame) throws -> Predictions {
        var report = TransformReport()
        return try predict(frame, report: &report)
    }

    /// Class probabilities (`rows × classes`, columns in the order of `target.classes`).
    public func predictProbabilities(_ frame: Frame) throws -> Matrix<Double> {
        guard let p = try predict(frame).probabilities else {
            throw PipelineError.invalidConfiguration(stage: "model", reason: "a '\(model.kind)' model gives no class probabilities")
        }
        return p
    }

    /// The model's raw decision function (logits, margins) for `frame`, where it has one.
    public func decisionFunction(_ frame: Frame) throws -> Matrix<Double> {
        guard let m = model.base as? any DecisionFunctionModel else {
            throw PipelineError.invalidConfiguration(stage: "model", reason: "a '\(model.kind)' model has no decision function")
        }
        var report = TransformReport()
        if features.sparseNames != nil {
            let (rest, blocks) = try sparseTransform(frame, report: &report)
            return try SparseFeatures.decision(m, dense: features.matrix(rest, report: &report), blocks: blocks)
        }
        let transformed = try transform(frame, report: &report)
        return try Self.decision(of: m, transformed, features, &report)
    }

    private static func decision<M: DecisionFunctionModel>(of model: M, _ frame: Frame, _ encoding: FeatureEncoding,
                                                           _ report: inout TransformReport) throws -> Matrix<Double> {
        try model.decisionFunction(encoding.matrix(frame, report: &report))
    }

    /// The columns of the training frame the fitted stages need: each stage's input columns
    /// not made by an earlier stage, and the features passed through from the input.
    static func requiredInput(_ training: Schema, stages: [AnyFittedTransformer], features: [String]) throws -> Schema {
        var needed = Set<String>(), made = Set<String>()
        for s in stages {
            for f in s.base.inputSchema.fields where !made.contains(f.name) { needed.insert(f.name) }
            for n in s.base.outputSchema.names where training[n] == nil { made.insert(n) }
        }
        for n in features where !made.contains(n) { needed.insert(n) }
        return try framing("pipeline") { () throws(FrameError) in try Schema(training.fields.filter { needed.contains($0.name) }) }
    }
}

/// One column of an input that does not fit a fitted pipeline.
public struct SchemaProblem: Sendable, Equatable, CustomStringConvertible {
    public var column: String
    public var expected: ColumnType
    /// The type the data has, or nil when the column is missing.
    public var found: ColumnType?

    public init(column: String, expected: ColumnType, found: ColumnType?) {
        self.column = column
        self.expected = expected
        self.found = found
    }

    public var description: String {
        "'\(column)' (model expects \(expected.rawValue), data has \(found?.rawValue ?? "no such column"))"
    }
}
