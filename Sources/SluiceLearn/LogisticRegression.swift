import Foundation
import SluiceCompute
import SluicePipeline

/// L2-regularised logistic regression: binary (one sigmoid) or multinomial (softmax over
/// all classes), fitted by Newton's method with a backtracking line search.
///
/// It minimises scikit-learn's objective,
/// `½‖W‖² + C · Σᵢ sᵢ · logloss(yᵢ, softmax(W·xᵢ + b))`, where `sᵢ` is the row's
/// sample weight times its class weight and the intercepts `b` are not penalised; the
/// optimum is scikit-learn's (`lbfgs`, multinomial) to solver tolerance. Because softmax
/// is unchanged when every intercept moves by one constant, multinomial intercepts are
/// reported centred (summing to zero).
///
/// Newton's method needs the Hessian, of side `classes' · (features + 1)`: it is built
/// with BLAS in row blocks over both cores, which is fast for up to a few hundred features.
/// For wider problems choose ``LogisticSolver/lbfgs`` (limited-memory BFGS, no Hessian),
/// which also fits sparse features (``fit(sparse:_:sampleWeights:context:)``).
///
/// With ``LogisticPenalty/l1`` the penalty is `‖W‖₁` instead of `½‖W‖²` (scikit-learn's
/// `penalty="l1"`), minimised by OWL-QN, the orthant-wise form of L-BFGS: it needs only
/// the gradient of the smooth part, so the same code serves dense and sparse features
/// (coordinate descent would need column access, a second copy of a sparse matrix in
/// column order, and one pass per coordinate), and it yields exact zeros. With
/// ``LogisticPenalty/elasticNet(l1Ratio:)`` the smooth part keeps `½(1 − ρ)‖W‖²` and OWL-QN
/// takes `ρ‖W‖₁` (scikit-learn's `penalty="elasticnet"`, which it solves by saga).
public struct LogisticRegression: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .classes }

    /// Inverse regularisation strength (scikit-learn's `C`): smaller means stronger.
    public var c: Double
    /// Whether to fit intercepts.
    public var fitIntercept: Bool
    /// How classes are weighted (`.balanced` for imbalanced data).
    public var classWeight: ClassWeight
    /// The most Newton iterations.
    public var maxIterations: Int
    /// Converged when the largest gradient entry is below `tolerance × max(1, its first value)`,
    /// or when the Newton decrement says the objective cannot improve beyond rounding noise.
    /// (L-BFGS: when the largest entry of the gradient of the objective divided by
    /// `C · Σ weights` is below `tolerance`, scikit-learn's `tol` for `lbfgs`.)
    public var tolerance: Double
    /// The penalty on the coefficients (intercepts are never penalised).
    public var penalty: LogisticPenalty
    /// How the objective is minimised. ``LogisticPenalty/l1`` needs ``LogisticSolver/lbfgs``.
    public var solver: LogisticSolver

    public init(c: Double = 1, fitIntercept: Bool = true, classWeight: ClassWeight = .uniform,
                maxIterations: Int = 100, tolerance: Double = 1e-10, penalty: LogisticPenalty = .l2,
                solver: LogisticSolver = .newton) {
        self.c = c
        self.fitIntercept = fitIntercept
        self.classWeight = classWeight
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.penalty = penalty
        self.solver = solver
    }

    /// Decodes hyperparameters; `penalty` and `solver` default to `.l2` and `.newton` when absent
    /// (artifacts written before they existed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(c: try c.decode(Double.self, forKey: .c), fitIntercept: try c.decode(Bool.self, forKey: .fitIntercept),
                  classWeight: try c.decode(ClassWeight.self, forKey: .classWeight),
                  maxIterations: try c.decode(Int.self, forKey: .maxIterations),
                  tolerance: try c.decode(Double.self, forKey: .tolerance),
                  penalty: try c.decodeIfPresent(LogisticPenalty.self, forKey: .penalty) ?? .l2,
                  solver: try c.decodeIfPresent(LogisticSolver.self, forKey: .solver) ?? .newton)
    }

    /// A fitted logistic model.
    public struct Model: ClassificationModel, DecisionFunctionModel, Equatable {
        public static let kind = "logistic_regression"
        public var classes: [String]
        /// `m × p` coefficients: one row (`m = 1`, the positive class `classes[1]`) for two
        /// classes, one row per class otherwise.
        public var coefficients: Matrix<Double>
        /// `m` intercepts.
        public var intercepts: [Double]
        /// Newton iterations used.
        public var iterations: Int
        /// Whether the gradient tolerance was reached within `maxIterations`.
        public var converged: Bool
        /// The mean of each feature over the training rows (unweighted), the baseline of
        /// ``contributions(_:)``; nil in artifacts written before it was kept, and for sparse fits.
        public var featureMeans: [Double]? = nil
        public var featureCount: Int { coefficients.columns }

        /// The raw scores `x · Wᵀ + b` (`n × m`).
        public func decisionFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            var z = Matrix<Double>(rows: x.rows, columns: coefficients.rows)
            if x.columns > 0 { z.gemm(x, coefficients.transposed) }
            z.add(toEachRow: intercepts)
            return z
        }

        /// The raw scores `x · Wᵀ + b` (`n × m`) of sparse rows.
        public func decisionFunction(_ x: SparseMatrix<Double>) throws -> Matrix<Double> {
            try LogisticRegression.checkSparse(x, rows: nil, featureCount: featureCount)
            var z = x.multiplied(by: coefficients.transposed.copy())
            z.add(toEachRow: intercepts)
            return z
        }

        /// Class probabilities of sparse rows (`n × classes`).
        public func predictProbabilities(_ x: SparseMatrix<Double>) throws -> Matrix<Double> {
            Self.probabilities(fromScores: try decisionFunction(x))
        }

        public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
            Self.probabilities(fromScores: try decisionFunction(x))
        }

        /// Sigmoid (one score column) or softmax of raw scores.
        static func probabilities(fromScores scores: Matrix<Double>) -> Matrix<Double> {
            var z = scores
            if z.columns == 1 {
                z.apply(.sigmoid)
                return Matrix(rows: z.rows, columns: 2) { out in
                    z.withUnsafeBufferPointer { p in
                        for i in 0..<z.rows {
                            out.initializeElement(at: 2 * i, to: 1 - p[i])
                            out.initializeElement(at: 2 * i + 1, to: p[i])
                        }
                    }
                }
            }
            z.softmaxRows()
            return z
        }

        public func validate() throws {
            let k = Self.kind, m = classes.count == 2 ? 1 : classes.count
            try FittedStateError.require(classes.count >= 2 && Set(classes).count == classes.count, k, field: "classes",
                                         "needs two or more distinct classes, has \(classes.count)")
            try FittedStateError.require(coefficients.rows == m, k, field: "coefficients",
                                         "\(coefficients.rows) rows for \(classes.count) classes")
            try FittedStateError.require(intercepts.count == m, k, field: "intercepts", "\(intercepts.count) for \(m) score columns")
            try FittedStateError.require(coefficients.elements.allSatisfy(\.isFinite), k, field: "coefficients", "not finite")
            try FittedStateError.require(intercepts.allSatisfy(\.isFinite), k, field: "intercepts", "not finite")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        return try fit(data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights,
                       context: context)
    }

    /// Fits on `x` (`n × p`, finite) and class labels `y`, each row weighted by `sampleWeights`;
    /// reports each iteration to `context`'s observer and honours its cancellation.
    public func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil,
                    context: FitContext = FitContext(seed: 0)) throws -> Model {
        try LearnerInput.check(TrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights), learner: Model.kind)
        let weights = try checkedWeights(y, sampleWeights: sampleWeights)
        let problem = LogisticProblem(x: x, labels: y.codes, classes: y.classes.count, weights: weights,
                                      c: c, fitIntercept: fitIntercept)
        var fitted: Model
        if solver == .newton {
            var newton = problem
            let (theta, iterations, converged) = try newton.minimise(maxIterations: maxIterations, tolerance: tolerance,
                                                                    context: context)
            fitted = model(problem.unpack(theta), classes: y.classes, iterations: iterations, converged: converged)
        } else {
            fitted = try fitLBFGS(problem, classes: y.classes, context: context)
        }
        fitted.featureMeans = x.columnMeans()
        return fitted
    }

    /// Fits on sparse features `x` (`n × p`, finite) and class labels `y` with L-BFGS (OWL-QN for
    /// ``LogisticPenalty/l1``), whatever ``solver`` says: products with `x` and its transpose
    /// are the only work per iteration, so a 100 000-term TF-IDF matrix trains without ever
    /// being dense. The model is the same as a dense fit's and predicts dense or sparse rows.
    public func fit(sparse x: SparseMatrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil,
                    context: FitContext = FitContext(seed: 0)) throws -> Model {
        guard x.rows > 0 else { throw EstimatorError.empty(estimator: Model.kind) }
        try Self.checkSparse(x, rows: y.count, featureCount: nil)
        try LearnerInput.weights(sampleWeights, rows: x.rows, learner: Model.kind)
        let weights = try checkedWeights(y, sampleWeights: sampleWeights)
        let problem = LogisticProblem(x: LogisticSparseDesign(x), labels: y.codes, classes: y.classes.count, weights: weights,
                                      c: c, fitIntercept: fitIntercept)
        return try fitLBFGS(problem, classes: y.classes, context: context)
    }

    /// Checks the hyperparameters and the labels; returns each row's weight (sample × class weight).
    func checkedWeights(_ y: ClassLabels, sampleWeights: [Double]?) throws -> [Double] {
        let name = Model.kind
        guard c > 0, c.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "c", reason: "must be finite and > 0")
        }
        guard maxIterations > 0 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "maxIterations", reason: "must be > 0")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "tolerance", reason: "must be finite and >= 0")
        }
        if case .elasticNet(let ratio) = penalty, !(ratio >= 0 && ratio <= 1) {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "penalty", reason: "l1Ratio must be in [0, 1]")
        }
        if penalty.l1Ratio > 0 && solver == .newton {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "penalty",
                                                       reason: "l1 and elastic net need solver .lbfgs (OWL-QN); Newton needs a smooth penalty")
        }
        let present = y.classCounts.enumerated().filter { $0.element > 0 }
        guard present.count >= 2 else {
            throw EstimatorError.singleClass(estimator: name, className: present.first.map { y.classes[$0.offset] })
        }
        if case .custom(let w) = classWeight, w.count != y.classes.count {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "classWeight",
                                                       reason: "has \(w.count) weights for \(y.classes.count) classes")
        }
        return classWeight.sampleWeights(for: y, sampleWeights: sampleWeights)
    }

    /// Sparse features: `rows` rows (when given), `featureCount` columns (when given), finite values.
    static func checkSparse(_ x: SparseMatrix<Double>, rows: Int?, featureCount: Int?) throws {
        if let rows, rows != x.rows {
            throw EstimatorError.lengthMismatch(estimator: Model.kind, rows: x.rows, targets: rows)
        }
        if let featureCount, featureCount != x.columns {
            throw EstimatorError.featureCountMismatch(estimator: Model.kind, expected: featureCount, got: x.columns)
        }
        if let e = x.values.firstIndex(where: { !$0.isFinite }) {
            let row = x.rowOffsets.lastIndex { $0 <= e } ?? 0
            throw EstimatorError.nonFinite(estimator: Model.kind, row: min(row, x.rows - 1), column: Int(x.columnIndices[e]))
        }
    }

    /// Minimises the problem, scaled by `1 / (C · Σ weights)` as scikit-learn's `lbfgs` does,
    /// with L-BFGS (``LogisticPenalty/l2``) or OWL-QN (``LogisticPenalty/l1``).
    func fitLBFGS<Design: LogisticDesign>(_ problem: LogisticProblem<Design>, classes: [String],
                                          context: FitContext) throws -> Model {
        let scale = 1 / (c * problem.weights.reduce(0, +))
        let l1 = penalty.l1Ratio, ridge = 1 - l1
        var l1Weights = [Double]()
        if l1 > 0 {
            l1Weights = [Double](repeating: scale * l1, count: problem.m * problem.block)
            for k in 0..<problem.m { l1Weights[k * problem.block + problem.p] = 0 }
        }
        let solverOptions = LBFGS(maxIterations: maxIterations, gradientTolerance: tolerance)
        let result = try solverOptions.minimize(start: [Double](repeating: 0, count: problem.m * problem.block),
                                                l1Weights: l1Weights, { theta, gradient in
            let (value, g) = problem.valueAndGradient(theta, ridge: ridge)
            for i in g.indices { gradient[i] = g[i] * scale }
            return value * scale
        }, observe: { iteration, value, norm in
            try context.checkCancellation(Model.kind)
            context.observe(FitProgress(source: Model.kind, unit: .iteration, step: iteration, total: maxIterations,
                                        metrics: ["loss": value, "gradient_norm": norm]))
        })
        return model(problem.unpack(result.x), classes: classes, iterations: result.iterations, converged: result.converged)
    }

    /// The model of unpacked parameters, multinomial intercepts centred.
    func model(_ parameters: (Matrix<Double>, [Double]), classes: [String], iterations: Int, converged: Bool) -> Model {
        var (coefficients, intercepts) = parameters
        if intercepts.count > 1 {  // softmax is shift-invariant in b: report the centred one
            let mean = intercepts.reduce(0, +) / Double(intercepts.count)
            intercepts = intercepts.map { $0 - mean }
        }
        return Model(classes: classes, coefficients: coefficients, intercepts: intercepts,
                     iterations: iterations, converged: converged)
    }
}

