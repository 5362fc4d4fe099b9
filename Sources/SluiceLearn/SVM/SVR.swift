import SluiceCompute
import SluicePipeline

/// Epsilon-insensitive kernel support vector regression, as scikit-learn's `SVR` (libsvm's
/// epsilon-SVR).
///
/// The dual has two variables per row (`α⁺`, `α⁻`), solved by the same SMO as ``SVC``
/// (``SluiceCompute/KernelSMOSolver``, libsvm's `solve_epsilon_svr`): `min ½(α⁺−α⁻)ᵀK(α⁺−α⁻)
/// + ε Σ(α⁺+α⁻) − Σ yᵢ(α⁺−α⁻)`, `Σ(α⁺−α⁻) = 0`, `0 ≤ α± ≤ c × the row's sample weight` (rows of
/// weight 0 dropped). The prediction is `Σ (α⁺ᵢ−α⁻ᵢ) K(xᵢ, x) + intercept`.
public struct SVR: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .values }

    public var c: Double
    /// The half-width of the tube in which errors cost nothing (scikit-learn's `epsilon`).
    public var epsilon: Double
    public var kernel: SVMKernel
    public var gamma: KernelGamma
    public var tolerance: Double
    public var shrinking: Bool
    /// The kernel cache's limit, in MB.
    public var cacheSizeMB: Double
    /// A limit on SMO iterations; nil for libsvm's `max(10⁷, 200·rows)`.
    public var maxIterations: Int?

    public init(c: Double = 1, epsilon: Double = 0.1, kernel: SVMKernel = .rbf, gamma: KernelGamma = .scale,
                tolerance: Double = 1e-3, shrinking: Bool = true, cacheSizeMB: Double = 200, maxIterations: Int? = nil) {
        self.c = c
        self.epsilon = epsilon
        self.kernel = kernel
        self.gamma = gamma
        self.tolerance = tolerance
        self.shrinking = shrinking
        self.cacheSizeMB = cacheSizeMB
        self.maxIterations = maxIterations
    }

    /// A fitted SVR: support vectors, their coefficients `α⁺ − α⁻`, and the intercept (`−rho`).
    public struct Model: RegressionModel, Equatable {
        public static let kind = "svr"
        public var kernel: KernelFunction
        public var supportVectors: Matrix<Double>
        /// The training row of each support vector, ascending.
        public var support: [Int]
        public var dualCoefficients: [Double]
        public var intercept: Double
        public var iterations: Int
        public var converged: Bool
        public var featureCount: Int { supportVectors.columns }

        public func predict(_ x: Matrix<Double>) throws -> [Double] {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            let z = KernelSVMSupport.expand(x, supportVectors: supportVectors, norms: kernel.rowNorms(supportVectors),
                                            kernel: kernel, coefficients: Matrix(rows: 1, columns: dualCoefficients.count,
                                                                                 elements: dualCoefficients))
            return z.elements.map { $0 + intercept }
        }

        public func validate() throws {
            let name = Self.kind, nSV = supportVectors.rows
            try FittedStateError.require(kernel.isValid, name, field: "kernel", "invalid parameters")
            try FittedStateError.require(support.count == nSV && support.allSatisfy { $0 >= 0 }, name, field: "support",
                                         "needs one row index per support vector")
            try FittedStateError.require(dualCoefficients.count == nSV && dualCoefficients.allSatisfy(\.isFinite), name,
                                         field: "dualCoefficients", "needs \(nSV) finite values")
            try FittedStateError.require(intercept.isFinite && supportVectors.elements.allSatisfy(\.isFinite), name,
                                         field: "intercept", "not finite")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.values(learner: Model.kind), sampleWeights: data.sampleWeights)
    }

    /// Fits on `x` (`n × p`, finite) and targets `y`; `sampleWeights` scale each row's box.
    public func fit(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]? = nil) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(TrainingSet(features: x, target: .values(y), sampleWeights: sampleWeights), learner: name)
        let function = kernel.function(gamma: gamma.resolve(x))
        try KernelSVMSupport.checkHyperparameters(learner: name, c: c, kernel: function, tolerance: tolerance,
                                                  cacheSizeMB: cacheSizeMB, maxIterations: maxIterations)
        guard epsilon >= 0, epsilon.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "epsilon", reason: "must be finite and ≥ 0")
        }
        let kept = (0..<x.rows).filter { (sampleWeights?[$0] ?? 1) > 0 }
        guard !kept.isEmpty else {
            throw EstimatorError.invalidSampleWeights(estimator: name, reason: "no row has a positive weight")
        }
        let l = kept.count, rows = x.gatheringRows(kept)
        let costs = kept.map { c * (sampleWeights?[$0] ?? 1) }
        let problem = KernelSMOProblem(rows: rows, kernel: function, index: Array(0..<l) + Array(0..<l),
                                       signs: [Double](repeating: 1, count: l) + [Double](repeating: -1, count: l),
                                       linear: kept.map { epsilon - y[$0] } + kept.map { epsilon + y[$0] },
                                       upper: costs + costs)
        let solution = KernelSMOSolver.solve(problem, tolerance: tolerance, shrinking: shrinking,
                                             cacheBytes: Int(cacheSizeMB * 1_048_576), maxIterations: maxIterations)
        let coefficients = (0..<l).map { solution.alpha[$0] - solution.alpha[$0 + l] }
        let sv = (0..<l).filter { coefficients[$0] != 0 }
        return Model(kernel: function, supportVectors: rows.gatheringRows(sv), support: sv.map { kept[$0] },
                     dualCoefficients: sv.map { coefficients[$0] }, intercept: -solution.rho,
                     iterations: solution.iterations, converged: solution.converged)
    }
}
