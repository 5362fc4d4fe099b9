import SluiceCompute
import SluicePipeline

/// A kernel support vector classifier, as scikit-learn's `SVC` (libsvm's C-SVC).
///
/// Each pair of classes `(s, t)`, `s < t`, gets a binary problem on its rows, solved by SMO
/// (``SluiceCompute/KernelSMOSolver``: WSS3 pair selection, shrinking, an LRU kernel cache of
/// ``cacheSizeMB``): `min ½αᵀQα − Σα`, `Σ yᵢαᵢ = 0`, `0 ≤ αᵢ ≤ Cᵢ`, where `yᵢ = +1` on class `s`,
/// and `Cᵢ = c ×` the row's class weight `×` its sample weight (rows of weight 0 are dropped,
/// as scikit-learn does). Prediction is libsvm's one-vs-one vote (ties to the first class).
///
/// With ``probability`` true, each pair's decision values are also cross-fitted over 5 folds of
/// a seeded shuffle (libsvm's `svm_binary_svc_probability`, the same folds for the same seed),
/// Platt's sigmoid is fitted to them (``Calibrator``), and ``Model/predictProbabilities(_:)``
/// couples the pairwise probabilities (Wu, Lin and Weng, 2004, libsvm's
/// `multiclass_probability`). Without it, probability 1 goes to the voted class.
public struct SVC: Learner, Codable, Equatable {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .classes }

    public var c: Double
    public var kernel: SVMKernel
    public var gamma: KernelGamma
    /// The SMO stopping tolerance on the maximal violating pair (scikit-learn's `tol`).
    public var tolerance: Double
    public var shrinking: Bool
    /// The kernel cache's limit per binary problem, in MB (scikit-learn's `cache_size`).
    public var cacheSizeMB: Double
    public var classWeight: ClassWeight
    /// Fits Platt-scaled probabilities by internal 5-fold cross-fitting (scikit-learn's `probability=True`).
    public var probability: Bool
    /// A limit on SMO iterations per problem; nil for libsvm's `max(10⁷, 100·rows)`.
    public var maxIterations: Int?

    public init(c: Double = 1, kernel: SVMKernel = .rbf, gamma: KernelGamma = .scale, tolerance: Double = 1e-3,
                shrinking: Bool = true, cacheSizeMB: Double = 200, classWeight: ClassWeight = .uniform,
                probability: Bool = false, maxIterations: Int? = nil) {
        self.c = c
        self.kernel = kernel
        self.gamma = gamma
        self.tolerance = tolerance
        self.shrinking = shrinking
        self.cacheSizeMB = cacheSizeMB
        self.classWeight = classWeight
        self.probability = probability
        self.maxIterations = maxIterations
    }

    /// A fitted kernel SVM, in libsvm's layout (as scikit-learn's `_dual_coef_` and `-_intercept_`).
    public struct Model: ClassificationModel, DecisionFunctionModel, Equatable {
        public static let kind = "svc"
        public var classes: [String]
        public var kernel: KernelFunction
        /// The support vectors, grouped by class in class order, by training row within a class.
        public var supportVectors: Matrix<Double>
        /// The training row of each support vector.
        public var support: [Int]
        /// The number of support vectors of each class.
        public var supportCounts: [Int]
        /// `(classes − 1) × supportVectors.rows`: libsvm's `sv_coef` (`yᵢαᵢ`, positive for the
        /// lower class of a pair). The pair `(s, t)` uses row `t − 1` for class `s`'s vectors and
        /// row `s` for class `t`'s.
        public var dualCoefficients: Matrix<Double>
        /// libsvm's `rho` per pair `(0,1), (0,2), …, (1,2), …`: pair decision `Σ coef·K − rho`, positive for `s`.
        public var rho: [Double]
        /// Platt's `A` and `B` per pair (empty without ``SVC/probability``).
        public var probabilityA: [Double]
        public var probabilityB: [Double]
        /// The most SMO iterations any pair took.
        public var iterations: Int
        public var converged: Bool
        public var featureCount: Int { supportVectors.columns }

        /// The pairs `(s, t)` in libsvm's order.
        public var pairs: [(Int, Int)] {
            let k = classes.count
            return (0..<k).flatMap { s in ((s + 1)..<k).map { (s, $0) } }
        }

        /// libsvm's pair decision values: `n × pairs`, positive for the pair's lower class.
        public func pairDecisionValues(_ x: Matrix<Double>) throws -> Matrix<Double> {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            let pairs = self.pairs, nSV = supportVectors.rows
            var starts = [0]
            for count in supportCounts { starts.append(starts[starts.count - 1] + count) }
            var coefficients = Matrix<Double>(rows: pairs.count, columns: nSV)
            for (r, (s, t)) in pairs.enumerated() {
                for v in starts[s]..<starts[s + 1] { coefficients[r, v] = dualCoefficients[t - 1, v] }
                for v in starts[t]..<starts[t + 1] { coefficients[r, v] = dualCoefficients[s, v] }
            }
            var z = KernelSVMSupport.expand(x, supportVectors: supportVectors, norms: kernel.rowNorms(supportVectors),
                                            kernel: kernel, coefficients: coefficients)
            z.withUnsafeMutableBufferPointer { zp in
                for i in 0..<x.rows { for r in 0..<pairs.count { zp[i * pairs.count + r] -= rho[r] } }
            }
            return z
        }

        /// scikit-learn's `decision_function`: for two classes one column, positive for
        /// `classes[1]`; otherwise the one-vs-rest shape (votes plus confidences squashed into
        /// `(−⅓, ⅓)`, scikit-learn's `_ovr_decision_function`).
        public func decisionFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
            let d = try pairDecisionValues(x)
            let k = classes.count, n = x.rows
            if k == 2 { return Matrix(rows: n, columns: 1, elements: d.elements.map { -$0 }) }
            var out = Matrix<Double>(rows: n, columns: k)
            let pairs = self.pairs
            for i in 0..<n {
                var votes = [Double](repeating: 0, count: k), confidence = [Double](repeating: 0, count: k)
                for (r, (s, t)) in pairs.enumerated() {
                    let v = d[i, r]
                    confidence[s] += v
                    confidence[t] -= v
                    if v < 0 { votes[t] += 1 } else { votes[s] += 1 }
                }
                for c in 0..<k { out[i, c] = votes[c] + confidence[c] / (3 * (abs(confidence[c]) + 1)) }
            }
            return out
        }

        /// libsvm's one-vs-one vote per row (the first class on ties).
        public func votes(_ x: Matrix<Double>) throws -> [Int] {
            let d = try pairDecisionValues(x)
            let k = classes.count, pairs = self.pairs
            return (0..<x.rows).map { i in
                var votes = [Int](repeating: 0, count: k)
                for (r, (s, t)) in pairs.enumerated() { votes[d[i, r] > 0 ? s : t] += 1 }
                var best = 0
                for c in 1..<k where votes[c] > votes[best] { best = c }
                return best
            }
        }

        /// Coupled Platt probabilities with ``SVC/probability``; else 1 on the voted class.
        public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
            let k = classes.count, n = x.rows
            var out = Matrix<Double>(rows: n, columns: k)
            guard !probabilityA.isEmpty else {
                for (i, c) in try votes(x).enumerated() { out[i, c] = 1 }
                return out
            }
            let d = try pairDecisionValues(x), pairs = self.pairs, minimum = 1e-7
            for i in 0..<n {
                var r = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
                for (q, (s, t)) in pairs.enumerated() {
                    let pst = min(max(Calibrator.sigmoid(a: probabilityA[q], b: probabilityB[q])(d[i, q]), minimum), 1 - minimum)
                    r[s][t] = pst
                    r[t][s] = 1 - pst
                }
                let p = k == 2 ? [r[0][1], r[1][0]] : SVC.coupledProbabilities(r)
                for c in 0..<k { out[i, c] = p[c] }
            }
            return out
        }

        public func validate() throws {
            let name = Self.kind, k = classes.count, nSV = supportVectors.rows, pairCount = k * (k - 1) / 2
            try FittedStateError.require(k >= 2 && Set(classes).count == k, name, field: "classes",
                                         "needs two or more distinct classes")
            try FittedStateError.require(kernel.isValid, name, field: "kernel", "invalid parameters")
            try FittedStateError.require(supportCounts.count == k && supportCounts.allSatisfy { $0 >= 0 }
                                         && supportCounts.reduce(0, +) == nSV, name, field: "supportCounts",
                                         "must count the \(nSV) support vectors per class")
            try FittedStateError.require(support.count == nSV && support.allSatisfy { $0 >= 0 }, name, field: "support",
                                         "needs one row index per support vector")
            try FittedStateError.require(dualCoefficients.rows == k - 1 && dualCoefficients.columns == nSV, name,
                                         field: "dualCoefficients", "must be \(k - 1) × \(nSV)")
            try FittedStateError.require(rho.count == pairCount && rho.allSatisfy(\.isFinite), name, field: "rho",
                                         "needs \(pairCount) finite values")
            try FittedStateError.require(probabilityA.count == probabilityB.count
                                         && (probabilityA.isEmpty || probabilityA.count == pairCount)
                                         && (probabilityA + probabilityB).allSatisfy(\.isFinite), name,
                                         field: "probabilityA", "needs none or \(pairCount) finite pairs")
            try FittedStateError.require(supportVectors.elements.allSatisfy(\.isFinite)
                                         && dualCoefficients.elements.allSatisfy(\.isFinite), name,
                                         field: "supportVectors", "not finite")
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        try fit(data.features, data.target.classLabels(learner: Model.kind), sampleWeights: data.sampleWeights, context: &context)
    }

    /// Fits on `x` (`n × p`, finite) and labels `y`; `sampleWeights` scale each row's box `Cᵢ`.
    /// The classes are those present in `y` (with rows of positive weight).
    public func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]? = nil,
                    context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(TrainingSet(features: x, target: .classes(y), sampleWeights: sampleWeights), learner: name)
        let function = kernel.function(gamma: gamma.resolve(x))
        try KernelSVMSupport.checkHyperparameters(learner: name, c: c, kernel: function, tolerance: tolerance,
                                                  cacheSizeMB: cacheSizeMB, maxIterations: maxIterations)
        if case .custom(let w) = classWeight, w.count != y.classes.count || !w.allSatisfy({ $0 >= 0 && $0.isFinite }) {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "classWeight",
                                                       reason: "needs \(y.classes.count) finite weights ≥ 0")
        }
        let classWeights = classWeight.weights(for: y)
        // Rows that count, grouped by class (stable), as libsvm's svm_group_classes.
        let kept = (0..<x.rows).filter { (sampleWeights?[$0] ?? 1) > 0 }
        var members = [[Int]](repeating: [], count: y.classes.count)
        for i in kept { members[y.codes[i]].append(i) }
        let present = members.indices.filter { !members[$0].isEmpty }
        guard present.count >= 2 else {
            throw EstimatorError.singleClass(estimator: name, className: present.first.map { y.classes[$0] })
        }
        let k = present.count
        let solver = KernelBinarySVC(kernel: function, tolerance: tolerance, shrinking: shrinking,
                                     cacheBytes: Int(cacheSizeMB * 1_048_576), maxIterations: maxIterations)
        // alphas[s][t]: the pair's α for the rows of class s then class t.
        var nonzero = [Bool](repeating: false, count: x.rows)
        var pairAlpha: [[Double]] = [], rho: [Double] = [], probA: [Double] = [], probB: [Double] = []
        var mostIterations = 0, converged = true, step = 0
        for s in 0..<k {
            for t in (s + 1)..<k {
                try context.checkCancellation(name)
                let a = members[present[s]], b = members[present[t]]
                let rows = a + b
                let sub = x.gatheringRows(rows)
                let signs = [Double](repeating: 1, count: a.count) + [Double](repeating: -1, count: b.count)
                let costs = rows.enumerated().map { r, i in
                    c * classWeights[present[r < a.count ? s : t]] * (sampleWeights?[i] ?? 1)
                }
                let solution = solver.solve(sub, signs: signs, costs: costs)
                if probability {
                    let sigmoid = solver.crossFittedSigmoid(sub, signs: signs, costs: costs, rng: &context.rng)
                    probA.append(sigmoid.a)
                    probB.append(sigmoid.b)
                }
                for (r, i) in rows.enumerated() where solution.alpha[r] > 0 { nonzero[i] = true }
                pairAlpha.append(solution.alpha)
                rho.append(solution.rho)
                mostIterations = max(mostIterations, solution.iterations)
                converged = converged && solution.converged
                step += 1
                context.observe(FitProgress(source: name, unit: .iteration, step: step, total: k * (k - 1) / 2,
                                            metrics: ["smo_iterations": Double(solution.iterations)]))
            }
        }
        // Support vectors by class; each row's position among them.
        var support: [Int] = [], counts: [Int] = [], position = [Int](repeating: -1, count: x.rows)
        for s in 0..<k {
            let sv = members[present[s]].filter { nonzero[$0] }
            for i in sv { position[i] = support.count; support.append(i) }
            counts.append(sv.count)
        }
        var dual = Matrix<Double>(rows: k - 1, columns: support.count)
        var q = 0
        for s in 0..<k {
            for t in (s + 1)..<k {
                let a = members[present[s]], b = members[present[t]], alpha = pairAlpha[q]
                for (r, i) in a.enumerated() where alpha[r] > 0 { dual[t - 1, position[i]] = alpha[r] }
                for (r, i) in b.enumerated() where alpha[a.count + r] > 0 { dual[s, position[i]] = -alpha[a.count + r] }
                q += 1
            }
        }
        return Model(classes: present.map { y.classes[$0] }, kernel: function,
                     supportVectors: x.gatheringRows(support), support: support, supportCounts: counts,
                     dualCoefficients: dual, rho: rho, probabilityA: probA, probabilityB: probB,
                     iterations: mostIterations, converged: converged)
    }

    /// Pairwise coupling of `r[s][t] = P(s | s or t)` (libsvm's `multiclass_probability`).
    static func coupledProbabilities(_ r: [[Double]]) -> [Double] {
        let k = r.count, maxIterations = max(100, k), eps = 0.005 / Double(k)
        var q = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        var p = [Double](repeating: 1 / Double(k), count: k), qp = [Double](repeating: 0, count: k)
        for t in 0..<k {
            for j in 0..<t {
                q[t][t] += r[j][t] * r[j][t]
                q[t][j] = q[j][t]
            }
            for j in (t + 1)..<k {
                q[t][t] += r[j][t] * r[j][t]
                q[t][j] = -r[j][t] * r[t][j]
            }
        }
        for _ in 0..<maxIterations {
            var pqp = 0.0
            for t in 0..<k {
                qp[t] = 0
                for j in 0..<k { qp[t] += q[t][j] * p[j] }
                pqp += p[t] * qp[t]
            }
            var maxError = 0.0
            for t in 0..<k { maxError = max(maxError, abs(qp[t] - pqp)) }
            if maxError < eps { break }
            for t in 0..<k {
                let diff = (-qp[t] + pqp) / q[t][t]
                p[t] += diff
                pqp = (pqp + diff * (diff * q[t][t] + 2 * qp[t])) / (1 + diff) / (1 + diff)
                for j in 0..<k {
                    qp[j] = (qp[j] + diff * q[t][j]) / (1 + diff)
                    p[j] /= 1 + diff
                }
            }
        }
        return p
    }
}

