import SluiceCompute
import SluiceNeural

/// Finite-difference checks of a layer's backward pass against a Float64 reference.
///
/// The loss is `L = Σ rᵢ yᵢ` for a fixed random `r`, so `∂L/∂y = r`. The layer's Float32
/// backward pass (given `r`) is compared, coordinate by coordinate of the input and of every
/// trainable parameter, with the central difference `(L₊ − L₋) / 2h` of the layer's forward
/// pass as ``Float64Reference`` restates it in Float64, with `h = 1e-5`: its error (truncation
/// `h²`, rounding `1e-16 / h`) is about 1e-10, so what the check measures is the backward
/// pass itself. Before that, the reference's output must equal the layer's own Float32 output
/// on the same inputs and parameters (``Result/forwardError``): the reference is the same
/// function, not a look-alike.
struct GradientCheck {
    var layer: any Layer
    var inputShape: [Int]
    var batch = 3
    var step = 1e-5
    var seed: UInt64 = 7
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

    struct Result {
        /// The worst `|y₃₂ − y₆₄| / max(1, |y₆₄|)` between the layer's output and the reference's.
        var forwardError: Double
        /// The worst `|a − n| / max(1, |n|)` between the backward pass and the difference.
        var error: Double
        var worst: Mismatch?
        /// How many coordinates were compared.
        var checked: Int
    }

    func run() throws -> Result {
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
        let r = (0..<(batch * outSize)).map { _ in Float(rng.uniform(in: -1..<1)) }

        // The layer, in Float32: its output and its backward pass.
        var ctx = ForwardContext(training: true, rng: SeededGenerator(seed: 99))
        let record = try layer.forward(x, parameters: params[...], context: &ctx)
        let grads = layer.backward(Tensor(shape: [batch] + outShape, storage: Matrix(rows: batch, columns: outSize, elements: r)),
                                   record: record, parameters: params[...], needsInputGradient: checkInput)

        // The reference, in Float64, on the same values.
        let x64 = xs.map(Double.init), p64 = params.map { $0.elements.map(Double.init) }, r64 = r.map(Double.init)
        func reference(_ x: [Double], _ p: [[Double]]) throws -> [Double] {
            var generator = SeededGenerator(seed: 99)
            return try Float64Reference.forward(layer, .init(elements: x, batch: batch, sampleShape: inputShape), p[...],
                                                rng: &generator).elements
        }
        func loss(_ x: [Double], _ p: [[Double]]) throws -> Double {
            zip(try reference(x, p), r64).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let y64 = try reference(x64, p64), y32 = record.output.elements
        precondition(y64.count == y32.count, "the reference gives \(y64.count) outputs, the layer \(y32.count)")
        let forwardError = zip(y32, y64).reduce(0) { max($0, abs(Double($1.0) - $1.1) / max(1, abs($1.1))) }

        var worst: Mismatch? = nil, worstError = 0.0, checked = 0
        func compare(_ what: String, _ analytic: Float, _ plus: Double, _ minus: Double) {
            let numeric = (plus - minus) / (2 * step)
            let e = abs(Double(analytic) - numeric) / max(1, abs(numeric))
            checked += 1
            if e > worstError || worst == nil { worstError = max(e, worstError); worst = Mismatch(what: what, analytic: Double(analytic), numeric: numeric) }
        }
        if checkInput, let dx = grads.input {
            let d = dx.elements
            for i in x64.indices {
                var xp = x64, xm = x64
                xp[i] += step
                xm[i] -= step
                compare("input[\(i)]", d[i], try loss(xp, p64), try loss(xm, p64))
            }
        }
        let mask = layer.trainableMask
        for (k, p) in p64.enumerated() where mask[k] {
            let g = grads.parameters[k].elements
            for i in p.indices {
                var pp = p64, pm = p64
                pp[k][i] += step
                pm[k][i] -= step
                compare("parameter \(k)[\(i)]", g[i], try loss(x64, pp), try loss(x64, pm))
            }
        }
        return Result(forwardError: forwardError, error: worstError, worst: worst, checked: checked)
    }
}

/// The same check for a loss: its gradient with respect to the outputs against the central
/// difference of ``Float64Reference/loss(_:_:outputs:classes:values:weights:)``.
struct LossGradientCheck {
    var loss: Loss
    var outputs: Int
    var batch = 5
    var weighted = false
    var step = 1e-5
    var seed: UInt64 = 3

    func run() throws -> GradientCheck.Result {
        var rng = SeededGenerator(seed: seed)
        let z = (0..<(batch * outputs)).map { _ in Float(rng.uniform(in: -2..<2)) }
        let weights: [Float]? = weighted ? (0..<batch).map { _ in Float(rng.uniform(in: 0.2..<3)) } : nil
        var classes: [Int32]? = nil, values: [Float]? = nil
        let targets: Targets
        switch loss {
        case .meanSquaredError:
            values = (0..<(batch * outputs)).map { _ in Float(rng.uniform(in: -1..<1)) }
            targets = .values(Matrix(rows: batch, columns: outputs, elements: values!))
        case .binaryCrossEntropyWithLogits, .crossEntropyWithLogits:
            let k = loss == .binaryCrossEntropyWithLogits ? 2 : outputs
            classes = (0..<batch).map { Int32($0 % k) }
            targets = .classes(classes!)
        }
        let (value, gradient) = try loss.evaluate(Tensor(Matrix(rows: batch, columns: outputs, elements: z)), targets, weights: weights)
        func reference(_ z: [Double]) -> Double {
            Float64Reference.loss(loss, z, outputs: outputs, classes: classes, values: values?.map(Double.init),
                                  weights: weights?.map(Double.init))
        }
        let z64 = z.map(Double.init), l64 = reference(z64)
        var worst: GradientCheck.Mismatch? = nil, worstError = 0.0
        let g = gradient.elements
        for i in z64.indices {
            var zp = z64, zm = z64
            zp[i] += step
            zm[i] -= step
            let numeric = (reference(zp) - reference(zm)) / (2 * step)
            let e = abs(Double(g[i]) - numeric) / max(1, abs(numeric))
            if e >= worstError { worstError = e; worst = .init(what: "output[\(i)]", analytic: Double(g[i]), numeric: numeric) }
        }
        return .init(forwardError: abs(value - l64) / max(1, abs(l64)), error: worstError, worst: worst, checked: z64.count)
    }
}
