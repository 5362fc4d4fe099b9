import Sluice

/// One training epoch of small networks on random data; the peer is PyTorch on the CPU with
/// 2 threads (`torch.set_num_threads(2)`), the same sizes, batch sizes and optimizer.
let neuralWorkloads: [Workload] = [
    Workload(name: "nn.mlp.epoch_60k", summary: "MLP 784-128-10, Adam, batch 128, one epoch over 60 000 random rows; peer PyTorch") {
        [try mlpEpoch(context: $0)]
    },
    Workload(name: "nn.cnn.epoch_10k", summary: "CNN conv32-pool-conv64-pool-dense128-10 on 10 000 28×28, batch 128, one epoch; peer PyTorch") {
        [try cnnEpoch(context: $0)]
    },
    Workload(name: "nn.lstm.epoch_5k", summary: "Embedding(10000, 32) + LSTM(64) + Dense(1), 5 000 sequences of 100, batch 64, one epoch; peer PyTorch") {
        [try lstmEpoch(context: $0)]
    },
    Workload(name: "fit.mlp.churn_1m",
             summary: "churn pipeline (prep + MLP 64-64-1, Adam, batch 200, 3 epochs) fitted on the first 80% of labelled rows; "
                 + "peer sklearn Pipeline + MLPClassifier") {
        [try mlpChurnFigure(context: $0)]
    },
]

/// Random pixels in [0, 1) and random labels in 0..<10, drawn with seed `seed`.
private func images(rows: Int, size: Int, seed: UInt64) -> TrainingData {
    var rng = SeededGenerator(seed: seed)
    let x = Matrix<Float>(rows: rows, columns: size) { out in for i in out.indices { out.initializeElement(at: i, to: rng.nextFloat()) } }
    let y = (0..<rows).map { _ in Int32(rng.nextInt(below: 10)) }
    return TrainingData(inputs: Tensor(x), targets: .classes(y))
}

/// The best time of `repeats` single epochs, each from freshly initialised weights.
private func epochFigure(_ name: String, model: Sequential, data: TrainingData, batchSize: Int, loss: Loss,
                         context: BenchContext) throws -> Figure {
    let trainer = Trainer(loss: loss, options: TrainingOptions(epochs: 1, batchSize: batchSize, optimizer: .adam(learningRate: 1e-3)),
                          source: name, accuracy: false)
    var initial = SeededGenerator(seed: 11)
    var network = try Network(model, inputShape: data.inputs.sampleShape, rng: &initial)
    var lastLoss = 0.0
    var failure: (any Error)? = nil
    let (seconds, rss) = Measure.best(repeats: context.repeats, prepare: {
        var rng = SeededGenerator(seed: 11)
        network = (try? Network(model, inputShape: data.inputs.sampleShape, rng: &rng)) ?? network
    }) {
        var fit = FitContext(seed: 5)
        do { lastLoss = try trainer.train(&network, on: data, context: &fit).epochs.last?.loss ?? .nan } catch { failure = error }
    }
    if let failure { throw failure }
    return Figure(workload: name, seconds: seconds, rows: data.inputs.batch, peakRSSMB: rss, extra: [("loss", lastLoss)])
}

private func mlpEpoch(context: BenchContext) throws -> Figure {
    let model = Sequential {
        Dense(128, activation: .relu)
        Dense(10)
    }
    return try epochFigure("nn.mlp.epoch_60k", model: model, data: images(rows: 60_000, size: 784, seed: 1), batchSize: 128,
                           loss: .crossEntropyWithLogits, context: context)
}

private func cnnEpoch(context: BenchContext) throws -> Figure {
    let model = Sequential {
        Reshape([28, 28, 1])
        Conv2D(32, kernelSize: 3, activation: .relu)
        MaxPool2D(2)
        Conv2D(64, kernelSize: 3, activation: .relu)
        MaxPool2D(2)
        Flatten()
        Dense(128, activation: .relu)
        Dense(10)
    }
    return try epochFigure("nn.cnn.epoch_10k", model: model, data: images(rows: 10_000, size: 784, seed: 2), batchSize: 128,
                           loss: .crossEntropyWithLogits, context: context)
}

private func lstmEpoch(context: BenchContext) throws -> Figure {
    var rng = SeededGenerator(seed: 3)
    let (rows, steps) = (5_000, 100)
    let x = Matrix<Float>(rows: rows, columns: steps) { out in
        for i in out.indices { out.initializeElement(at: i, to: Float(rng.nextInt(below: 10_000))) }
    }
    let y = (0..<rows).map { _ in Int32(rng.nextInt(below: 2)) }
    let model = Sequential {
        Embedding(vocabularySize: 10_000, dimension: 32)
        LSTM(64)
        Dense(1)
    }
    return try epochFigure("nn.lstm.epoch_5k", model: model, data: TrainingData(inputs: Tensor(x), targets: .classes(y)), batchSize: 64,
                           loss: .binaryCrossEntropyWithLogits, context: context)
}

/// The churn preparation followed by a 64-64 ReLU network, trained as scikit-learn's
/// `MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=3)` is (Adam at 1e-3, batches of 200,
/// shuffled, Glorot uniform weights, one logistic output); the pipeline's whole fit is timed,
/// and the ROC-AUC is measured on the last 20% of labelled rows.
private func mlpChurnFigure(context: BenchContext) throws -> Figure {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let labelled = try raw.droppingNulls(in: ["churned"])
    let cut = labelled.rowCount * 8 / 10
    let train = labelled.slice(0..<cut), test = labelled.slice(cut..<labelled.rowCount)
    let learner = NeuralClassifier(training: TrainingOptions(epochs: 3, batchSize: 200, optimizer: .adam(learningRate: 1e-3))) {
        Dense(64, activation: .relu)
        Dense(64, activation: .relu)
        Dense(1)
    }
    let pipeline = Pipeline(target: "churned", estimator: learner) { churnPreparation }
    var fitted: FittedPipeline?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { fitted = try pipeline.fit(train, seed: 7) }
    let p = try fitted!.predictProbabilities(test.dropping(["churned"]))
    let truth = try ClassLabels(column: test.column("churned"), name: "churned")
    let auc = Metrics.rocAUC(truth.codes, scores: (0..<p.rows).map { p[$0, 1] })
    return Figure(workload: "fit.mlp.churn_1m", seconds: seconds, rows: train.rowCount, peakRSSMB: rss, extra: [("auc", auc)])
}
