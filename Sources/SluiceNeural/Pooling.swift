import CSluiceKernels
import SluiceCompute

/// The largest value of each window, per channel, over `[height, width, channels]` samples.
public struct MaxPool2D: Layer {
    public static let kind = "max_pool2d"
    public var poolSize: [Int]
    public var strides: [Int]
    public var padding: Padding

    /// Windows of `poolSize × poolSize`, moved by `stride` (default: the pool size).
    public init(_ poolSize: Int = 2, stride: Int? = nil, padding: Padding = .valid) {
        self.poolSize = [poolSize, poolSize]
        self.strides = [stride ?? poolSize, stride ?? poolSize]
        self.padding = padding
    }

    func window(_ input: [Int]) -> Window2D {
        Window2D(input: input, kernel: (poolSize[0], poolSize[1]), stride: (strides[0], strides[1]), padding: padding)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try poolShape(input, layer: "MaxPool2D", poolSize: poolSize, strides: strides, window: window(input))
    }

    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape), g = window(x.sampleShape)
        let n = x.batch, c = g.channels, outSize = g.positions * c
        let kw = g.kernelWindow
        var winners: [Int32] = []
        // The kernel writes every output and winner: neither buffer is cleared first.
        let y = Matrix<Float>(rows: n, columns: outSize) { py in
            winners = [Int32](unsafeUninitializedCapacity: n * outSize) { pw, initialized in
                x.withUnsafeBufferPointer { px in
                    let (src, dst, win) = (px.baseAddress!, NeuralSharedPointer(py.baseAddress!), NeuralSharedIndices(pw.baseAddress!))
                    withUnsafePointer(to: kw) { pg in
                        g.forEachSampleChunk(n) { sluice_neural_max_pool_forward(pg, $0, $1, src, dst.pointer, win.pointer) }
                    }
                }
                initialized = n * outSize
            }
        }
        return LayerRecord(output: Tensor(shape: [n] + out, storage: y), indices: winners + x.sampleShape.map { Int32($0) })
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        guard needsInputGradient else { return LayerGradients(input: nil) }
        let inShape = record.indices.suffix(3).map { Int($0) }, inSize = inShape.reduce(1, *)
        let n = dy.batch
        let kw = window(inShape).kernelWindow
        let dx = Matrix<Float>(rows: n, columns: inSize) { pdx in
            dy.withUnsafeBufferPointer { pdy in
                record.indices.withUnsafeBufferPointer { pw in
                    let (src, at, dst) = (pdy.baseAddress!, pw.baseAddress!, NeuralSharedPointer(pdx.baseAddress!))
                    withUnsafePointer(to: kw) { pg in
                        window(inShape).forEachSampleChunk(n) { sluice_neural_max_pool_backward(pg, $0, $1, src, at, dst.pointer) }
                    }
                }
            }
        }
        return LayerGradients(input: Tensor(shape: [n] + inShape, storage: dx))
    }
}

/// The mean of each window, per channel (`valid` windows; `same` windows average only the
/// positions inside the input).
public struct AveragePool2D: Layer {
    public static let kind = "average_pool2d"
    public var poolSize: [Int]
    public var strides: [Int]
    public var padding: Padding

    public init(_ poolSize: Int = 2, stride: Int? = nil, padding: Padding = .valid) {
        self.poolSize = [poolSize, poolSize]
        self.strides = [stride ?? poolSize, stride ?? poolSize]
        self.padding = padding
    }

    func window(_ input: [Int]) -> Window2D {
        Window2D(input: input, kernel: (poolSize[0], poolSize[1]), stride: (strides[0], strides[1]), padding: padding)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try poolShape(input, layer: "AveragePool2D", poolSize: poolSize, strides: strides, window: window(input))
    }

