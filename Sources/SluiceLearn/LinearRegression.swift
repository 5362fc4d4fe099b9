import SluiceCompute
import SluicePipeline

/// Least-squares linear regression, with an optional L2 (ridge) penalty.
///
/// With `alpha == 0` this is scikit-learn's `LinearRegression`: the minimum-norm
/// least-squares solution through LAPACK's SVD solver (`gelsd`), so collinear features get
/// a well-defined answer. With `alpha > 0` it is scikit-learn's `Ridge` (dense
/// Cholesky solver): it minimises `Σ wᵢ (yᵢ - xᵢ·β - b)² + alpha · ‖β‖²`, the intercept
/// unpenalised. Sample weights scale each row's squared error.
public struct LinearRegression: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .values }

    /// Whether to fit an intercept (else the model passes through the origin).
    public var fitIntercept: Bool
    /// The L2 penalty on the coefficients; 0 for ordinary least squares.
    public var alpha: Double

    public init(fitIntercept: Bool = true, alpha: Double = 0) {
        self.fitIntercept = fitIntercept
        self.alpha = alpha
    }

    /// A fitted linear model: `ŷ = x · coefficients + intercept`.
    public struct Model: RegressionModel, Equatable {
        public static let kind = "linear_regression"
        /// One coefficient per feature.
        public var coefficients: [Double]
        /// The intercept (0 when not fitted).
        public var intercept: Double
        /// The rank of the (weighted, centred) design matrix; `nil` for ridge.
        public var rank: Int?
        /// The mean of each feature over the training rows (unweighted), the baseline of
        /// ``contributions(_:)``; nil in artifacts written before it was kept.
        public var featureMeans: [Double]? = nil
        public var featureCount: Int { coefficients.count }

        public func predict(_ x: Matrix<Double>) throws -> [Double] {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            var y = [Double](repeating: intercept, count: x.rows)
            if x.columns > 0 { x.view.gemv(coefficients, into: &y, beta: 1) }
            return y
        }

        public func validate() throws {
            try FittedStateError.require(coefficients.allSatisfy(\.isFinite), Self.kind, field: "coefficients", "not finite")
            try FittedStateError.require(intercept.isFinite, Self.kind, field: "intercept", "not finite")
            try FittedStateError.require((rank ?? 0) >= 0 && (rank ?? 0) <= coefficients.count, Self.kind, field: "rank",
                                         "\(rank ?? 0) for \(coefficients.count) coefficients")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.values(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    /// Fits on `x` (`n × p`, finite) and `y`, each row's squared error weighted by `sampleWeights`.
    public func fit(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        guard alpha >= 0, alpha.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "alpha", reason: "must be finite and ≥ 0")
        }
        try LearnerInput.check(TrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights), learner: name)
        let (n, p) = (x.rows, x.columns)
        let w = sampleWeights ?? [Double](repeating: 1, count: n)
        let wsum = w.reduce(0, +)

        // Weighted means, then centre and scale rows by √w (one pass, one copy of x).
        var xMean = [Double](repeating: 0, count: p), yMean = 0.0
        if fitIntercept {
            var wm = Matrix<Double>(rows: 1, columns: n, elements: w)
            wm.scale(by: 1 / wsum)
            xMean = x.transposed.multiplied(by: wm.elements)
            yMean = zip(w, y).reduce(0) { $0 + $1.0 * $1.1 } / wsum
        }
        var design = x
        var target = Matrix<Double>(rows: n, columns: 1)
        design.withUnsafeMutableBufferPointer { d in
            target.withUnsafeMutableBufferPointer { t in
                for i in 0..<n {
                    let s = w[i].squareRoot()
                    for j in 0..<p { d[i * p + j] = (d[i * p + j] - xMean[j]) * s }
                    t[i] = (y[i] - yMean) * s
                }
            }
        }

        var coefficients: [Double], rank: Int?
        if p == 0 {
            coefficients = []
        } else if alpha == 0 {
            do {
                let solution = try design.leastSquares(target)
                coefficients = solution.solution.elements
                rank = solution.rank
            } catch {
                throw EstimatorError.numerical(estimator: name, reason: "\(error)")
            }
        } else {
            var gram = Matrix<Double>.identity(p) * alpha
            gram.syrk(design.transposed, beta: 1)
            let rhs = Matrix(rows: p, columns: 1, elements: design.transposed.multiplied(by: target.elements))
            do {
                coefficients = try gram.choleskySolve(rhs).elements
            } catch {
                throw EstimatorError.numerical(estimator: name, reason: "\(error)")
            }
        }
        let intercept = fitIntercept ? yMean - zip(xMean, coefficients).reduce(0) { $0 + $1.0 * $1.1 } : 0
        return Model(coefficients: coefficients, intercept: intercept, rank: rank, featureMeans: x.columnMeans())
    }
}
