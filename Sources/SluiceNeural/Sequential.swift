import SluiceCompute

/// Builds a list of layers from a block: `Sequential { Dense(64); ReLU(); Dense(10) }`.
@resultBuilder
public enum LayerBuilder {
    public static func buildPartialBlock(first: some Layer) -> [any Layer] { [first] }
    public static func buildPartialBlock(first: [any Layer]) -> [any Layer] { first }
    public static func buildPartialBlock(accumulated: [any Layer], next: some Layer) -> [any Layer] { accumulated + [next] }
    public static func buildPartialBlock(accumulated: [any Layer], next: [any Layer]) -> [any Layer] { accumulated + next }
    public static func buildOptional(_ component: [any Layer]?) -> [any Layer] { component ?? [] }
    public static func buildEither(first component: [any Layer]) -> [any Layer] { component }
    public static func buildEither(second component: [any Layer]) -> [any Layer] { component }
    public static func buildArray(_ components: [[any Layer]]) -> [any Layer] { components.flatMap { $0 } }
    public static func buildExpression(_ layer: some Layer) -> [any Layer] { [layer] }
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    public static func buildBlock() -> [any Layer] { [] }
}

/// Layers applied one after another; itself a layer, so it nests.
public struct Sequential: Layer {
    public static let kind = "sequential"
    /// The layers, in order.
    public var layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }
    public init(@LayerBuilder _ build: () -> [any Layer]) { self.layers = build() }

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
    public var trainableMask: [Bool] { layers.flatMap(\.trainableMask) }

    /// Every layer's input shape, then the final output shape.
    public func shapes(for input: [Int]) throws -> [[Int]] {
        var shapes = [input]
        for layer in layers { shapes.append(try layer.outputShape(for: shapes[shapes.count - 1])) }
        return shapes
    }

    public func outputShape(for input: [Int]) throws -> [Int] { try shapes(for: input).last ?? input }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        var shape = input, out = [Matrix<Float>]()
        for layer in layers {
            out += layer.initialParameters(for: shape, rng: &rng)
            shape = (try? layer.outputShape(for: shape)) ?? shape
        }
        return out
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] {
        var shape = input, out = [(rows: Int, columns: Int)]()
        for layer in layers {
            out += layer.parameterShapes(for: shape)
            shape = (try? layer.outputShape(for: shape)) ?? shape
        }
        return out
    }

    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        var children = [LayerRecord](), current = x, start = parameters.startIndex
        children.reserveCapacity(layers.count)
        var state: [Matrix<Float>]? = nil
        for layer in layers {
            let slice = parameters[start..<(start + layer.parameterCount)]
            let record = try layer.forward(current, parameters: slice, context: &context)
            if let s = record.state {
                // Replace this child's state inside the full parameter list of the sequence.
                var all = state ?? Array(parameters)
                let base = start - parameters.startIndex
                for (k, m) in s.enumerated() { all[base + k] = m }
                state = all
            }
            current = record.output
            start += layer.parameterCount
            children.append(record)
        }
        return LayerRecord(output: current, children: children, state: state)
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        var grads = [[Matrix<Float>]](repeating: [], count: layers.count)
        var current: Tensor? = dy
        var end = parameters.endIndex
        // A layer's input gradient is needed only when a layer before it has parameters (or the caller asks).
        var parametersBefore = [Bool](repeating: needsInputGradient, count: layers.count)
        for i in layers.indices.dropFirst() { parametersBefore[i] = parametersBefore[i - 1] || layers[i - 1].parameterCount > 0 }
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[i], start = end - layer.parameterCount
            guard let g = current else { break }
            let result = layer.backward(g, record: record.children[i], parameters: parameters[start..<end],
                                        needsInputGradient: parametersBefore[i])
            grads[i] = result.parameters
            current = result.input
            end = start
        }
        return LayerGradients(input: needsInputGradient ? current : nil, parameters: grads.flatMap { $0 })
    }
}

extension Sequential: Codable {
    private enum CodingKeys: String, CodingKey { case layers }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layers = try c.decode([AnyLayer].self, forKey: .layers).map(\.layer)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layers.map(AnyLayer.init), forKey: .layers)
    }
}

/// A layer of any kind, coded as `{"kind": …, "config": …}` and decoded through ``LayerRegistry``.
public struct AnyLayer: Codable, Sendable {
    public var layer: any Layer
    public init(_ layer: any Layer) { self.layer = layer }

    private enum CodingKeys: String, CodingKey { case kind, config }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        guard let type = LayerRegistry.types[kind] else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown layer kind '\(kind)'")
        }
        layer = try type.init(from: c.superDecoder(forKey: .config))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type(of: layer).kind, forKey: .kind)
        try layer.encode(to: c.superEncoder(forKey: .config))
    }
}
