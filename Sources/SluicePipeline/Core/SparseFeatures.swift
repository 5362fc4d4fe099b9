import SluiceCompute
import SluiceFrame

/// Features that a stage gives as compressed-sparse rows instead of frame columns: their
/// names, in column order, and the `rows × names.count` matrix.
public struct SparseFeatureBlock: Sendable, Equatable {
    public var names: [String]
    public var matrix: SparseMatrix<Double>

    public init(names: [String], matrix: SparseMatrix<Double>) {
        self.names = names
        self.matrix = matrix
    }
}

/// A fitted stage that can give its output features as CSR (a ``SparseFeatureBlock``) rather
/// than as `double` columns: the text vectorizers and the one-hot encoder, when asked to
/// (``producesSparse``). Inside a pipeline, its sparse features leave the frame: later stages
/// see the frame without them (and without the columns the stage read), and the learner sees
/// them after the frame's remaining features. ``FittedTransformer/transform(_:report:)`` still
/// gives the dense columns, for callers outside a pipeline.
public protocol SparseFeatureTransformer: FittedTransformer {
    /// Whether a pipeline routes this stage's output as CSR.
    var producesSparse: Bool { get }
    /// The names of the features ``sparseTransform(_:report:)`` gives, in column order (those
    /// of ``FittedTransformer/outputSchema`` that are not in the frame it returns).
    var sparseOutputNames: [String] { get }
    /// The stage's features of `frame` as CSR, and `frame` without the columns the stage read
    /// (its other columns pass through, in order).
    func sparseTransform(_ frame: Frame, report: inout TransformReport) throws -> (frame: Frame, block: SparseFeatureBlock)
    /// The schema of the frame ``sparseTransform(_:report:)`` returns. The default: the
    /// ``FittedTransformer/outputSchema`` without the sparse features and the columns read.
    var sparseRemainderSchema: Schema { get throws }
}

extension SparseFeatureTransformer {
    public var sparseRemainderSchema: Schema {
        get throws {
            let gone = Set(sparseOutputNames).union(inputSchema.names)
            return try framing("pipeline") { () throws(FrameError) in try Schema(outputSchema.fields.filter { !gone.contains($0.name) }) }
        }
    }
}

/// A stage, unfitted, whose fitted form can give CSR features (``SparseFeatureTransformer``).
public protocol SparseOutputStage: Transformer {
    /// Whether the fitted stage will give CSR features inside a pipeline.
    var producesSparse: Bool { get }
    /// Fits on `frame` and returns the fitted stage with the training rows' CSR features and
    /// the frame without the stage's input columns. The default fits, then calls
    /// ``SparseFeatureTransformer/sparseTransform(_:report:)``.
    func fitSparse(_ frame: Frame, context: inout FitContext) throws
        -> (fitted: any SparseFeatureTransformer, frame: Frame, block: SparseFeatureBlock)
}

extension SparseOutputStage where Fitted: SparseFeatureTransformer {
    public func fitSparse(_ frame: Frame, context: inout FitContext) throws
        -> (fitted: any SparseFeatureTransformer, frame: Frame, block: SparseFeatureBlock) {
        let fitted = try fit(frame, context: &context)
        var report = TransformReport()
        let (rest, block) = try fitted.sparseTransform(frame, report: &report)
        return (fitted, rest, block)
    }
}

/// A fitted stage that reads the CSR features earlier stages gave (all of them, side by side,
/// in stage order) and turns them into `double` columns (TruncatedSVD): after it, a pipeline
/// has no sparse features left, and any learner can follow.
public protocol SparseFeatureConsumer: FittedTransformer {
    /// The names of the sparse features it was fitted on, or nil when it was fitted on
    /// frame columns (and then transforms frames only).
    var consumedSparseNames: [String]? { get }
    /// `frame` with the stage's columns made from `sparse`, the pending sparse features.
    func transform(_ frame: Frame, sparse: SparseFeatureBlock, report: inout TransformReport) throws -> Frame
}

/// A stage, unfitted, that can be fitted on the pending sparse features of earlier stages.
public protocol SparseConsumingStage: Transformer {
    /// Fits on `sparse` (the pending CSR features) and `frame`; returns the fitted stage and
    /// the training rows with its columns.
    func fit(_ frame: Frame, sparse: SparseFeatureBlock, context: inout FitContext) throws
        -> (fitted: any SparseFeatureConsumer, frame: Frame)
}