/// The penalty of a ``LogisticRegression``.
public enum LogisticPenalty: Sendable, Codable, Equatable {
    /// `½‖W‖²` (ridge), scikit-learn's default.
    case l2
    /// `‖W‖₁` (lasso): sparse coefficients.
    case l1
    /// `ρ‖W‖₁ + ½(1 − ρ)‖W‖²` with `ρ` the `l1Ratio` in `[0, 1]` (scikit-learn's
    /// `penalty="elasticnet"`): sparse like L1, grouped like ridge.
    case elasticNet(l1Ratio: Double)

    /// The share `ρ` of the L1 term: 0 for L2, 1 for L1.
    public var l1Ratio: Double {
        switch self {
        case .l2: return 0
        case .l1: return 1
        case .elasticNet(let ratio): return ratio
        }
    }

    private enum CodingKeys: String, CodingKey { case elasticNet }
    private enum RatioKeys: String, CodingKey { case l1Ratio }

    /// `"l2"` and `"l1"` as before elastic net existed; `{"elasticNet": {"l1Ratio": ρ}}`.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            switch name {
            case "l2": self = .l2
            case "l1": self = .l1
            default: throw DecodingError.dataCorruptedError(in: single, debugDescription: "unknown penalty \(name)")
            }
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let ratio = try c.nestedContainer(keyedBy: RatioKeys.self, forKey: .elasticNet).decode(Double.self, forKey: .l1Ratio)
        self = .elasticNet(l1Ratio: ratio)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .l2, .l1:
            var single = encoder.singleValueContainer()
            try single.encode(self == .l1 ? "l1" : "l2")
        case .elasticNet(let ratio):
            var c = encoder.container(keyedBy: CodingKeys.self)
            var nested = c.nestedContainer(keyedBy: RatioKeys.self, forKey: .elasticNet)
            try nested.encode(ratio, forKey: .l1Ratio)
        }
    }
}

