import SluiceCompute
import SluicePipeline

// `ContributionModel` is declared in SluicePipeline (Inspection/Contributions.swift), so that a
// fitted pipeline explains any model that conforms.

extension HistGradientBoostingClassifier.Model: ContributionModel {
    public var contributionOutputs: Int { trees.outputs }
    public var expectedValues: [Double] { trees.expectedValues() }

    /// Exact path-dependent TreeSHAP contributions to the raw scores (logits).
    public func contributions(_ x: Matrix<Double>) throws -> Matrix<Double> {
        try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind, allowsMissing: true)
        return trees.contributions(x)
    }
}

extension HistGradientBoostingRegressor.Model: ContributionModel {
    public var contributionOutputs: Int { 1 }
    public var expectedValues: [Double] { trees.expectedValues() }

    /// Exact path-dependent TreeSHAP contributions to the raw prediction (its log for Poisson).
    public func contributions(_ x: Matrix<Double>) throws -> Matrix<Double> {
        try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind, allowsMissing: true)
        return trees.contributions(x)
    }
}

extension HistGradientBoostingClassifier.Model: FeatureImportances {
    /// Each feature's share of the total split gain (summing to 1; all 0 without splits).
    public var featureImportances: [Double] { Self.normalised(trees.importances().gain) }
    /// The total loss reduction of each feature's splits, over all trees.
    public var gainImportances: [Double] { trees.importances().gain }
    /// How many splits use each feature, over all trees.
    public var splitCounts: [Int] { trees.importances().splits }

    static func normalised(_ g: [Double]) -> [Double] {
        let total = g.reduce(0, +)
        return total > 0 ? g.map { $0 / total } : g.map { _ in 0 }
    }
}

extension HistGradientBoostingRegressor.Model: FeatureImportances {
    /// Each feature's share of the total split gain (summing to 1; all 0 without splits).
    public var featureImportances: [Double] { HistGradientBoostingClassifier.Model.normalised(trees.importances().gain) }
    /// The total loss reduction of each feature's splits, over all trees.
    public var gainImportances: [Double] { trees.importances().gain }
    /// How many splits use each feature, over all trees.
    public var splitCounts: [Int] { trees.importances().splits }
}
