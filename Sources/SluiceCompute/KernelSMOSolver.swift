import CSluiceKernels

/// One quadratic program of a kernel machine in libsvm's form:
/// `min ½ αᵀQα + pᵀα` subject to `yᵀα = 0` (`y` the ±1 ``signs``) and `0 ≤ αᵢ ≤ Cᵢ` (``upper``),
/// with `Qᵢⱼ = yᵢ yⱼ K(x_{index(i)}, x_{index(j)})`.
///
/// A classifier's binary problem has one variable per row (``index`` nil); epsilon-SVR has two
/// per row (``index`` `[0..<l, 0..<l]`), as libsvm's `solve_epsilon_svr`.
public struct KernelSMOProblem: Sendable {
    /// The training rows (`n × p`).
    public var rows: Matrix<Double>
    public var kernel: KernelFunction
    /// The data row of each variable; nil for the identity (one variable per row).
    public var index: [Int]?
    /// `yᵢ ∈ {+1, −1}` per variable.
    public var signs: [Double]
    /// The linear term `p` per variable.
    public var linear: [Double]
    /// The box `Cᵢ` per variable.
    public var upper: [Double]

    public init(rows: Matrix<Double>, kernel: KernelFunction, index: [Int]? = nil, signs: [Double], linear: [Double],
                upper: [Double]) {
        self.rows = rows
        self.kernel = kernel
        self.index = index
        self.signs = signs
        self.linear = linear
        self.upper = upper
    }

    /// The number of variables.
    public var count: Int { signs.count }
}

/// The solution of a ``KernelSMOProblem``.
public struct KernelSMOSolution: Sendable, Equatable {
    /// `α` per variable.
    public var alpha: [Double]
    /// The offset: the decision function is `Σ yᵢ αᵢ K(xᵢ, x) − rho`.
    public var rho: Double
    /// The dual objective at `α`.
    public var objective: Double
    public var iterations: Int
    /// False when the iteration limit stopped the solver before the tolerance was met.
    public var converged: Bool
}

/// Sequential minimal optimisation as libsvm's `Solver` (Fan, Chen and Lin, 2005): the working
/// pair by second-order selection (WSS3), the gradient and its bound-only part `Ḡ` kept up to
/// date, shrinking of variables stuck at a bound (and one unshrink with the gradient rebuilt
/// when the gap first falls under 10·tolerance), stopping when the maximal violating pair's gap
/// is under `tolerance`. Kernel rows come through an LRU cache of at most `cacheBytes`, in
/// single precision as libsvm's `Qfloat`; each row is one `gemv` over the training rows and one
/// vectorised map. Variables are visited in libsvm's order (shrinking swaps their positions the
/// same way), so ties break as in libsvm; the per-iteration scans (working-set selection, the
/// gradient update) run over contiguous position-ordered arrays in C, with AVX-512 when the CPU
/// has it (the same choices and bits either way).
public enum KernelSMOSolver {
    /// libsvm's `TAU`: the curvature used when a pair's is not positive.
    static let tau = 1e-12

    /// Solves `problem` from `α = 0`. `maxIterations` nil is libsvm's limit `max(10⁷, 100·l)`.
    public static func solve(_ problem: KernelSMOProblem, tolerance: Double = 1e-3, shrinking: Bool = true,
                             cacheBytes: Int = 200 << 20, maxIterations: Int? = nil) -> KernelSMOSolution {
        let l = problem.count
        precondition(problem.linear.count == l && problem.upper.count == l, "KernelSMOSolver: sizes differ")
        guard l > 0 else { return KernelSMOSolution(alpha: [], rho: 0, objective: 0, iterations: 0, converged: true) }
        let q = KernelQMatrix(problem, cacheBytes: cacheBytes)
        var state = KernelSMOState(problem: problem, q: q)
        let limit = maxIterations ?? max(10_000_000, l > Int(Int32.max) / 100 ? Int(Int32.max) : 100 * l)
        let converged = state.run(tolerance: tolerance, shrinking: shrinking, maxIterations: limit)
        return KernelSMOSolution(alpha: state.alphaByVariable, rho: state.rho(), objective: state.objective(),
                                 iterations: state.iterations, converged: converged)
    }
}

