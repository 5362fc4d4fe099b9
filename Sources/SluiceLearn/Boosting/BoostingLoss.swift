import Foundation
import SluiceCompute

/// The losses gradient boosting minimises, with scikit-learn's conventions (half losses:
/// the gradient of squared error is `raw - y`).
enum BoostingLoss: Sendable {
    /// Binary log loss on one logit.
    case binary
    /// Softmax cross-entropy over `k` classes, one raw score per class.
    case multinomial(Int)
    /// `½ (y - raw)²`.
    case squared
    /// `|y - raw|`; leaves are set to the median residual after each tree.
    case absolute
    /// `exp(raw) - y·raw` (log link).
    case poisson

    var outputs: Int { if case .multinomial(let k) = self { return k }; return 1 }

    /// The best constant raw score(s) for targets `y` (class codes for the classification losses).
    func baseline(_ y: [Double], _ w: [Double]) -> [Double] {
        let total = w.reduce(0, +)
        switch self {
        case .binary:
            let p = zip(y, w).reduce(0) { $0 + $1.0 * $1.1 } / total
            let q = min(max(p, 1e-15), 1 - 1e-15)
            return [log(q / (1 - q))]
        case .multinomial(let k):
            var p = [Double](repeating: 0, count: k)
            for (c, wi) in zip(y, w) { p[Int(c)] += wi }
            let logs = p.map { log(min(max($0 / total, 1e-15), 1 - 1e-15)) }
            let mean = logs.reduce(0, +) / Double(k)
            return logs.map { $0 - mean }
        case .squared:
            return [zip(y, w).reduce(0) { $0 + $1.0 * $1.1 } / total]
        case .absolute:
            return [Self.weightedMedian(y, w)]
        case .poisson:
            let mean = zip(y, w).reduce(0) { $0 + $1.0 * $1.1 } / total
            return [log(max(mean, 1e-300))]
        }
    }

    /// The weighted median (the lower weighted median when the weights split evenly; the
    /// average of the two middle values when every weight is 1, as numpy's median).
    static func weightedMedian(_ y: [Double], _ w: [Double]) -> Double {
        guard !y.isEmpty else { return 0 }
        if w.allSatisfy({ $0 == 1 }) { return Quantiles.median(sorted: y.sorted()) }
        let order = y.indices.sorted { y[$0] < y[$1] || (y[$0] == y[$1] && $0 < $1) }
        let half = w.reduce(0, +) / 2
        var cumulative = 0.0
        for i in order {
            cumulative += w[i]
            if cumulative >= half { return y[i] }
        }
        return y[order.last!]
    }

    /// Gradients and hessians of every output at `raw` (`outputs × n`, output-major), weighted
    /// by `w`, into `gh` (same layout, one (gradient, hessian) pair per row and output); parallel over rows.
    func gradients(raw: UnsafePointer<Double>, y: UnsafePointer<Double>, w: UnsafePointer<Double>, n: Int,
                   gh: UnsafeMutablePointer<SIMD2<Float>>) {
        let shared = BoostUnchecked((raw, y, w, gh))
        let loss = self
        Parallel.forEachChunk(of: n, minimumChunk: 8192) { range in
            let (raw, y, w, gh) = shared.value
            let block = 1024
            let tmp = UnsafeMutablePointer<Double>.allocate(capacity: block * max(1, loss.outputs))
            defer { tmp.deallocate() }
            var start = range.lowerBound
            while start < range.upperBound {
                let len = min(block, range.upperBound - start)
                switch loss {
                case .binary:
                    for i in 0..<len { tmp[i] = -abs(raw[start + i]) }
                    Double.vectorMath(.exp, tmp, tmp, len)
                    for i in 0..<len {
                        let r = raw[start + i], e = tmp[i]
                        let p = (r >= 0 ? 1 : e) / (1 + e), wi = w[start + i]
                        gh[start + i] = SIMD2(Float(wi * (p - y[start + i])), Float(wi * p * (1 - p)))
                    }
                case .multinomial(let k):
                    for i in 0..<len {
                        var mx = -Double.infinity
                        for c in 0..<k { mx = max(mx, raw[c * n + start + i]) }
                        for c in 0..<k { tmp[c * len + i] = raw[c * n + start + i] - mx }
                    }
                    Double.vectorMath(.exp, tmp, tmp, k * len)
                    for i in 0..<len {
                        var s = 0.0
                        for c in 0..<k { s += tmp[c * len + i] }
                        let wi = w[start + i], yi = Int(y[start + i])
                        for c in 0..<k {
                            let p = tmp[c * len + i] / s
                            gh[c * n + start + i] = SIMD2(Float(wi * (p - (yi == c ? 1 : 0))), Float(wi * p * (1 - p)))
                        }
                    }
                case .squared:
                    for i in start..<(start + len) {
                        gh[i] = SIMD2(Float(w[i] * (raw[i] - y[i])), Float(w[i]))
                    }
                case .absolute:
                    for i in start..<(start + len) {
                        let d = raw[i] - y[i]
                        gh[i] = SIMD2(Float(w[i] * (d > 0 ? 1 : (d < 0 ? -1 : 0))), Float(w[i]))
                    }
                case .poisson:
                    for i in 0..<len { tmp[i] = min(raw[start + i], 700) }
                    Double.vectorMath(.exp, tmp, tmp, len)
                    for i in 0..<len {
                        let wi = w[start + i]
                        gh[start + i] = SIMD2(Float(wi * (tmp[i] - y[start + i])), Float(wi * tmp[i]))
                    }
                }
                start += len
            }
        }
    }

    /// The weighted mean loss at `raw` (`outputs × n`, output-major).
    func loss(raw: [Double], y: [Double], w: [Double]) -> Double {
        let n = y.count
        var total = 0.0, weight = 0.0
        for i in 0..<n {
            let wi = w[i]
            guard wi > 0 else { continue }
            let li: Double
            switch self {
            case .binary:
                let r = raw[i]
                li = max(r, 0) - y[i] * r + log1p(exp(-abs(r)))
            case .multinomial(let k):
                var mx = -Double.infinity
                for c in 0..<k { mx = max(mx, raw[c * n + i]) }
                var s = 0.0
                for c in 0..<k { s += exp(raw[c * n + i] - mx) }
                li = mx + log(s) - raw[Int(y[i]) * n + i]
            case .squared:
                li = 0.5 * (raw[i] - y[i]) * (raw[i] - y[i])
            case .absolute:
                li = abs(raw[i] - y[i])
            case .poisson:
                li = exp(raw[i]) - y[i] * raw[i]
            }
            total += wi * li
            weight += wi
        }
        return total / max(weight, .leastNonzeroMagnitude)
    }
}