/// What a learner that accepts CSR features fits on: the features (frame features first, then
/// each sparse stage's, in pipeline order), the target, optional weights and validation rows.
///
/// The frame's features stay dense (``denseFeatures``, the leading columns) and the sparse
/// stages' features stay CSR (``sparseFeatures``, the trailing ones): a learner that can use
/// the two parts as they are (logistic regression) never copies the dense ones into CSR;
/// ``features`` gives all of them as one CSR matrix for the others.
public struct SparseTrainingSet<Scalar: BLASScalar>: Sendable {
    /// `n × q`: the leading, dense features (often none).
    public var denseFeatures: Matrix<Scalar>
    /// `n × (p − q)`: the trailing, sparse features.
    public var sparseFeatures: SparseMatrix<Scalar>
    /// The name of each feature column, in order.
    public var featureNames: [String]
    public var target: Target
    /// One weight per row, or nil for all 1.
    public var sampleWeights: [Double]?
    /// Held-out rows, transformed by the same fitted stages, when the caller gave some.
    public var validation: Validation?

    /// Held-out rows for a learner to monitor.
    public struct Validation: Sendable {
        public var denseFeatures: Matrix<Scalar>
        public var sparseFeatures: SparseMatrix<Scalar>
        public var target: Target
        public var sampleWeights: [Double]?

        public init(features: SparseMatrix<Scalar>, target: Target, sampleWeights: [Double]? = nil) {
            self.init(dense: Matrix(rows: features.rows, columns: 0), sparse: features, target: target,
                      sampleWeights: sampleWeights)
        }

        /// Held-out rows in two parts; `dense` and `sparse` have equal row counts.
        public init(dense: Matrix<Scalar>, sparse: SparseMatrix<Scalar>, target: Target, sampleWeights: [Double]? = nil) {
            precondition(dense.rows == sparse.rows || dense.columns == 0,
                         "sparse validation set: \(dense.rows) dense rows, \(sparse.rows) sparse")
            denseFeatures = dense.columns == 0 ? Matrix(rows: sparse.rows, columns: 0) : dense
            sparseFeatures = sparse
            self.target = target
            self.sampleWeights = sampleWeights
        }

        /// All `n × p` features as one CSR matrix.
        public var features: SparseMatrix<Scalar> { SparseTrainingSet.joined(denseFeatures, sparseFeatures) }
    }

    /// A training set of CSR features only.
    public init(features: SparseMatrix<Scalar>, featureNames: [String]? = nil, target: Target,
                sampleWeights: [Double]? = nil, validation: Validation? = nil) {
        self.init(dense: Matrix(rows: features.rows, columns: 0), sparse: features, featureNames: featureNames,
                  target: target, sampleWeights: sampleWeights, validation: validation)
    }

    /// A training set of dense leading features and sparse trailing ones; `dense` and `sparse`
    /// have equal row counts (or `dense` has no columns).
    public init(dense: Matrix<Scalar>, sparse: SparseMatrix<Scalar>, featureNames: [String]? = nil, target: Target,
                sampleWeights: [Double]? = nil, validation: Validation? = nil) {
        precondition(dense.rows == sparse.rows || dense.columns == 0,
                     "sparse training set: \(dense.rows) dense rows, \(sparse.rows) sparse")
        denseFeatures = dense.columns == 0 ? Matrix(rows: sparse.rows, columns: 0) : dense
        sparseFeatures = sparse
        self.featureNames = featureNames ?? (0..<(dense.columns + sparse.columns)).map { "x\($0)" }
        self.target = target
        self.sampleWeights = sampleWeights
        self.validation = validation
    }

    /// All `n × p` features as one CSR matrix (the dense part's non-zeros, then the sparse part).
    public var features: SparseMatrix<Scalar> { Self.joined(denseFeatures, sparseFeatures) }

    /// The number of rows.
    public var rows: Int { sparseFeatures.rows }

    /// The number of features.
    public var featureCount: Int { denseFeatures.columns + sparseFeatures.columns }

    static func joined(_ dense: Matrix<Scalar>, _ sparse: SparseMatrix<Scalar>) -> SparseMatrix<Scalar> {
        guard dense.columns > 0 else { return sparse }
        do {
            return try SparseMatrix<Scalar>.concatenatingColumns([SparseMatrix(dense), sparse])
        } catch {
            // Equal row counts are checked at construction; only a width past Int32 is left.
            preconditionFailure("sparse training set: \(error)")
        }
    }
}