/// The solver's working state (libsvm's `Solver` members), indexed by position: shrinking
/// swaps variables' positions as libsvm's `swap_index` does, so the active variables are the
/// positions `0..<activeSize`, contiguous for the per-iteration scans (CSluiceKernels'
/// `learn_smo.c`); `order[t]` is the variable at position `t`, through which the kernel rows
/// (kept in variable order by ``KernelQMatrix``) are read.
struct KernelSMOState {
    let l: Int
    var y: [Double], p: [Double], c: [Double], qd: [Double]
    let q: KernelQMatrix
    var alpha: [Double], g: [Double], gBar: [Double]
    /// 0 lower bound, 1 upper bound, 2 free.
    var status: [UInt8]
    /// The variable at each position.
    var order: [Int32]
    var activeSize: Int
    var unshrink = false
    var iterations = 0

    init(problem: KernelSMOProblem, q: KernelQMatrix) {
        l = problem.count
        y = problem.signs
        p = problem.linear
        c = problem.upper
        qd = q.diagonal
        self.q = q
        alpha = [Double](repeating: 0, count: l)
        g = p
        gBar = [Double](repeating: 0, count: l)
        status = c.map { $0 > 0 ? 0 : 1 }  // α = 0 is the upper bound when C = 0
        order = (0..<l).map { Int32($0) }
        activeSize = l
    }

    /// `α` per variable (in the problem's order).
    var alphaByVariable: [Double] {
        var out = [Double](repeating: 0, count: l)
        for t in 0..<l { out[Int(order[t])] = alpha[t] }
        return out
    }

    func isUpper(_ i: Int) -> Bool { status[i] == 1 }
    func isLower(_ i: Int) -> Bool { status[i] == 0 }
    func isFree(_ i: Int) -> Bool { status[i] == 2 }

    mutating func updateStatus(_ i: Int) {
        status[i] = alpha[i] >= c[i] ? 1 : (alpha[i] <= 0 ? 0 : 2)
    }

    /// The kernel row (signed `Q`) of the variable at position `t`, in variable order.
    func row(_ t: Int, slot: Int) -> UnsafePointer<Float> { q.row(Int(order[t]), slot: slot) }

    /// Exchanges positions `a` and `b` (libsvm's `swap_index`).
    mutating func swap(_ a: Int, _ b: Int) {
        y.swapAt(a, b)
        p.swapAt(a, b)
        c.swapAt(a, b)
        qd.swapAt(a, b)
        alpha.swapAt(a, b)
        g.swapAt(a, b)
        gBar.swapAt(a, b)
        status.swapAt(a, b)
        order.swapAt(a, b)
    }

    mutating func run(tolerance eps: Double, shrinking: Bool, maxIterations: Int) -> Bool {
        var counter = min(l, 1000) + 1
        while iterations < maxIterations {
            counter -= 1
            if counter == 0 {
                counter = min(l, 1000)
                if shrinking { shrink(eps) }
            }
            var pair = selectWorkingSet(eps)
            if pair == nil {
                reconstructGradient()
                activeSize = l
                pair = selectWorkingSet(eps)
                guard pair != nil else { return true }
                counter = 1  // shrink at the next iteration
            }
            guard let (i, j) = pair else { return true }
            iterations += 1
            step(i, j)
        }
        if activeSize < l {
            reconstructGradient()
            activeSize = l
        }
        return false
    }

