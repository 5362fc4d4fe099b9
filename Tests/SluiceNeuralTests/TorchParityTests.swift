import Foundation
import Testing
import SluiceCompute
import SluiceNeural

/// PyTorch's results, written by `Scripts/make_expectations.py` (float64 reference).
enum TorchExpectations {
    nonisolated(unsafe) static let all: [String: Any] = {
        guard let url = Bundle.module.url(forResource: "Expectations/torch", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()

    static func entry(_ key: String) -> [String: Any] { all[key] as? [String: Any] ?? [:] }
    static func floats(_ e: [String: Any], _ field: String) -> [Float] { (e[field] as? [Double] ?? []).map(Float.init) }
    static func lists(_ e: [String: Any], _ field: String) -> [[Float]] { (e[field] as? [[Double]] ?? []).map { $0.map(Float.init) } }
}

/// Within 1e-4, absolute for small values and relative for large.
func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4) -> Bool {
    a.count == b.count && !a.isEmpty && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

@Suite("Same weights and inputs give PyTorch's outputs and gradients")
struct TorchParityTests {
    /// Runs `layer` on the case's input and parameters; checks the output, the input gradient
    /// and each parameter gradient for `dL/dy = r`.
    func check(_ key: String, _ layer: any Layer, training: Bool = true, inputGradient: Bool = true) throws {
        let e = TorchExpectations.entry(key)
        try #require(!e.isEmpty, "missing expectation \(key)")
        let inputShape = e["input_shape"] as? [Int] ?? [], batch = e["batch"] as? Int ?? 0
        let shapes = layer.parameterShapes(for: inputShape)
        let params = zip(shapes, TorchExpectations.lists(e, "params")).map { Matrix<Float>(rows: $0.rows, columns: $0.columns, elements: $1) }
        let xs = TorchExpectations.floats(e, "x")
        let x = Tensor(shape: [batch] + inputShape, storage: Matrix(rows: batch, columns: xs.count / batch, elements: xs))
        var ctx = ForwardContext(training: training)
        let record = try layer.forward(x, parameters: params[...], context: &ctx)
        #expect(close(record.output.elements, TorchExpectations.floats(e, "y")), "\(key): output")
        guard e["r"] != nil else { return }
        let r = TorchExpectations.floats(e, "r")
        let dy = Tensor(shape: record.output.shape, storage: Matrix(rows: batch, columns: r.count / batch, elements: r))
        let g = layer.backward(dy, record: record, parameters: params[...], needsInputGradient: inputGradient)
        if inputGradient { #expect(close(g.input?.elements ?? [], TorchExpectations.floats(e, "dx")), "\(key): input gradient") }
        for (i, expected) in TorchExpectations.lists(e, "grads").enumerated() {
            #expect(close(g.parameters[i].elements, expected), "\(key): gradient of parameter \(i)")
        }
        if let running = e["running"] as? [[Double]], let state = record.state {
            #expect(close(state[2].elements, running[0].map(Float.init)), "\(key): running mean")
            #expect(close(state[3].elements, running[1].map(Float.init)), "\(key): running variance")
        }
    }

    @Test("Dense") func dense() throws { try check("dense", Dense(3)) }

    @Test("Conv2D: valid, same and strided")
    func conv2d() throws {
        for key in ["conv2d_valid", "conv2d_same", "conv2d_stride2"] {
            let e = TorchExpectations.entry(key)
            let layer = Conv2D(e["filters"] as? Int ?? 0, kernelSize: e["kernel"] as? Int ?? 0, stride: e["stride"] as? Int ?? 1,
                               padding: Padding(rawValue: e["padding"] as? String ?? "") ?? .valid)
            try check(key, layer)
        }
    }

    @Test("LSTM and GRU, last output and full sequence")
    func recurrent() throws {
        try check("lstm_last", LSTM(6))
        try check("lstm_sequence", LSTM(6, returnSequences: true))
        try check("gru_last", GRU(6))
        try check("gru_sequence", GRU(6, returnSequences: true))
    }

    @Test("BatchNormalization: batch statistics and running update in training, running statistics in inference")
    func batchNorm() throws {
        try check("batchnorm_train", BatchNormalization())
        try check("batchnorm_eval", BatchNormalization(), training: false)
    }

    @Test("Embedding") func embedding() throws { try check("embedding", Embedding(vocabularySize: 7, dimension: 3), inputGradient: false) }

    @Test("Losses: weighted cross-entropy and binary cross-entropy with logits")
    func losses() throws {
        let ce = TorchExpectations.entry("cross_entropy_weighted")
        let z = TorchExpectations.floats(ce, "z")
        let (l, g) = try Loss.crossEntropyWithLogits.evaluate(Tensor(Matrix(rows: 5, columns: 3, elements: z)),
                                                              .classes((ce["labels"] as? [Int] ?? []).map { Int32($0) }),
                                                              weights: TorchExpectations.floats(ce, "weights"))
        #expect(abs(l - (ce["loss"] as? Double ?? .nan)) < 1e-5)
        #expect(close(g.elements, TorchExpectations.floats(ce, "grad")))
        let bce = TorchExpectations.entry("binary_cross_entropy")
        let (l2, g2) = try Loss.binaryCrossEntropyWithLogits.evaluate(Tensor(Matrix(rows: 6, columns: 1, elements: TorchExpectations.floats(bce, "z"))),
                                                                      .classes((bce["labels"] as? [Int] ?? []).map { Int32($0) }), weights: nil)
        #expect(abs(l2 - (bce["loss"] as? Double ?? .nan)) < 1e-5)
        #expect(close(g2.elements, TorchExpectations.floats(bce, "grad")))
    }

    @Test("Optimizers take torch.optim's steps", arguments: [
        ("adam", Optimizer.adam(learningRate: 0.01)),
        ("adamw", .adamW(learningRate: 0.01, weightDecay: 0.1)),
        ("sgd_nesterov", .sgd(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01)),
        ("rmsprop", .rmsprop(learningRate: 0.01)),
    ])
    func optimizers(name: String, optimizer: Optimizer) throws {
        let e = TorchExpectations.entry("optimizer_\(name)")
        var p = [Matrix<Float>(rows: 2, columns: 3, elements: TorchExpectations.floats(e, "start"))]
        var state = OptimizerState(count: 1)
        for g in TorchExpectations.lists(e, "gradients") {
            optimizer.update(&p, gradients: [Matrix(rows: 2, columns: 3, elements: g)], mask: [true],
                             learningRate: optimizer.learningRate, state: &state)
        }
        #expect(close(p[0].elements, TorchExpectations.floats(e, "end"), tolerance: 1e-5))
    }
}
