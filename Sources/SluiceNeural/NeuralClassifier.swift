import Foundation
import SluiceCompute
import SluicePipeline

/// A neural network classifier: a ``Sequential`` of layers ending in logits, trained with
/// cross-entropy, usable at the end of a `Pipeline`.
///
/// The network's output is one logit per class (softmax cross-entropy), or one logit for a
/// two-class target (binary cross-entropy with logits: the logit of the second class). The
/// seed and progress observer come from the fit context; cancellation is checked between batches.
public struct NeuralClassifier: Learner, Encodable {
    public typealias Scalar = Float
    public var targetKind: TargetKind { .classes }
    /// The layers, from the feature vector to the logits.
    public var network: Sequential
    public var training: TrainingOptions
    /// How classes weigh in the loss (`.balanced` for imbalanced data).
    public var classWeight: ClassWeight
    /// Rows per forward pass when predicting.
    public var predictionBatchSize: Int

    public init(training: TrainingOptions = TrainingOptions(), classWeight: ClassWeight = .uniform,
                predictionBatchSize: Int = 1024, @LayerBuilder network: () -> [any Layer]) {
        self.network = Sequential(network())
        self.training = training
        self.classWeight = classWeight
        self.predictionBatchSize = predictionBatchSize
    }

    /// A fitted network classifier.
    public struct Model: ClassificationModel {
        public typealias Scalar = Float
        public static let kind = "neural_classifier"
        public var classes: [String]
        public var network: Network
        public var history: TrainingHistory
        public var predictionBatchSize: Int
        public var featureCount: Int { network.inputShape.reduce(1, *) }

        /// The logits, `n × outputs`.
        public func logits(_ x: Matrix<Float>) throws -> Matrix<Float> {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            return try network.predict(Tensor(shape: [x.rows] + network.inputShape, storage: x), batchSize: predictionBatchSize).storage
        }

        public func predictProbabilities(_ x: Matrix<Float>) throws -> Matrix<Double> {
            let z = try logits(x)
            let k = classes.count
            return Matrix<Double>(rows: z.rows, columns: k) { out in
                z.withUnsafeBufferPointer { pz in
                    if z.columns == 1 {
                        for i in 0..<z.rows {
                            let p = 1 / (1 + Foundation.exp(-Double(pz[i])))
                            out.initializeElement(at: 2 * i, to: 1 - p)
                            out.initializeElement(at: 2 * i + 1, to: p)
                        }
                    } else {
                        for i in 0..<z.rows {
                            var m = -Double.infinity
                            for j in 0..<k { m = max(m, Double(pz[i * k + j])) }
                            var s = 0.0
                            for j in 0..<k { let e = Foundation.exp(Double(pz[i * k + j]) - m); out.initializeElement(at: i * k + j, to: e); s += e }
                            for j in 0..<k { out[i * k + j] /= s }
                        }
                    }
                }
            }
        }

        public func validate() throws {
            let k = Self.kind
            try FittedStateError.require(classes.count >= 2 && Set(classes).count == classes.count, k, field: "classes",
                                         "needs two or more distinct classes, has \(classes.count)")
            try network.validate(kind: k)
            let outputs = network.outputShape.reduce(1, *)
            try FittedStateError.require(outputs == classes.count || (outputs == 1 && classes.count == 2), k, field: "network",
                                         "gives \(outputs) outputs for \(classes.count) classes")
            try FittedStateError.require(predictionBatchSize > 0, k, field: "predictionBatchSize", "must be > 0")
        }
    }