    /// One SMO step on the pair of positions `(i, j)` (libsvm's update of `α`, `G` and `Ḡ`).
    mutating func step(_ i: Int, _ j: Int) {
        let qi = row(i, slot: 0), qj = row(j, slot: 1), qij = Double(qi[Int(order[j])])
        let ci = c[i], cj = c[j], oldI = alpha[i], oldJ = alpha[j]
        var ai = oldI, aj = oldJ
        if y[i] != y[j] {
            var quad = qd[i] + qd[j] + 2 * qij
            if quad <= 0 { quad = KernelSMOSolver.tau }
            let delta = (-g[i] - g[j]) / quad, diff = ai - aj
            ai += delta
            aj += delta
            if diff > 0 {
                if aj < 0 { aj = 0; ai = diff }
            } else if ai < 0 { ai = 0; aj = -diff }
            if diff > ci - cj {
                if ai > ci { ai = ci; aj = ci - diff }
            } else if aj > cj { aj = cj; ai = cj + diff }
        } else {
            var quad = qd[i] + qd[j] - 2 * qij
            if quad <= 0 { quad = KernelSMOSolver.tau }
            let delta = (g[i] - g[j]) / quad, sum = ai + aj
            ai -= delta
            aj += delta
            if sum > ci {
                if ai > ci { ai = ci; aj = sum - ci }
            } else if aj < 0 { aj = 0; ai = sum }
            if sum > cj {
                if aj > cj { aj = cj; ai = sum - cj }
            } else if ai < 0 { ai = 0; aj = sum }
        }
        alpha[i] = ai
        alpha[j] = aj
        let di = ai - oldI, dj = aj - oldJ
        let n = activeSize
        g.withUnsafeMutableBufferPointer { gp in
            order.withUnsafeBufferPointer { op in
                sluice_smo_update_gradient(gp.baseAddress!, qi, qj, l, op.baseAddress!, n, di, dj)
            }
        }
        let upperI = isUpper(i), upperJ = isUpper(j)
        updateStatus(i)
        updateStatus(j)
        if upperI != isUpper(i) { addToGBar(i, upperI ? -ci : ci) }
        if upperJ != isUpper(j) { addToGBar(j, upperJ ? -cj : cj) }
    }

    mutating func addToGBar(_ i: Int, _ factor: Double) {
        let row = row(i, slot: 0)
        gBar.withUnsafeMutableBufferPointer { b in
            order.withUnsafeBufferPointer { op in for t in 0..<l { b[t] += factor * Double(row[Int(op[t])]) } }
        }
    }

    /// WSS3: `i` maximises the violation, `j` the second-order decrease of the objective
    /// (positions).
    func selectWorkingSet(_ eps: Double) -> (Int, Int)? {
        let n = activeSize
        var gMax = -Double.infinity, gMax2 = -Double.infinity, objMin = Double.infinity
        let iMax = g.withUnsafeBufferPointer { gp in
            y.withUnsafeBufferPointer { yp in
                status.withUnsafeBufferPointer { sp in
                    sluice_smo_select_first(gp.baseAddress!, yp.baseAddress!, sp.baseAddress!, n, &gMax)
                }
            }
        }
        guard iMax >= 0 else { return nil }
        let qi = row(iMax, slot: 0), yi = y[iMax], qdi = qd[iMax]
        let jMin = g.withUnsafeBufferPointer { gp in
            y.withUnsafeBufferPointer { yp in
                status.withUnsafeBufferPointer { sp in
                    qd.withUnsafeBufferPointer { dp in
                        order.withUnsafeBufferPointer { op in
                            sluice_smo_select_second(gp.baseAddress!, yp.baseAddress!, sp.baseAddress!, dp.baseAddress!, qi,
                                                     l, op.baseAddress!, n, gMax, qdi, yi, KernelSMOSolver.tau, &gMax2, &objMin)
                        }
                    }
                }
            }
        }
        if gMax + gMax2 < eps || jMin < 0 { return nil }
        return (iMax, jMin)
    }

    func beShrunk(_ i: Int, _ gMax1: Double, _ gMax2: Double) -> Bool {
        if isUpper(i) { return y[i] > 0 ? -g[i] > gMax1 : -g[i] > gMax2 }
        if isLower(i) { return y[i] > 0 ? g[i] > gMax2 : g[i] > gMax1 }
        return false
    }

