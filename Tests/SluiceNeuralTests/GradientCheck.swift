import SluiceCompute
import SluiceNeural

/// Finite-difference checks of a layer's backward pass.
///
/// The loss is `L = Σ rᵢ yᵢ` for a fixed random `r`, accumulated in Float64, so `∂L/∂y = r`.
/// Each checked coordinate of the input and of every parameter is moved by `±ε` and the
/// central difference `(L₊ − L₋) / 2ε` compared with the backward pass's gradient.
struct GradientCheck {
    var layer: any Layer
    var inputShape: [Int]
    var batch = 3
    var epsilon: Float = 1e-2
    var seed: UInt64 = 7
    /// Inputs drawn from this range (keep ReLU-like kinks away: the checker skips nothing).
    var inputRange: Range<Double> = -1..<1
    /// Inputs overriding the draw (embedding indices).
    var inputs: [Float]? = nil
    var checkInput = true

    struct Mismatch: CustomStringConvertible {
        var what: String
        var analytic: Double
        var numeric: Double
        var description: String { "\(what): backward \(analytic), finite difference \(numeric)" }
    }

    /// The worst relative error `|a − n| / max(1, |a|, |n|)` and where it was, over all coordinates.
    func run() throws -> (error: Double, worst: Mismatch?) {
        var rng = SeededGenerator(seed: seed)
        let params = layer.initialParameters(for: inputShape, rng: &rng).map { p -> Matrix<Float> in
            // Perturb zero-initialised biases and state so their gradients are exercised.
            var q = p
            q.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] += Float(rng.uniform(in: -0.5..<0.5)) * (b[i] == 0 ? 1 : 0.1) } }
            return q
        }
        let size = inputShape.reduce(1, *)
        let xs = inputs ?? (0..<(batch * size)).map { _ in Float(rng.uniform(in: inputRange)) }
        let x = Tensor(shape: [batch] + inputShape, storage: Matrix(rows: batch, columns: size, elements: xs))
        let outShape = try layer.outputShape(for: inputShape)
        let outSize = outShape.reduce(1, *)
        let r = Matrix<Float>(rows: batch, columns: outSize, elements: (0..<(batch * outSize)).map { _ in Float(rng.uniform(in: -1..<1)) })

        func loss(_ x: Tensor, _ p: [Matrix<Float>]) throws -> Double {
            var ctx = ForwardContext(training: true, rng: SeededGenerator(seed: 99))
            let y = try layer.forward(x, parameters: p[...], context: &ctx).output
            var s = 0.0
            y.withUnsafeBufferPointer { py in r.withUnsafeBufferPointer { pr in for i in py.indices { s += Double(py[i]) * Double(pr[i]) } } }
            return s
        }
        var ctx = ForwardContext(training: true, rng: SeededGenerator(seed: 99))
        let record = try layer.forward(x, parameters: params[...], context: &ctx)
        let grads = layer.backward(Tensor(shape: [batch] + outShape, storage: r), record: record, parameters: params[...],
                                   needsInputGradient: checkInput)
        var worst: Mismatch? = nil, worstError = 0.0
        func compare(_ what: String, _ analytic: Float, _ plus: Double, _ minus: Double) {
            let numeric = (plus - minus) / (2 * Double(epsilon))
            let e = abs(Double(analytic) - numeric) / max(1, abs(Double(analytic)), abs(numeric))
            if e > worstError { worstError = e; worst = Mismatch(what: what, analytic: Double(analytic), numeric: numeric) }
        }
        if checkInput, let dx = grads.input {
            for i in 0..<x.count {
                var xp = x.storage, xm = x.storage
                xp.withUnsafeMutableBufferPointer { $0[i] += epsilon }
                xm.withUnsafeMutableBufferPointer { $0[i] -= epsilon }
                compare("input[\(i)]", dx.elements[i], try loss(Tensor(shape: x.shape, storage: xp), params),
                        try loss(Tensor(shape: x.shape, storage: xm), params))
            }
        }
        let mask = layer.trainableMask
        for (k, p) in params.enumerated() where mask[k] {
            let g = grads.parameters[k].elements
            for i in 0..<p.count {
                var pp = params, pm = params
                pp[k].withUnsafeMutableBufferPointer { $0[i] += epsilon }
                pm[k].withUnsafeMutableBufferPointer { $0[i] -= epsilon }
                compare("parameter \(k)[\(i)]", g[i], try loss(x, pp), try loss(x, pm))
            }
        }
        return (worstError, worst)
    }
}