/// One binary C-SVC problem: the SMO solve and libsvm's cross-fitted Platt scaling.
struct KernelBinarySVC {
    var kernel: KernelFunction
    var tolerance: Double
    var shrinking: Bool
    var cacheBytes: Int
    var maxIterations: Int?

    func solve(_ x: Matrix<Double>, signs: [Double], costs: [Double]) -> KernelSMOSolution {
        let problem = KernelSMOProblem(rows: x, kernel: kernel, signs: signs,
                                       linear: [Double](repeating: -1, count: signs.count), upper: costs)
        return KernelSMOSolver.solve(problem, tolerance: tolerance, shrinking: shrinking, cacheBytes: cacheBytes,
                                     maxIterations: maxIterations)
    }

    /// libsvm's `svm_binary_svc_probability`: decision values of 5 folds of a shuffle (each
    /// fold's from a fit on the other four; ±1 or 0 when those hold one class or none), and
    /// Platt's sigmoid fitted to them.
    func crossFittedSigmoid(_ x: Matrix<Double>, signs: [Double], costs: [Double],
                            rng: inout SeededGenerator) -> (a: Double, b: Double) {
        let l = signs.count, folds = 5
        var order = Array(0..<l)
        for i in 0..<l { order.swapAt(i, i + rng.nextInt(below: l - i)) }
        var decision = [Double](repeating: 0, count: l)
        for f in 0..<folds {
            let begin = f * l / folds, end = (f + 1) * l / folds
            let test = Array(order[begin..<end]), train = Array(order[..<begin] + order[end...])
            let positives = train.filter { signs[$0] > 0 }.count, negatives = train.count - positives
            if positives == 0 || negatives == 0 {
                for i in test { decision[i] = positives > 0 ? 1 : (negatives > 0 ? -1 : 0) }
                continue
            }
            let solution = solve(x.gatheringRows(train), signs: train.map { signs[$0] },
                                 costs: train.map { costs[$0] })
            let sv = train.indices.filter { solution.alpha[$0] > 0 }
            guard !sv.isEmpty, !test.isEmpty else { for i in test { decision[i] = -solution.rho }; continue }
            let coefficients = Matrix(rows: 1, columns: sv.count, elements: sv.map { solution.alpha[$0] * signs[train[$0]] })
            let vectors = x.gatheringRows(sv.map { train[$0] })
            let z = KernelSVMSupport.expand(x.gatheringRows(test), supportVectors: vectors,
                                            norms: kernel.rowNorms(vectors), kernel: kernel, coefficients: coefficients)
            for (r, i) in test.enumerated() { decision[i] = z[r, 0] - solution.rho }
        }
        let fitted = Calibrator.sigmoid(scores: decision, positive: signs.map { $0 > 0 },
                                        weights: [Double](repeating: 1, count: l))
        guard case let .sigmoid(a, b) = fitted else { return (0, 0) }
        return (a, b)
    }
}
