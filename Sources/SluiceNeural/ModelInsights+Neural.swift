import SluicePipeline

extension TrainingHistory {
    /// The per-epoch training loss, the validation loss when there was one, and every other
    /// recorded metric, as curves over epochs.
    public var curves: [TrainingCurve] {
        guard !epochs.isEmpty else { return [] }
        var curves = [TrainingCurve(name: "training loss", step: "epoch", values: epochs.map(\.loss))]
        if epochs.allSatisfy({ $0.validationLoss != nil }) {
            curves.append(TrainingCurve(name: "validation loss", step: "epoch", values: epochs.map { $0.validationLoss! }))
        }
        for name in Set(epochs.flatMap(\.metrics.keys)).sorted() where epochs.allSatisfy({ $0.metrics[name] != nil }) {
            curves.append(TrainingCurve(name: name.replacingOccurrences(of: "_", with: " "), step: "epoch",
                                        values: epochs.map { $0.metrics[name]! }))
        }
        return curves
    }
}

extension NeuralClassifier.Model: TrainingCurves {
    public var trainingCurves: [TrainingCurve] { history.curves }
}

extension NeuralRegressor.Model: TrainingCurves {
    public var trainingCurves: [TrainingCurve] { history.curves }
}
