import Foundation
import SluiceCompute
import SluicePipeline

/// A map from a classifier's score to a probability, fitted on held-out scores.
public enum Calibrator: Sendable, Codable, Equatable {
    /// Platt's sigmoid `1 / (1 + exp(a·s + b))`.
    case sigmoid(a: Double, b: Double)
    /// A nondecreasing step-linear map: linear interpolation between the points
    /// `(x[i], y[i])` (`x` ascending), clipped to the end values outside them.
    case isotonic(x: [Double], y: [Double])

    /// The calibrated probability of score `s`.
    public func callAsFunction(_ s: Double) -> Double {
        switch self {
        case let .sigmoid(a, b):
            let z = a * s + b
            return z >= 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z))
        case let .isotonic(x, y):
            guard let first = x.first, let last = x.last else { return 0.5 }
            if s <= first { return y[0] }
            if s >= last { return y[y.count - 1] }
            var lo = 0, hi = x.count - 1  // x[lo] ≤ s < x[hi]
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if x[mid] <= s { lo = mid } else { hi = mid }
            }
            let t = x[hi] == x[lo] ? 0 : (s - x[lo]) / (x[hi] - x[lo])
            return y[lo] + t * (y[hi] - y[lo])
        }
    }

    /// Whether the state is usable: finite numbers; isotonic points aligned, ascending, in `[0, 1]`.
    var isValid: Bool {
        switch self {
        case let .sigmoid(a, b): return a.isFinite && b.isFinite
        case let .isotonic(x, y):
            return !x.isEmpty && x.count == y.count && x.allSatisfy(\.isFinite) && y.allSatisfy { $0 >= 0 && $0 <= 1 }
                && zip(x, x.dropFirst()).allSatisfy { $0 <= $1 }
        }
    }

    /// Platt scaling as scikit-learn's `_sigmoid_calibration`: targets smoothed to
    /// `(N₊ + 1) / (N₊ + 2)` and `1 / (N₋ + 2)` (row counts), the weighted log-loss minimised
    /// over `(a, b)` by Newton's method with a halving line search, from scikit-learn's start
    /// `(0, log((N₋ + 1) / (N₊ + 1)))`.
    static func sigmoid(scores f: [Double], positive: [Bool], weights: [Double]) -> Calibrator {
        let prior1 = Double(positive.filter { $0 }.count), prior0 = Double(positive.count) - prior1
        let t = positive.map { $0 ? (prior1 + 1) / (prior1 + 2) : 1 / (prior0 + 2) }
        func loss(_ a: Double, _ b: Double) -> Double {
            var s = 0.0
            for i in f.indices {
                let z = a * f[i] + b  // log(1 + e^z) − (1 − t) z, stably
                s += weights[i] * ((z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - (1 - t[i]) * z)
            }
            return s
        }
        var a = 0.0, b = log((prior0 + 1) / (prior1 + 1))
        var current = loss(a, b)
        for _ in 0..<100 {
            var ga = 0.0, gb = 0.0, haa = 0.0, hab = 0.0, hbb = 0.0
            for i in f.indices {
                let z = a * f[i] + b
                let p = z >= 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z))  // σ(−z)
                let g = weights[i] * (t[i] - p), h = weights[i] * p * (1 - p)
                ga += g * f[i]; gb += g
                haa += h * f[i] * f[i]; hab += h * f[i]; hbb += h
            }
            if max(abs(ga), abs(gb)) < 1e-12 * max(1, current) { break }
            let det = haa * hbb - hab * hab
            var da: Double, db: Double
            if det > 1e-300 * max(1, haa * hbb) {
                da = (hbb * ga - hab * gb) / det
                db = (haa * gb - hab * ga) / det
            } else {
                da = ga
                db = gb
            }
            var step = 1.0, improved = false
            for _ in 0..<60 {
                let next = loss(a - step * da, b - step * db)
                if next <= current {
                    a -= step * da
                    b -= step * db
                    improved = next < current
                    current = next
                    break
                }
                step /= 2
            }
            if !improved { break }
        }
        return .sigmoid(a: a, b: b)
    }

    /// Isotonic regression of the targets on the scores (scikit-learn's
    /// `IsotonicRegression(out_of_bounds='clip')`): rows sorted by score (then target), equal
    /// scores merged into their weighted mean, then pool-adjacent-violators with weights.
    static func isotonic(scores f: [Double], positive: [Bool], weights: [Double]) -> Calibrator {
        let order = f.indices.sorted { f[$0] < f[$1] || (f[$0] == f[$1] && (positive[$0] ? 1 : 0) < (positive[$1] ? 1 : 0)) }
        var xs = [Double](), ys = [Double](), ws = [Double]()
        for i in order where weights[i] > 0 {
            let y = positive[i] ? 1.0 : 0.0
            if let last = xs.last, last == f[i] {
                let w = ws[ws.count - 1] + weights[i]
                ys[ys.count - 1] = (ys[ys.count - 1] * ws[ws.count - 1] + y * weights[i]) / w
                ws[ws.count - 1] = w
            } else {
                xs.append(f[i]); ys.append(y); ws.append(weights[i])
            }
        }
        // Pool adjacent violators: blocks of (value, weight, count).
        var value = [Double](), weight = [Double](), count = [Int]()
        for i in xs.indices {
            value.append(ys[i]); weight.append(ws[i]); count.append(1)
            while value.count > 1 && value[value.count - 2] > value[value.count - 1] {
                let w = weight[weight.count - 2] + weight[weight.count - 1]
                let v = (value[value.count - 2] * weight[weight.count - 2] + value[value.count - 1] * weight[weight.count - 1]) / w
                let c = count[count.count - 2] + count[count.count - 1]
                value.removeLast(2); weight.removeLast(2); count.removeLast(2)
                value.append(v); weight.append(w); count.append(c)
            }
        }
        var fitted = [Double]()
        for (v, c) in zip(value, count) { fitted += [Double](repeating: min(1, max(0, v)), count: c) }
        return .isotonic(x: xs.isEmpty ? [0] : xs, y: fitted.isEmpty ? [0.5] : fitted)
    }
}
