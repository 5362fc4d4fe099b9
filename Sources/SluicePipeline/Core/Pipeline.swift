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

/// Preprocessing stages and samplers, then a learner, fitted as one.
///
/// ```swift
/// let pipeline = Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression()) {
///     SimpleImputer(columns: .numeric, strategy: .median)
///     StandardScaler(columns: .numeric)
///     OneHotEncoder(columns: .categorical)
/// }
/// let fitted = try pipeline.fit(trainingFrame, seed: 7)
/// let scored = try fitted.score(scoringFrame)        // customer_id, prediction, probability_…
/// ```
///
/// The target and the key columns are taken out before the first stage: keys travel
/// through scoring untouched and never become features.
public struct Pipeline<L: Learner>: Sendable {
    /// The name of the target column; nil for a learner without one (clustering).
    public var target: String?
    /// Key columns (ids): carried through scoring, never features.
    public var keys: [String]
    public var steps: [PipelineStep]
    /// The learner the pipeline ends with.
    public var estimator: L

    public init(target: String?, keys: [String] = [], estimator: L,
                @PipelineBuilder steps: () -> [PipelineStep] = { [] }) {
        self.target = target
        self.keys = keys
        self.estimator = estimator
        self.steps = steps()
    }

    /// The feature schema the stages produce from `input` (target and keys removed), checked
    /// stage by stage before any data moves, and against what the learner accepts; throws
    /// at the first stage that cannot take its input.
    public func outputSchema(for input: Schema) throws -> Schema {
        try checkTarget(in: input)
        let taken = Set(keys + (target.map { [$0] } ?? []))
        for k in keys where input[k] == nil { throw PipelineError.missingColumn(stage: "pipeline keys", column: k) }
        var schema = try framing("pipeline") { () throws(FrameError) in try Schema(input.fields.filter { !taken.contains($0.name) }) }
        for case .transformer(let t) in steps { schema = try t.outputSchema(for: schema) }
        try SparseFeatures.checkPlan(steps, learner: estimator)
        try FeatureEncoding.check(schema, requirements: estimator.featureRequirements, planned: true)
        return schema
    }

    private func checkTarget(in input: Schema) throws {
        switch (estimator.targetKind, target) {
        case (.none, .some(let t)):
            throw PipelineError.invalidConfiguration(stage: "pipeline",
                reason: "\(estimator.name) learns without a target; drop target '\(t)' (use keys: to carry it)")
        case (.classes, nil), (.values, nil):
            throw PipelineError.invalidConfiguration(stage: "pipeline", reason: "\(estimator.name) needs a target column")
        case (_, .some(let t)) where input[t] == nil:
            throw PipelineError.missingColumn(stage: "pipeline target", column: t)
        default: break
        }
        if let t = target, keys.contains(t) {
            throw PipelineError.invalidConfiguration(stage: "pipeline", reason: "'\(t)' is both the target and a key")
        }
    }

