import SluiceCompute
import SluicePipeline

/// A linear support vector classifier by dual coordinate descent, as scikit-learn's
/// `LinearSVC(dual=True)` (liblinear's solvers 1 and 3; Hsieh et al., 2008).
///
/// Each class gets a one-vs-rest problem (one problem, for `classes[1]`, with two classes):
/// `min ½‖w‖² + C Σᵢ cᵢ · loss(yᵢ (w·xᵢ + b))` with the hinge or squared hinge ``Loss``, where
/// `cᵢ` is the row's sample weight times its class weight (as liblinear, in a one-vs-rest
/// problem only the positive class is weighted). As liblinear, the intercept is the
/// weight of a constant feature ``interceptScaling`` and is penalised with the rest. The dual
/// is solved one variable at a time, in an order shuffled every pass by the fit's generator
/// (Fisher–Yates, ``SeededGenerator/nextInt(below:)``), until the projected gradient's spread
/// falls below ``tolerance`` (liblinear's rule) or ``maxIterations`` passes. As liblinear, variables
/// stuck at a bound are shrunk out of the passes and checked again before the fit stops. With the
/// squared hinge on dense, tall features the default ``LinearSVMSolver/auto`` solves the primal by
/// Newton's method instead, as scikit-learn's `dual="auto"` (liblinear's solver 2).
///
/// An SVM gives scores, not probabilities: ``Model/decisionFunction(_:)`` returns the margins,
/// and ``Model/predictProbabilities(_:)`` puts probability 1 on the class of the highest score
/// (the first on ties), so a pipeline's prediction is the SVM's. For calibrated probabilities,
/// fit a ``CalibratedClassifier`` around it.
public struct LinearSVC: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .classes }

    /// The per-row loss.
    public enum Loss: String, Sendable, Codable, Equatable {
        /// `max(0, 1 − m)`.
        case hinge
        /// `max(0, 1 − m)²` (scikit-learn's default).
        case squaredHinge
    }

    public var c: Double
    public var loss: Loss
    public var fitIntercept: Bool
    public var interceptScaling: Double
    public var classWeight: ClassWeight
    public var maxIterations: Int
    public var tolerance: Double
    /// The dual (coordinate descent) or the primal (Newton; squared hinge, dense features).
    public var solver: LinearSVMSolver

    public init(c: Double = 1, loss: Loss = .squaredHinge, fitIntercept: Bool = true, interceptScaling: Double = 1,
                classWeight: ClassWeight = .uniform, maxIterations: Int = 1000, tolerance: Double = 1e-4,
                solver: LinearSVMSolver = .auto) {
        self.c = c
        self.loss = loss
        self.fitIntercept = fitIntercept
        self.interceptScaling = interceptScaling
        self.classWeight = classWeight
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.solver = solver
    }

    /// A fitted linear SVM: one score row per problem.
    public struct Model: ClassificationModel, DecisionFunctionModel, Equatable {
        public static let kind = "linear_svc"
        public var classes: [String]
        /// `m × p`: one row for two classes (positive class `classes[1]`), one per class otherwise.
        public var coefficients: Matrix<Double>
        public var intercepts: [Double]
        /// The most passes (dual) or Newton steps (primal) any problem took.
        public var iterations: Int
        public var converged: Bool
        public var featureCount: Int { coefficients.columns }

        public func decisionFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            var z = Matrix<Double>(rows: x.rows, columns: coefficients.rows)
            if x.columns > 0 && x.rows > 0 { z.gemm(x, coefficients.transposed) }
            z.add(toEachRow: intercepts)
            return z
        }

        /// Probability 1 on the predicted class (the SVM's decision), 0 elsewhere.
        public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
            decided(try decisionFunction(x))
        }

        /// Probability 1 on the class of the highest score of each row of `z`.
        func decided(_ z: Matrix<Double>) -> Matrix<Double> {
            let m = classes.count
            var p = Matrix<Double>(rows: z.rows, columns: m)
            p.withUnsafeMutableBufferPointer { out in
                z.withUnsafeBufferPointer { s in
                    for i in 0..<z.rows {
                        if coefficients.rows == 1 {
                            out[i * m + (s[i] > 0 ? 1 : 0)] = 1
                        } else {
                            var best = 0
                            for c in 1..<m where s[i * m + c] > s[i * m + best] { best = c }
                            out[i * m + best] = 1
                        }
                    }
                }
            }
            return p
        }

        public func validate() throws {
            let k = Self.kind, m = classes.count == 2 ? 1 : classes.count
            try FittedStateError.require(classes.count >= 2 && Set(classes).count == classes.count, k, field: "classes",
                                         "needs two or more distinct classes")
            try FittedStateError.require(coefficients.rows == m, k, field: "coefficients", "\(coefficients.rows) rows for \(m)")
            try FittedStateError.require(intercepts.count == m, k, field: "intercepts", "\(intercepts.count) for \(m)")
            try FittedStateError.require(coefficients.elements.allSatisfy(\.isFinite), k, field: "coefficients", "not finite")
            try FittedStateError.require(intercepts.allSatisfy(\.isFinite), k, field: "intercepts", "not finite")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights, context: &context)
    }

    public func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil,
                    context: inout FitContext) throws -> Model {
        try LearnerInput.check(TrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights), learner: Model.kind)
        return try fit(LinearSVCDenseRows(x, intercept: fitIntercept ? interceptScaling : nil), y, sampleWeights: sampleWeights,
                       context: &context)
    }

    /// Fits on CSR features `x` (`n × p`, finite): the same dual coordinate descent, each step
    /// touching only a row's stored entries, so a wide TF-IDF matrix is never dense.
    public func fit(sparse x: SparseMatrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil,
                    context: inout FitContext) throws -> Model {
        try LearnerInput.check(sparse: SparseTrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights),
                               learner: Model.kind)
        return try fit(LinearSVCSparseRows(x, intercept: fitIntercept ? interceptScaling : nil), y, sampleWeights: sampleWeights,
                       context: &context)
    }

    func fit<Rows: LinearSVCRows>(_ rows: Rows, _ y: ClassLabels, sampleWeights: [Double]?,
                                  context: inout FitContext) throws -> Model {
        let name = Model.kind
        guard c > 0, c.isFinite, interceptScaling > 0, interceptScaling.isFinite, tolerance > 0, maxIterations >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "c",
                reason: "c, interceptScaling and tolerance must be finite and > 0, maxIterations ≥ 1")
        }
        let present = y.classCounts.enumerated().filter { $0.element > 0 }
        guard present.count >= 2 else {
            throw EstimatorError.singleClass(estimator: name, className: present.first.map { y.classes[$0.offset] })
        }
        if case .custom(let w) = classWeight, w.count != y.classes.count {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "classWeight",
                                                       reason: "has \(w.count) weights for \(y.classes.count) classes")
        }
        let classWeights = classWeight.weights(for: y)
        let p = rows.features
        let primal = try solver.usesPrimal(squaredLoss: loss == .squaredHinge, dense: rows.design != nil, rows: y.count,
                                           width: rows.width, learner: name)
        let problems = y.classes.count == 2 ? [1] : Array(0..<y.classes.count)
        var coefficients = Matrix<Double>(rows: problems.count, columns: p), intercepts = [Double](), maxIter = 0, allConverged = true
        for (r, positive) in problems.enumerated() {
            try context.checkCancellation(name)
            let signs = y.codes.map { $0 == positive ? 1.0 : -1.0 }
            // liblinear: with two classes each row costs its class's weight; one-vs-rest
            // weights only the positive class, the rest cost plain C.
            let costs = y.codes.enumerated().map { i, code in
                c * (sampleWeights?[i] ?? 1) * (problems.count == 1 || code == positive ? classWeights[code] : 1)
            }
            let (w, iterations, converged) = if primal, let design = rows.design {
                solvePrimal(design, signs: signs, costs: costs)
            } else {
                solve(rows, signs: signs, costs: costs, rng: &context.rng)
            }
            coefficients.withUnsafeMutableBufferPointer { cp in for j in 0..<p { cp[r * p + j] = w[j] } }
            intercepts.append(fitIntercept ? w[p] * interceptScaling : 0)
            maxIter = max(maxIter, iterations)
            allConverged = allConverged && converged
            context.observe(FitProgress(source: name, unit: .iteration, step: r + 1, total: problems.count,
                                        metrics: ["passes": Double(iterations)]))
        }
        return Model(classes: y.classes, coefficients: coefficients, intercepts: intercepts, iterations: maxIter,
                     converged: allConverged)
    }

    /// The primal of one binary squared-hinge problem by Newton's method (liblinear's solver 2's
    /// problem and stopping rule: `‖∇f‖ ≤ tolerance · max(min(#pos, #neg), 1) / n · ‖∇f(0)‖`).
    func solvePrimal(_ design: Matrix<Double>, signs: [Double], costs: [Double]) -> (w: [Double], iterations: Int, converged: Bool) {
        let positives = signs.count(where: { $0 > 0 })
        let scale = Double(max(min(positives, signs.count - positives), 1)) / Double(signs.count)
        let solver = LinearSVMPrimal(design: design, tolerance: tolerance * scale, maxIterations: maxIterations)
        return solver.solve { i, t in
            let slack = 1 - signs[i] * t
            guard slack > 0, costs[i] > 0 else { return (0, 0, 0) }
            return (costs[i] * slack * slack, -2 * costs[i] * signs[i] * slack, 2 * costs[i])
        }
    }

    /// Dual coordinate descent on one binary problem (liblinear's `solve_l2r_l1l2_svc`, with
    /// its shrinking): a variable at a bound whose gradient points outside by more than the
    /// last pass's largest violation leaves the active set; when the active set meets the
    /// tolerance, every variable comes back for a final check, as liblinear.
    func solve<Rows: LinearSVCRows>(_ rows: Rows, signs: [Double], costs: [Double],
                                    rng: inout SeededGenerator) -> (w: [Double], iterations: Int, converged: Bool) {
        let norms = rows.squaredNorms
        var alpha = [Double](repeating: 0, count: signs.count), w = [Double](repeating: 0, count: rows.width)
        let upper = costs.map { loss == .hinge ? $0 : Double.infinity }
        let diagonal = costs.map { loss == .hinge ? 0 : ($0 > 0 ? 0.5 / $0 : Double.infinity) }
        // Rows of zero cost have α = 0 at the optimum: they never enter.
        var index = signs.indices.filter { costs[$0] > 0 }
        let l = index.count
        var active = l, iterations = 0
        var maxOld = Double.infinity, minOld = -Double.infinity
        return w.withUnsafeMutableBufferPointer { wp in
            let wv = wp.baseAddress!
            while iterations < maxIterations {
                iterations += 1
                for s in stride(from: active - 1, to: 0, by: -1) { index.swapAt(s, rng.nextInt(below: s + 1)) }
                var maxPG = -Double.infinity, minPG = Double.infinity
                var s = 0
                while s < active {
                    let i = index[s]
                    let g = signs[i] * rows.dot(i, wv) - 1 + diagonal[i] * alpha[i]
                    var pg = 0.0
                    if alpha[i] == 0 {
                        if g > maxOld {
                            active -= 1
                            index.swapAt(s, active)
                            continue
                        }
                        if g < 0 { pg = g }
                    } else if alpha[i] == upper[i] {
                        if g < minOld {
                            active -= 1
                            index.swapAt(s, active)
                            continue
                        }
                        if g > 0 { pg = g }
                    } else {
                        pg = g
                    }
                    maxPG = max(maxPG, pg)
                    minPG = min(minPG, pg)
                    s += 1
                    guard abs(pg) > 1e-12 else { continue }
                    // ‖xᵢ‖² = 0 with the hinge: the step is unbounded and α goes to its bound.
                    let old = alpha[i]
                    alpha[i] = min(max(old - g / (norms[i] + diagonal[i]), 0), upper[i])
                    let d = (alpha[i] - old) * signs[i]
                    if d != 0 { rows.add(i, times: d, to: wv) }
                }
                if maxPG - minPG <= tolerance {
                    if active == l { return (Array(wp), iterations, true) }
                    active = l
                    maxOld = .infinity
                    minOld = -.infinity
                    continue
                }
                maxOld = maxPG <= 0 ? .infinity : maxPG
                minOld = minPG >= 0 ? -.infinity : minPG
            }
            return (Array(wp), iterations, false)
        }
    }
}

