/// Limited-memory BFGS minimisation of a smooth function, and its orthant-wise extension
/// OWL-QN (Andrew & Gao, 2007) for a smooth function plus `λ‖x_S‖₁` on a subset `S` of the
/// coordinates.
///
/// The search direction is the two-loop recursion over the last ``memory`` pairs
/// `(s, y)` of steps and gradient changes, scaled by `sᵀy / yᵀy`; a pair whose curvature
/// `sᵀy` is not positive is not stored. The step length comes from a backtracking (Armijo)
/// line search starting at 1 (at `1/‖g‖` on the first iteration). With an L1 term, the
/// direction is taken from the pseudo-gradient, kept in the orthant the pseudo-gradient
/// points into, and each trial point is projected back onto that orthant, so coordinates
/// reach exact zeros. Neither form needs a Hessian: memory is `2 · memory · n` values,
/// which is why wide problems (tens of thousands of parameters) use it.
///
/// Converged when the largest entry of the (pseudo-)gradient is at most ``gradientTolerance``,
/// or when a step changes the objective by less than `relativeDecrease × max(1, |f|)`.
public struct LBFGS: Sendable, Equatable {
    /// Pairs kept for the inverse-Hessian approximation (SciPy's `maxcor`, default 10).
    public var memory: Int
    /// The most iterations.
    public var maxIterations: Int
    /// Stop once `max |gᵢ|` (pseudo-gradient with an L1 term) is at most this.
    public var gradientTolerance: Double
    /// Stop once an accepted step decreases `f` by less than this relative amount.
    public var relativeDecrease: Double
    /// The most function evaluations in one line search.
    public var maxLineSearch: Int

    public init(memory: Int = 10, maxIterations: Int = 1000, gradientTolerance: Double = 1e-8,
                relativeDecrease: Double = 1e-15, maxLineSearch: Int = 50) {
        self.memory = memory
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
        self.relativeDecrease = relativeDecrease
        self.maxLineSearch = maxLineSearch
    }

    /// What a minimisation reached.
    public struct Result: Sendable, Equatable {
        /// The minimiser found.
        public var x: [Double]
        /// The objective there (including the L1 term).
        public var value: Double
        /// Iterations taken.
        public var iterations: Int
        /// Whether a stopping test was met within ``LBFGS/maxIterations``.
        public var converged: Bool
        /// The largest (pseudo-)gradient entry at ``x``.
        public var gradientNorm: Double
    }