/// How a ``LogisticRegression`` is minimised.
public enum LogisticSolver: String, Sendable, Codable, Equatable {
    /// Newton's method with the full Hessian: fastest for up to a few hundred features.
    case newton
    /// Limited-memory BFGS (OWL-QN with an L1 penalty): no Hessian, for wide or sparse features.
    case lbfgs
}

/// A design matrix as the logistic loss uses it: scores `X · Wᵀ` and gradients `Rᵀ · X`.
protocol LogisticDesign: Sendable {
    var rows: Int { get }
    var columns: Int { get }
    /// `X · Wᵀ` (`n × m`) for `W` of `m × p`.
    func scores(_ w: Matrix<Double>) -> Matrix<Double>
    /// `α · Rᵀ · X` (`m × p`) for `R` of `n × m`.
    func weightedSums(_ r: Matrix<Double>, alpha: Double) -> Matrix<Double>
}

/// A design whose rows can be copied out in blocks: what Newton's Hessian is built from.
protocol LogisticRowBlocks: LogisticDesign {
    /// Writes rows `start ..< start + count`, `columns` values each, to `out`, row `i` at
    /// `out + i · stride` (`stride ≥ columns`; the values past `columns` are left as they are).
    func copyRows(_ start: Int, count: Int, into out: UnsafeMutablePointer<Double>, stride: Int)
}