    mutating func shrink(_ eps: Double) {
        var gMax1 = -Double.infinity, gMax2 = -Double.infinity
        for i in 0..<activeSize {
            if y[i] > 0 {
                if !isUpper(i) { gMax1 = max(gMax1, -g[i]) }
                if !isLower(i) { gMax2 = max(gMax2, g[i]) }
            } else {
                if !isUpper(i) { gMax2 = max(gMax2, -g[i]) }
                if !isLower(i) { gMax1 = max(gMax1, g[i]) }
            }
        }
        if !unshrink && gMax1 + gMax2 <= eps * 10 {
            unshrink = true
            reconstructGradient()
            activeSize = l
        }
        var t = 0
        while t < activeSize {
            if beShrunk(t, gMax1, gMax2) {
                activeSize -= 1
                while activeSize > t {
                    if !beShrunk(activeSize, gMax1, gMax2) {
                        swap(t, activeSize)
                        break
                    }
                    activeSize -= 1
                }
            }
            t += 1
        }
    }

    /// Rebuilds the gradient of the shrunk variables from `Ḡ` and the free ones.
    mutating func reconstructGradient() {
        guard activeSize < l else { return }
        for t in activeSize..<l { g[t] = gBar[t] + p[t] }
        var free = 0
        for t in 0..<activeSize where isFree(t) { free += 1 }
        if free * l > 2 * activeSize * (l - activeSize) {
            for t in activeSize..<l {
                let row = row(t, slot: 0)
                var s = 0.0
                for u in 0..<activeSize where isFree(u) { s += alpha[u] * Double(row[Int(order[u])]) }
                g[t] += s
            }
        } else {
            for u in 0..<activeSize where isFree(u) {
                let row = row(u, slot: 0), a = alpha[u]
                for t in activeSize..<l { g[t] += a * Double(row[Int(order[t])]) }
            }
        }
    }

    /// libsvm's `calculate_rho`: the mean of `yG` over free variables, else the middle of the
    /// bounds (over positions, as libsvm).
    func rho() -> Double {
        var free = 0, sum = 0.0, ub = Double.infinity, lb = -Double.infinity
        for i in 0..<l {
            let yg = y[i] * g[i]
            if isUpper(i) {
                if y[i] < 0 { ub = min(ub, yg) } else { lb = max(lb, yg) }
            } else if isLower(i) {
                if y[i] > 0 { ub = min(ub, yg) } else { lb = max(lb, yg) }
            } else {
                free += 1
                sum += yg
            }
        }
        return free > 0 ? sum / Double(free) : (ub + lb) / 2
    }

    func objective() -> Double {
        var v = 0.0
        for i in 0..<l { v += alpha[i] * (g[i] + p[i]) }
        return v / 2
    }
}

/// `Q` of a ``KernelSMOProblem``: rows from an LRU cache of kernel rows (single precision), the
/// signs folded in when there is one variable per row, applied on the way out otherwise.
final class KernelQMatrix {
    let problem: KernelSMOProblem
    let l: Int, n: Int, p: Int
    let norms: [Double]
    let diagonal: [Double]
    /// The rows: `capacity × n` floats, one data row's `K` (or signed `Q`) each.
    let storage: UnsafeMutablePointer<Float>
    let capacity: Int
    var slotOfRow: [Int32], rowOfSlot: [Int32]
    /// LRU list over slots: most recent at `head`.
    var previous: [Int32], next: [Int32]
    var head: Int32 = -1, tail: Int32 = -1, used = 0
    var dots: [Double]
    /// Two output rows for the two-variables-per-row case (libsvm's `SVR_Q` buffers).
    let expanded: UnsafeMutablePointer<Float>

