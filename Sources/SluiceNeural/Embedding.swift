import SluiceCompute

/// Looks up one learned vector per token: `[time]` samples of token indices (as floats,
/// whole numbers in `0..<vocabularySize`) become `[time, dimension]`.
///
/// The table is drawn `N(0, 1)` as PyTorch's `nn.Embedding`. The backward pass adds each
/// output gradient row into its token's row of the table; indices have no gradient.
public struct Embedding: Layer {
    public static let kind = "embedding"
    public var vocabularySize: Int
    public var dimension: Int

    public init(vocabularySize: Int, dimension: Int) {
        self.vocabularySize = vocabularySize
        self.dimension = dimension
    }

    public var parameterCount: Int { 1 }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard vocabularySize > 0, dimension > 0 else {
            throw NeuralError.invalidConfiguration(component: "Embedding", name: "vocabularySize/dimension", reason: "must be > 0")
        }
        try requireRank(input, 1, layer: "Embedding", meaning: "[time] token indices")
        return [input[0], dimension]
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] { [(vocabularySize, dimension)] }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        [.normal(rows: vocabularySize, columns: dimension, using: &rng)]
    }

    public func forward(_ x: Tensor, parameters p: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape), table = p[p.startIndex], d = dimension
        var tokens = [Int32](repeating: 0, count: x.count)
        try x.withUnsafeBufferPointer { px in
            for i in px.indices {
                let v = px[i]
                guard v >= 0, v < Float(vocabularySize), v.rounded(.towardZero) == v else {
                    throw NeuralError.invalidInput(layer: "Embedding", reason: "token \(v) at sample \(i / max(1, x.sampleSize)), position \(i % max(1, x.sampleSize)) is not a whole number in 0..<\(vocabularySize)")
                }
                tokens[i] = Int32(v)
            }
        }
        var y = Matrix<Float>(rows: x.batch, columns: x.sampleSize * d)
        y.withUnsafeMutableBufferPointer { py in
            table.withUnsafeBufferPointer { pt in
                for (i, t) in tokens.enumerated() { (py.baseAddress! + i * d).update(from: pt.baseAddress! + Int(t) * d, count: d) }
            }
        }
        return LayerRecord(output: Tensor(shape: [x.batch] + out, storage: y), indices: tokens)
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let d = dimension
        var dt = Matrix<Float>(rows: vocabularySize, columns: d)
        dt.withUnsafeMutableBufferPointer { pt in
            dy.withUnsafeBufferPointer { pdy in
                for (i, t) in record.indices.enumerated() {
                    let dst = pt.baseAddress! + Int(t) * d, src = pdy.baseAddress! + i * d
                    for j in 0..<d { dst[j] += src[j] }
                }
            }
        }
        let input = needsInputGradient ? Tensor(zeros: [dy.batch, record.indices.count / max(1, dy.batch)]) : nil
        return LayerGradients(input: input, parameters: [dt])
    }
}
