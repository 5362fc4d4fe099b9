import CSluiceKernels
import SluiceCompute

/// How a convolution or pooling window treats the border.
public enum Padding: String, Sendable, Codable, Equatable {
    /// No padding: windows lie inside the input, `out = ⌊(in − k) / s⌋ + 1`.
    case valid
    /// Zero padding so that `out = ⌈in / s⌉`; the extra row or column (odd totals) goes at the
    /// bottom and right (TensorFlow's convention).
    case same

    /// The output length and leading padding along one axis.
    func geometry(input: Int, kernel: Int, stride: Int) -> (output: Int, before: Int) {
        switch self {
        case .valid: return (input >= kernel ? (input - kernel) / stride + 1 : 0, 0)
        case .same:
            let out = (input + stride - 1) / stride
            let total = max((out - 1) * stride + kernel - input, 0)
            return (out, total / 2)
        }
    }
}

/// The window geometry of a 2-D convolution or pooling over NHWC samples.
struct Window2D: Sendable {
    var height: Int, width: Int, channels: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideHeight: Int, strideWidth: Int
    var outHeight: Int, outWidth: Int
    var padTop: Int, padLeft: Int

    init(input: [Int], kernel: (Int, Int), stride: (Int, Int), padding: Padding) {
        (height, width, channels) = (input[0], input[1], input[2])
        (kernelHeight, kernelWidth) = kernel
        (strideHeight, strideWidth) = stride
        (outHeight, padTop) = padding.geometry(input: height, kernel: kernelHeight, stride: strideHeight)
        (outWidth, padLeft) = padding.geometry(input: width, kernel: kernelWidth, stride: strideWidth)
    }

    var patchSize: Int { kernelHeight * kernelWidth * channels }
    var inputSize: Int { height * width * channels }
    var positions: Int { outHeight * outWidth }

    /// The geometry as the C kernels take it.
    var kernelWindow: sluice_neural_window {
        sluice_neural_window(height: height, width: width, channels: channels, kernel_h: kernelHeight, kernel_w: kernelWidth,
                             stride_h: strideHeight, stride_w: strideWidth, out_h: outHeight, out_w: outWidth,
                             pad_top: padTop, pad_left: padLeft)
    }

    /// Runs `body(first, last)` over the samples of a batch of `n`, split over the cores.
    /// Every kernel it calls computes each output element on one thread, so the split does not
    /// change the result.
    func forEachSampleChunk(_ n: Int, _ body: (Int, Int) -> Void) {
        Parallel.forEachChunk(of: n, minimumChunk: 8) { body($0.lowerBound, $0.upperBound) }
    }
}

/// A 2-D convolution over `[height, width, channels]` samples (channels last), as one GEMM
/// per batch: the windows are copied into rows (im2col) and multiplied by the
/// `(kernelHeight · kernelWidth · inputChannels) × filters` weight matrix.
public struct Conv2D: Layer {
    public static let kind = "conv2d"
    public var filters: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var padding: Padding
    public var activation: ActivationFunction?
    public var initializer: Initializer

    public init(_ filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
                activation: ActivationFunction? = nil, initializer: Initializer = .glorotUniform) {
        self.init(filters, kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: padding,
                  activation: activation, initializer: initializer)
    }

    public init(_ filters: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                activation: ActivationFunction? = nil, initializer: Initializer = .glorotUniform) {
        self.filters = filters
        self.kernelSize = [kernelSize.0, kernelSize.1]
        self.strides = [stride.0, stride.1]
        self.padding = padding
        self.activation = activation
        self.initializer = initializer
    }

    public var parameterCount: Int { 2 }

