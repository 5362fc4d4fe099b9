import Testing
import SluiceCompute
import SluiceNeural

/// Inference gives a sample the same bits whatever batch it is scored in: the recurrent
/// layers' per-step products (the packed `h · Wh` of `neural_gemm.c`: 6-row register blocks,
/// a partial last block and partial column panels) sum each row in a fixed order.
@Suite("Recurrent inference does not depend on the batch")
struct NeuralRecurrentInvarianceTests {
    @Test("each sample scored alone gives the bits it gets in a batch of 70", arguments: [3, 16, 21])
    func alone(units: Int) throws {
        let model = Sequential {
            LSTM(units, returnSequences: true)
            LSTM(units)
            Dense(2)
        }
        var rng = SeededGenerator(seed: 4)
        let network = try Network(model, inputShape: [5, 3], rng: &rng)
        let n = 70
        let x = Tensor(shape: [n, 5, 3], storage: Matrix(rows: n, columns: 15, elements: (0..<(n * 15)).map { _ in Float(rng.uniform(in: -1..<1)) }))
        let batch = try network.predict(x).elements
        for i in [0, 5, 6, 31, 32, 69] {
            let one = try network.predict(x.gathering([i])).elements
            #expect(one == Array(batch[(2 * i)..<(2 * i + 2)]), "sample \(i)")
        }
    }
}
