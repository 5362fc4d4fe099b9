import SluiceCompute

/// A fully connected layer over the last axis: `y = f(x · W + b)`, `W` is `inputs × units`.
///
/// Inputs of rank 2 or more per sample (a sequence) are treated as rows of their last axis.
/// The optional fused activation saves one pass over the output.
public struct Dense: Layer {
    public static let kind = "dense"
    /// Output width.
    public var units: Int
    /// An activation applied to the output (nil: linear, e.g. logits).
    public var activation: ActivationFunction?
    /// Whether the layer adds a bias.
    public var useBias: Bool
    /// How the weights are drawn (the bias starts at zero).
    public var initializer: Initializer

    public init(_ units: Int, activation: ActivationFunction? = nil, useBias: Bool = true,
                initializer: Initializer = .glorotUniform) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.initializer = initializer
    }

    public var parameterCount: Int { useBias ? 2 : 1 }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard units > 0 else { throw NeuralError.invalidConfiguration(component: "Dense", name: "units", reason: "must be > 0, got \(units)") }
        guard let last = input.last, last > 0 else {
            throw NeuralError.shape(layer: "Dense", reason: "expects at least one input feature, got shape \(describe(input))")
        }
        _ = last
        return input.dropLast() + [units]
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] {
        let w = (rows: input.last ?? 0, columns: units)
        return useBias ? [w, (1, units)] : [w]
    }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        let n = input.last ?? 1
        let w = initializer.make(rows: n, columns: units, fanIn: n, fanOut: units, rng: &rng)
        return useBias ? [w, Matrix(rows: 1, columns: units)] : [w]
    }

    /// Checks that the input's last axis is the weights' width.
    func check(_ x: Tensor, _ w: Matrix<Float>) throws {
        let last = x.shape.last ?? 0
        guard last == w.rows else {
            throw NeuralError.shape(layer: "Dense", reason: "expects \(w.rows) inputs, got \(last)")
        }
    }

    public func forward(_ x: Tensor, parameters p: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let w = p[p.startIndex]
        try check(x, w)
        let rows = x.count / w.rows
        let x2 = x.storage.reshaped(rows: rows, columns: w.rows)
        var z = Matrix<Float>(rows: rows, columns: units)
        if useBias {
            let b = p[p.startIndex + 1]
            z.withUnsafeMutableBufferPointer { pz in
                b.withUnsafeBufferPointer { pb in
                    for r in 0..<rows { (pz.baseAddress! + r * units).update(from: pb.baseAddress!, count: units) }
                }
            }
        }
        multiply(x2, w, into: &z, accumulate: useBias, rowInvariant: context.rowInvariant)
        let shape = Array(x.shape.dropLast()) + [units]
        guard let f = activation else { return LayerRecord(output: Tensor(shape: shape, storage: z), saved: [x]) }
        if !f.needsInput {  // the derivative reads only the output: activate in place
            z.withUnsafeMutableBufferPointer { pz in f.apply(pz.baseAddress!, pz.baseAddress!, count: pz.count, rowLength: units) }
        }
        var y = z
        if f.needsInput {
            y = Matrix<Float>(rows: rows, columns: units)
            y.withUnsafeMutableBufferPointer { py in
                z.withUnsafeBufferPointer { pz in f.apply(pz.baseAddress!, py.baseAddress!, count: pz.count, rowLength: units) }
            }
        }
        let out = Tensor(shape: shape, storage: y)
        return LayerRecord(output: out, saved: [x, f.needsInput ? Tensor(shape: shape, storage: z) : out])
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let w = p[p.startIndex], x = record.saved[0]
        let rows = x.count / w.rows
        var dz = dy.storage.reshaped(rows: rows, columns: units)
        if let f = activation {
            let s = record.saved[1]
            var d = Matrix<Float>(rows: rows, columns: units)
            d.withUnsafeMutableBufferPointer { pd in
                dz.withUnsafeBufferPointer { pdy in
                    s.withUnsafeBufferPointer { ps in
                        f.derivative(dy: pdy.baseAddress!, x: ps.baseAddress!, y: ps.baseAddress!, dx: pd.baseAddress!,
                                     count: pd.count, rowLength: units)
                    }
                }
            }
            dz = d
        }
        let x2 = x.storage.reshaped(rows: rows, columns: w.rows)
        var grads = [transposedProduct(x2, dz)]
        if useBias { grads.append(columnSums(dz)) }
        var dx: Tensor? = nil
        if needsInputGradient {
            dx = Tensor(shape: x.shape, storage: productTransposed(dz, w))
        }
        return LayerGradients(input: dx, parameters: grads)
    }
}

/// The column sums of `m` as a `1 × columns` matrix.
func columnSums(_ m: Matrix<Float>) -> Matrix<Float> {
    var out = Matrix<Float>(rows: 1, columns: m.columns)
    let (r, c) = (m.rows, m.columns)
    out.withUnsafeMutableBufferPointer { po in
        m.withUnsafeBufferPointer { pm in
            for i in 0..<r {
                let row = pm.baseAddress! + i * c
                for j in 0..<c { po[j] += row[j] }
            }
        }
    }
    return out
}
