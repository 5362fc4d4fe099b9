import Foundation
import Testing
import SluiceCompute
import SluiceNeural

/// Every layer's backward pass against central finite differences in Float64 on small
/// shapes (``GradientCheck``: the differences are taken on a Float64 restatement of the
/// forward pass, itself checked against the layer's output).
@Suite("Backward passes match Float64 finite differences")
struct GradientCheckTests {
    /// The layers compute in Float32: their gradients carry its rounding, about 1e-6 relative
    /// per operation; 1e-4 leaves room for the sums of a recurrence without hiding a wrong term.
    static let tolerance = 1e-4
    /// The reference's output against the layer's own Float32 output.
    static let forwardTolerance = 1e-5

    static func check(_ c: GradientCheck, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try c.run()
        let name = type(of: c.layer).kind
        #expect(result.checked > 0, "\(name): nothing compared", sourceLocation: sourceLocation)
        #expect(result.forwardError < forwardTolerance, "\(name): the Float64 reference's output differs by \(result.forwardError)",
                sourceLocation: sourceLocation)
        #expect(result.error < tolerance, "\(name): \(result.worst.map(String.init(describing:)) ?? "")", sourceLocation: sourceLocation)
    }

    func check(_ c: GradientCheck, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try Self.check(c, sourceLocation: sourceLocation)
    }

    @Test("Dense, linear and with each fused activation", arguments: [
        nil, ActivationFunction.tanh, .sigmoid, .gelu, .softmax, .relu, .leakyReLU(slope: 0.1),
    ] as [ActivationFunction?])
    func dense(activation: ActivationFunction?) throws {
        try check(GradientCheck(layer: Dense(4, activation: activation), inputShape: [5]))
    }

    @Test("Dense over the last axis of a sequence")
    func denseSequence() throws {
        try check(GradientCheck(layer: Dense(3), inputShape: [4, 2]))
    }

    @Test("Activations", arguments: [
        AnyLayer(Tanh()), AnyLayer(Sigmoid()), AnyLayer(GELU()), AnyLayer(Softmax()),
        AnyLayer(ReLU()), AnyLayer(LeakyReLU(slope: 0.2)),
    ].map { ($0.layer as any Layer) })
    func activations(layer: any Layer) throws {
        // Inputs away from 0 so ReLU's kink is never within ε.
        var c = GradientCheck(layer: layer, inputShape: [6])
        c.inputRange = 0.1..<1.5
        try check(c)
        c.inputRange = -1.5..<(-0.1)
        try check(c)
    }

    @Test("Dropout: the backward pass uses the forward pass's mask")
    func dropout() throws {
        try check(GradientCheck(layer: Dropout(0.5), inputShape: [10]))
    }

    @Test("Flatten and Reshape pass gradients back in the input's shape")
    func reshaping() throws {
        try check(GradientCheck(layer: Flatten(), inputShape: [2, 3, 2], batch: 2))
        try check(GradientCheck(layer: Reshape([3, 4]), inputShape: [12], batch: 2))
    }

    @Test("Losses, unweighted and with sample weights", arguments: [
        (Loss.meanSquaredError, 3), (.binaryCrossEntropyWithLogits, 1), (.crossEntropyWithLogits, 4),
    ], [false, true])
    func losses(_ shape: (loss: Loss, outputs: Int), weighted: Bool) throws {
        let (loss, outputs) = shape
        let result = try LossGradientCheck(loss: loss, outputs: outputs, weighted: weighted).run()
        #expect(result.forwardError < Self.forwardTolerance, "\(loss): the loss differs from the reference by \(result.forwardError)")
        #expect(result.error < Self.tolerance, "\(loss): \(result.worst.map(String.init(describing:)) ?? "")")
    }

    @Test("A Sequential with nested layers")
    func sequential() throws {
        let model = Sequential {
            Dense(6, activation: .tanh)
            Reshape([2, 3])
            Dense(2)
            Flatten()
            Dense(3)
        }
        try check(GradientCheck(layer: model, inputShape: [4]))
    }
}

@Suite("Backward passes of convolution, pooling, normalisation, embedding and recurrent layers")
struct GradientCheckDeepTests {
    func check(_ c: GradientCheck, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try GradientCheckTests.check(c, sourceLocation: sourceLocation)
    }

