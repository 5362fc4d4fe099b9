import SluiceCompute
import SluicePipeline

/// The sufficient statistics of a weighted least-squares problem, `n × p` rows reduced to
/// `p × p`: everything coordinate descent on the elastic net needs.
///
/// With weights `w` summing to `W`, weighted means `x̄`, `ȳ` (zero without an intercept),
/// `gram = Σ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ`, `xty = Σ wᵢ (xᵢ − x̄)(yᵢ − ȳ)`, `yty = Σ wᵢ (yᵢ − ȳ)²`.
/// Built from uncentred sums, so folds can be subtracted from a total.
struct GramProblem: Sendable {
    var p: Int
    /// `W`, the total weight (scikit-learn's `n_samples` after rescaling its weights to sum to n).
    var weight: Double
    var xMean: [Double]
    var yMean: Double
    var gram: [Double]
    var xty: [Double]
    var yty: Double

    /// Uncentred weighted sums of some rows: `Σw`, `Σwx`, `Σwy`, `Σwxxᵀ`, `Σwxy`, `Σwy²`.
    struct Sums: Sendable {
        var w: Double, x: [Double], y: Double, xx: [Double], xy: [Double], yy: Double

        static func - (a: Sums, b: Sums) -> Sums {
            Sums(w: a.w - b.w, x: zip(a.x, b.x).map { $0 - $1 }, y: a.y - b.y, xx: zip(a.xx, b.xx).map { $0 - $1 },
                 xy: zip(a.xy, b.xy).map { $0 - $1 }, yy: a.yy - b.yy)
        }

        /// The sums over `rows` (all by default) of `x`, `y` and weights, in one pass over the
        /// rows (``SluiceCompute/Matrix/augmentedGram(target:weights:rows:)``).
        init(_ x: Matrix<Double>, _ y: [Double], weights: [Double]?, rows: Range<Int>? = nil) {
            let p = x.columns, q = p + 2
            let g = x.augmentedGram(target: y, weights: weights, rows: rows)
            var xx = [Double](repeating: 0, count: p * p)
            for a in 0..<p { for b in 0..<p { xx[a * p + b] = g[a * q + b] } }
            self.init(w: g[q * q - 1], x: (0..<p).map { g[$0 * q + p + 1] }, y: g[p * q + p + 1], xx: xx,
                      xy: (0..<p).map { g[$0 * q + p] }, yy: g[p * q + p])
        }

        init(w: Double, x: [Double], y: Double, xx: [Double], xy: [Double], yy: Double) {
            self.w = w; self.x = x; self.y = y; self.xx = xx; self.xy = xy; self.yy = yy
        }
    }

    init(_ s: Sums, fitIntercept: Bool) {
        p = s.x.count
        weight = s.w
        let mx = fitIntercept ? s.x.map { $0 / s.w } : [Double](repeating: 0, count: s.x.count)
        let my = fitIntercept ? s.y / s.w : 0
        xMean = mx
        yMean = my
        gram = s.xx
        xty = s.xy
        yty = s.yy
        if fitIntercept {  // Σw(x − x̄)(x − x̄)ᵀ = Σwxxᵀ − W x̄ x̄ᵀ, and likewise
            for a in 0..<p {
                for b in 0..<p { gram[a * p + b] -= s.w * mx[a] * mx[b] }
                xty[a] -= s.w * mx[a] * my
            }
            yty -= s.w * my * my
        }
    }

    /// The largest useful alpha: below it some coefficient is nonzero (`max |xty| / (W·l1Ratio)`).
    func alphaMax(l1Ratio: Double) -> Double {
        (xty.map(abs).max() ?? 0) / (weight * max(l1Ratio, 1e-3))
    }

    /// Cyclic coordinate descent on `½‖y − Xβ‖²_w + W·α·ρ‖β‖₁ + ½·W·α·(1 − ρ)‖β‖²` from `start`
    /// (scikit-learn's `enet_coordinate_descent_gram`): stops when the duality gap is below
    /// `tolerance · yᵀy`, checked whenever the largest coefficient step falls below
    /// `tolerance` times the largest coefficient. Returns the coefficients, iterations, gap.
    func solve(alpha: Double, l1Ratio: Double, start: [Double], maxIterations: Int,
               tolerance: Double) -> (coefficients: [Double], iterations: Int, gap: Double, converged: Bool) {
        let l1 = alpha * l1Ratio * weight, l2 = alpha * (1 - l1Ratio) * weight
        var w = start
        var hw = [Double](repeating: 0, count: p)  // gram · w
        for a in 0..<p { for b in 0..<p where w[b] != 0 { hw[a] += gram[a * p + b] * w[b] } }
        let tol = tolerance * yty
        var gap = Double.infinity
        var iterations = 0
        for iteration in 1...max(1, maxIterations) {
            iterations = iteration
            var maxStep = 0.0, maxW = 0.0
            for j in 0..<p {
                let h = gram[j * p + j]
                guard h > 0 else { continue }
                let old = w[j]
                let tmp = xty[j] - hw[j] + h * old
                let new = (tmp > 0 ? 1.0 : -1.0) * max(abs(tmp) - l1, 0) / (h + l2)
                if new != old {
                    let d = new - old
                    for a in 0..<p { hw[a] += d * gram[a * p + j] }
                    w[j] = new
                }
                maxStep = max(maxStep, abs(new - old))
                maxW = max(maxW, abs(new))
            }
            if maxW == 0 || maxStep / maxW < tolerance || iteration == maxIterations {
                gap = dualityGap(w, hw: hw, l1: l1, l2: l2)
                if gap < tol { return (w, iterations, gap, true) }
            }
        }
        return (w, iterations, gap, false)
    }

    func dualityGap(_ w: [Double], hw: [Double], l1: Double, l2: Double) -> Double {
        var dual = 0.0, wHw = 0.0, qw = 0.0, wNorm2 = 0.0, wL1 = 0.0
        for j in 0..<p {
            dual = max(dual, abs(xty[j] - hw[j] - l2 * w[j]))
            wHw += w[j] * hw[j]
            qw += xty[j] * w[j]
            wNorm2 += w[j] * w[j]
            wL1 += abs(w[j])
        }
        let r2 = max(0, yty + wHw - 2 * qw)
        var constant = 1.0, gap: Double
        if dual > l1 {
            constant = l1 / dual
            gap = 0.5 * (r2 + r2 * constant * constant)
        } else {
            gap = r2
        }
        gap += l1 * wL1 - constant * yty + constant * qw + 0.5 * l2 * (1 + constant * constant) * wNorm2
        return gap
    }

    /// The intercept for coefficients `w`: `ȳ − x̄·w`.
    func intercept(_ w: [Double]) -> Double { yMean - zip(xMean, w).reduce(0) { $0 + $1.0 * $1.1 } }
}
