import SluiceCompute
import SluicePipeline

/// A built network: its layers, the sample shape it takes, and every parameter in one flat
/// list (the layers' slices in order). Codable: in an artifact the layers are JSON and the
/// parameters raw `f32` tensors.
public struct Network: Sendable, Codable {
    /// The layers.
    public var model: Sequential
    /// One sample's input shape.
    public var inputShape: [Int]
    /// One sample's output shape.
    public var outputShape: [Int]
    /// Every parameter, in layer order.
    public var parameters: [Matrix<Float>]

    /// Builds `model` for samples of `inputShape`, drawing initial weights from `rng`.
    public init(_ model: Sequential, inputShape: [Int], rng: inout SeededGenerator) throws {
        self.model = model
        self.inputShape = inputShape
        outputShape = try model.outputShape(for: inputShape)
        parameters = model.initialParameters(for: inputShape, rng: &rng)
    }

    /// Which parameters train (not state).
    public var trainableMask: [Bool] { model.trainableMask }

    /// The number of trainable scalars.
    public var trainableParameterCount: Int {
        zip(parameters, trainableMask).reduce(0) { $0 + ($1.1 ? $1.0.count : 0) }
    }

    func checkInput(_ x: Tensor) throws {
        guard x.sampleShape == inputShape else {
            throw NeuralError.shape(layer: "network", reason: "expects samples of shape \(describe(inputShape)), got \(describe(x.sampleShape))")
        }
    }

    /// The forward pass over a batch, with every layer's record.
    public func forward(_ x: Tensor, context: inout ForwardContext) throws -> LayerRecord {
        try checkInput(x)
        return try model.forward(x, parameters: parameters[...], context: &context)
    }

    /// The gradient of the loss with respect to every parameter, from the output gradient `dy`.
    public func backward(_ dy: Tensor, record: LayerRecord) -> [Matrix<Float>] {
        model.backward(dy, record: record, parameters: parameters[...], needsInputGradient: false).parameters
    }

    /// Stores the state a training forward pass updated (running statistics).
    mutating func store(state: [Matrix<Float>]?) {
        guard let state else { return }
        let mask = trainableMask
        for i in parameters.indices where !mask[i] { parameters[i] = state[i] }
    }

    /// Inference over `x` in batches of `batchSize`: one output row per sample.
    public func predict(_ x: Tensor, batchSize: Int = 1024) throws -> Tensor {
        try checkInput(x)
        let n = x.batch, width = outputShape.reduce(1, *)
        var out = Matrix<Float>(rows: n, columns: width)
        var context = ForwardContext(training: false, rowInvariant: true)
        let step = max(1, batchSize)
        for start in stride(from: 0, to: n, by: step) {
            let end = min(n, start + step)
            let batch = n <= step ? x : x.slicing(start..<end)
            let y = try model.forward(batch, parameters: parameters[...], context: &context).output
            out.withUnsafeMutableBufferPointer { po in
                y.withUnsafeBufferPointer { py in
                    (po.baseAddress! + start * width).update(from: py.baseAddress!, count: py.count)
                }
            }
        }
        return Tensor(shape: [n] + outputShape, storage: out)
    }

    /// Checks decoded state: the layers build for the input shape, every parameter has the
    /// shape its layer needs, and all are finite.
    public func validate(kind: String) throws {
        let expectedShape: [Int]
        do { expectedShape = try model.outputShape(for: inputShape) } catch {
            throw FittedStateError(kind, field: "network", "\(error)")
        }
        guard expectedShape == outputShape else {
            throw FittedStateError(kind, field: "outputShape", "\(describe(outputShape)) but the layers give \(describe(expectedShape))")
        }
        let shapes = model.parameterShapes(for: inputShape)
        guard shapes.count == parameters.count, shapes.count == model.parameterCount else {
            throw FittedStateError(kind, field: "parameters", "\(parameters.count) matrices for layers that need \(shapes.count)")
        }
        for (i, (s, p)) in zip(shapes, parameters).enumerated() {
            guard s.rows == p.rows, s.columns == p.columns else {
                throw FittedStateError(kind, field: "parameters[\(i)]", "is \(p.rows)×\(p.columns), its layer needs \(s.rows)×\(s.columns)")
            }
            let finite = p.withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) }
            guard finite else { throw FittedStateError(kind, field: "parameters[\(i)]", "not finite") }
        }
    }
}
