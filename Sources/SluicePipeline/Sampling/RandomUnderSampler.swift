import SluiceCompute
import SluiceFrame

/// Balances classes by keeping a random subset (without replacement, drawn from the seeded
/// generator) of the rows of each class to shrink, as imbalanced-learn's
/// `RandomUnderSampler`. The kept rows stay in their original order (imbalanced-learn groups
/// them by class; the counts are the same). A sampler: it runs on the fit path only.
public struct RandomUnderSampler: Sampler, Equatable {
    public var strategy: SamplingStrategy
    public var name: String { "RandomUnderSampler" }

    public init(strategy: SamplingStrategy = .auto) {
        self.strategy = strategy
    }

    public func resample(_ frame: Frame, target: Column, context: inout FitContext) throws -> (Frame, Column) {
        let labels = try Resampling.labels(target, frame: frame, stage: name)
        let keep = try strategy.rowsToKeep(labels, stage: name)
        var kept = [Int]()
        for (c, rows) in Resampling.rowsByClass(labels).enumerated() {
            guard let k = keep[c] else { kept += rows; continue }
            kept += context.rng.sample(k, from: rows.count).map { rows[$0] }
        }
        kept.sort()
        return try Resampling.take(frame, target, kept, stage: name)
    }
}
