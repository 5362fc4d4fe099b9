import SluiceCompute

extension LearnerInput {
    /// Checks a sparse training set: rows present, target and weights aligned, stored values finite.
    public static func check<S: BLASScalar>(sparse data: SparseTrainingSet<S>, learner: String) throws {
        let x = data.features
        guard x.rows > 0 else { throw EstimatorError.empty(estimator: learner) }
        if let t = data.target.count, t != x.rows {
            throw EstimatorError.lengthMismatch(estimator: learner, rows: x.rows, targets: t)
        }
        if case .values(let y) = data.target, let i = y.firstIndex(where: { !$0.isFinite }) {
            throw EstimatorError.nonFinite(estimator: learner, row: i, column: -1)
        }
        try finite(sparse: x, learner: learner)
        try weights(data.sampleWeights, rows: x.rows, learner: learner)
    }

    /// Checks CSR rows to predict on: the fitted feature count, and finite stored values.
    public static func predict<S: BLASScalar>(sparse x: SparseMatrix<S>, featureCount: Int, learner: String) throws {
        guard x.columns == featureCount else {
            throw EstimatorError.featureCountMismatch(estimator: learner, expected: featureCount, got: x.columns)
        }
        try finite(sparse: x, learner: learner)
    }

    /// Throws ``EstimatorError/nonFinite(estimator:row:column:)`` at the first stored NaN or infinity.
    public static func finite<S: BLASScalar>(sparse x: SparseMatrix<S>, learner: String) throws {
        guard let e = x.values.firstIndex(where: { !$0.isFinite }) else { return }
        let row = (x.rowOffsets.lastIndex { $0 <= e } ?? 0)
        throw EstimatorError.nonFinite(estimator: learner, row: min(row, x.rows - 1), column: Int(x.columnIndices[e]))
    }
}
