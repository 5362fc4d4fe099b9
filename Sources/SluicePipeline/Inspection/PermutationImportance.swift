import SluiceCompute
import SluiceFrame

/// How much a fitted pipeline's score drops when one input column's values are shuffled
/// across rows, as scikit-learn's `permutation_importance`, but over the pipeline's
/// **input columns** (a one-hot encoded column is shuffled as one column, before encoding).
///
/// Model-agnostic: it needs only predictions, so it works for every model kind, and it
/// measures what the model relies on in held-out data rather than what it split on.
public struct PermutationImportance: Sendable, Equatable, Codable {
    /// One input column's importance.
    public struct Entry: Sendable, Equatable, Codable {
        public var column: String
        /// The mean over repeats of `baseline − permuted score`.
        public var mean: Double
        /// The population standard deviation over repeats (NumPy's `std`).
        public var standardDeviation: Double
        /// `baseline − permuted score` of each repeat.
        public var decreases: [Double]
    }

    /// The scorer's name.
    public var scoring: String
    /// The score of the unshuffled rows.
    public var baseline: Double
    /// The rows scored (after the row limit).
    public var rows: Int
    /// One entry per input column, in the pipeline's input order.
    public var entries: [Entry]

    /// Shuffles each input column of `pipeline` in `data` `repeats` times and scores the
    /// predictions against `data[target]` with `scoring`.
    ///
    /// - Parameters:
    ///   - maxRows: the most rows scored; a larger `data` is subsampled first, without
    ///     replacement, by the seeded generator (scikit-learn's `max_samples`).
    ///   - seed: drives the subsample, then each shuffle: column by column in input order,
    ///     each repeat a Fisher–Yates shuffle by ``SeededGenerator/shuffle(_:)``.
    public init(_ pipeline: FittedPipeline, data: Frame, target: String, scoring: Scoring,
                repeats: Int = 5, maxRows: Int? = nil, seed: UInt64 = 0) throws {
        guard repeats > 0 else {
            throw PipelineError.invalidConfiguration(stage: "permutation importance", reason: "repeats must be at least 1")
        }
        var rng = SeededGenerator(seed: seed)
        var frame = data
        if let maxRows, maxRows < data.rowCount {
            guard maxRows > 0 else {
                throw PipelineError.invalidConfiguration(stage: "permutation importance", reason: "maxRows must be at least 1")
            }
            frame = try framing("permutation importance") { () throws(FrameError) in
                try data.taking(rows: rng.sample(maxRows, from: data.rowCount).sorted())
            }
        }
        let truth = try framing("permutation importance") { () throws(FrameError) in try frame.column(target) }
        let base = try scoring.score(try pipeline.predict(frame), truth: truth)
        var entries: [Entry] = []
        for column in pipeline.inputSchema.names {
            let original = try framing("permutation importance") { () throws(FrameError) in try frame.column(column) }
            var decreases: [Double] = []
            var order = Array(0..<frame.rowCount)
            for _ in 0..<repeats {
                rng.shuffle(&order)
                let shuffled = try framing("permutation importance") { () throws(FrameError) in
                    try frame.setting(column, to: original.taking(order))
                }
                decreases.append(base - (try scoring.score(try pipeline.predict(shuffled), truth: truth)))
            }
            let mean = decreases.reduce(0, +) / Double(repeats)
            let variance = decreases.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(repeats)
            entries.append(Entry(column: column, mean: mean, standardDeviation: variance.squareRoot(), decreases: decreases))
        }
        self.scoring = scoring.name
        baseline = base
        rows = frame.rowCount
        self.entries = entries
    }
}
