import SluiceCompute

/// Normalises each feature (the last axis) over the batch (and every other axis), then
/// scales and shifts it: `y = γ (x − μ) / √(σ² + ε) + β`.
///
/// Training uses the batch's mean and biased variance and updates the running statistics as
/// PyTorch does (`running = (1 − momentum) · running + momentum · batch`, the variance
/// unbiased); inference uses the running statistics. Parameters: `γ`, `β` (trained), running
/// mean and running variance (state).
public struct BatchNormalization: Layer {
    public static let kind = "batch_normalization"
    public var momentum: Float
    public var epsilon: Float

    public init(momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var parameterCount: Int { 4 }
    public var stateCount: Int { 2 }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard let c = input.last, c > 0 else { throw NeuralError.shape(layer: "BatchNormalization", reason: "expects at least one feature, got shape \(describe(input))") }
        guard momentum >= 0 && momentum <= 1 && epsilon > 0 else {
            throw NeuralError.invalidConfiguration(component: "BatchNormalization", name: "momentum", reason: "must be in [0, 1] (and epsilon > 0)")
        }
        return input
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] {
        Array(repeating: (1, input.last ?? 0), count: 4)
    }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        let c = input.last ?? 0
        return [Matrix(rows: 1, columns: c, repeating: 1), Matrix(rows: 1, columns: c),
                Matrix(rows: 1, columns: c), Matrix(rows: 1, columns: c, repeating: 1)]
    }

    public func forward(_ x: Tensor, parameters p: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        _ = try outputShape(for: x.sampleShape)
        let s = p.startIndex, gamma = p[s], beta = p[s + 1]
        let c = x.shape.last ?? 1, m = x.count / c
        guard gamma.columns == c else { throw NeuralError.shape(layer: "BatchNormalization", reason: "expects \(gamma.columns) features, got \(c)") }
        var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
        if context.training {
            guard m > 1 else { throw NeuralError.shape(layer: "BatchNormalization", reason: "needs more than one value per feature to train, got a batch of \(x.batch)") }
            x.withUnsafeBufferPointer { px in
                var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
                for r in 0..<m { for j in 0..<c { let v = Double(px[r * c + j]); sum[j] += v; sq[j] += v * v } }
                for j in 0..<c {
                    let mu = sum[j] / Double(m)
                    mean[j] = Float(mu)
                    variance[j] = Float(max(sq[j] / Double(m) - mu * mu, 0))
                }
            }
        } else {
            mean = p[s + 2].elements
            variance = p[s + 3].elements
        }
        let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        var xhat = Matrix<Float>(rows: m, columns: c), y = Matrix<Float>(rows: m, columns: c)
        xhat.withUnsafeMutableBufferPointer { ph in
            y.withUnsafeMutableBufferPointer { py in
                x.withUnsafeBufferPointer { px in
                    gamma.withUnsafeBufferPointer { g in
                        beta.withUnsafeBufferPointer { b in
                            for r in 0..<m {
                                for j in 0..<c {
                                    let h = (px[r * c + j] - mean[j]) * invStd[j]
                                    ph[r * c + j] = h
                                    py[r * c + j] = g[j] * h + b[j]
                                }
                            }
                        }
                    }
                }
            }
        }
        var state: [Matrix<Float>]? = nil
        if context.training {
            let unbias = Float(m) / Float(m - 1)
            let rm = Matrix(rows: 1, columns: c, elements: zip(p[s + 2].elements, mean).map { (1 - momentum) * $0 + momentum * $1 })
            let rv = Matrix(rows: 1, columns: c, elements: zip(p[s + 3].elements, variance).map { (1 - momentum) * $0 + momentum * $1 * unbias })
            state = [gamma, beta, rm, rv]
        }
        return LayerRecord(output: Tensor(shape: x.shape, storage: y),
                           saved: [Tensor(shape: x.shape, storage: xhat), Tensor(Matrix(rows: 1, columns: c, elements: invStd))],
                           indices: [context.training ? 1 : 0], state: state)
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let gamma = p[p.startIndex], xhat = record.saved[0], invStd = record.saved[1].elements
        let c = gamma.columns, m = dy.count / c, training = record.indices.first == 1
        var dgamma = [Double](repeating: 0, count: c), dbeta = [Double](repeating: 0, count: c)
        dy.withUnsafeBufferPointer { pdy in
            xhat.withUnsafeBufferPointer { ph in
                for r in 0..<m { for j in 0..<c { let d = Double(pdy[r * c + j]); dbeta[j] += d; dgamma[j] += d * Double(ph[r * c + j]) } }
            }
        }
        let grads = [Matrix(rows: 1, columns: c, elements: dgamma.map(Float.init)), Matrix(rows: 1, columns: c, elements: dbeta.map(Float.init)),
                     Matrix<Float>(rows: 1, columns: c), Matrix<Float>(rows: 1, columns: c)]
        guard needsInputGradient else { return LayerGradients(input: nil, parameters: grads) }
        let g = gamma.elements
        var dx = Matrix<Float>(rows: m, columns: c)
        dx.withUnsafeMutableBufferPointer { pdx in
            dy.withUnsafeBufferPointer { pdy in
                xhat.withUnsafeBufferPointer { ph in
                    for r in 0..<m {
                        for j in 0..<c {
                            let i = r * c + j
                            if training {
                                // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))
                                let mdy = Float(dbeta[j] / Double(m)), mdyh = Float(dgamma[j] / Double(m))
                                pdx[i] = g[j] * invStd[j] * (pdy[i] - mdy - ph[i] * mdyh)
                            } else {
                                pdx[i] = g[j] * invStd[j] * pdy[i]
                            }
                        }
                    }
                }
            }
        }
        return LayerGradients(input: Tensor(shape: dy.shape, storage: dx), parameters: grads)
    }
}

