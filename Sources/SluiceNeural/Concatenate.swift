import SluiceCompute

/// Several inputs in one network: each branch reads its own range of the feature vector
/// through its own layers, and the branches' flattened outputs are concatenated.
///
/// A pipeline gives a network one feature vector per row; a tabular + text model routes its
/// numeric columns through one branch and its token columns through another:
/// ```swift
/// Concatenate(
///     .init(features: 0..<8) { Dense(16, activation: .relu) },
///     .init(features: 8..<28) { Embedding(vocabularySize: 500, dimension: 8); LSTM(16) }
/// )
/// Dense(1)
/// ```
public struct Concatenate: Layer {
    public static let kind = "concatenate"

    /// One input of the model: a range of the sample's features and the layers it goes through.
    public struct Branch: Sendable, Codable {
        public var lowerBound: Int
        public var upperBound: Int
        public var model: Sequential

        public init(features: Range<Int>, @LayerBuilder _ layers: () -> [any Layer]) {
            lowerBound = features.lowerBound
            upperBound = features.upperBound
            model = Sequential(layers())
        }

        var features: Range<Int> { lowerBound..<max(lowerBound, upperBound) }
    }

    public var branches: [Branch]

    public init(_ branches: Branch...) { self.branches = branches }
    public init(branches: [Branch]) { self.branches = branches }

    public var parameterCount: Int { branches.reduce(0) { $0 + $1.model.parameterCount } }
    public var trainableMask: [Bool] { branches.flatMap(\.model.trainableMask) }

    func branchInput(_ b: Branch) -> [Int] { [b.features.count] }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try requireRank(input, 1, layer: "Concatenate", meaning: "[features] samples")
        guard !branches.isEmpty else { throw NeuralError.invalidConfiguration(component: "Concatenate", name: "branches", reason: "needs at least one") }
        var total = 0
        for (i, b) in branches.enumerated() {
            guard b.lowerBound >= 0, b.upperBound > b.lowerBound, b.upperBound <= input[0] else {
                throw NeuralError.shape(layer: "Concatenate", reason: "branch \(i) reads features \(b.lowerBound)..<\(b.upperBound), the input has \(input[0])")
            }
            total += try b.model.outputShape(for: branchInput(b)).reduce(1, *)
        }
        return [total]
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] {
        branches.flatMap { $0.model.parameterShapes(for: branchInput($0)) }
    }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        var out = [Matrix<Float>]()
        for b in branches { out += b.model.initialParameters(for: branchInput(b), rng: &rng) }
        return out
    }

    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape)
        var children = [LayerRecord](), start = parameters.startIndex
        var state: [Matrix<Float>]? = nil
        var y = Matrix<Float>(rows: x.batch, columns: out[0])
        var column = 0
        for b in branches {
            let count = b.model.parameterCount
            let input = Tensor(shape: [x.batch, b.features.count], storage: x.storage.columns(b.features).copy())
            let record = try b.model.forward(input, parameters: parameters[start..<(start + count)], context: &context)
            if let s = record.state {
                var all = state ?? Array(parameters)
                for (k, m) in s.enumerated() { all[start - parameters.startIndex + k] = m }
                state = all
            }
            let width = record.output.sampleSize
            y.withUnsafeMutableBufferPointer { py in
                record.output.withUnsafeBufferPointer { pb in
                    for r in 0..<x.batch { (py.baseAddress! + r * out[0] + column).update(from: pb.baseAddress! + r * width, count: width) }
                }
            }
            column += width
            start += count
            children.append(record)
        }
        return LayerRecord(output: Tensor(shape: [x.batch] + out, storage: y), indices: [Int32(x.sampleSize)], children: children, state: state)
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let inputSize = Int(record.indices[0]), n = dy.batch
        var grads = [Matrix<Float>](), start = parameters.startIndex, column = 0
        var dx = needsInputGradient ? Matrix<Float>(rows: n, columns: inputSize) : nil
        for (i, b) in branches.enumerated() {
            let child = record.children[i], width = child.output.sampleSize, count = b.model.parameterCount
            let g = Tensor(shape: child.output.shape, storage: dy.storage.columns(column..<(column + width)).copy())
            let result = b.model.backward(g, record: child, parameters: parameters[start..<(start + count)],
                                          needsInputGradient: needsInputGradient)
            grads += result.parameters
            if let gi = result.input, dx != nil {
                let f = b.features, w = f.count
                dx!.withUnsafeMutableBufferPointer { pdx in
                    gi.withUnsafeBufferPointer { pg in
                        for r in 0..<n { for j in 0..<w { pdx[r * inputSize + f.lowerBound + j] += pg[r * w + j] } }
                    }
                }
            }
            column += width
            start += count
        }
        return LayerGradients(input: dx.map { Tensor($0) }, parameters: grads)
    }
}
