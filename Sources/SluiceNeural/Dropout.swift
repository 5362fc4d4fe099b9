import SluiceCompute

/// Inverted dropout: while training, each element is zeroed with probability `rate` and the
/// rest scaled by `1 / (1 − rate)`; at inference the layer passes its input through.
///
/// The mask draws one `SeededGenerator.nextFloat()` per element in row-major order from the
/// forward context's generator (split from the fit's seed): an element is dropped when its
/// draw is below `rate`.
public struct Dropout: Layer {
    public static let kind = "dropout"
    public var rate: Float

    public init(_ rate: Float) { self.rate = rate }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard rate >= 0 && rate < 1 else {
            throw NeuralError.invalidConfiguration(component: "Dropout", name: "rate", reason: "must be in [0, 1), got \(rate)")
        }
        return input
    }

    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        guard context.training, rate > 0 else { return LayerRecord(output: x) }
        let keep = 1 / (1 - rate)
        var mask = Matrix<Float>(rows: x.batch, columns: x.sampleSize)
        mask.withUnsafeMutableBufferPointer { pm in
            for i in pm.indices { pm[i] = context.rng.nextFloat() < rate ? 0 : keep }
        }
        var y = x.storage
        y.multiply(elementwiseBy: mask)
        return LayerRecord(output: Tensor(shape: x.shape, storage: y), saved: [Tensor(shape: x.shape, storage: mask)])
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        guard needsInputGradient else { return LayerGradients(input: nil) }
        guard let mask = record.saved.first else { return LayerGradients(input: dy) }
        var g = dy.storage
        g.multiply(elementwiseBy: mask.storage)
        return LayerGradients(input: Tensor(shape: dy.shape, storage: g))
    }
}

/// Flattens each sample to one axis; no copy.
public struct Flatten: Layer {
    public static let kind = "flatten"
    public init() {}
    public func outputShape(for input: [Int]) throws -> [Int] { [input.reduce(1, *)] }
    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        LayerRecord(output: x.reshaped(sample: [x.sampleSize]), saved: [], indices: x.sampleShape.map { Int32($0) })
    }
    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        LayerGradients(input: needsInputGradient ? dy.reshaped(sample: record.indices.map { Int($0) }) : nil)
    }
}

/// Gives each sample a new shape with the same element count (`Reshape([8, 8, 1])` turns 64
/// pixel columns into an image, channels last); no copy.
public struct Reshape: Layer {
    public static let kind = "reshape"
    public var shape: [Int]
    public init(_ shape: [Int]) { self.shape = shape }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == input.reduce(1, *) else {
            throw NeuralError.shape(layer: "Reshape", reason: "cannot reshape \(describe(input)) (\(input.reduce(1, *)) values) to \(describe(shape)) (\(shape.reduce(1, *)) values)")
        }
        return shape
    }

    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        _ = try outputShape(for: x.sampleShape)
        return LayerRecord(output: x.reshaped(sample: shape), indices: x.sampleShape.map { Int32($0) })
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        LayerGradients(input: needsInputGradient ? dy.reshaped(sample: record.indices.map { Int($0) }) : nil)
    }
}
