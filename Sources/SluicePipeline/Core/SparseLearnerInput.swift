import SluiceCompute

extension LearnerInput {
    /// Checks a sparse training set: rows present, target and weights aligned, stored values finite.
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    public static func check<S: BLASScalar>(sparse data: SparseTrainingSet<S>, learner: String) throws {
        let rows = data.rows
        guard rows > 0 else { throw EstimatorError.empty(estimator: learner) }
        if let t = data.target.count, t != rows {
            throw EstimatorError.lengthMismatch(estimator: learner, rows: rows, targets: t)
        }
        if case .values(let y) = data.target, let i = y.firstIndex(where: { !$0.isFinite }) {
            throw EstimatorError.nonFinite(estimator: learner, row: i, column: -1)
        }
        try finite(data.denseFeatures, learner: learner)
        do {
            try finite(sparse: data.sparseFeatures, learner: learner)
        } catch EstimatorError.nonFinite(let name, let row, let column) {
            // The sparse features follow the dense ones.
            throw EstimatorError.nonFinite(estimator: name, row: row, column: column + data.denseFeatures.columns)
        }
        try weights(data.sampleWeights, rows: rows, learner: learner)
    }

    /// Checks CSR rows to predict on: the fitted feature count, and finite stored values.
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    public static func predict<S: BLASScalar>(sparse x: SparseMatrix<S>, featureCount: Int, learner: String) throws {
        guard x.columns == featureCount else {
            throw EstimatorError.featureCountMismatch(estimator: learner, expected: featureCount, got: x.columns)
        }
        try finite(sparse: x, learner: learner)
    }

    /// Throws ``EstimatorError/nonFinite(estimator:row:column:)`` at the first stored NaN or infinity.
    @_specialize(where S == Double)
    @_specialize(where S == Float)
    public static func finite<S: BLASScalar>(sparse x: SparseMatrix<S>, learner: String) throws {
        guard let e = x.values.firstIndex(where: { !$0.isFinite }) else { return }
        let row = (x.rowOffsets.lastIndex { $0 <= e } ?? 0)
        throw EstimatorError.nonFinite(estimator: learner, row: min(row, x.rows - 1), column: Int(x.columnIndices[e]))
    }
}