extension Matrix: LogisticRowBlocks where Scalar == Double {
    func copyRows(_ start: Int, count: Int, into out: UnsafeMutablePointer<Double>, stride: Int) {
        guard columns > 0 else { return }
        withUnsafeBufferPointer { src in
            for i in 0..<count { (out + i * stride).update(from: src.baseAddress! + (start + i) * columns, count: columns) }
        }
    }
}

/// A binary problem's products are matrix-vector ones, taken by `?gemv`: `?gemm` would first
/// copy all of `X` into its packed panels, at every iteration.
extension Matrix: LogisticDesign where Scalar == Double {
    func scores(_ w: Matrix<Double>) -> Matrix<Double> {
        if w.rows == 1 { return Matrix(rows: rows, columns: 1, elements: multiplied(by: w.elements)) }
        var z = Matrix<Double>(rows: rows, columns: w.rows)
        if columns > 0 { z.gemm(self, w.transposed) }
        return z
    }

    func weightedSums(_ r: Matrix<Double>, alpha: Double) -> Matrix<Double> {
        if r.columns == 1 {
            // `?gemv` of Xᵀ may split the rows over threads and add the parts in an order that
            // depends on the thread count; fixed blocks added in order give the same bits always.
            let p = columns, blockRows = 4096, blocks = (rows + blockRows - 1) / blockRows
            var partials = [Double](repeating: 0, count: blocks * p)
            partials.withUnsafeMutableBufferPointer { part in
                withUnsafeBufferPointer { x in
                    r.withUnsafeBufferPointer { r in
                        Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
                            for b in range {
                                let acc = part.baseAddress! + b * p
                                for i in (b * blockRows)..<Swift.min(rows, (b + 1) * blockRows) {
                                    let row = x.baseAddress! + i * p, ri = r[i]
                                    for j in 0..<p { acc[j] += row[j] * ri }
                                }
                            }
                        }
                    }
                }
            }
            return Matrix(rows: 1, columns: p) { out in
                for j in 0..<p {
                    var total = 0.0
                    for b in 0..<blocks { total += partials[b * p + j] }
                    out.initializeElement(at: j, to: alpha * total)
                }
            }
        }
        var g = Matrix<Double>(rows: r.columns, columns: columns)
        if columns > 0 { g.gemm(r.transposed, self, alpha: alpha) }
        return g
    }
}

