import SluicePipeline

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
