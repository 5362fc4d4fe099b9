import SluiceFrame
import SluicePipeline

/// A pipeline with its learner's type erased: what a job fits. The job stores and scores
/// with the fitted result through the artifact codec, so nothing downstream names the type.
public struct ModelRecipe: Sendable {
    /// The target column (`nil` for a pipeline without one).
    public let target: String?
    /// The key columns carried to the predictions.
    public let keys: [String]
    /// The learner's name, for listings.
    public let learner: String
    /// Whether the learner predicts classes, values or clusters.
    public let targetKind: TargetKind
    private let body: @Sendable (consuming Frame, UInt64, (@Sendable (FitProgress) -> Void)?, @escaping @Sendable () -> Bool) throws -> FittedPipeline
    private let schema: @Sendable (Schema) throws -> Schema

    /// Wraps `pipeline`.
    public init<L: Learner>(_ pipeline: Pipeline<L>) {
        target = pipeline.target
        keys = pipeline.keys
        learner = String(describing: L.self)
        targetKind = pipeline.estimator.targetKind
        body = { frame, seed, observer, isCancelled in
            try pipeline.fit(consume frame, seed: seed, observer: observer, isCancelled: isCancelled)
        }
        schema = { try pipeline.outputSchema(for: $0) }
    }

    /// Fits the pipeline on `frame`; hand it over (`consume`) to have its columns freed
    /// during the fit.
    public func fit(_ frame: consuming Frame, seed: UInt64, observer: (@Sendable (FitProgress) -> Void)? = nil,
                    isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> FittedPipeline {
        try body(consume frame, seed, observer, isCancelled)
    }

    /// Checks that the pipeline can fit a frame of `input` (schema before data).
    public func check(_ input: Schema) throws {
        _ = try schema(input)
    }
}