    public func fit(_ data: TrainingSet<Float>, context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(data, learner: name)
        let labels = try data.target.classLabels(learner: name)
        let present = labels.classCounts.filter { $0 > 0 }.count
        guard present >= 2 else {
            throw EstimatorError.singleClass(estimator: name, className: labels.classCounts.firstIndex { $0 > 0 }.map { labels.classes[$0] })
        }
        if case .custom(let w) = classWeight, w.count != labels.classes.count {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "classWeight",
                                                       reason: "has \(w.count) weights for \(labels.classes.count) classes")
        }
        var net = try Network(network, inputShape: [data.features.columns], rng: &context.rng)
        let outputs = net.outputShape.reduce(1, *), k = labels.classes.count
        guard outputs == k || (outputs == 1 && k == 2) else {
            throw NeuralError.shape(layer: "NeuralClassifier",
                                    reason: "network ends in \(outputs) outputs, the target has \(k) classes (end in Dense(\(k)), or Dense(1) for two classes)")
        }
        let loss: Loss = outputs == 1 ? .binaryCrossEntropyWithLogits : .crossEntropyWithLogits
        let weights = classWeight.sampleWeights(for: labels, sampleWeights: data.sampleWeights).map { Float($0) }
        let uniform = weights.allSatisfy { $0 == 1 }
        let train = TrainingData(inputs: Tensor(data.features), targets: .classes(labels.codes.map { Int32($0) }),
                             weights: uniform ? nil : weights)
        var validation: TrainingData? = nil
        if let v = data.validation {
            let vl = try v.target.classLabels(learner: name)
            let index = Dictionary(uniqueKeysWithValues: labels.classes.enumerated().map { ($1, Int32($0)) })
            var codes = [Int32]()
            for (i, c) in vl.codes.enumerated() {
                guard let code = index[vl.classes[c]] else {
                    throw NeuralError.invalidInput(layer: name, reason: "validation row \(i) has class '\(vl.classes[c])' not seen in training")
                }
                codes.append(code)
            }
            validation = TrainingData(inputs: Tensor(v.features), targets: .classes(codes), weights: v.sampleWeights.map { $0.map(Float.init) })
        }
        let trainer = Trainer(loss: loss, options: training, source: name, accuracy: true)
        let classes = labels.classes, batch = predictionBatchSize
        let history = try trainer.train(&net, on: train, validation: validation, context: &context) { net, history in
            Model(classes: classes, network: net, history: history, predictionBatchSize: batch)
        }
        return Model(classes: classes, network: net, history: history, predictionBatchSize: batch)
    }
}

/// A neural network regressor: a ``Sequential`` ending in one output per target value,
/// trained with mean squared error.
public struct NeuralRegressor: Learner, Encodable {
    public typealias Scalar = Float
    public var targetKind: TargetKind { .values }
    public var network: Sequential
    public var training: TrainingOptions
    public var predictionBatchSize: Int

    public init(training: TrainingOptions = TrainingOptions(), predictionBatchSize: Int = 1024,
                @LayerBuilder network: () -> [any Layer]) {
        self.network = Sequential(network())
        self.training = training
        self.predictionBatchSize = predictionBatchSize
    }

    /// A fitted network regressor.
    public struct Model: RegressionModel {
        public typealias Scalar = Float
        public static let kind = "neural_regressor"
        public var network: Network
        public var history: TrainingHistory
        public var predictionBatchSize: Int
        public var featureCount: Int { network.inputShape.reduce(1, *) }

        public func predict(_ x: Matrix<Float>) throws -> [Double] {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            let y = try network.predict(Tensor(shape: [x.rows] + network.inputShape, storage: x), batchSize: predictionBatchSize)
            return y.elements.map(Double.init)
        }

        public func validate() throws {
            try network.validate(kind: Self.kind)
            try FittedStateError.require(network.outputShape.reduce(1, *) == 1, Self.kind, field: "network",
                                         "gives \(network.outputShape.reduce(1, *)) outputs, a regressor needs 1")
            try FittedStateError.require(predictionBatchSize > 0, Self.kind, field: "predictionBatchSize", "must be > 0")
        }
    }

    public func fit(_ data: TrainingSet<Float>, context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(data, learner: name)
        let y = try data.target.values(learner: name)
        var net = try Network(network, inputShape: [data.features.columns], rng: &context.rng)
        guard net.outputShape.reduce(1, *) == 1 else {
            throw NeuralError.shape(layer: "NeuralRegressor", reason: "network ends in \(net.outputShape.reduce(1, *)) outputs, a regressor needs Dense(1)")
        }
        let train = TrainingData(inputs: Tensor(data.features), targets: .values(Matrix(rows: y.count, columns: 1, elements: y.map(Float.init))),
                             weights: data.sampleWeights.map { $0.map(Float.init) })
        var validation: TrainingData? = nil
        if let v = data.validation {
            let vy = try v.target.values(learner: name)
            validation = TrainingData(inputs: Tensor(v.features), targets: .values(Matrix(rows: vy.count, columns: 1, elements: vy.map(Float.init))),
                                  weights: v.sampleWeights.map { $0.map(Float.init) })
        }
        let trainer = Trainer(loss: .meanSquaredError, options: training, source: name, accuracy: false)
        let batch = predictionBatchSize
        let history = try trainer.train(&net, on: train, validation: validation, context: &context) { net, history in
            Model(network: net, history: history, predictionBatchSize: batch)
        }
        return Model(network: net, history: history, predictionBatchSize: batch)
    }
}
