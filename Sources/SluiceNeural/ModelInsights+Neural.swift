import SluicePipeline

extension TrainingHistory {
    /// The per-epoch training loss, the validation loss when there was one, and every other
    /// recorded metric, as curves over epochs.
    public var curves: [TrainingCurve] {
        guard !epochs.isEmpty else { return [] }
        var curves = [TrainingCurve(name: "training loss", step: "epoch", values: epochs.map(\.loss))]
        let validation = epochs.compactMap(\.validationLoss)
        if validation.count == epochs.count {
            curves.append(TrainingCurve(name: "validation loss", step: "epoch", values: validation))
        }
        for name in Set(epochs.flatMap(\.metrics.keys)).sorted() {
            // Only a metric every epoch recorded makes a curve.
            let values = epochs.compactMap { $0.metrics[name] }
            if values.count == epochs.count {
                curves.append(TrainingCurve(name: name.replacingOccurrences(of: "_", with: " "), step: "epoch", values: values))
            }
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
