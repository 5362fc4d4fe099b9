import SluicePipeline

extension ArtifactCodec {
    /// The model kinds SluiceNeural ships; add them to a codec with `adding(models:)`.
    public static let neuralModelKinds: [any FittedModel.Type] = [NeuralClassifier.Model.self, NeuralRegressor.Model.self]
}

/// The layer kinds an artifact may hold, by their stable names.
public enum LayerRegistry {
    /// Every layer type SluiceNeural ships.
    public static let all: [any Layer.Type] = [
        Sequential.self, Concatenate.self, Dense.self, Dropout.self, Flatten.self, Reshape.self,
        ReLU.self, LeakyReLU.self, GELU.self, Sigmoid.self, Tanh.self, Softmax.self,
        Conv2D.self, Conv1D.self, MaxPool2D.self, AveragePool2D.self, GlobalAveragePooling.self,
        BatchNormalization.self, LayerNormalization.self, Embedding.self, LSTM.self, GRU.self, SimpleRNN.self,
    ]

    static let types: [String: any Layer.Type] = Dictionary(all.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })
}
