import SluiceCompute
import SluicePipeline

/// Probability calibration of any classifier by cross-fitting, as scikit-learn's
/// `CalibratedClassifierCV(ensemble=True)`.
///
/// The rows are cut into ``folds`` (stratified K-fold, unshuffled, see
/// ``SluicePipeline/Splitter``; or plain K-fold): for each fold the base learner is fitted on
/// the other folds and a ``Calibrator`` on its scores of the held-out fold (its decision
/// function when it has one, see ``CalibrationScoring``), per class one-vs-rest. The model
/// averages the calibrated probabilities of its `folds` members; with several classes each
/// member's one-vs-rest probabilities are normalised to sum to 1 (uniform if all are 0).
/// Sample weights reach both the base fits and the calibrators.
public struct CalibratedClassifier<Base: Learner>: Learner, Encodable where Base.Model: CalibrationScoring, Base.Scalar == Double {
    public typealias Scalar = Double
    public var targetKind: TargetKind { .classes }

    public enum Method: String, Sendable, Codable, Equatable {
        /// Platt's sigmoid (scikit-learn's `method='sigmoid'`).
        case sigmoid
        /// Isotonic regression (`method='isotonic'`): needs more held-out rows.
        case isotonic
    }

    public var base: Base
    public var method: Method
    public var folds: Int
    /// Stratified folds (scikit-learn's default for classifiers); false for contiguous K-fold.
    public var stratified: Bool

    public init(_ base: Base, method: Method = .sigmoid, folds: Int = 5, stratified: Bool = true) {
        self.base = base
        self.method = method
        self.folds = folds
        self.stratified = stratified
    }

    public var featureRequirements: FeatureRequirements { base.featureRequirements }

    /// Calibrated members, one per fold.
    public struct Model: ClassificationModel {
        /// `calibrated_` and the base model's kind.
        public static var kind: String { "calibrated_" + Base.Model.kind }
        public var classes: [String]
        public var members: [Base.Model]
        /// Per member, one calibrator per score column.
        public var calibrators: [[Calibrator]]
        public var featureCount: Int { members.first?.featureCount ?? 0 }

        public func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double> {
            try LearnerInput.predict(x, featureCount: featureCount, learner: Self.kind)
            let m = classes.count, n = x.rows
            var total = Matrix<Double>(rows: n, columns: m)
            for (member, cal) in zip(members, calibrators) {
                let s = try member.calibrationScores(x)
                guard s.columns == cal.count, s.rows == n else {
                    throw EstimatorError.numerical(estimator: Self.kind, reason: "a member gave \(s.columns) score columns")
                }
                total.withUnsafeMutableBufferPointer { out in
                    s.withUnsafeBufferPointer { sp in
                        for i in 0..<n {
                            if m == 2 {
                                let p1 = cal[0](sp[i])
                                out[i * 2] += 1 - p1
                                out[i * 2 + 1] += p1
                            } else {
                                var row = (0..<m).map { cal[$0](sp[i * m + $0]) }
                                let sum = row.reduce(0, +)
                                row = sum > 0 ? row.map { min(1, $0 / sum) } : [Double](repeating: 1 / Double(m), count: m)
                                for c in 0..<m { out[i * m + c] += row[c] }
                            }
                        }
                    }
                }
            }
            total.scale(by: 1 / Double(max(1, members.count)))
            return total
        }

        public func validate() throws {
            let k = Self.kind, columns = classes.count == 2 ? 1 : classes.count
            try FittedStateError.require(classes.count >= 2 && Set(classes).count == classes.count, k, field: "classes",
                                         "needs two or more distinct classes")
            try FittedStateError.require(!members.isEmpty && members.count == calibrators.count, k, field: "members",
                                         "\(members.count) members for \(calibrators.count) calibrator sets")
            for (i, m) in members.enumerated() {
                try m.validate()
                try FittedStateError.require(m.classes == classes, k, field: "members.\(i).classes", "differ from the model's")
                try FittedStateError.require(m.featureCount == featureCount, k, field: "members.\(i)", "feature counts differ")
            }
            for (i, c) in calibrators.enumerated() {
                try FittedStateError.require(c.count == columns && c.allSatisfy(\.isValid), k, field: "calibrators.\(i)",
                                             "needs \(columns) valid calibrators")
            }
        }
    }

    public func fit(_ data: TrainingSet<Double>, context: inout FitContext) throws -> Model {
        let name = Model.kind
        try LearnerInput.check(data, learner: name, allowsMissing: base.featureRequirements.allowsMissing)
        let y = try data.target.classLabels(learner: name)
        guard folds >= 2 else {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "folds", reason: "must be at least 2")
        }
        let splits: [Split]
        do {
            splits = stratified ? try Splitter.stratifiedKFold(y, folds: folds) : try Splitter.kFold(rows: data.rows, folds: folds)
        } catch {
            throw EstimatorError.invalidHyperparameter(estimator: name, name: "folds", reason: "\(error)")
        }
        let m = y.classes.count, columns = m == 2 ? 1 : m
        var members: [Base.Model] = [], calibrators: [[Calibrator]] = []
        for (f, split) in splits.enumerated() {
            try context.checkCancellation(name)
            let train = FoldData.subset(data, split.train, y)
            let member = try base.fit(train, context: &context)
            let held = data.features.gatheringRows(split.test)
            let scores = try member.calibrationScores(held)
            let weights = split.test.map { data.sampleWeights?[$0] ?? 1 }
            var fold: [Calibrator] = []
            for c in 0..<columns {
                let positive = split.test.map { y.codes[$0] == (m == 2 ? 1 : c) }
                let s = (0..<held.rows).map { scores[$0, c] }
                fold.append(method == .sigmoid ? Calibrator.sigmoid(scores: s, positive: positive, weights: weights)
                                               : Calibrator.isotonic(scores: s, positive: positive, weights: weights))
            }
            members.append(member)
            calibrators.append(fold)
            context.observe(FitProgress(source: name, unit: .fold, step: f + 1, total: splits.count))
        }
        return Model(classes: y.classes, members: members, calibrators: calibrators)
    }

}

/// The training rows of one fold, for the cross-fitting wrappers.
enum FoldData {
    /// The rows `rows` of `data`, labels keeping every class (a fold may lack one).
    static func subset(_ data: TrainingSet<Double>, _ rows: [Int], _ y: ClassLabels) -> TrainingSet<Double> {
        TrainingSet(features: data.features.gatheringRows(rows), featureNames: data.featureNames, categorical: data.categorical,
                    target: .classes(ClassLabels(codes: rows.map { y.codes[$0] }, classes: y.classes)),
                    sampleWeights: data.sampleWeights.map { w in rows.map { w[$0] } })
    }
}

extension CalibratedClassifier.Model: Equatable where Base.Model: Equatable {}