/// The rows a linear SVM's dual coordinate descent visits, with the constant intercept
/// feature appended: `width = features + (intercept ? 1 : 0)`.
protocol LinearSVCRows {
    var features: Int { get }
    var width: Int { get }
    /// `‖xᵢ‖²`, the intercept feature included.
    var squaredNorms: [Double] { get }
    /// `w · xᵢ`.
    func dot(_ i: Int, _ w: UnsafePointer<Double>) -> Double
    /// `w += d · xᵢ`.
    func add(_ i: Int, times d: Double, to w: UnsafeMutablePointer<Double>)
    /// The dense `n × width` rows, when they are dense (for the primal solver).
    var design: Matrix<Double>? { get }
}

/// Dense rows, copied once with the intercept feature appended (``design``, `n × width`).
struct LinearSVCDenseRows: LinearSVCRows {
    let matrix: Matrix<Double>
    let features: Int
    let squaredNorms: [Double]
    var width: Int { matrix.columns }
    var design: Matrix<Double>? { matrix }

    init(_ x: Matrix<Double>, intercept: Double?) {
        let n = x.rows, p = x.columns, q = p + (intercept == nil ? 0 : 1)
        var norms = [Double](repeating: 0, count: n)
        matrix = x.withUnsafeBufferPointer { xp in
            Matrix(rows: n, columns: q) { out in
                for i in 0..<n {
                    var s = 0.0
                    for j in 0..<p {
                        out[i * q + j] = xp[i * p + j]
                        s += xp[i * p + j] * xp[i * p + j]
                    }
                    if let intercept {
                        out[i * q + p] = intercept
                        s += intercept * intercept
                    }
                    norms[i] = s
                }
            }
        }
        features = p
        squaredNorms = norms
    }