/// Normalises each position over its last axis, then scales and shifts:
/// `y = γ (x − μ) / √(σ² + ε) + β`, the mean and biased variance taken per row.
public struct LayerNormalization: Layer {
    public static let kind = "layer_normalization"
    public var epsilon: Float

    public init(epsilon: Float = 1e-5) { self.epsilon = epsilon }

    public var parameterCount: Int { 2 }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard let c = input.last, c > 0 else { throw NeuralError.shape(layer: "LayerNormalization", reason: "expects at least one feature, got shape \(describe(input))") }
        return input
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] { [(1, input.last ?? 0), (1, input.last ?? 0)] }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        let c = input.last ?? 0
        return [Matrix(rows: 1, columns: c, repeating: 1), Matrix(rows: 1, columns: c)]
    }

    public func forward(_ x: Tensor, parameters p: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let gamma = p[p.startIndex], beta = p[p.startIndex + 1]
        let c = x.shape.last ?? 1, m = x.count / c
        guard gamma.columns == c else { throw NeuralError.shape(layer: "LayerNormalization", reason: "expects \(gamma.columns) features, got \(c)") }
        var xhat = Matrix<Float>(rows: m, columns: c), y = Matrix<Float>(rows: m, columns: c)
        var invStd = Matrix<Float>(rows: m, columns: 1)
        xhat.withUnsafeMutableBufferPointer { ph in
            y.withUnsafeMutableBufferPointer { py in
                invStd.withUnsafeMutableBufferPointer { ps in
                    x.withUnsafeBufferPointer { px in
                        gamma.withUnsafeBufferPointer { g in
                            beta.withUnsafeBufferPointer { b in
                                for r in 0..<m {
                                    var sum = 0.0, sq = 0.0
                                    for j in 0..<c { let v = Double(px[r * c + j]); sum += v; sq += v * v }
                                    let mu = sum / Double(c), v = max(sq / Double(c) - mu * mu, 0)
                                    let inv = Float(1 / (v + Double(epsilon)).squareRoot())
                                    ps[r] = inv
                                    for j in 0..<c {
                                        let h = (px[r * c + j] - Float(mu)) * inv
                                        ph[r * c + j] = h
                                        py[r * c + j] = g[j] * h + b[j]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return LayerRecord(output: Tensor(shape: x.shape, storage: y), saved: [Tensor(shape: x.shape, storage: xhat), Tensor(invStd)])
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let gamma = p[p.startIndex].elements, xhat = record.saved[0], invStd = record.saved[1]
        let c = gamma.count, m = dy.count / c
        var dgamma = [Float](repeating: 0, count: c), dbeta = [Float](repeating: 0, count: c)
        var dx = Matrix<Float>(rows: m, columns: c)
        dx.withUnsafeMutableBufferPointer { pdx in
            dy.withUnsafeBufferPointer { pdy in
                xhat.withUnsafeBufferPointer { ph in
                    invStd.withUnsafeBufferPointer { ps in
                        for r in 0..<m {
                            var mg: Float = 0, mgh: Float = 0
                            for j in 0..<c {
                                let i = r * c + j, d = pdy[i]
                                dbeta[j] += d
                                dgamma[j] += d * ph[i]
                                let gh = d * gamma[j]
                                mg += gh
                                mgh += gh * ph[i]
                            }
                            mg /= Float(c)
                            mgh /= Float(c)
                            for j in 0..<c {
                                let i = r * c + j
                                pdx[i] = ps[r] * (pdy[i] * gamma[j] - mg - ph[i] * mgh)
                            }
                        }
                    }
                }
            }
        }
        return LayerGradients(input: needsInputGradient ? Tensor(shape: dy.shape, storage: dx) : nil,
                              parameters: [Matrix(rows: 1, columns: c, elements: dgamma), Matrix(rows: 1, columns: c, elements: dbeta)])
    }
}
