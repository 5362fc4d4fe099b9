import Foundation
import SluiceCompute
import SluicePipeline

// The learners that accept CSR features in a pipeline (``SparseInputLearner``), and their
// models' predictions of CSR rows.

extension LogisticRegression: SparseInputLearner {
    /// The widest Newton problem on a pipeline's sparse features, in parameters
    /// (`score columns × (features + 1)`): its Hessian is 8 MB.
    public static let sparseNewtonParameterLimit = 1024

    /// Fits on a pipeline's features: dense frame features, then the sparse stages' CSR ones.
    ///
    /// With ``LogisticSolver/newton`` and at most ``sparseNewtonParameterLimit`` parameters (a
    /// one-hot encoding beside numeric columns), Newton's method runs on the two parts as they
    /// are, never assembled: the model is the dense fit's (to rounding: only the order of
    /// some sums differs), in the memory of the compact features. Otherwise (text, or
    /// ``LogisticSolver/lbfgs``) it is L-BFGS (OWL-QN for ``LogisticPenalty/l1``) on all the
    /// features as CSR, as ``fit(sparse:_:sampleWeights:context:)``.
    public func fit(sparse data: SparseTrainingSet<Double>, context: inout FitContext) throws -> Model {
        let y = try data.target.classLabels(learner: Model.kind)
        let outputs = y.classes.count == 2 ? 1 : y.classes.count
        guard solver == .newton, outputs * (data.featureCount + 1) <= Self.sparseNewtonParameterLimit else {
            return try fit(sparse: data.features, y, sampleWeights: data.sampleWeights, context: context)
        }
        try LearnerInput.check(sparse: data, learner: Model.kind)
        let weights = try checkedWeights(y, sampleWeights: data.sampleWeights)
        var problem = LogisticProblem(x: LogisticMixedDesign(dense: data.denseFeatures, sparse: data.sparseFeatures),
                                      labels: y.codes, classes: y.classes.count, weights: weights, c: c,
                                      fitIntercept: fitIntercept)
        let (theta, iterations, converged) = try problem.minimise(maxIterations: maxIterations, tolerance: tolerance,
                                                                 context: context)
        return model(problem.unpack(theta), classes: y.classes, iterations: iterations, converged: converged)
    }
}

extension LogisticRegression.Model: SparseInputModel, SparseDecisionFunctionModel {
    public func output(sparse x: SparseMatrix<Double>) throws -> ModelOutput { .probabilities(try predictProbabilities(x)) }

    /// Probabilities of rows in two parts, scored as they are (never joined into one matrix).
    public func output(dense: Matrix<Double>, sparse: SparseMatrix<Double>) throws -> ModelOutput {
        try LearnerInput.predict(dense, featureCount: dense.columns, learner: Self.kind)
        try LearnerInput.predict(sparse: sparse, featureCount: featureCount - dense.columns, learner: Self.kind)
        var z = LogisticMixedDesign(dense: dense, sparse: sparse).scores(coefficients)
        z.add(toEachRow: intercepts)
        return .probabilities(Self.probabilities(fromScores: z))
    }
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
        return try model(sums: sums, features: data.featureCount, y, sampleWeights: data.sampleWeights)
    }
}

extension ComplementNaiveBayes: SparseInputLearner {
    public func fit(sparse data: SparseTrainingSet<Double>, context: inout FitContext) throws -> Model {
        let (y, sums) = try DiscreteNaiveBayes.countSums(data, alpha: alpha, learner: Model.kind)
        return try model(sums: sums, features: data.featureCount, y, sampleWeights: data.sampleWeights)
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
        return try model(counts: counts, sums: sums, features: data.featureCount, y, sampleWeights: data.sampleWeights)
    }
}

extension DiscreteNaiveBayes {
    /// Checks CSR training features (finite, aligned; non-negative for counts).
    static func checkSparse(_ data: SparseTrainingSet<Double>, learner: String, nonNegative: Bool) throws {
        try LearnerInput.check(sparse: data, learner: learner)
        guard nonNegative else { return }
        let x = data.features
        guard let e = x.values.firstIndex(where: { $0 < 0 }) else { return }
        let row = x.rowOffsets.lastIndex { $0 <= e } ?? 0
        throw EstimatorError.invalidHyperparameter(estimator: learner, name: "features",
            reason: "must be non-negative counts or frequencies; row \(row), feature \(x.columnIndices[e]) is negative")
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
