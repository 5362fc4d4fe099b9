import SluiceCompute

/// A layer: a configuration value with a forward pass and a hand-written backward pass.
///
/// A layer stores no weights: the ``Network`` keeps every parameter in one flat list and
/// hands each layer its slice, so an optimizer updates them in place and an artifact stores
/// them as raw tensors. A layer says how many parameters it has (``parameterCount``), how to
/// initialise them for an input shape, and which are state rather than trainable (the running
/// statistics of batch normalisation: the last ``stateCount``).
public protocol Layer: Sendable, Codable {
    /// The stable name stored in artifacts (`"dense"`, `"conv2d"`).
    static var kind: String { get }
    /// The number of parameter matrices the layer uses.
    var parameterCount: Int { get }
    /// How many of the last parameters are state updated by the forward pass, not trained.
    var stateCount: Int { get }
    /// One sample's output shape for one sample's input shape, or ``NeuralError/shape(layer:reason:)``.
    func outputShape(for input: [Int]) throws -> [Int]
    /// The `rows × columns` of each parameter for one sample's input shape (checked against a
    /// decoded artifact before anything is computed).
    func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)]
    /// Fresh parameters (``parameterCount`` of them) for one sample's input shape.
    func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>]
    /// The forward pass over a batch; what the backward pass needs goes into the record.
    func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord
    /// The backward pass: given the loss gradient with respect to the output, returns it with
    /// respect to the input (when `needsInputGradient`) and to each parameter (zeros for state).
    func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                  needsInputGradient: Bool) -> LayerGradients
    /// The trainable mask of the parameters, in order (default: all but the last ``stateCount``).
    var trainableMask: [Bool] { get }
}

extension Layer {
    public var parameterCount: Int { 0 }
    public var stateCount: Int { 0 }
    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] { [] }
    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] { [] }
    public var trainableMask: [Bool] {
        Array(repeating: true, count: parameterCount - stateCount) + Array(repeating: false, count: stateCount)
    }
    /// The layer's name in errors.
    public var layerName: String { Self.kind }
}

/// What a forward pass may use besides its input: whether it trains (dropout drops, batch
/// normalisation uses batch statistics) and the generator random masks draw from.
public struct ForwardContext: Sendable {
    /// Training (dropout active, batch statistics) or inference.
    public var training: Bool
    /// The generator dropout masks draw from.
    public var rng: SeededGenerator
    /// Whether products sum each row in a fixed order, so that a sample's output does not
    /// depend on the batch it is in (inference; training uses BLAS as it is).
    public var rowInvariant: Bool

    public init(training: Bool, rng: SeededGenerator = SeededGenerator(seed: 0), rowInvariant: Bool = false) {
        self.training = training
        self.rng = rng
        self.rowInvariant = rowInvariant
    }
}

/// What one layer's forward pass returns: its output, what its backward pass needs, and
/// (for layers with state) the updated state.
public struct LayerRecord: Sendable {
    /// The layer's output.
    public var output: Tensor
    /// Tensors the backward pass reads (inputs, masks, normalised values).
    public var saved: [Tensor]
    /// Integer positions the backward pass reads (max-pool winners, embedding indices).
    public var indices: [Int32]
    /// The records of nested layers (a ``Sequential`` inside a network).
    public var children: [LayerRecord]
    /// The layer's whole parameter list with its state updated (running statistics), when the
    /// pass updated any; the network stores it in place of the old one.
    public var state: [Matrix<Float>]?

    public init(output: Tensor, saved: [Tensor] = [], indices: [Int32] = [], children: [LayerRecord] = [],
                state: [Matrix<Float>]? = nil) {
        self.output = output
        self.saved = saved
        self.indices = indices
        self.children = children
        self.state = state
    }
}

/// What one layer's backward pass returns.
public struct LayerGradients: Sendable {
    /// The gradient with respect to the input, or nil when it was not asked for.
    public var input: Tensor?
    /// One gradient per parameter, shaped as the parameter.
    public var parameters: [Matrix<Float>]

    public init(input: Tensor?, parameters: [Matrix<Float>] = []) {
        self.input = input
        self.parameters = parameters
    }
}

/// Checks one sample's shape against what a layer expects.
@inline(__always)
func requireRank(_ input: [Int], _ rank: Int, layer: String, meaning: String) throws {
    guard input.count == rank else {
        throw NeuralError.shape(layer: layer, reason: "expects \(meaning) (rank \(rank) per sample), got shape \(describe(input))")
    }
}