/// Sparse features with their transpose, built once, so that `Rᵀ · X = (Xᵀ · R)ᵀ` is a row-parallel product.
struct LogisticSparseDesign: LogisticDesign {
    let x: SparseMatrix<Double>
    let xt: SparseMatrix<Double>
    var rows: Int { x.rows }
    var columns: Int { x.columns }

    init(_ x: SparseMatrix<Double>) {
        self.x = x
        xt = x.transposed()
    }

    func scores(_ w: Matrix<Double>) -> Matrix<Double> { x.multiplied(by: w.transposed.copy()) }

    func weightedSums(_ r: Matrix<Double>, alpha: Double) -> Matrix<Double> {
        var g = xt.multiplied(by: r).transposed.copy()
        if alpha != 1 { g.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] *= alpha } } }
        return g
    }
}

/// The penalised log-loss, its gradient and Hessian, over parameters laid out as `m` blocks
/// of `p + 1` values (coefficients, then the intercept), and Newton's method on it.
struct LogisticProblem<Design: LogisticDesign> {
    let x: Design
    let labels: [Int]
    let weights: [Double]
    let c: Double
    let fitIntercept: Bool
    /// Score columns: 1 for binary (sigmoid), the class count for multinomial.
    let m: Int
    let p: Int
    var block: Int { p + 1 }