    func dot(_ i: Int, _ w: UnsafePointer<Double>) -> Double {
        matrix.withUnsafeBufferPointer { xp in
            let q = width, row = xp.baseAddress! + i * q
            var dot = 0.0
            for j in 0..<q { dot += w[j] * row[j] }
            return dot
        }
    }

    func add(_ i: Int, times d: Double, to w: UnsafeMutablePointer<Double>) {
        matrix.withUnsafeBufferPointer { xp in
            let q = width, row = xp.baseAddress! + i * q
            for j in 0..<q { w[j] += d * row[j] }
        }
    }
}

/// CSR rows, the intercept feature added on the fly.
struct LinearSVCSparseRows: LinearSVCRows {
    let x: SparseMatrix<Double>
    let intercept: Double?
    let squaredNorms: [Double]
    var features: Int { x.columns }
    var width: Int { x.columns + (intercept == nil ? 0 : 1) }
    var design: Matrix<Double>? { nil }

    init(_ x: SparseMatrix<Double>, intercept: Double?) {
        self.x = x
        self.intercept = intercept
        let b = intercept.map { $0 * $0 } ?? 0
        squaredNorms = (0..<x.rows).map { i in
            var s = b
            for e in x.rowOffsets[i]..<x.rowOffsets[i + 1] { s += x.values[e] * x.values[e] }
            return s
        }
    }

    func dot(_ i: Int, _ w: UnsafePointer<Double>) -> Double {
        x.columnIndices.withUnsafeBufferPointer { idx in
            x.values.withUnsafeBufferPointer { val in
                // The dense rows' order (the intercept last), so both give the same bits.
                var dot = 0.0
                for e in x.rowOffsets[i]..<x.rowOffsets[i + 1] { dot += w[Int(idx[e])] * val[e] }
                if let intercept { dot += intercept * w[x.columns] }
                return dot
            }
        }
    }

    func add(_ i: Int, times d: Double, to w: UnsafeMutablePointer<Double>) {
        x.columnIndices.withUnsafeBufferPointer { idx in
            x.values.withUnsafeBufferPointer { val in
                for e in x.rowOffsets[i]..<x.rowOffsets[i + 1] { w[Int(idx[e])] += d * val[e] }
                if let intercept { w[x.columns] += d * intercept }
            }
        }
    }
}
