import SluiceCompute
import SluicePipeline

/// Exact contributions of a linear score `s(x) = w · x + b`: feature `j` contributes
/// `w_j · (x_j − mean_j)` and the expected value is the score at the training mean,
/// `w · mean + b`, so the contributions add up to the score exactly. These are the SHAP values
/// of a linear model with independent features (`shap.LinearExplainer(model, X_train)`, its
/// default `Independent` masker, whose background mean is the unweighted mean of `X_train`).
enum LinearContributions {
    /// `n × (m · p)` contributions of the `m` scores `x · Wᵀ + b` (`W` is `m × p`).
    static func contributions(_ x: Matrix<Double>, coefficients w: Matrix<Double>, means: [Double]) -> Matrix<Double> {
        let n = x.rows, p = x.columns, m = w.rows
        var out = Matrix<Double>(rows: n, columns: m * p)
        guard n > 0, p > 0, m > 0 else { return out }
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { xs in
                w.withUnsafeBufferPointer { ws in
                    means.withUnsafeBufferPointer { mean in
                        let shared = BoostUnchecked((o, xs, ws, mean))
                        Parallel.forEachChunk(of: n, minimumChunk: 4096) { range in
                            let (o, xs, ws, mean) = shared.value
                            for i in range {
                                let row = xs.baseAddress! + i * p, phi = o.baseAddress! + i * m * p
                                for k in 0..<m {
                                    for j in 0..<p { phi[k * p + j] = ws[k * p + j] * (row[j] - mean[j]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The scores at the mean: `W · mean + b`.
    static func expected(coefficients w: Matrix<Double>, intercepts: [Double], means: [Double]?) -> [Double] {
        guard let means, means.count == w.columns else { return intercepts.map { _ in .nan } }
        return (0..<w.rows).map { k in (0..<w.columns).reduce(intercepts[k]) { $0 + w[k, $1] * means[$1] } }
    }

    /// The training means, or an error for a model stored before they were kept.
    static func means(_ means: [Double]?, featureCount: Int, kind: String) throws -> [Double] {
        guard let means, means.count == featureCount else { throw ContributionError.noBaseline(model: kind) }
        return means
    }
}

extension LinearRegression.Model: ContributionModel {
    public var contributionOutputs: Int { 1 }
    /// The prediction at the training mean; NaN for a model stored before the means were kept.
    public var expectedValues: [Double] {
        LinearContributions.expected(coefficients: Matrix(rows: 1, columns: featureCount, elements: coefficients),
                                     intercepts: [intercept], means: featureMeans)
    }

    /// `coefficient_j · (x_j − mean_j)` per feature, adding up with ``expectedValues`` to the
    /// prediction. Throws ``ContributionError/noBaseline(model:)`` for a model stored before its
    /// training means were kept.
    public func contributions(_ x: Matrix<Double>) throws -> Matrix<Double> {
        try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
        let means = try LinearContributions.means(featureMeans, featureCount: featureCount, kind: Self.kind)
        return LinearContributions.contributions(x, coefficients: Matrix(rows: 1, columns: featureCount, elements: coefficients),
                                                 means: means)
    }
}

extension LogisticRegression.Model: ContributionModel {
    /// One score (the logit of `classes[1]`) for two classes, one per class otherwise.
    public var contributionOutputs: Int { coefficients.rows }
    /// The raw scores at the training mean; NaN for a model stored before the means were kept.
    public var expectedValues: [Double] {
        LinearContributions.expected(coefficients: coefficients, intercepts: intercepts, means: featureMeans)
    }

    /// `W_kj · (x_j − mean_j)` per score `k` and feature `j`, adding up with ``expectedValues``
    /// to the raw scores (``decisionFunction(_:)``: the logit for two classes). Throws
    /// ``ContributionError/noBaseline(model:)`` for a model stored before its training means
    /// were kept, or fitted on sparse features.
    public func contributions(_ x: Matrix<Double>) throws -> Matrix<Double> {
        try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
        let means = try LinearContributions.means(featureMeans, featureCount: featureCount, kind: Self.kind)
        return LinearContributions.contributions(x, coefficients: coefficients, means: means)
    }
}
