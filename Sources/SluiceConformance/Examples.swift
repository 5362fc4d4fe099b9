import SluiceFrame
import SluicePipeline

/// A stage configuration the verifiers fit and transform, with the data it runs on.
public struct StageExample: Sendable {
    /// Names the example in failures, e.g. `"SimpleImputer mean"`.
    public var label: String
    public var stage: any Transformer
    /// Training data (and what transform is checked on).
    public var frame: Frame
    /// The target aligned with `frame`, for supervised stages.
    public var target: Column?
    /// The unfitted schema lists columns the fitted stage may drop (selectors): the planned
    /// schema is then an upper bound rather than exact.
    public var plannedIsUpperBound: Bool
    /// The codec that decodes the fitted stage (the standard one plus closure stages).
    public var codec: ArtifactCodec

    public init(_ label: String, _ stage: any Transformer, frame: Frame, target: Column? = ConformanceData.target(),
                plannedIsUpperBound: Bool = false, codec: ArtifactCodec) {
        self.label = label
        self.stage = stage
        self.frame = frame
        self.target = target
        self.plannedIsUpperBound = plannedIsUpperBound
        self.codec = codec
    }
}

/// A learner in a pipeline, with training data that has the target as a column.
public struct LearnerExample: Sendable {
    public var label: String
    /// The fitted model's kind.
    public var kind: String
    /// Training (and scoring) data, target column included.
    public var frame: Frame
    /// The target column, nil for unsupervised learners (clustering).
    public var target: String?
    /// Whether the learner takes sample weights.
    public var supportsWeights: Bool
    public var codec: ArtifactCodec
    /// The relative tolerance of the model's `double` outputs between batchings and CPUs:
    /// 1e-12 for `Double` models (BLAS blocks a 1-row product differently from a 60-row one),
    /// about 1e-5 for `Float` ones (networks), whose every product rounds to 24 bits.
    public var outputTolerance: Double
    let fitting: @Sendable (Frame, UInt64, [Double]?) throws -> FittedPipeline

    /// An example fitting `Pipeline(target:estimator:steps:)` with `learner` on `frame`.
    public static func make<L: Learner>(_ label: String, _ learner: L, frame: Frame, target: String?,
                                        supportsWeights: Bool = true, codec: ArtifactCodec,
                                        outputTolerance: Double = 1e-12,
                                        @PipelineBuilder steps: () -> [PipelineStep] = { [] }) -> LearnerExample {
        let pipeline = Pipeline(target: target, estimator: learner, steps: steps)
        return LearnerExample(label: label, kind: L.Model.kind, frame: frame, target: target,
                              supportsWeights: supportsWeights, codec: codec, outputTolerance: outputTolerance,
                              fitting: { frame, seed, weights in try pipeline.fit(frame, seed: seed, sampleWeights: weights) })
    }

    /// Fits the example's pipeline on `frame`.
    public func fit(_ frame: Frame, seed: UInt64 = 7, sampleWeights: [Double]? = nil) throws -> FittedPipeline {
        try fitting(frame, seed, sampleWeights)
    }
}

/// A sampler with the data and target it resamples.
public struct SamplerExample: Sendable {
    public var label: String
    public var sampler: any Sampler
    public var frame: Frame
    public var target: Column

    public init(_ label: String, _ sampler: any Sampler, frame: Frame, target: Column) {
        self.label = label
        self.sampler = sampler
        self.frame = frame
        self.target = target
    }
}

/// Example configurations by kind: the table the conformance suite runs. A codec kind
/// without an example is reported by ``missingKinds(in:)``, so a new stage or model is
/// checked by appearing in the codec.
public struct ExampleTable: Sendable {
    /// Stage examples by fitted stage kind.
    public var stages: [String: [StageExample]]
    /// Learner examples by model kind.
    public var learners: [String: [LearnerExample]]
    /// Sampler examples (samplers have no artifact kind: they never reach one).
    public var samplers: [SamplerExample]

    public init(stages: [String: [StageExample]] = [:], learners: [String: [LearnerExample]] = [:],
                samplers: [SamplerExample] = []) {
        self.stages = stages
        self.learners = learners
        self.samplers = samplers
    }

    /// The kinds of `codec` with no example here, as `"stage X"` and `"model Y"`.
    public func missingKinds(in codec: ArtifactCodec) -> [String] {
        codec.stageKinds.filter { (stages[$0] ?? []).isEmpty }.map { "stage \($0)" }
            + codec.modelKinds.filter { (learners[$0] ?? []).isEmpty }.map { "model \($0)" }
    }

    /// This table with `other`'s examples added.
    public func merging(_ other: ExampleTable) -> ExampleTable {
        ExampleTable(stages: stages.merging(other.stages, uniquingKeysWith: +),
                     learners: learners.merging(other.learners, uniquingKeysWith: +),
                     samplers: samplers + other.samplers)
    }
}