    init(x: Design, labels: [Int], classes: Int, weights: [Double], c: Double, fitIntercept: Bool) {
        self.x = x
        self.labels = labels
        self.weights = weights
        self.c = c
        self.fitIntercept = fitIntercept
        m = classes == 2 ? 1 : classes
        p = x.columns
    }

    func unpack(_ theta: [Double]) -> (Matrix<Double>, [Double]) {
        let w = Matrix<Double>(rows: m, columns: p) { out in
            for k in 0..<m { for j in 0..<p { out.initializeElement(at: k * p + j, to: theta[k * block + j]) } }
        }
        return (w, (0..<m).map { theta[$0 * block + p] })
    }

    /// Scores `n × m` and, from them, probabilities `n × m` (sigmoid or softmax).
    func probabilities(_ theta: [Double]) -> (scores: Matrix<Double>, probabilities: Matrix<Double>) {
        let (w, b) = unpack(theta)
        var z = x.scores(w)
        z.add(toEachRow: b)
        var prob = z
        if m == 1 { prob.apply(.sigmoid) } else { prob.softmaxRows() }
        return (z, prob)
    }


    /// The objective and its gradient at `theta`, from one evaluation of the scores;
    /// `ridge` scales the `½‖W‖²` term: 1 for L2, `1 − l1Ratio` for the elastic net, 0 for L1
    /// (only the weighted loss, the smooth part of an L1 problem).
    func valueAndGradient(_ theta: [Double], ridge: Double) -> (Double, [Double]) {
        let (z, prob) = probabilities(theta)
        return (objective(theta, scores: z, ridge: ridge), gradient(theta, prob, ridge: ridge))
    }

    func objective(_ theta: [Double], scores z: Matrix<Double>, ridge: Double) -> Double {
        var loss = 0.0
        z.withUnsafeBufferPointer { z in
            for i in 0..<x.rows where weights[i] > 0 {
                let li: Double
                if m == 1 {
                    let zi = z[i]  // log(1 + e^z) - y·z, computed without overflow
                    li = max(zi, 0) + log1p(exp(-abs(zi))) - (labels[i] == 1 ? zi : 0)
                } else {
                    let row = z.baseAddress! + i * m
                    var mx = -Double.infinity
                    for k in 0..<m { mx = max(mx, row[k]) }
                    var s = 0.0
                    for k in 0..<m { s += exp(row[k] - mx) }
                    li = mx + log(s) - row[labels[i]]
                }
                loss += weights[i] * li
            }
        }
        var penalty = 0.0
        if ridge != 0 { for k in 0..<m { for j in 0..<p { penalty += theta[k * block + j] * theta[k * block + j] } } }
        return c * loss + 0.5 * ridge * penalty
    }

    /// The gradient at `theta`, from the probabilities there.
    func gradient(_ theta: [Double], _ prob: Matrix<Double>, ridge: Double = 1) -> [Double] {
        // Residual R = s ∘ (P - Y), n × m.
        var r = prob
        r.withUnsafeMutableBufferPointer { r in
            for i in 0..<x.rows {
                for k in 0..<m {
                    let yk: Double = m == 1 ? (labels[i] == 1 ? 1 : 0) : (labels[i] == k ? 1 : 0)
                    r[i * m + k] = weights[i] * (r[i * m + k] - yk)
                }
            }
        }
        var g = [Double](repeating: 0, count: m * block)
        let gw = x.weightedSums(r, alpha: c)  // C · Rᵀ X
        let gb = r.columnSums()
        for k in 0..<m {
            for j in 0..<p { g[k * block + j] = gw[k, j] + ridge * theta[k * block + j] }
            g[k * block + p] = fitIntercept ? c * gb[k] : 0
        }
        return g
    }

}

