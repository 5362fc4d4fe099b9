import Foundation
import SluiceCompute
import SluiceNeural

/// Float64 re-implementations of every layer's forward pass and of the losses, for the
/// finite-difference references of ``GradientCheck``.
///
/// Why a re-implementation: the layers compute in Float32 (their storage and the BLAS and C
/// kernels they call are `Float`), and a central difference of a Float32 function is only
/// good to about `ε_f32 · |L| / h` ≈ 1e-3 with a usable step. So each layer's forward is
/// written again here, in plain loops over `Double`, from the formulas its documentation
/// states (NHWC, the `[kernel row][kernel column][channel]` patch order, PyTorch's gate
/// orders). That copy is trusted only because ``GradientCheck`` first checks that it gives
/// the layer's own Float32 output on the same inputs (to 1e-5); the differences are then
/// taken on it in Float64 (step 1e-5, error about 1e-10) and compared with the layer's
/// Float32 backward pass.
///
/// Nothing here is fast or shared with the library: it is a second, independent statement
/// of the same functions.
enum Float64Reference {
    /// A batch of samples in Float64: row-major elements, batch first.
    struct Values {
        var elements: [Double]
        var batch: Int
        var sampleShape: [Int]
        var sampleSize: Int { sampleShape.reduce(1, *) }
    }

    /// One forward pass over a batch in training mode. `rng` plays the forward context's
    /// generator (dropout draws from it in the same order as the layer).
    static func forward(_ layer: any Layer, _ x: Values, _ p: ArraySlice<[Double]>,
                        rng: inout SeededGenerator) throws -> Values {
        let out = try layer.outputShape(for: x.sampleShape)
        let n = x.batch, s = p.startIndex
        func values(_ e: [Double]) -> Values { Values(elements: e, batch: n, sampleShape: out) }
        switch layer {
        case let l as Sequential:
            var y = x, start = s
            for child in l.layers {
                y = try forward(child, y, p[start..<(start + child.parameterCount)], rng: &rng)
                start += child.parameterCount
            }
            return y
        case let l as Concatenate:
            var columns = [[Double]](repeating: [], count: n), start = s
            for b in l.branches {
                let range = b.lowerBound..<max(b.lowerBound, b.upperBound)
                var input = [Double]()
                for r in 0..<n { input += x.elements[(r * x.sampleSize + range.lowerBound)..<(r * x.sampleSize + range.upperBound)] }
                let y = try forward(b.model, Values(elements: input, batch: n, sampleShape: [range.count]),
                                    p[start..<(start + b.model.parameterCount)], rng: &rng)
                for r in 0..<n { columns[r] += y.elements[(r * y.sampleSize)..<((r + 1) * y.sampleSize)] }
                start += b.model.parameterCount
            }
            return values(columns.flatMap { $0 })
        case is Flatten, is Reshape:
            return values(x.elements)
        case let l as Dense:
            let inputs = x.sampleShape.last!, rows = x.elements.count / inputs, w = p[s]
            var y = [Double](repeating: 0, count: rows * l.units)
            for r in 0..<rows {
                for j in 0..<l.units {
                    var z = l.useBias ? p[s + 1][j] : 0
                    for k in 0..<inputs { z += x.elements[r * inputs + k] * w[k * l.units + j] }
                    y[r * l.units + j] = z
                }
            }
            return values(l.activation.map { activate($0, y, rowLength: l.units) } ?? y)
        case let l as any ActivationLayer:
            return values(activate(l.function, x.elements, rowLength: x.sampleShape.last ?? 1))
        case let l as Dropout:
            guard l.rate > 0 else { return x }
            let keep = Double(1 / (1 - l.rate))
            return values(x.elements.map { $0 * (rng.nextFloat() < l.rate ? 0 : keep) })
        case let l as Conv2D:
            return values(convolve(x, p[s], p[s + 1], filters: l.filters, kernel: (l.kernelSize[0], l.kernelSize[1]),
                                   stride: (l.strides[0], l.strides[1]), padding: l.padding, activation: l.activation))
        case let l as Conv1D:
            let lifted = Values(elements: x.elements, batch: n, sampleShape: [1] + x.sampleShape)
            return values(convolve(lifted, p[s], p[s + 1], filters: l.filters, kernel: (1, l.kernelSize),
                                   stride: (1, l.stride), padding: l.padding, activation: l.activation))
        case let l as MaxPool2D:
            return values(pool(x, kernel: (l.poolSize[0], l.poolSize[1]), stride: (l.strides[0], l.strides[1]),
                               padding: l.padding) { $0.max()! })
        case let l as AveragePool2D:
            return values(pool(x, kernel: (l.poolSize[0], l.poolSize[1]), stride: (l.strides[0], l.strides[1]),
                               padding: l.padding) { $0.reduce(0, +) / Double($0.count) })
        case is GlobalAveragePooling:
            let c = out[0], steps = x.sampleSize / c
            var y = [Double](repeating: 0, count: n * c)
            for r in 0..<n { for t in 0..<steps { for j in 0..<c { y[r * c + j] += x.elements[(r * steps + t) * c + j] / Double(steps) } } }
            return values(y)
        case let l as BatchNormalization:
            return values(normalise(x.elements, features: x.sampleShape.last!, overBatch: true, gamma: p[s], beta: p[s + 1],
                                    epsilon: Double(l.epsilon)))
        case let l as LayerNormalization:
            return values(normalise(x.elements, features: x.sampleShape.last!, overBatch: false, gamma: p[s], beta: p[s + 1],
                                    epsilon: Double(l.epsilon)))
        case let l as Embedding:
            let d = l.dimension
            return values(x.elements.flatMap { token in p[s][(Int(token) * d)..<(Int(token) * d + d)] })
        case let l as SimpleRNN:
            return values(recur(x, units: l.units, returnSequences: l.returnSequences, stateWidth: 1) { xt, state, h in
                (0..<h).map { j in
                    var z = p[s + 2][j]
                    for k in xt.indices { z += xt[k] * p[s][k * h + j] }
                    for k in 0..<h { z += state[k] * p[s + 1][k * h + j] }
                    return tanh(z)
                }
            })
        case let l as LSTM:
            // State: [h | c].
            return values(recur(x, units: l.units, returnSequences: l.returnSequences, stateWidth: 2) { xt, state, h in
                let z = (0..<(4 * h)).map { j in
                    var z = p[s + 2][j]
                    for k in xt.indices { z += xt[k] * p[s][k * 4 * h + j] }
                    for k in 0..<h { z += state[k] * p[s + 1][k * 4 * h + j] }
                    return z
                }
                var next = [Double](repeating: 0, count: 2 * h)
                for j in 0..<h {
                    let i = sigmoid(z[j]), f = sigmoid(z[h + j]), g = tanh(z[2 * h + j]), o = sigmoid(z[3 * h + j])
                    let c = f * state[h + j] + i * g
                    next[h + j] = c
                    next[j] = o * tanh(c)
                }
                return next
            })
        case let l as GRU:
            return values(recur(x, units: l.units, returnSequences: l.returnSequences, stateWidth: 1) { xt, state, h in
                func projections(_ j: Int) -> (Double, Double) {
                    var a = p[s + 2][j], b = p[s + 3][j]
                    for k in xt.indices { a += xt[k] * p[s][k * 3 * h + j] }
                    for k in 0..<h { b += state[k] * p[s + 1][k * 3 * h + j] }
                    return (a, b)
                }
                return (0..<h).map { j in
                    let (ar, br) = projections(j), (az, bz) = projections(h + j), (an, bn) = projections(2 * h + j)
                    let r = sigmoid(ar + br), z = sigmoid(az + bz), candidate = tanh(an + r * bn)
                    return (1 - z) * candidate + z * state[j]
                }
            })
        default:
            throw NeuralError.invalidConfiguration(component: "Float64Reference", name: "\(type(of: layer).kind)", reason: "has no reference")
        }
    }

