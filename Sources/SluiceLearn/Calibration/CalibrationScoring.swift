import SluiceCompute
import SluicePipeline

/// A classifier whose scores ``CalibratedClassifier`` calibrates: its decision function when
/// it has one (as scikit-learn prefers), else its probabilities; one column (the positive
/// class `classes[1]`) for two classes, one per class otherwise.
public protocol CalibrationScoring: ClassificationModel where Scalar == Double {
    /// `n × 1` for two classes, `n × classes` otherwise.
    func calibrationScores(_ x: Matrix<Double>) throws -> Matrix<Double>
}

extension CalibrationScoring {
    /// The probabilities: column 1 for two classes, all columns otherwise.
    public func calibrationScores(_ x: Matrix<Double>) throws -> Matrix<Double> {
        let p = try predictProbabilities(x)
        guard classes.count == 2 else { return p }
        return Matrix(rows: p.rows, columns: 1, elements: (0..<p.rows).map { p[$0, 1] })
    }
}

extension LogisticRegression.Model: CalibrationScoring {
    public func calibrationScores(_ x: Matrix<Double>) throws -> Matrix<Double> { try decisionFunction(x) }
}

extension LinearSVC.Model: CalibrationScoring {
    public func calibrationScores(_ x: Matrix<Double>) throws -> Matrix<Double> { try decisionFunction(x) }
}

extension GaussianNaiveBayes.Model: CalibrationScoring {}
extension DiscreteNaiveBayesModel: CalibrationScoring {}
extension KNeighborsClassifier.Model: CalibrationScoring {}

extension SVC.Model: CalibrationScoring {
    public func calibrationScores(_ x: Matrix<Double>) throws -> Matrix<Double> { try decisionFunction(x) }
}