extension LogisticProblem where Design: LogisticRowBlocks {
    /// The Hessian at the probabilities `prob`, `(m·(p+1))²`, built over row blocks on
    /// both cores: block (k, l) is `C · X̃ᵀ diag(sᵢ pᵢₖ (δₖₗ - pᵢₗ)) X̃` with `X̃ = [X | 1]`.
    func hessian(_ prob: Matrix<Double>) -> Matrix<Double> {
        let n = x.rows, d = block, side = m * d
        let partials = PartialSums(count: Parallel.threadCount, size: side * side)
        let rowsPerBlock = 2048
        let chunkIndex = ChunkCounter()
        Parallel.forEachChunk(of: n, minimumChunk: 16384) { range in
            let slot = chunkIndex.next()
            var xb = Matrix<Double>(rows: rowsPerBlock, columns: d, repeating: 1)
            var scaled = xb
            var acc = Matrix<Double>(rows: d, columns: d)
            var start = range.lowerBound
            while start < range.upperBound {
                let rows = min(rowsPerBlock, range.upperBound - start)
                if m == 1 {
                    // Binary: one Gram matrix of the rows [xᵢ | 1] scaled by √(C sᵢ pᵢ (1 - pᵢ)), by `syrk`.
                    scaled.withUnsafeMutableBufferPointer { s in
                        x.copyRows(start, count: rows, into: s.baseAddress!, stride: d)
                        prob.withUnsafeBufferPointer { pr in
                            for i in 0..<rows {
                                let row = start + i, pk = pr[row]
                                let f = (c * weights[row] * pk * (1 - pk)).squareRoot()
                                let to = s.baseAddress! + i * d
                                for j in 0..<p { to[j] *= f }
                                to[p] = f
                            }
                        }
                    }
                    acc.syrk(scaled.rows(0..<rows).transposed)
                    partials.add(acc, slot: slot, blockRow: 0, blockColumn: 0, blockSize: d, side: side)
                    start += rows
                    continue
                }
                xb.withUnsafeMutableBufferPointer { dst in x.copyRows(start, count: rows, into: dst.baseAddress!, stride: d) }
                let xv = xb.rows(0..<rows)
                prob.withUnsafeBufferPointer { pr in
                    for k in 0..<m {
                        for l in k..<m {
                            scaled.withUnsafeMutableBufferPointer { s in
                                xb.withUnsafeBufferPointer { src in
                                    for i in 0..<rows {
                                        let row = start + i
                                        let pk = pr[row * m + k], pl = pr[row * m + l]
                                        let dkl = m == 1 ? pk * (1 - pk) : pk * ((k == l ? 1 : 0) - pl)
                                        let f = c * weights[row] * dkl
                                        for j in 0..<d { s[i * d + j] = src[i * d + j] * f }
                                    }
                                }
                            }
                            acc.gemm(xv.transposed, scaled.rows(0..<rows), beta: 0)
                            partials.add(acc, slot: slot, blockRow: k, blockColumn: l, blockSize: d, side: side)
                        }
                    }
                }
                start += rows
            }
        }
        var h = partials.total(side: side)
        for k in 0..<m {  // mirror the upper blocks, add the ridge on coefficients
            for l in 0..<k {
                for a in 0..<d { for b in 0..<d { h[k * d + a, l * d + b] = h[l * d + b, k * d + a] } }
            }
            for j in 0..<p { h[k * d + j, k * d + j] += 1 }
            if !fitIntercept {  // intercepts fixed at 0: decouple them
                for j in 0..<side { h[k * d + p, j] = 0; h[j, k * d + p] = 0 }
                h[k * d + p, k * d + p] = 1
            }
        }
        if m > 1 && fitIntercept {  // remove the softmax shift direction u = (1…1)/√m on intercepts
            for k in 0..<m { for l in 0..<m { h[k * d + p, l * d + p] += 1 / Double(m) } }
        }
        return h
    }

