import SluiceCompute
import SluicePipeline

// The learners' coefficients and learning curves, for reports (``LinearCoefficients``,
// ``TrainingCurves``).

extension Matrix where Scalar == Double {
    /// The rows as arrays.
    fileprivate var rowArrays: [[Double]] { (0..<rows).map { row($0) } }
}

/// The output names of a linear classifier with `rows` coefficient rows: the positive class
/// for a binary one, every class for a multinomial one.
private func classOutputs(_ classes: [String], rows: Int) -> [String] {
    rows == 1 && classes.count == 2 ? [classes[1]] : Array(classes.prefix(rows))
}

extension LogisticRegression.Model: LinearCoefficients {
    public var coefficientTable: CoefficientTable {
        CoefficientTable(outputs: classOutputs(classes, rows: coefficients.rows), coefficients: coefficients.rowArrays,
                         intercepts: intercepts)
    }
}

extension LinearSVC.Model: LinearCoefficients {
    public var coefficientTable: CoefficientTable {
        CoefficientTable(outputs: classOutputs(classes, rows: coefficients.rows), coefficients: coefficients.rowArrays,
                         intercepts: intercepts)
    }
}

extension LinearRegression.Model: LinearCoefficients {
    public var coefficientTable: CoefficientTable {
        CoefficientTable(outputs: ["prediction"], coefficients: [coefficients], intercepts: [intercept])
    }
}

extension ElasticNet.Model: LinearCoefficients {
    public var coefficientTable: CoefficientTable {
        CoefficientTable(outputs: ["prediction"], coefficients: [coefficients], intercepts: [intercept])
    }
}

extension LinearSVR.Model: LinearCoefficients {
    public var coefficientTable: CoefficientTable {
        CoefficientTable(outputs: ["prediction"], coefficients: [coefficients], intercepts: [intercept])
    }
}

/// The training and validation loss curves of a boosting model (before the first tree, then
/// after each iteration); empty when none was kept.
private func boostingCurves(training: [Double], validation: [Double]) -> [TrainingCurve] {
    [TrainingCurve(name: "training loss", step: "iteration", values: training),
     TrainingCurve(name: "validation loss", step: "iteration", values: validation)].filter { !$0.values.isEmpty }
}

extension HistGradientBoostingClassifier.Model: TrainingCurves {
    public var trainingCurves: [TrainingCurve] { boostingCurves(training: trainingLoss, validation: validationLoss) }
}

extension HistGradientBoostingRegressor.Model: TrainingCurves {
    public var trainingCurves: [TrainingCurve] { boostingCurves(training: trainingLoss, validation: validationLoss) }
}