/// A fitted model that predicts from CSR rows as well as dense ones.
public protocol SparseInputModel: FittedModel {
    /// The model's predictions for CSR rows `x` (`n × featureCount`), the same as for `x.dense()`.
    func output(sparse x: SparseMatrix<Scalar>) throws -> ModelOutput
    /// The predictions for rows given as dense leading features and CSR trailing ones (a
    /// pipeline's frame features and sparse stages' features). The default joins them into
    /// one CSR matrix for ``output(sparse:)``.
    func output(dense: Matrix<Scalar>, sparse: SparseMatrix<Scalar>) throws -> ModelOutput
}

extension SparseInputModel {
    public func output(dense: Matrix<Scalar>, sparse: SparseMatrix<Scalar>) throws -> ModelOutput {
        try output(sparse: SparseTrainingSet<Scalar>.joined(dense, sparse))
    }
}

/// A fitted model whose raw decision function also takes CSR rows.
public protocol SparseDecisionFunctionModel: DecisionFunctionModel {
    /// `n × m` raw scores of CSR rows `x`, the same as for `x.dense()`.
    func decisionFunction(sparse x: SparseMatrix<Scalar>) throws -> Matrix<Double>
}

/// A learner that accepts CSR features: its declaration is what lets a pipeline whose stages
/// give sparse features end with it. A pipeline never densifies sparse features for a learner
/// that does not conform: it refuses the pipeline before fitting, naming the stage.
public protocol SparseInputLearner: Learner where Model: SparseInputModel {
    /// Fits on CSR features. Random choices draw from `context.rng`.
    func fit(sparse data: SparseTrainingSet<Scalar>, context: inout FitContext) throws -> Model
}

/// How a pipeline routes sparse features: which stages give them, how they are gathered into
/// one matrix for the learner, and how a learner that accepts them is fitted.
enum SparseFeatures {
    /// A training or validation set before it is put in the learner's scalar.
    struct Training {
        var dense: Matrix<Double>
        var blocks: [SparseFeatureBlock]
        var target: Target
        var sampleWeights: [Double]?
    }

    /// The `rows × (dense.columns + Σ block widths)` CSR of the frame's features followed by
    /// each block's, in order, in the learner's scalar.
    static func assemble<S: BLASScalar>(dense: Matrix<Double>, blocks: [SparseFeatureBlock], as _: S.Type) throws
        -> SparseMatrix<S> {
        do {
            return try SparseMatrix<S>.concatenatingColumns([SparseMatrix(dense)] + blocks.map(\.matrix))
        } catch {
            throw PipelineError.invalidValue(stage: "features", column: "sparse", reason: "\(error)")
        }
    }

    /// Checks a pipeline's plan: a stage that gives sparse features needs a learner that takes
    /// them, and no sampler may follow it (the sparse rows would not follow the sampler's).
    static func checkPlan<L: Learner>(_ steps: [PipelineStep], learner: L) throws {
        var sparseStage: String?
        for step in steps {
            switch step {
            case .transformer(let t as any SparseOutputStage) where t.producesSparse:
                sparseStage = sparseStage ?? t.name
            case .transformer(let t) where t is any SparseConsumingStage && sparseStage != nil:
                sparseStage = nil
            case .sampler(let s):
                if let sparseStage {
                    throw PipelineError.invalidConfiguration(stage: s.name,
                        reason: "cannot follow \(sparseStage), which gives sparse features; resample before it")
                }
            case .transformer: break
            }
        }
        if let sparseStage, !(learner is any SparseInputLearner) {
            throw PipelineError.invalidConfiguration(stage: sparseStage, reason:
                "gives sparse features, but \(learner.name) does not accept sparse input (it would need the "
                + "dense rows × features matrix); use sparse: false with a small vocabulary, reduce them with "
                + "TruncatedSVD, or end with a learner that takes sparse features (logistic regression, linear SVM, "
                + "naive Bayes)")
        }
    }

    /// The pending blocks side by side, as one.
    static func merged(_ blocks: [SparseFeatureBlock]) throws -> SparseFeatureBlock {
        if blocks.count == 1 { return blocks[0] }
        do {
            return SparseFeatureBlock(names: blocks.flatMap(\.names),
                                      matrix: try SparseMatrix.concatenatingColumns(blocks.map(\.matrix)))
        } catch {
            throw PipelineError.invalidValue(stage: "features", column: "sparse", reason: "\(error)")
        }
    }