    init(_ problem: KernelSMOProblem, cacheBytes: Int) {
        self.problem = problem
        l = problem.count
        n = problem.rows.rows
        p = problem.rows.columns
        norms = problem.kernel.needsNorms ? problem.kernel.rowNorms(problem.rows) : []
        // libsvm keeps at least two rows whatever the limit.
        capacity = max(2, min(n, cacheBytes / max(1, n * MemoryLayout<Float>.stride)))
        storage = .allocate(capacity: capacity * n)
        slotOfRow = [Int32](repeating: -1, count: n)
        rowOfSlot = [Int32](repeating: -1, count: capacity)
        previous = [Int32](repeating: -1, count: capacity)
        next = [Int32](repeating: -1, count: capacity)
        dots = [Double](repeating: 0, count: n)
        expanded = .allocate(capacity: problem.index == nil ? 1 : 2 * l)
        let kernel = problem.kernel
        diagonal = problem.rows.withUnsafeBufferPointer { xp in
            (0..<problem.count).map { v in
                let r = problem.index?[v] ?? v, a = xp.baseAddress! + r * problem.rows.columns
                return kernel.value(a, a, problem.rows.columns)
            }
        }
    }

    deinit {
        storage.deallocate()
        expanded.deallocate()
    }

    /// `Q`'s row of variable `v` (length `l`), valid until the next call with the same `slot`
    /// (0 or 1) or, for a cached row, until it is evicted two calls later at the earliest.
    func row(_ v: Int, slot: Int) -> UnsafePointer<Float> {
        guard let index = problem.index else { return UnsafePointer(cachedRow(v)) }
        let base = cachedRow(index[v]), out = expanded + slot * l, signs = problem.signs, yv = signs[v]
        index.withUnsafeBufferPointer { ip in
            signs.withUnsafeBufferPointer { sp in
                for t in 0..<l { out[t] = yv == sp[t] ? base[ip[t]] : -base[ip[t]] }
            }
        }
        return UnsafePointer(out)
    }

    private func cachedRow(_ r: Int) -> UnsafeMutablePointer<Float> {
        var s = slotOfRow[r]
        if s >= 0 {
            touch(s)
            return storage + Int(s) * n
        }
        if used < capacity {
            s = Int32(used)
            used += 1
        } else {
            s = tail
            unlink(s)
            slotOfRow[Int(rowOfSlot[Int(s)])] = -1
        }
        rowOfSlot[Int(s)] = Int32(r)
        slotOfRow[r] = s
        pushFront(s)
        let out = storage + Int(s) * n
        fill(r, out)
        return out
    }

    private func fill(_ r: Int, _ out: UnsafeMutablePointer<Float>) {
        let kernel = problem.kernel
        problem.rows.withUnsafeBufferPointer { xp in
            dots.withUnsafeMutableBufferPointer { d in
                if p > 0 {
                    Double.gemv(false, n, p, 1, xp.baseAddress!, p, xp.baseAddress! + r * p, 1, 0, d.baseAddress!, 1)
                } else {
                    for t in 0..<n { d[t] = 0 }
                }
                norms.withUnsafeBufferPointer { np in
                    kernel.apply(dots: d.baseAddress!, count: n, norm: kernel.needsNorms ? np[r] : 0, norms: np.baseAddress)
                }
                if problem.index == nil {
                    let y = problem.signs, yr = y[r]
                    for t in 0..<n { out[t] = Float(yr * y[t] * d[t]) }
                } else {
                    for t in 0..<n { out[t] = Float(d[t]) }
                }
            }
        }
    }

    private func touch(_ s: Int32) {
        guard s != head else { return }
        unlink(s)
        pushFront(s)
    }

    private func unlink(_ s: Int32) {
        let a = previous[Int(s)], b = next[Int(s)]
        if a >= 0 { next[Int(a)] = b } else { head = b }
        if b >= 0 { previous[Int(b)] = a } else { tail = a }
        previous[Int(s)] = -1
        next[Int(s)] = -1
    }

    private func pushFront(_ s: Int32) {
        next[Int(s)] = head
        previous[Int(s)] = -1
        if head >= 0 { previous[Int(head)] = s }
        head = s
        if tail < 0 { tail = s }
    }
}
