/// A fitted model that can say how much each feature matters, for ``SelectFromModel``.
///
/// Linear models answer with the magnitude of their coefficients (scikit-learn's
/// `SelectFromModel` default for `coef_`): meaningful only when the features are on one
/// scale, so standardise before selecting by a linear model.
public protocol FeatureImportances {
    /// One non-negative importance per feature, in feature order.
    var featureImportances: [Double] { get }
}

