import Foundation
import SluiceCompute
import SluicePipeline

// The learners that accept CSR features in a pipeline (``SparseInputLearner``), and their
// models' predictions of CSR rows.

extension LogisticRegression: SparseInputLearner {
    /// Fits on a pipeline's CSR features with L-BFGS (OWL-QN for ``LogisticPenalty/l1``),
    /// as ``fit(sparse:_:sampleWeights:context:)``.
    public func fit(sparse data: SparseTrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(sparse: data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights,
                context: context)
    }
}

extension LogisticRegression.Model: SparseInputModel, SparseDecisionFunctionModel {
    public func output(sparse x: SparseMatrix<Double>) throws -> ModelOutput { .probabilities(try predictProbabilities(x)) }
    public func decisionFunction(sparse x: SparseMatrix<Double>) throws -> Matrix<Double> { try decisionFunction(x) }
}

extension LinearSVC: SparseInputLearner {
    public func fit(sparse data: SparseTrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(sparse: data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights,
                context: &context)
    }
}

extension LinearSVC.Model: SparseInputModel, SparseDecisionFunctionModel {
    /// The margins `x · wᵀ + b` of CSR rows.
    public func decisionFunction(sparse x: SparseMatrix<Double>) throws -> Matrix<Double> {
        try LearnerInput.predict(sparse: x, featureCount: featureCount, learner: Self.kind)
        var z = x.multiplied(byTransposeOf: coefficients)
        z.add(toEachRow: intercepts)
        return z
    }

    public func output(sparse x: SparseMatrix<Double>) throws -> ModelOutput {
        .probabilities(decided(try decisionFunction(sparse: x)))
    }
}

extension DiscreteNaiveBayes {
    /// The labels and the per-class weighted sums of non-negative CSR counts (multinomial and
    /// complement naive Bayes), after checking `alpha` and the features.
    static func countSums(_ data: SparseTrainingSet<Double>, alpha: Double, learner: String) throws -> (ClassLabels, [Double]) {
        let y = try data.target.classLabels(learner: learner)
        try check(alpha: alpha, learner: learner)
        try checkSparse(data, learner: learner, nonNegative: true)
        let (_, sums) = BayesClassStatistics.weightedSums(sparse: data.features, codes: y.codes, classes: y.classes.count,
                                                          weights: data.sampleWeights)
        return (y, sums)
    }
}

extension MultinomialNaiveBayes: SparseInputLearner {
    public func fit(sparse data: SparseTrainingSet<Double>, context: inout FitContext) throws -> Model {
        let (y, sums) = try DiscreteNaiveBayes.countSums(data, alpha: alpha, learner: Model.kind)
        return try model(sums: sums, features: data.features.columns, y, sampleWeights: data.sampleWeights)
    }
}

extension ComplementNaiveBayes: SparseInputLearner {
    public func fit(sparse data: SparseTrainingSet<Double>, context: inout FitContext) throws -> Model {
        let (y, sums) = try DiscreteNaiveBayes.countSums(data, alpha: alpha, learner: Model.kind)
        return try model(sums: sums, features: data.features.columns, y, sampleWeights: data.sampleWeights)
    }
}

extension BernoulliNaiveBayes: SparseInputLearner {
    /// Fits on CSR features; ``binarize`` must be ≥ 0 so that entries not stored stay 0.
    public func fit(sparse data: SparseTrainingSet<Double>, context: inout FitContext) throws -> Model {
        let y = try data.target.classLabels(learner: Model.kind)
        try DiscreteNaiveBayes.check(alpha: alpha, learner: Model.kind)
        guard binarize.isFinite, binarize >= 0 else {
            throw EstimatorError.invalidHyperparameter(estimator: Model.kind, name: "binarize",
                                                       reason: "must be finite and ≥ 0 for sparse features (zeros stay 0)")
        }
        try DiscreteNaiveBayes.checkSparse(data, learner: Model.kind, nonNegative: false)
        let t = binarize
        let (counts, sums) = BayesClassStatistics.weightedSums(sparse: data.features, codes: y.codes, classes: y.classes.count,
                                                               weights: data.sampleWeights) { $0 > t ? 1 : 0 }
        return try model(counts: counts, sums: sums, features: data.features.columns, y, sampleWeights: data.sampleWeights)
    }
}

extension DiscreteNaiveBayes {
    /// Checks CSR training features (finite, aligned; non-negative for counts).
    static func checkSparse(_ data: SparseTrainingSet<Double>, learner: String, nonNegative: Bool) throws {
        try LearnerInput.check(sparse: data, learner: learner)
        guard nonNegative, let e = data.features.values.firstIndex(where: { $0 < 0 }) else { return }
        let row = data.features.rowOffsets.lastIndex { $0 <= e } ?? 0
        throw EstimatorError.invalidHyperparameter(estimator: learner, name: "features",
            reason: "must be non-negative counts or frequencies; row \(row), feature \(data.features.columnIndices[e]) is negative")
    }
}

extension DiscreteNaiveBayesModel: SparseInputModel, SparseDecisionFunctionModel {
    /// The joint log-likelihood of CSR rows (Bernoulli: stored values binarised; a threshold
    /// below 0 would turn the entries not stored into ones, so it needs the dense rows).
    public func decisionFunction(sparse x: SparseMatrix<Double>) throws -> Matrix<Double> {
        try LearnerInput.predict(sparse: x, featureCount: featureCount, learner: Self.kind)
        var input = x
        if variant == .bernoulli, let t = binarize {
            guard t >= 0 else {
                throw EstimatorError.invalidHyperparameter(estimator: Self.kind, name: "binarize",
                                                           reason: "must be ≥ 0 for sparse features")
            }
            input.transformValues { $0 > t ? 1 : 0 }
        }
        var z = input.multiplied(byTransposeOf: featureLogProbabilities)
        z.add(toEachRow: bias)
        return z
    }

    public func output(sparse x: SparseMatrix<Double>) throws -> ModelOutput {
        var z = try decisionFunction(sparse: x)
        z.softmaxRows()
        return .probabilities(z)
    }
}
