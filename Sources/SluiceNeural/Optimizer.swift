import CSluiceKernels
import Foundation
import SluiceCompute

/// How parameters move along their gradients, with PyTorch's update rules (so the same
/// gradients give the same steps as `torch.optim`):
///
/// - `sgd`: `g += λp`; with momentum `b = μb + g` (`b = g` on the first step), then `g = g + μb`
///   (Nesterov) or `g = b`; `p −= η g`.
/// - `adam`: `g += λp` (L2); `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`,
///   `p −= η/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)`.
/// - `adamW`: `p −= ηλp` (decoupled decay), then Adam's step without L2.
/// - `rmsprop`: `v = ρv + (1−ρ)g²`; `p −= η g / (√v + ε)` (with momentum `b = μb + g/(√v + ε)`, `p −= ηb`).
public enum Optimizer: Sendable, Codable, Equatable {
    case sgd(learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0)
    case adam(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0)
    case adamW(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01)
    case rmsprop(learningRate: Double = 0.01, rho: Double = 0.99, epsilon: Double = 1e-8, momentum: Double = 0)

    /// The base learning rate (schedules scale it).
    public var learningRate: Double {
        switch self {
        case let .sgd(lr, _, _, _), let .adam(lr, _, _, _, _), let .adamW(lr, _, _, _, _), let .rmsprop(lr, _, _, _): return lr
        }
    }

    func validate() throws {
        func bad(_ name: String, _ reason: String) -> NeuralError {
            NeuralError.invalidConfiguration(component: "optimizer", name: name, reason: reason)
        }
        guard learningRate > 0, learningRate.isFinite else { throw bad("learningRate", "must be finite and > 0, got \(learningRate)") }
        switch self {
        case let .sgd(_, m, nesterov, wd):
            guard m >= 0, m < 1 else { throw bad("momentum", "must be in [0, 1), got \(m)") }
            guard !nesterov || m > 0 else { throw bad("nesterov", "needs a momentum > 0") }
            guard wd >= 0 else { throw bad("weightDecay", "must be ≥ 0") }
        case let .adam(_, b1, b2, eps, wd), let .adamW(_, b1, b2, eps, wd):
            guard b1 >= 0, b1 < 1, b2 >= 0, b2 < 1 else { throw bad("beta", "must be in [0, 1)") }
            guard eps > 0, wd >= 0 else { throw bad("epsilon", "must be > 0 (and weightDecay ≥ 0)") }
        case let .rmsprop(_, rho, eps, m):
            guard rho >= 0, rho < 1, eps > 0, m >= 0, m < 1 else { throw bad("rho", "rho and momentum must be in [0, 1), epsilon > 0") }
        }
    }
}

/// The moment buffers of an optimizer, one per trainable parameter, and its step count
/// (Codable: a training ``Backup`` keeps them).
public struct OptimizerState: Sendable, Codable {
    var step = 0
    var first: [Matrix<Float>?]
    var second: [Matrix<Float>?]

    /// Empty buffers for `count` parameters.
    public init(count: Int) {
        first = Array(repeating: nil, count: count)
        second = Array(repeating: nil, count: count)
    }
}

extension Optimizer {
    /// One step over every trainable parameter (`mask`), at learning rate `lr`.
    public func update(_ parameters: inout [Matrix<Float>], gradients: [Matrix<Float>], mask: [Bool], learningRate lr: Double,
                state: inout OptimizerState) {
        state.step += 1
        let t = Double(state.step)
        for i in parameters.indices where mask[i] {
            let n = parameters[i].count
            if state.first[i] == nil { state.first[i] = Matrix(rows: parameters[i].rows, columns: parameters[i].columns) }
            if state.second[i] == nil, needsSecondMoment {
                state.second[i] = Matrix(rows: parameters[i].rows, columns: parameters[i].columns)
            }
            var m1 = state.first[i]!
            var m2 = state.second[i] ?? Matrix(rows: 1, columns: 1)  // unused without a second moment
            state.first[i] = nil
            state.second[i] = nil
            let isFirst = state.step == 1
            parameters[i].withUnsafeMutableBufferPointer { p in
                gradients[i].withUnsafeBufferPointer { g in
                    m1.withUnsafeMutableBufferPointer { a in
                        m2.withUnsafeMutableBufferPointer { b in
                            step(p.baseAddress!, g.baseAddress!, a.baseAddress!, b.baseAddress!, n, lr: lr, t: t, isFirst: isFirst)
                        }
                    }
                }
            }
            state.first[i] = m1
            if needsSecondMoment { state.second[i] = m2 }
        }
    }