    static func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }

    /// `f` elementwise (softmax over consecutive rows of `rowLength`).
    static func activate(_ f: ActivationFunction, _ x: [Double], rowLength: Int) -> [Double] {
        switch f {
        case .relu: return x.map { max($0, 0) }
        case .leakyReLU(let a): return x.map { $0 > 0 ? $0 : Double(a) * $0 }
        case .gelu: return x.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        case .sigmoid: return x.map(sigmoid)
        case .tanh: return x.map { tanh($0) }
        case .softmax:
            var y = x
            for r in 0..<(x.count / rowLength) {
                let row = x[(r * rowLength)..<((r + 1) * rowLength)], m = row.max()!
                let e = row.map { exp($0 - m) }, total = e.reduce(0, +)
                for (j, v) in e.enumerated() { y[r * rowLength + j] = v / total }
            }
            return y
        }
    }

    /// Output length and leading padding along one axis (TensorFlow's `same`: the odd pad at the end).
    static func geometry(_ padding: Padding, input: Int, kernel: Int, stride: Int) -> (Int, Int) {
        switch padding {
        case .valid: return ((input - kernel) / stride + 1, 0)
        case .same:
            let out = (input + stride - 1) / stride
            return (out, max((out - 1) * stride + kernel - input, 0) / 2)
        }
    }

    /// NHWC convolution with weights `[(ki · kw + kj) · C + c] × filters`, zero padding.
    static func convolve(_ x: Values, _ w: [Double], _ b: [Double], filters f: Int, kernel: (Int, Int), stride: (Int, Int),
                         padding: Padding, activation: ActivationFunction?) -> [Double] {
        let (hh, ww, c) = (x.sampleShape[0], x.sampleShape[1], x.sampleShape[2])
        let (oh, top) = geometry(padding, input: hh, kernel: kernel.0, stride: stride.0)
        let (ow, left) = geometry(padding, input: ww, kernel: kernel.1, stride: stride.1)
        var y = [Double](repeating: 0, count: x.batch * oh * ow * f)
        for n in 0..<x.batch {
            for i in 0..<oh {
                for j in 0..<ow {
                    for o in 0..<f {
                        var z = b[o]
                        for ki in 0..<kernel.0 {
                            for kj in 0..<kernel.1 {
                                let r = i * stride.0 - top + ki, col = j * stride.1 - left + kj
                                guard r >= 0, r < hh, col >= 0, col < ww else { continue }
                                for ch in 0..<c {
                                    z += x.elements[((n * hh + r) * ww + col) * c + ch] * w[((ki * kernel.1 + kj) * c + ch) * f + o]
                                }
                            }
                        }
                        y[((n * oh + i) * ow + j) * f + o] = z
                    }
                }
            }
        }
        return activation.map { activate($0, y, rowLength: f) } ?? y
    }

    /// Each window's in-bounds values, per channel, reduced by `reduce`.
    static func pool(_ x: Values, kernel: (Int, Int), stride: (Int, Int), padding: Padding,
                     reduce: ([Double]) -> Double) -> [Double] {
        let (hh, ww, c) = (x.sampleShape[0], x.sampleShape[1], x.sampleShape[2])
        let (oh, top) = geometry(padding, input: hh, kernel: kernel.0, stride: stride.0)
        let (ow, left) = geometry(padding, input: ww, kernel: kernel.1, stride: stride.1)
        var y = [Double]()
        for n in 0..<x.batch {
            for i in 0..<oh {
                for j in 0..<ow {
                    for ch in 0..<c {
                        var window = [Double]()
                        for ki in 0..<kernel.0 {
                            for kj in 0..<kernel.1 {
                                let r = i * stride.0 - top + ki, col = j * stride.1 - left + kj
                                if r >= 0, r < hh, col >= 0, col < ww { window.append(x.elements[((n * hh + r) * ww + col) * c + ch]) }
                            }
                        }
                        y.append(reduce(window))
                    }
                }
            }
        }
        return y
    }

    /// `γ (x − μ) / √(σ² + ε) + β` per feature (the last axis), the mean and biased variance
    /// over every row (batch normalisation in training) or within each row (layer normalisation).
    static func normalise(_ x: [Double], features c: Int, overBatch: Bool, gamma: [Double], beta: [Double],
                          epsilon: Double) -> [Double] {
        let m = x.count / c
        var y = [Double](repeating: 0, count: x.count)
        if overBatch {
            for j in 0..<c {
                let column = (0..<m).map { x[$0 * c + j] }
                let mu = column.reduce(0, +) / Double(m)
                let variance = column.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(m)
                for r in 0..<m { y[r * c + j] = gamma[j] * (x[r * c + j] - mu) / (variance + epsilon).squareRoot() + beta[j] }
            }
        } else {
            for r in 0..<m {
                let row = x[(r * c)..<((r + 1) * c)]
                let mu = row.reduce(0, +) / Double(c)
                let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(c)
                for j in 0..<c { y[r * c + j] = gamma[j] * (x[r * c + j] - mu) / (variance + epsilon).squareRoot() + beta[j] }
            }
        }
        return y
    }

    /// A recurrence from a zero state over `[time, features]` samples; `step(x_t, state, units)`
    /// gives the next state, whose first `units` values are the output `h`.
    static func recur(_ x: Values, units h: Int, returnSequences: Bool, stateWidth: Int,
                      step: ([Double], [Double], Int) -> [Double]) -> [Double] {
        let (t, f) = (x.sampleShape[0], x.sampleShape[1])
        var y = [Double]()
        for n in 0..<x.batch {
            var state = [Double](repeating: 0, count: stateWidth * h)
            for k in 0..<t {
                let start = (n * t + k) * f
                state = step(Array(x.elements[start..<(start + f)]), state, h)
                if returnSequences || k == t - 1 { y += state[0..<h] }
            }
        }
        return y
    }

    /// A loss's weighted mean over samples (`Σ wᵢ lᵢ / Σ wᵢ`), from the formulas of ``Loss``.
    static func loss(_ loss: Loss, _ z: [Double], outputs k: Int, classes: [Int32]?, values: [Double]?,
                     weights: [Double]?) -> Double {
        let n = z.count / k
        var total = 0.0, weight = 0.0
        for i in 0..<n {
            let w = weights?[i] ?? 1, row = Array(z[(i * k)..<((i + 1) * k)])
            let l: Double
            switch loss {
            case .meanSquaredError:
                l = (0..<k).reduce(0) { $0 + pow(row[$1] - values![i * k + $1], 2) } / Double(k)
            case .binaryCrossEntropyWithLogits:
                let y = Double(classes![i]), p = sigmoid(row[0])
                l = -(y * log(p) + (1 - y) * log(1 - p))
            case .crossEntropyWithLogits:
                let m = row.max()!
                l = m + log(row.reduce(0) { $0 + exp($1 - m) }) - row[Int(classes![i])]
            }
            total += w * l
            weight += w
        }
        return total / weight
    }
}