    func window(_ input: [Int]) -> Window2D {
        Window2D(input: input, kernel: (kernelSize[0], kernelSize[1]), stride: (strides[0], strides[1]), padding: padding)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 3, layer: "Conv2D", meaning: "[height, width, channels] samples")
        guard filters > 0, kernelSize.count == 2, strides.count == 2, kernelSize.allSatisfy({ $0 > 0 }), strides.allSatisfy({ $0 > 0 }) else {
            throw NeuralError.invalidConfiguration(component: "Conv2D", name: "filters/kernelSize/strides", reason: "must all be > 0")
        }
        let w = window(input)
        guard w.outHeight > 0, w.outWidth > 0, input[2] > 0 else {
            throw NeuralError.shape(layer: "Conv2D", reason: "kernel \(kernelSize[0])×\(kernelSize[1]) does not fit a \(input[0])×\(input[1]) input with \(padding) padding")
        }
        return [w.outHeight, w.outWidth, filters]
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] {
        let patch = kernelSize.reduce(1, *) * (input.count == 3 ? input[2] : 0)
        return [(patch, filters), (1, filters)]
    }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        let s = parameterShapes(for: input)[0], area = kernelSize.reduce(1, *)
        return [initializer.make(rows: s.rows, columns: s.columns, fanIn: s.rows, fanOut: filters * area, rng: &rng),
                Matrix(rows: 1, columns: filters)]
    }

    public func forward(_ x: Tensor, parameters p: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape)
        let w = p[p.startIndex], b = p[p.startIndex + 1], g = window(x.sampleShape)
        guard w.rows == g.patchSize else {
            throw NeuralError.shape(layer: "Conv2D", reason: "expects \(w.rows / max(1, kernelSize.reduce(1, *))) input channels, got \(g.channels)")
        }
        let n = x.batch, rows = n * g.positions, kw = g.kernelWindow, f = filters
        var z: Matrix<Float>
        var saved: [Tensor]
        // The direct kernel applies a ReLU itself (its derivative reads only the output).
        let fusedReLU = g.channels == 1 && activation == .relu
        if g.channels == 1 {
            // One input channel: a direct convolution (k = kernel area is too short a product for
            // a GEMM to pay for im2col and packing); the backward pass reads the input itself.
            z = Matrix<Float>(rows: rows, columns: f) { pz in
                x.withUnsafeBufferPointer { px in
                    w.withUnsafeBufferPointer { pw in
                        b.withUnsafeBufferPointer { pb in
                            let (src, dst) = (px.baseAddress!, NeuralSharedPointer(pz.baseAddress!))
                            withUnsafePointer(to: kw) { pg in
                                g.forEachSampleChunk(n) {
                                    sluice_neural_conv_c1_forward(pg, $0, $1, src, pw.baseAddress!, pb.baseAddress!, f,
                                                                  fusedReLU ? 1 : 0, dst.pointer)
                                }
                            }
                        }
                    }
                }
            }
            saved = [x]
        } else {
            // im2col writes every element (zeros for padding): no need to clear the buffer first.
            let cols = Matrix<Float>(rows: rows, columns: g.patchSize) { pc in
                x.withUnsafeBufferPointer { px in
                    let (src, dst) = (px.baseAddress!, NeuralSharedPointer(pc.baseAddress!))
                    withUnsafePointer(to: kw) { pg in
                        g.forEachSampleChunk(n) { sluice_neural_im2col(pg, $0, $1, src, dst.pointer) }
                    }
                }
            }
            z = Matrix<Float>(rows: rows, columns: f) { pz in
                b.withUnsafeBufferPointer { pb in
                    for r in 0..<rows { (pz.baseAddress! + r * f).initialize(from: pb.baseAddress!, count: f) }
                }
            }
            multiply(cols, w, into: &z, accumulate: true, rowInvariant: context.rowInvariant)
            saved = [x, Tensor(cols)]
        }
        let shape = [n] + out
        guard let a = activation else { return LayerRecord(output: Tensor(shape: shape, storage: z), saved: saved) }
        if !a.needsInput && !fusedReLU {  // the derivative reads only the output: activate in place
            z.withUnsafeMutableBufferPointer { pz in a.apply(pz.baseAddress!, pz.baseAddress!, count: pz.count, rowLength: f) }
        }
        var y = z
        if a.needsInput {
            y = Matrix<Float>(rows: rows, columns: f) { py in
                z.withUnsafeBufferPointer { pz in a.apply(pz.baseAddress!, py.baseAddress!, count: pz.count, rowLength: f) }
            }
        }
        let output = Tensor(shape: shape, storage: y)
        return LayerRecord(output: output, saved: saved + [a.needsInput ? Tensor(shape: shape, storage: z) : output])
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let w = p[p.startIndex]
        let x = record.saved[0], g = window(x.sampleShape), kw = g.kernelWindow, f = filters
        let direct = g.channels == 1  // a direct convolution: no im2col matrix saved
        let rows = x.batch * g.positions
        var dz = dy.storage.reshaped(rows: rows, columns: f)
        if let a = activation {
            let s = record.saved[record.saved.count - 1]
            dz = Matrix<Float>(rows: rows, columns: f) { pd in
                dy.withUnsafeBufferPointer { pdy in
                    s.withUnsafeBufferPointer { ps in
                        a.derivative(dy: pdy.baseAddress!, x: ps.baseAddress!, y: ps.baseAddress!, dx: pd.baseAddress!,
                                     count: pd.count, rowLength: f)
                    }
                }
            }
        }
        var dw: Matrix<Float>
        if direct {
            dw = directFilterGradient(x, dz, window: g)
        } else {
            dw = transposedProduct(record.saved[1].storage, dz)
        }
        let db = columnSums(dz)
        guard needsInputGradient else { return LayerGradients(input: nil, parameters: [dw, db]) }
        let dcols = productTransposed(dz, w)
        let dx = Matrix<Float>(rows: x.batch, columns: x.sampleSize) { pdx in
            dcols.withUnsafeBufferPointer { pc in
                let (src, dst) = (pc.baseAddress!, NeuralSharedPointer(pdx.baseAddress!))
                withUnsafePointer(to: kw) { pg in
                    g.forEachSampleChunk(x.batch) { sluice_neural_col2im(pg, $0, $1, src, dst.pointer) }
                }
            }
        }
        return LayerGradients(input: Tensor(shape: x.shape, storage: dx), parameters: [dw, db])
    }

    /// The weight gradient of the direct (one input channel) convolution: each fixed block of
    /// ``directGradientBlock`` samples sums into its own partial, and the partials are added in
    /// block order, so the result does not depend on the thread count.
    func directFilterGradient(_ x: Tensor, _ dz: Matrix<Float>, window g: Window2D) -> Matrix<Float> {
        let kw = g.kernelWindow, f = filters, k = g.patchSize, n = x.batch
        let blocks = (n + Self.directGradientBlock - 1) / Self.directGradientBlock
        var partials = [Float](repeating: 0, count: blocks * k * f)
        partials.withUnsafeMutableBufferPointer { pp in
            x.withUnsafeBufferPointer { px in
                dz.withUnsafeBufferPointer { pd in
                    let (src, d, out) = (px.baseAddress!, pd.baseAddress!, NeuralSharedPointer(pp.baseAddress!))
                    withUnsafePointer(to: kw) { pg in
                        Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
                            for blk in range {
                                let lo = blk * Self.directGradientBlock, hi = min(n, lo + Self.directGradientBlock)
                                sluice_neural_conv_c1_filter_gradient(pg, lo, hi, src, d, f, out.pointer + blk * k * f)
                            }
                        }
                    }
                }
            }
        }
        return Matrix<Float>(rows: k, columns: f) { out in
            partials.withUnsafeBufferPointer { pp in
                out.baseAddress!.initialize(from: pp.baseAddress!, count: k * f)
                for blk in 1..<max(1, blocks) {
                    let part = pp.baseAddress! + blk * k * f
                    for i in 0..<(k * f) { out[i] += part[i] }
                }
            }
        }
    }

    /// Samples per partial sum of the direct convolution's weight gradient.
    static let directGradientBlock = 16
}

