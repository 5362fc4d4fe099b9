import SluiceCompute
import SluicePipeline

/// A fitted model that explains each prediction as per-feature contributions (SHAP values)
/// that add up, with an expected value, to its raw output.
///
/// For output `k` of ``contributionOutputs`` and row `i`, `contributions(x)[i, k·p + j]`
/// is feature `j`'s contribution (`p` = ``FittedModel/featureCount``), and
/// `expectedValues[k] + Σⱼ contributions[i, k·p + j]` is the model's raw output `k` for the
/// row (the logit, the class score, the regression value before any link).
public protocol ContributionModel: FittedModel {
    /// The number of raw outputs explained.
    var contributionOutputs: Int { get }
    /// The expected raw output of each output over the training data.
    var expectedValues: [Double] { get }
    /// `n × (contributionOutputs · featureCount)` contributions.
    func contributions(_ x: Matrix<Scalar>) throws -> Matrix<Double>
}

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
