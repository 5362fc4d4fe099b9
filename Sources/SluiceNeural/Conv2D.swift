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

    /// Copies every window of samples `range` of `x` into rows of `cols` (`positions` rows per
    /// sample, `patchSize` columns ordered kernel row, kernel column, channel); zeros outside.
    func im2col(_ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, samples range: Range<Int>) {
        let c = channels, rowLength = patchSize
        for n in range {
            let xs = x + n * inputSize
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    let row = cols + ((n * outHeight + oh) * outWidth + ow) * rowLength
                    var k = 0
                    for ki in 0..<kernelHeight {
                        let ih = oh * strideHeight + ki - padTop
                        for kj in 0..<kernelWidth {
                            let iw = ow * strideWidth + kj - padLeft
                            if ih >= 0 && ih < height && iw >= 0 && iw < width {
                                (row + k).update(from: xs + (ih * width + iw) * c, count: c)
                            } else {
                                (row + k).update(repeating: 0, count: c)
                            }
                            k += c
                        }
                    }
                }
            }
        }
    }

    /// Adds each row of `cols` back into the input positions its window read (`dx` zeroed first).
    func col2im(_ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, samples range: Range<Int>) {
        let c = channels, rowLength = patchSize
        for n in range {
            let xs = dx + n * inputSize
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    let row = cols + ((n * outHeight + oh) * outWidth + ow) * rowLength
                    var k = 0
                    for ki in 0..<kernelHeight {
                        let ih = oh * strideHeight + ki - padTop
                        for kj in 0..<kernelWidth {
                            let iw = ow * strideWidth + kj - padLeft
                            if ih >= 0 && ih < height && iw >= 0 && iw < width {
                                let dst = xs + (ih * width + iw) * c
                                for j in 0..<c { dst[j] += row[k + j] }
                            }
                            k += c
                        }
                    }
                }
            }
        }
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
        let n = x.batch, rows = n * g.positions
        // im2col writes every element (zeros for padding): no need to clear the buffer first.
        let cols = Matrix<Float>(rows: rows, columns: g.patchSize) { pc in
            x.withUnsafeBufferPointer { px in
                let (src, dst) = (px.baseAddress!, pc.baseAddress!)
                Parallel.forEachChunk(of: n, minimumChunk: 8) { g.im2col(src, dst, samples: $0) }
            }
        }
        var z = Matrix<Float>(rows: rows, columns: filters)
        z.withUnsafeMutableBufferPointer { pz in
            b.withUnsafeBufferPointer { pb in
                for r in 0..<rows { (pz.baseAddress! + r * filters).update(from: pb.baseAddress!, count: filters) }
            }
        }
        multiply(cols, w, into: &z, accumulate: true, rowInvariant: context.rowInvariant)
        let shape = [n] + out
        guard let f = activation else { return LayerRecord(output: Tensor(shape: shape, storage: z), saved: [Tensor(cols), x]) }
        if !f.needsInput {  // the derivative reads only the output: activate in place
            z.withUnsafeMutableBufferPointer { pz in f.apply(pz.baseAddress!, pz.baseAddress!, count: pz.count, rowLength: filters) }
        }
        var y = z
        if f.needsInput {
            y = Matrix<Float>(rows: rows, columns: filters)
            y.withUnsafeMutableBufferPointer { py in
                z.withUnsafeBufferPointer { pz in f.apply(pz.baseAddress!, py.baseAddress!, count: pz.count, rowLength: filters) }
            }
        }
        let output = Tensor(shape: shape, storage: y)
        return LayerRecord(output: output, saved: [Tensor(cols), x, f.needsInput ? Tensor(shape: shape, storage: z) : output])
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let w = p[p.startIndex], cols = record.saved[0].storage, x = record.saved[1], g = window(x.sampleShape)
        let rows = cols.rows
        var dz = dy.storage.reshaped(rows: rows, columns: filters)
        if let f = activation {
            let s = record.saved[2]
            var d = Matrix<Float>(rows: rows, columns: filters)
            d.withUnsafeMutableBufferPointer { pd in
                dz.withUnsafeBufferPointer { pdy in
                    s.withUnsafeBufferPointer { ps in
                        f.derivative(dy: pdy.baseAddress!, x: ps.baseAddress!, y: ps.baseAddress!, dx: pd.baseAddress!,
                                     count: pd.count, rowLength: filters)
                    }
                }
            }
            dz = d
        }
        var dw = Matrix<Float>(rows: w.rows, columns: filters)
        dw.gemm(cols.transposed, dz)
        let db = columnSums(dz)
        guard needsInputGradient else { return LayerGradients(input: nil, parameters: [dw, db]) }
        var dcols = Matrix<Float>(rows: rows, columns: g.patchSize)
        dcols.gemm(dz, w.transposed)
        var dx = Matrix<Float>(rows: x.batch, columns: x.sampleSize)
        dx.withUnsafeMutableBufferPointer { pdx in
            dcols.withUnsafeBufferPointer { pc in
                let (src, dst) = (pc.baseAddress!, pdx.baseAddress!)
                Parallel.forEachChunk(of: x.batch, minimumChunk: 8) { g.col2im(src, dst, samples: $0) }
            }
        }
        return LayerGradients(input: Tensor(shape: x.shape, storage: dx), parameters: [dw, db])
    }
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
