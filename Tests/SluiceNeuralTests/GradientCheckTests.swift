import Foundation
import Testing
import SluiceCompute
import SluiceNeural

/// Every layer's backward pass against central finite differences on small shapes.
@Suite("Backward passes match finite differences")
struct GradientCheckTests {
    static let tolerance = 5e-3

    func check(_ c: GradientCheck) throws {
        let (error, worst) = try c.run()
        #expect(error < Self.tolerance, "\(type(of: c.layer).kind): \(worst.map(String.init(describing:)) ?? "")")
    }

    @Test("Dense, linear and with each fused activation", arguments: [
        nil, ActivationFunction.tanh, .sigmoid, .gelu, .softmax,
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
    func check(_ c: GradientCheck) throws {
        let (error, worst) = try c.run()
        #expect(error < GradientCheckTests.tolerance, "\(type(of: c.layer).kind): \(worst.map(String.init(describing:)) ?? "")")
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
    }

    @Test("Conv1D")
    func conv1d() throws {
        try check(GradientCheck(layer: Conv1D(3, kernelSize: 2, stride: 1, padding: .same), inputShape: [5, 2], batch: 2))
    }

    @Test("Pooling: max, average, global average")
    func pooling() throws {
        try check(GradientCheck(layer: MaxPool2D(2), inputShape: [4, 4, 2], batch: 2, epsilon: 1e-3))
        try check(GradientCheck(layer: MaxPool2D(2, stride: 1, padding: .same), inputShape: [3, 3, 1], batch: 2, epsilon: 1e-3))
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
        let (error, worst) = try GradientCheck(layer: Self.model, inputShape: [7]).run()
        #expect(error < GradientCheckTests.tolerance, "\(worst.map(String.init(describing:)) ?? "")")
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