    mutating func minimise(maxIterations: Int, tolerance: Double, context: FitContext) throws -> ([Double], Int, Bool) {
        var theta = [Double](repeating: 0, count: m * block)
        // The probabilities at `theta`, kept from the evaluation that accepted it (one pass
        // over the rows fewer per iteration).
        let start = probabilities(theta)
        var prob = start.probabilities
        var f = objective(theta, scores: start.scores, ridge: 1)
        var firstNorm: Double?
        for iteration in 1...maxIterations {
            let g = gradient(theta, prob)
            let norm = g.map(abs).max() ?? 0
            let scale = max(1, firstNorm ?? norm)
            if firstNorm == nil { firstNorm = norm }
            if norm <= tolerance * scale { return (theta, iteration - 1, true) }
            try context.checkCancellation(LogisticRegression.Model.kind)
            if iteration > 1 {
                context.observe(FitProgress(source: LogisticRegression.Model.kind, unit: .iteration, step: iteration - 1,
                                            total: maxIterations, metrics: ["loss": f, "gradient_norm": norm]))
            }
            let h = hessian(prob)
            let step: [Double]
            do {
                step = try h.choleskySolve(Matrix(rows: g.count, columns: 1, elements: g)).elements
            } catch {
                do {
                    step = try h.leastSquares(Matrix(rows: g.count, columns: 1, elements: g)).solution.elements
                } catch {
                    throw EstimatorError.numerical(estimator: LogisticRegression.Model.kind, reason: "Newton step failed: \(error)")
                }
            }
            // The Newton decrement gᵀH⁻¹g / 2 predicts the remaining decrease. Once it is
            // below the objective's rounding noise, a line search can only compare noise:
            // take the full step (Newton is quadratically convergent there) and stop.
            let slope = zip(g, step).reduce(0) { $0 + $1.0 * $1.1 }
            if slope / 2 <= 1e-13 * max(1, abs(f)) {
                theta = zip(theta, step).map { $0 - $1 }
                return (theta, iteration, true)
            }
            // Backtracking (Armijo) line search along -step.
            var t = 1.0, accepted = false
            for _ in 0..<50 {
                let candidate = zip(theta, step).map { $0 - t * $1 }
                let evaluated = probabilities(candidate)
                let fc = objective(candidate, scores: evaluated.scores, ridge: 1)
                if fc <= f - 1e-4 * t * slope {
                    theta = candidate
                    prob = evaluated.probabilities
                    f = fc
                    accepted = true
                    break
                }
                t *= 0.5
            }
            if !accepted { return (theta, iteration, norm <= 1e3 * tolerance * scale) }
        }
        let g = gradient(theta, probabilities(theta).probabilities)
        return (theta, maxIterations, (g.map(abs).max() ?? 0) <= tolerance * max(1, firstNorm ?? 0))
    }
}

/// Per-thread Hessian partial sums in one flat buffer, each thread writing only its slot.
private final class PartialSums: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<Double>
    private let size: Int

    init(count: Int, size: Int) {
        self.size = size
        buffer = .allocate(capacity: count * size)
        buffer.initialize(repeating: 0)
    }

    deinit { buffer.deallocate() }

    func add(_ acc: Matrix<Double>, slot: Int, blockRow k: Int, blockColumn l: Int, blockSize d: Int, side: Int) {
        let h = buffer.baseAddress! + slot * size
        acc.withUnsafeBufferPointer { a in
            for i in 0..<d {
                let row = h + (k * d + i) * side + l * d
                for j in 0..<d { row[j] += a[i * d + j] }
            }
        }
    }

    func total(side: Int) -> Matrix<Double> {
        Matrix(rows: side, columns: side) { out in
            out.initialize(repeating: 0)
            for s in 0..<(buffer.count / size) {
                for i in 0..<size { out[i] += buffer[s * size + i] }
            }
        }
    }
}

/// Hands each parallel chunk a distinct slot number.
private final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