    /// Fits every stage in order (samplers resample the rows on the way), then the learner.
    ///
    /// - Parameters:
    ///   - seed: drives every random choice: the same data and seed give the same fitted
    ///     pipeline, byte for byte. Deterministic learners ignore it.
    ///   - sampleWeights: one weight per row of `frame` (not allowed with a sampler).
    ///   - validation: held-out rows (with the target) the learner may monitor, transformed
    ///     by the stages fitted here.
    ///   - observer: receives the learner's progress (iterations, epochs, trees).
    ///   - isCancelled: checked by long fits between steps; returning true stops the fit
    ///     with ``FitCancelled``.
    public func fit(_ frame: consuming Frame, seed: UInt64 = 0, sampleWeights: [Double]? = nil, validation: Frame? = nil,
                    observer: (@Sendable (FitProgress) -> Void)? = nil,
                    isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> FittedPipeline {
        _ = try outputSchema(for: frame.schema)
        if let w = sampleWeights, w.count != frame.rowCount {
            throw PipelineError.invalidConfiguration(stage: "pipeline",
                reason: "\(w.count) sample weights for \(frame.rowCount) rows")
        }
        var targetColumn = try target.map { t in try framing("pipeline") { () throws(FrameError) in try frame.column(t) } }
        let originalTarget = targetColumn
        let keyFields = try keys.map { k in try frame.schema.require(k, stage: "pipeline keys") }
        var current = try framing("pipeline") { () throws(FrameError) in
            try frame.dropping(keys + (target.map { [$0] } ?? []))
        }
        // The input is not needed past here: a caller that hands it over (`consume`) has its
        // columns freed as the first stage replaces them.
        let fingerprint = Fingerprint.of(frame)
        _ = consume frame
        let trainingSchema = current.schema
        var context = FitContext(seed: seed, target: targetColumn, observer: observer, isCancelled: isCancelled)
        var fitted: [AnyFittedTransformer] = []
        var sparseBlocks: [SparseFeatureBlock] = []
        for step in steps {
            try context.checkCancellation(step.name)
            switch step {
            case .transformer(let t as any SparseOutputStage) where t.producesSparse:
                let (f, out, block) = try t.fitSparse(current, context: &context)
                current = out
                fitted.append(AnyFittedTransformer(f))
                sparseBlocks.append(block)
            case .transformer(let t as any SparseConsumingStage) where !sparseBlocks.isEmpty:
                let (f, out) = try t.fit(current, sparse: SparseFeatures.merged(sparseBlocks), context: &context)
                current = out
                fitted.append(AnyFittedTransformer(f))
                sparseBlocks = []
            case .transformer(let t):
                let (f, out) = try t.fitTransform(current, context: &context)
                current = out
                fitted.append(AnyFittedTransformer(f))
            case .sampler(let s):
                guard let t = targetColumn else { throw PipelineError.targetRequired(stage: s.name) }
                if sampleWeights != nil {
                    throw PipelineError.invalidConfiguration(stage: s.name,
                        reason: "sample weights cannot follow rows through a sampler; use class weights instead")
                }
                let (rows, resampled) = try s.resample(current, target: t, context: &context)
                current = rows
                targetColumn = resampled
                context.target = resampled
            }
        }
        var encoding = try FeatureEncoding.fit(current, requirements: estimator.featureRequirements)
        let targetDescription = try target.map { name in
            try TargetDescription(name: name, column: targetColumn!, kind: estimator.targetKind)
        }
        var report = TransformReport()
        let required = try FittedPipeline.requiredInput(trainingSchema, stages: fitted, features: encoding.names)
        let hyperparameters = (try? JSONValue(encoding: estimator)) ?? .null
        // What a learner's checkpoints wrap their model in: this pipeline as it will be saved.
        let snapshot = { [fitted] (encoding: FeatureEncoding) -> @Sendable (any FittedModel) -> FittedPipeline in
            { model in
                FittedPipeline(target: targetDescription, keys: keyFields, inputSchema: required, stages: fitted,
                               features: encoding, model: AnyModel(model), seed: seed,
                               dataFingerprint: fingerprint, hyperparameters: hyperparameters)
            }
        }
        let model: any FittedModel
        if sparseBlocks.isEmpty {
            // The transformed frame becomes the matrix block by block and is released on the way.
            let x: Matrix<L.Scalar> = try encoding.matrix(consuming: &current, report: &report)
            context.pipelineSnapshot = snapshot(encoding)
            model = try fitLearner(estimator, encoding: encoding, features: x, target: targetColumn,
                                   description: targetDescription, sampleWeights: sampleWeights,
                                   validation: validation, stages: fitted, context: &context, report: &report)
        } else {
            encoding.sparseNames = sparseBlocks.flatMap(\.names)
            context.pipelineSnapshot = snapshot(encoding)
            let dense: Matrix<Double> = try encoding.matrix(consuming: &current, report: &report)
            let data = SparseFeatures.Training(dense: dense, blocks: sparseBlocks, target: try trainingTarget(targetDescription, targetColumn),
                                               sampleWeights: sampleWeights)
            sparseBlocks = []
            var held: SparseFeatures.Training?
            if let validation {
                guard let targetDescription else {
                    throw PipelineError.invalidConfiguration(stage: "pipeline", reason: "validation data needs a target")
                }
                let name = targetDescription.name
                let rows = try framing("validation") { () throws(FrameError) in try validation.dropping(keys + [name]) }
                let truth = try framing("validation") { () throws(FrameError) in try validation.column(name) }
                let (rest, blocks) = try SparseFeatures.transform(rows, stages: fitted, report: &report)
                held = SparseFeatures.Training(dense: try encoding.matrix(rest, report: &report), blocks: blocks,
                                               target: try targetDescription.target(truth), sampleWeights: nil)
            }
            try context.checkCancellation(estimator.name)
            model = try SparseFeatures.fit(estimator, data, validation: held, names: encoding.allNames, context: &context)
        }
        var balance: ClassBalance?
        if let classes = targetDescription?.classes, let before = originalTarget, let after = targetColumn {
            balance = ClassBalance(classes: classes, before: try ClassBalance.counts(before, classes: classes),
                                   after: try ClassBalance.counts(after, classes: classes))
        }
        return FittedPipeline(target: targetDescription, keys: keyFields, inputSchema: required, stages: fitted,
                              features: encoding, model: AnyModel(model), seed: seed,
                              dataFingerprint: fingerprint,
                              hyperparameters: hyperparameters,
                              trainingBalance: balance)
    }

    private func trainingTarget(_ d: TargetDescription?, _ column: Column?) throws -> Target {
        guard let d, let column else { return .none }
        return try d.target(column)
    }

    private func fitLearner(_ learner: L, encoding: FeatureEncoding, features x: Matrix<L.Scalar>, target: Column?,
                            description: TargetDescription?, sampleWeights: [Double]?, validation: Frame?,
                            stages: [AnyFittedTransformer], context: inout FitContext,
                            report: inout TransformReport) throws -> L.Model {
        var data = TrainingSet(features: x, featureNames: encoding.names, categorical: encoding.categorical,
                               target: try description?.target(target!) ?? .none, sampleWeights: sampleWeights)
        if let validation {
            guard let description else {
                throw PipelineError.invalidConfiguration(stage: "pipeline", reason: "validation data needs a target")
            }
            let name = description.name
            let raw = try framing("validation") { () throws(FrameError) in try validation.dropping(keys + [name]) }
            // Sparse stages whose features a later stage (TruncatedSVD) consumes leave no blocks here.
            let (rows, _) = try SparseFeatures.transform(raw, stages: stages, report: &report)
            let truth = try framing("validation") { () throws(FrameError) in try validation.column(name) }
            data.validation = .init(features: try encoding.matrix(rows, report: &report),
                                    target: try description.target(truth))
        }
        try context.checkCancellation(learner.name)
        return try learner.fit(data, context: &context)
    }
}
