/// A fitted model that can say how much each feature matters, for ``SelectFromModel``.
///
/// Linear models answer with the magnitude of their coefficients (scikit-learn's
/// `SelectFromModel` default for `coef_`): meaningful only when the features are on one
/// scale, so standardise before selecting by a linear model.
public protocol FeatureImportances {
    /// One non-negative importance per feature, in feature order.
    var featureImportances: [Double] { get }
}

extension LinearRegression.Model: FeatureImportances {
    /// `|coefficient|` of each feature.
    public var featureImportances: [Double] { coefficients.map { abs($0) } }
}

extension LogisticRegression.Model: FeatureImportances {
    /// The sum over classes of `|coefficient|` (the L1 norm of each feature's column of
    /// coefficients; `|coefficient|` for a binary model), as scikit-learn's `norm_order=1`.
    public var featureImportances: [Double] {
        (0..<coefficients.columns).map { j in (0..<coefficients.rows).reduce(0) { $0 + abs(coefficients[$1, j]) } }
    }
}