    /// Visits each (output index, input index, 1 / window count) pair of sample `s`.
    func forEachPair(_ g: Window2D, _ body: (Int, Int, Float) -> Void) {
        let c = g.channels
        for oh in 0..<g.outHeight {
            for ow in 0..<g.outWidth {
                let h0 = max(oh * g.strideHeight - g.padTop, 0), h1 = min(oh * g.strideHeight - g.padTop + g.kernelHeight, g.height)
                let w0 = max(ow * g.strideWidth - g.padLeft, 0), w1 = min(ow * g.strideWidth - g.padLeft + g.kernelWidth, g.width)
                let inv = 1 / Float(max(1, (h1 - h0) * (w1 - w0)))
                for ih in h0..<max(h0, h1) {
                    for iw in w0..<max(w0, w1) {
                        for ch in 0..<c { body((oh * g.outWidth + ow) * c + ch, (ih * g.width + iw) * c + ch, inv) }
                    }
                }
            }
        }
    }

    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape), g = window(x.sampleShape)
        let n = x.batch, outSize = out.reduce(1, *)
        var y = Matrix<Float>(rows: n, columns: outSize)
        y.withUnsafeMutableBufferPointer { py in
            x.withUnsafeBufferPointer { px in
                for s in 0..<n {
                    let (src, dst) = (px.baseAddress! + s * g.inputSize, py.baseAddress! + s * outSize)
                    forEachPair(g) { o, i, w in dst[o] += w * src[i] }
                }
            }
        }
        return LayerRecord(output: Tensor(shape: [n] + out, storage: y), indices: x.sampleShape.map { Int32($0) })
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        guard needsInputGradient else { return LayerGradients(input: nil) }
        let inShape = record.indices.map { Int($0) }, g = window(inShape), n = dy.batch, outSize = dy.sampleSize
        var dx = Matrix<Float>(rows: n, columns: g.inputSize)
        dx.withUnsafeMutableBufferPointer { pdx in
            dy.withUnsafeBufferPointer { pdy in
                for s in 0..<n {
                    let (src, dst) = (pdy.baseAddress! + s * outSize, pdx.baseAddress! + s * g.inputSize)
                    forEachPair(g) { o, i, w in dst[i] += w * src[o] }
                }
            }
        }
        return LayerGradients(input: Tensor(shape: [n] + inShape, storage: dx))
    }
}

func poolShape(_ input: [Int], layer: String, poolSize: [Int], strides: [Int], window g: Window2D) throws -> [Int] {
    try requireRank(input, 3, layer: layer, meaning: "[height, width, channels] samples")
    guard poolSize.count == 2, strides.count == 2, poolSize.allSatisfy({ $0 > 0 }), strides.allSatisfy({ $0 > 0 }) else {
        throw NeuralError.invalidConfiguration(component: layer, name: "poolSize/strides", reason: "must be > 0")
    }
    guard g.outHeight > 0, g.outWidth > 0 else {
        throw NeuralError.shape(layer: layer, reason: "window \(poolSize[0])×\(poolSize[1]) does not fit a \(input[0])×\(input[1]) input")
    }
    return [g.outHeight, g.outWidth, g.channels]
}

/// The mean over every axis but the last (channels): `[time, channels]` or
/// `[height, width, channels]` samples become `[channels]`.
public struct GlobalAveragePooling: Layer {
    public static let kind = "global_average_pooling"
    public init() {}

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count >= 2, input.allSatisfy({ $0 > 0 }) else {
            throw NeuralError.shape(layer: "GlobalAveragePooling", reason: "expects samples of rank 2 or more, got shape \(describe(input))")
        }
        return [input[input.count - 1]]
    }

    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape), c = out[0], steps = x.sampleSize / c
        let m = x.storage.reshaped(rows: x.batch * steps, columns: c)
        var y = Matrix<Float>(rows: x.batch, columns: c)
        y.withUnsafeMutableBufferPointer { py in
            m.withUnsafeBufferPointer { pm in
                let inv = 1 / Float(steps)
                for s in 0..<x.batch {
                    for t in 0..<steps { for j in 0..<c { py[s * c + j] += pm[(s * steps + t) * c + j] } }
                    for j in 0..<c { py[s * c + j] *= inv }
                }
            }
        }
        return LayerRecord(output: Tensor(shape: [x.batch, c], storage: y), indices: x.sampleShape.map { Int32($0) })
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        guard needsInputGradient else { return LayerGradients(input: nil) }
        let inShape = record.indices.map { Int($0) }, c = dy.sampleSize, size = inShape.reduce(1, *), steps = size / c
        var dx = Matrix<Float>(rows: dy.batch, columns: size)
        dx.withUnsafeMutableBufferPointer { pdx in
            dy.withUnsafeBufferPointer { pdy in
                let inv = 1 / Float(steps)
                for s in 0..<dy.batch { for t in 0..<steps { for j in 0..<c { pdx[(s * steps + t) * c + j] = pdy[s * c + j] * inv } } }
            }
        }
        return LayerGradients(input: Tensor(shape: [dy.batch] + inShape, storage: dx))
    }
}
