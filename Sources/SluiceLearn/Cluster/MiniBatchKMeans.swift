import SluiceCompute
import SluicePipeline

/// Mini-batch k-means (Sculley, 2010), as scikit-learn's `MiniBatchKMeans`: for large tables,
/// centres move towards random batches instead of the means of every row.
///
/// Seeding is greedy k-means++ on ``initSize`` rows drawn uniformly with replacement (default
/// `3 × batchSize`). Each step draws ``batchSize`` rows uniformly with replacement
/// (`nextInt(below:)` per row), assigns them to their nearest centres and moves each centre to
/// the weighted mean of its previous position (weighted by every row it has absorbed so far)
/// and its new rows. It stops after ``maxIterations`` passes' worth of steps, or when the
/// exponentially weighted batch inertia has not improved for ``maxNoImprovement`` steps
/// (scikit-learn's rule). scikit-learn's random reassignment of nearly empty centres is not
/// done. The model's inertia and labels are those of all rows under the final centres.
public struct MiniBatchKMeans: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public typealias Model = KMeans.Model
    public var targetKind: TargetKind { .none }

    public var clusters: Int
    public var batchSize: Int
    /// Passes over the data (in steps of ``batchSize`` rows).
    public var maxIterations: Int
    /// Rows drawn for the seeding; nil for `3 × batchSize`.
    public var initSize: Int?
    public var maxNoImprovement: Int

    public init(clusters: Int = 8, batchSize: Int = 1024, maxIterations: Int = 100, initSize: Int? = nil,
                maxNoImprovement: Int = 10) {
        self.clusters = clusters
        self.batchSize = batchSize
        self.maxIterations = maxIterations
        self.initSize = initSize
        self.maxNoImprovement = maxNoImprovement
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, sampleWeights: data.sampleWeights, context: &context)
    }

    public func fit(_ x: Matrix<Double>, sampleWeights: [Double]? = nil, context: inout FitContext) throws -> Model {
        let name = "mini_batch_k_means"
        try LearnerInput.check(TrainingSet(features: x, target: .none, sampleWeights: sampleWeights), learner: name)
        try KMeans.check(clusters: clusters, rows: x.rows, learner: name)
        guard batchSize >= 1, maxIterations >= 1, maxNoImprovement >= 1, (initSize ?? 1) >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "batchSize",
                reason: "batchSize, maxIterations, initSize and maxNoImprovement must be at least 1")
        }
        let n = x.rows, p = x.columns, k = clusters
        let weights = sampleWeights ?? [Double](repeating: 1, count: n)
        let batch = min(batchSize, n)
        let initRows = max(k, min(n, initSize ?? 3 * batch))
        let seedRows = (0..<initRows).map { _ in context.rng.nextInt(below: n) }
        var seedWeights = seedRows.map { weights[$0] }
        if !seedWeights.contains(where: { $0 > 0 }) { seedWeights = [Double](repeating: 1, count: initRows) }
        var centers = KMeansSolver.plusPlus(Self.gather(x, seedRows), weights: seedWeights, k: k, rng: &context.rng)
        var absorbed = [Double](repeating: 0, count: k)
        let steps = max(1, (maxIterations * n) / batch)
        var ewa: Double?, bestEwa = Double.infinity, sinceBest = 0
        let alpha = min(1, 2 * Double(batch) / Double(n + 1))
        var step = 0
        while step < steps {
            step += 1
            if step % 64 == 0 { try context.checkCancellation(name) }
            let rows = (0..<batch).map { _ in context.rng.nextInt(below: n) }
            let xb = Self.gather(x, rows), wb = rows.map { weights[$0] }
            let labels = KMeansSolver.assign(xb, centers: centers)
            let batchInertia = KMeansSolver.inertia(xb, weights: wb, centers: centers, labels: labels) / Double(batch)
            var sums = [Double](repeating: 0, count: k * p), mass = [Double](repeating: 0, count: k)
            xb.withUnsafeBufferPointer { b in
                for (r, c) in labels.enumerated() {
                    mass[c] += wb[r]
                    for t in 0..<p { sums[c * p + t] += wb[r] * b[r * p + t] }
                }
            }
            centers.withUnsafeMutableBufferPointer { cp in
                for c in 0..<k where mass[c] > 0 {
                    let total = absorbed[c] + mass[c]
                    for t in 0..<p { cp[c * p + t] = (cp[c * p + t] * absorbed[c] + sums[c * p + t]) / total }
                    absorbed[c] = total
                }
            }
            let smoothed = ewa.map { $0 * (1 - alpha) + batchInertia * alpha } ?? batchInertia
            ewa = smoothed
            if smoothed < bestEwa {
                bestEwa = smoothed
                sinceBest = 0
            } else {
                sinceBest += 1
                if sinceBest >= maxNoImprovement { break }
            }
        }
        let labels = KMeansSolver.assign(x, centers: centers)
        return Model(centers: centers, inertia: KMeansSolver.inertia(x, weights: sampleWeights, centers: centers, labels: labels),
                     iterations: step)
    }

    static func gather(_ x: Matrix<Double>, _ rows: [Int]) -> Matrix<Double> {
        let p = x.columns
        return x.withUnsafeBufferPointer { xp in
            Matrix(rows: rows.count, columns: p) { out in
                for (r, i) in rows.enumerated() { for t in 0..<p { out.initializeElement(at: r * p + t, to: xp[i * p + t]) } }
            }
        }
    }
}