/// A 1-D convolution over `[time, channels]` samples: a ``Conv2D`` over a height of 1.
public struct Conv1D: Layer {
    public static let kind = "conv1d"
    public var filters: Int
    public var kernelSize: Int
    public var stride: Int
    public var padding: Padding
    public var activation: ActivationFunction?
    public var initializer: Initializer

    public init(_ filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
                activation: ActivationFunction? = nil, initializer: Initializer = .glorotUniform) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.activation = activation
        self.initializer = initializer
    }

    var conv: Conv2D {
        Conv2D(filters, kernelSize: (1, kernelSize), stride: (1, stride), padding: padding, activation: activation, initializer: initializer)
    }
    func lift(_ input: [Int]) -> [Int] { input.count == 2 ? [1] + input : input }

    public var parameterCount: Int { 2 }
    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 2, layer: "Conv1D", meaning: "[time, channels] samples")
        return Array(try conv.outputShape(for: lift(input)).dropFirst())
    }
    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] { conv.parameterShapes(for: lift(input)) }
    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        conv.initialParameters(for: lift(input), rng: &rng)
    }
    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        _ = try outputShape(for: x.sampleShape)
        var r = try conv.forward(x.reshaped(sample: lift(x.sampleShape)), parameters: parameters, context: &context)
        r.output = r.output.reshaped(sample: Array(r.output.sampleShape.dropFirst()))
        return r
    }
    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        var g = conv.backward(dy.reshaped(sample: [1] + dy.sampleShape), record: record, parameters: parameters,
                              needsInputGradient: needsInputGradient)
        g.input = g.input.map { $0.reshaped(sample: Array($0.sampleShape.dropFirst())) }
        return g
    }
}