    @Test("Conv2D: valid, same, strided, with an activation")
    func conv2d() throws {
        try check(GradientCheck(layer: Conv2D(3, kernelSize: 3), inputShape: [5, 5, 2], batch: 2))
        try check(GradientCheck(layer: Conv2D(2, kernelSize: 3, padding: .same), inputShape: [4, 5, 2], batch: 2))
        try check(GradientCheck(layer: Conv2D(2, kernelSize: (2, 3), stride: (2, 2), padding: .same), inputShape: [5, 6, 1], batch: 2))
        try check(GradientCheck(layer: Conv2D(2, kernelSize: 2, activation: .tanh), inputShape: [3, 3, 2], batch: 2))
        // One input channel: the direct kernel (no im2col), with padding, stride and an activation.
        try check(GradientCheck(layer: Conv2D(3, kernelSize: 3, stride: 2, padding: .same, activation: .tanh),
                                inputShape: [5, 5, 1], batch: 3))
        // 16 and 32 filters: the register-blocked direct kernels, with the fused ReLU.
        try check(GradientCheck(layer: Conv2D(16, kernelSize: 3, padding: .same, activation: .relu), inputShape: [5, 5, 1], batch: 2))
        try check(GradientCheck(layer: Conv2D(32, kernelSize: (2, 3), stride: (2, 1)), inputShape: [5, 4, 1], batch: 2))
    }

    @Test("Conv1D: same, valid and strided, one and several channels")
    func conv1d() throws {
        try check(GradientCheck(layer: Conv1D(3, kernelSize: 2, stride: 1, padding: .same), inputShape: [5, 2], batch: 2))
        try check(GradientCheck(layer: Conv1D(2, kernelSize: 3, stride: 2, activation: .tanh), inputShape: [7, 3], batch: 2))
        try check(GradientCheck(layer: Conv1D(2, kernelSize: 3, padding: .same), inputShape: [6, 1], batch: 2))
    }

    @Test("Pooling: max, average, global average")
    func pooling() throws {
        try check(GradientCheck(layer: MaxPool2D(2), inputShape: [4, 4, 2], batch: 2))
        try check(GradientCheck(layer: MaxPool2D(2, stride: 1, padding: .same), inputShape: [3, 3, 1], batch: 2))
        try check(GradientCheck(layer: AveragePool2D(2), inputShape: [4, 5, 2], batch: 2))
        try check(GradientCheck(layer: GlobalAveragePooling(), inputShape: [3, 4], batch: 2))
        try check(GradientCheck(layer: GlobalAveragePooling(), inputShape: [2, 3, 2], batch: 2))
    }

    @Test("Batch and layer normalisation (training statistics)")
    func normalisation() throws {
        try check(GradientCheck(layer: BatchNormalization(), inputShape: [3], batch: 5))
        try check(GradientCheck(layer: BatchNormalization(), inputShape: [2, 2, 3], batch: 3))
        try check(GradientCheck(layer: LayerNormalization(), inputShape: [4, 5], batch: 2))
    }

    @Test("Embedding: gradients into the table rows of the tokens seen")
    func embedding() throws {
        var c = GradientCheck(layer: Embedding(vocabularySize: 6, dimension: 3), inputShape: [4], batch: 2)
        c.inputs = [0, 5, 2, 2, 1, 1, 3, 0]
        c.checkInput = false
        try check(c)
    }

    @Test("Recurrent layers, last output and full sequence", arguments: [false, true])
    func recurrent(returnSequences: Bool) throws {
        try check(GradientCheck(layer: LSTM(3, returnSequences: returnSequences), inputShape: [4, 2], batch: 2))
        try check(GradientCheck(layer: GRU(3, returnSequences: returnSequences), inputShape: [4, 2], batch: 2))
        try check(GradientCheck(layer: SimpleRNN(3, returnSequences: returnSequences), inputShape: [4, 2], batch: 2))
    }

    @Test("LSTM over a batch of several 32-sample blocks (each block's weight gradients summed)", arguments: [false, true])
    func lstmBlocks(returnSequences: Bool) throws {
        try check(GradientCheck(layer: LSTM(3, returnSequences: returnSequences), inputShape: [3, 2], batch: 70))
    }
}

@Suite("Concatenated branches")
struct ConcatenateTests {
    static var model: Concatenate {
        Concatenate(
            .init(features: 0..<3) { Dense(2, activation: .tanh) },
            .init(features: 3..<7) { Reshape([2, 2]); SimpleRNN(2) }
        )
    }

    @Test("the backward pass through two branches matches finite differences")
    func gradients() throws {
        try GradientCheckTests.check(GradientCheck(layer: Self.model, inputShape: [7]))
    }

    @Test("a tabular + token model round-trips through its JSON configuration")
    func coding() throws {
        let model = Sequential {
            Concatenate(
                .init(features: 0..<2) { Dense(4, activation: .relu) },
                .init(features: 2..<6) { Embedding(vocabularySize: 9, dimension: 3); LSTM(4) }
            )
            Dense(1)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(model)
        let back = try JSONDecoder().decode(Sequential.self, from: data)
        #expect(try back.outputShape(for: [6]) == [1])
        #expect(try encoder.encode(back) == data)
        #expect(throws: NeuralError.self) { try model.outputShape(for: [5]) }
    }
}