    /// Minimises `f(x) + Σ_{i: l1Weights[i] > 0} l1Weights[i] · |xᵢ|` from `start`.
    ///
    /// `f` returns the smooth value at `x` and writes its gradient into the second argument
    /// (sized as `x`). `l1Weights` is empty for a smooth problem (plain L-BFGS), else one
    /// non-negative weight per coordinate. `observe` is called after each iteration with its
    /// number, the objective and the gradient norm, and may throw to stop (cancellation).
    public func minimize(start: [Double], l1Weights: [Double] = [],
                         _ f: (_ x: [Double], _ gradient: inout [Double]) throws -> Double,
                         observe: (_ iteration: Int, _ value: Double, _ gradientNorm: Double) throws -> Void = { _, _, _ in })
    rethrows -> Result {
        let n = start.count
        precondition(l1Weights.isEmpty || l1Weights.count == n, "one L1 weight per coordinate")
        precondition(memory > 0 && maxIterations >= 0, "memory and maxIterations must be positive")
        let l1 = !l1Weights.isEmpty && l1Weights.contains { $0 > 0 }
        func penalty(_ x: [Double]) -> Double {
            guard l1 else { return 0 }
            var s = 0.0
            for i in 0..<n where l1Weights[i] > 0 { s += l1Weights[i] * abs(x[i]) }
            return s
        }
        /// The pseudo-gradient: the steepest-descent direction's negative for the L1 objective.
        func pseudo(_ x: [Double], _ g: [Double]) -> [Double] {
            guard l1 else { return g }
            var p = g
            for i in 0..<n where l1Weights[i] > 0 {
                let w = l1Weights[i]
                if x[i] > 0 { p[i] = g[i] + w } else if x[i] < 0 { p[i] = g[i] - w } else if g[i] + w < 0 {
                    p[i] = g[i] + w
                } else if g[i] - w > 0 { p[i] = g[i] - w } else { p[i] = 0 }
            }
            return p
        }
        var x = start
        var g = [Double](repeating: 0, count: n)
        var value = try f(x, &g) + penalty(x)
        var pg = pseudo(x, g)
        var norm = pg.reduce(0) { max($0, abs($1)) }
        var s = [[Double]](), y = [[Double]](), rho = [Double]()
        var iteration = 0
        if norm <= gradientTolerance { return Result(x: x, value: value, iterations: 0, converged: true, gradientNorm: norm) }
        while iteration < maxIterations {
            iteration += 1
            // Two-loop recursion: d = -H·pg.
            var q = pg
            var alpha = [Double](repeating: 0, count: s.count)
            for k in stride(from: s.count - 1, through: 0, by: -1) {
                alpha[k] = rho[k] * Self.dot(s[k], q)
                for i in 0..<n { q[i] -= alpha[k] * y[k][i] }
            }
            if let ls = s.last, let ly = y.last {
                let gamma = Self.dot(ls, ly) / Self.dot(ly, ly)
                for i in 0..<n { q[i] *= gamma }
            }
            for k in 0..<s.count {
                let beta = rho[k] * Self.dot(y[k], q)
                for i in 0..<n { q[i] += s[k][i] * (alpha[k] - beta) }
            }
            var d = q.map { -$0 }
            if l1 {  // keep only components that agree with steepest descent
                for i in 0..<n where d[i] * pg[i] >= 0 { d[i] = 0 }
            }
            var slope = Self.dot(d, pg)
            if slope >= 0 {  // not a descent direction (rounding): restart from steepest descent
                s.removeAll(); y.removeAll(); rho.removeAll()
                d = pg.map { -$0 }
                slope = -Self.dot(pg, pg)
            }
            let orthant: [Double] = l1 ? (0..<n).map { x[$0] != 0 ? (x[$0] > 0 ? 1 : -1) : (pg[$0] > 0 ? -1 : 1) } : []
            var t = s.isEmpty ? min(1, 1 / max(Self.dot(pg, pg).squareRoot(), 1e-300)) : 1
            var accepted = false
            var xNew = x, gNew = g, valueNew = value
            for _ in 0..<maxLineSearch {
                for i in 0..<n { xNew[i] = x[i] + t * d[i] }
                if l1 {
                    for i in 0..<n where l1Weights[i] > 0 && xNew[i] * orthant[i] <= 0 { xNew[i] = 0 }
                }
                valueNew = try f(xNew, &gNew) + penalty(xNew)
                // Armijo on the actual displacement (equal to t·d without the projection).
                var decrease = 0.0
                for i in 0..<n { decrease += pg[i] * (xNew[i] - x[i]) }
                if valueNew.isFinite && valueNew <= value + 1e-4 * (l1 ? decrease : t * slope) {
                    accepted = true
                    break
                }
                t *= 0.5
            }
            guard accepted else {
                return Result(x: x, value: value, iterations: iteration, converged: false, gradientNorm: norm)
            }
            let step = (0..<n).map { xNew[$0] - x[$0] }, change = (0..<n).map { gNew[$0] - g[$0] }
            let curvature = Self.dot(step, change)
            if curvature > 1e-10 * Self.dot(change, change).squareRoot() * Self.dot(step, step).squareRoot() {
                if s.count == memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
                s.append(step); y.append(change); rho.append(1 / curvature)
            }
            let previous = value
            x = xNew; g = gNew; value = valueNew
            pg = pseudo(x, g)
            norm = pg.reduce(0) { max($0, abs($1)) }
            try observe(iteration, value, norm)
            if norm <= gradientTolerance || previous - value <= relativeDecrease * max(1, abs(value)) {
                return Result(x: x, value: value, iterations: iteration, converged: true, gradientNorm: norm)
            }
        }
        return Result(x: x, value: value, iterations: iteration, converged: norm <= gradientTolerance, gradientNorm: norm)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }
}