    var needsSecondMoment: Bool {
        switch self {
        case .adam, .adamW: return true
        case .rmsprop(_, _, _, let m): return m > 0
        case .sgd: return false
        }
    }

    private func step(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ a: UnsafeMutablePointer<Float>,
                      _ b: UnsafeMutablePointer<Float>, _ n: Int, lr: Double, t: Double, isFirst: Bool) {
        switch self {
        case let .sgd(_, momentum, nesterov, wd):
            let eta = Float(lr), mu = Float(momentum), lambda = Float(wd)
            for j in 0..<n {
                var gj = g[j] + lambda * p[j]
                if mu > 0 {
                    a[j] = isFirst ? gj : mu * a[j] + gj
                    gj = nesterov ? gj + mu * a[j] : a[j]
                }
                p[j] -= eta * gj
            }
        case let .adam(_, b1, b2, eps, wd), let .adamW(_, b1, b2, eps, wd):
            let decoupled: Bool
            if case .adamW = self { decoupled = true } else { decoupled = false }
            if decoupled && wd > 0 {
                let f = Float(1 - lr * wd)
                for j in 0..<n { p[j] *= f }
            }
            let l2 = decoupled ? 0 : Float(wd)
            let bc1 = 1 - Foundation.pow(b1, t), bc2 = 1 - Foundation.pow(b2, t)
            let stepSize = Float(lr / bc1), invSqrtBC2 = Float(1 / bc2.squareRoot()), e = Float(eps)
            let fb1 = Float(b1), fb2 = Float(b2), c1 = Float(1 - b1), c2 = Float(1 - b2)
            // Element-wise (vectorised, no FMA): a split over the cores gives the same bits.
            let (pp, pg, pa, pb) = (NeuralSharedPointer(p), NeuralSharedConstPointer(g), NeuralSharedPointer(a), NeuralSharedPointer(b))
            Parallel.forEachChunk(of: n, minimumChunk: 1 << 16) { r in
                let (o, c) = (r.lowerBound, r.count)
                sluice_neural_adam_step(pp.pointer + o, pg.pointer + o, pa.pointer + o, pb.pointer + o, c,
                                        l2, fb1, c1, fb2, c2, stepSize, invSqrtBC2, e)
            }
        case let .rmsprop(_, rho, eps, momentum):
            let eta = Float(lr), r = Float(rho), c = Float(1 - rho), e = Float(eps), mu = Float(momentum)
            for j in 0..<n {
                a[j] = r * a[j] + c * g[j] * g[j]
                let d = g[j] / (a[j].squareRoot() + e)
                if mu > 0 {
                    b[j] = mu * b[j] + d
                    p[j] -= eta * b[j]
                } else {
                    p[j] -= eta * d
                }
            }
        }
    }
}

/// Scales `gradients` so their global L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`); returns the norm before clipping.
@discardableResult
func clipGradients(_ gradients: inout [Matrix<Float>], mask: [Bool], maxNorm: Double) -> Double {
    var total = 0.0
    for (i, g) in gradients.enumerated() where mask[i] {
        g.withUnsafeBufferPointer { p in for v in p { total += Double(v) * Double(v) } }
    }
    let norm = total.squareRoot()
    if norm > maxNorm {
        let f = Float(maxNorm / (norm + 1e-6))
        for i in gradients.indices where mask[i] { gradients[i].scale(by: f) }
    }
    return norm
}