    /// Runs fitted `stages` on `frame`, each sparse stage giving its block: the frame left
    /// and the blocks, in stage order.
    static func transform(_ frame: Frame, stages: [AnyFittedTransformer], report: inout TransformReport) throws
        -> (Frame, [SparseFeatureBlock]) {
        var current = frame, blocks = [SparseFeatureBlock]()
        for s in stages {
            if let t = s.base as? any SparseFeatureTransformer, t.producesSparse {
                let (rest, block) = try t.sparseTransform(current, report: &report)
                current = rest
                blocks.append(block)
            } else if let t = s.base as? any SparseFeatureConsumer, t.consumedSparseNames != nil {
                current = try t.transform(current, sparse: merged(blocks), report: &report)
                blocks = []
            } else {
                current = try s.base.transform(current, report: &report)
            }
        }
        return (current, blocks)
    }

    /// Fits `learner` (which ``checkPlan(_:learner:)`` found to take sparse features) on `data`.
    static func fit<L: Learner>(_ learner: L, _ data: Training, validation: Training?, names: [String],
                                context: inout FitContext) throws -> any FittedModel {
        guard let sparse = learner as? any SparseInputLearner else {
            throw PipelineError.invalidConfiguration(stage: learner.name, reason: "does not accept sparse input")
        }
        return try fitOpened(sparse, data, validation: validation, names: names, context: &context)
    }

    private static func fitOpened<L: SparseInputLearner>(_ learner: L, _ data: Training, validation: Training?,
                                                          names: [String], context: inout FitContext) throws -> L.Model {
        var set = SparseTrainingSet(dense: scalar(data.dense),
                                    sparse: try assemble(blocks: data.blocks, as: L.Scalar.self),
                                    featureNames: names, target: data.target, sampleWeights: data.sampleWeights)
        if let validation {
            set.validation = .init(dense: scalar(validation.dense),
                                   sparse: try assemble(blocks: validation.blocks, as: L.Scalar.self), target: validation.target)
        }
        return try learner.fit(sparse: set, context: &context)
    }

    /// The blocks side by side as one CSR matrix in `S`.
    private static func assemble<S: BLASScalar>(blocks: [SparseFeatureBlock], as _: S.Type) throws -> SparseMatrix<S> {
        if blocks.count == 1, let m = blocks[0].matrix as? SparseMatrix<S> { return m }
        do {
            return try SparseMatrix<S>.concatenatingColumns(blocks.map(\.matrix))
        } catch {
            throw PipelineError.invalidValue(stage: "features", column: "sparse", reason: "\(error)")
        }
    }

    /// `m` in the scalar `S` (itself when `S` is `Double`).
    private static func scalar<S: BLASScalar>(_ m: Matrix<Double>) -> Matrix<S> {
        if let same = m as? Matrix<S> { return same }
        return Matrix(rows: m.rows, columns: m.columns, elements: m.elements.map { S($0) })
    }

    /// The model's output for CSR features of the frame's features and the blocks.
    static func output(_ model: any FittedModel, dense: Matrix<Double>, blocks: [SparseFeatureBlock]) throws -> ModelOutput {
        guard let m = model as? any SparseInputModel else {
            throw PipelineError.invalidConfiguration(stage: "model",
                reason: "a '\(type(of: model).kind)' model does not accept the pipeline's sparse features")
        }
        return try outputOpened(m, dense: dense, blocks: blocks)
    }

    private static func outputOpened<M: SparseInputModel>(_ m: M, dense: Matrix<Double>, blocks: [SparseFeatureBlock]) throws
        -> ModelOutput {
        try m.output(dense: scalar(dense), sparse: assemble(blocks: blocks, as: M.Scalar.self))
    }

    /// The model's decision function for CSR features, where it has one.
    static func decision(_ model: any FittedModel, dense: Matrix<Double>, blocks: [SparseFeatureBlock]) throws -> Matrix<Double> {
        guard let m = model as? any SparseDecisionFunctionModel else {
            throw PipelineError.invalidConfiguration(stage: "model",
                reason: "a '\(type(of: model).kind)' model has no decision function of sparse features")
        }
        return try decisionOpened(m, dense: dense, blocks: blocks)
    }

    private static func decisionOpened<M: SparseDecisionFunctionModel>(_ m: M, dense: Matrix<Double>,
                                                                       blocks: [SparseFeatureBlock]) throws -> Matrix<Double> {
        try m.decisionFunction(sparse: assemble(dense: dense, blocks: blocks, as: M.Scalar.self))
    }
}
