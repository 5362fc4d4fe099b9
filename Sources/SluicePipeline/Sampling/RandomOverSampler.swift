import SluiceCompute
import SluiceFrame

/// Balances classes by repeating rows of the classes to grow, drawn uniformly with
/// replacement from the seeded generator, as imbalanced-learn's `RandomOverSampler`: the
/// original rows first, in order, then the drawn rows class by class. Works on any column
/// types (nothing is interpolated). A sampler: it runs on the fit path only.
public struct RandomOverSampler: Sampler, Equatable {
    public var strategy: SamplingStrategy
    public var name: String { "RandomOverSampler" }

    public init(strategy: SamplingStrategy = .auto) {
        self.strategy = strategy
    }

    public func resample(_ frame: Frame, target: Column, context: inout FitContext) throws -> (Frame, Column) {
        let labels = try Resampling.labels(target, frame: frame, stage: name)
        let add = try strategy.rowsToAdd(labels, stage: name)
        var indices = Array(0..<frame.rowCount)
        indices.reserveCapacity(frame.rowCount + add.reduce(0, +))
        for (c, rows) in Resampling.rowsByClass(labels).enumerated() where add[c] > 0 {
            for _ in 0..<add[c] { indices.append(rows[context.rng.nextInt(below: rows.count)]) }
        }
        return try Resampling.take(frame, target, indices, stage: name)
    }
}
