import SluiceCompute

/// A regression estimator: an unfitted configuration whose ``fit(_:_:sampleWeights:)``
/// returns a separate fitted ``RegressionModel``.
///
/// Features are a dense `n × p` matrix of finite values (the pipeline before an estimator
/// imputes and encodes); the target has one value per row.
public protocol Regressor: Estimator where Model: RegressionModel {
    /// Fits on `x` (`n × p`) and `y` (`n` values), each row weighted by `sampleWeights`
    /// (`nil`: all 1).
    func fit(_ x: Matrix<Double>, _ y: [Double], sampleWeights: [Double]?) throws -> Model
}

/// A fitted regression model.
public protocol RegressionModel: PredictiveModel {
    /// One prediction per row of `x`.
    func predict(_ x: Matrix<Double>) throws -> [Double]
}

/// A classification estimator: an unfitted configuration whose
/// ``fit(_:_:sampleWeights:)`` returns a separate fitted ``ClassificationModel``.
public protocol Classifier: Estimator where Model: ClassificationModel {
    /// Fits on `x` (`n × p`) and class labels `y`, each row weighted by `sampleWeights`.
    func fit(_ x: Matrix<Double>, _ y: ClassLabels, sampleWeights: [Double]?) throws -> Model
}

/// A fitted classifier.
public protocol ClassificationModel: PredictiveModel {
    /// The class names, in the order of probability columns.
    var classes: [String] { get }
    /// Class probabilities: `n × classes.count`, rows summing to 1.
    func predictProbabilities(_ x: Matrix<Double>) throws -> Matrix<Double>
}

extension ClassificationModel {
    /// The index (into ``classes``) of the most probable class of each row; the first on ties.
    public func predict(_ x: Matrix<Double>) throws -> [Int] {
        try predictProbabilities(x).rowArgmax()
    }
}

/// Class labels as integer codes into a list of class names.
///
/// Built from raw labels, the classes are sorted as scikit-learn sorts `classes_`:
/// numerically when every label is a number, else as strings.
public struct ClassLabels: Sendable, Codable, Equatable {
    /// One code per row, each in `0..<classes.count`.
    public var codes: [Int]
    /// The class names.
    public var classes: [String]

    /// Labels from codes and class names. - Precondition: every code indexes `classes`.
    public init(codes: [Int], classes: [String]) {
        precondition(codes.allSatisfy { $0 >= 0 && $0 < classes.count }, "a class code is out of range")
        self.codes = codes
        self.classes = classes
    }

    /// Labels from raw string values; classes sorted numerically if all parse as numbers.
    public init(_ labels: [String]) {
        let unique = Array(Set(labels))
        let numeric = unique.compactMap(Double.init)
        let classes = numeric.count == unique.count
            ? unique.sorted { Double($0)! < Double($1)! }
            : unique.sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        self.init(codes: labels.map { index[$0]! }, classes: classes)
    }

    /// Labels from numeric values (e.g. a 0/1 column); class names are the numbers' text.
    public init<T: BinaryInteger>(_ labels: [T]) {
        let classes = Array(Set(labels)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        self.init(codes: labels.map { index[$0]! }, classes: classes.map { "\($0)" })
    }

    /// The number of rows.
    public var count: Int { codes.count }

    /// How many rows each class has, by code.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for c in codes { counts[c] += 1 }
        return counts
    }

    /// The rows at `indices`, with the same class list.
    public func subset(_ indices: [Int]) -> ClassLabels {
        ClassLabels(codes: indices.map { codes[$0] }, classes: classes)
    }
}

/// How classes are weighted when fitting.
public enum ClassWeight: Sendable, Codable, Equatable {
    /// Every row counts once (times its sample weight).
    case uniform
    /// `n / (k · count(class))`: rare classes count more, as scikit-learn's `"balanced"`.
    case balanced
    /// An explicit weight per class code.
    case custom([Double])

    /// The weight of each class.
    public func weights(for labels: ClassLabels) -> [Double] {
        switch self {
        case .uniform: return [Double](repeating: 1, count: labels.classes.count)
        case .balanced:
            let n = Double(labels.count), k = Double(labels.classes.count)
            return labels.classCounts.map { $0 > 0 ? n / (k * Double($0)) : 0 }
        case .custom(let w): return w
        }
    }

    /// Per-row weights: class weight times the sample weight.
    public func sampleWeights(for labels: ClassLabels, sampleWeights: [Double]?) -> [Double] {
        let w = weights(for: labels)
        return labels.codes.enumerated().map { i, c in w[c] * (sampleWeights?[i] ?? 1) }
    }
}

/// Why an estimator refused to fit or predict.
public enum EstimatorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No rows to fit on.
    case empty(estimator: String)
    /// Features and target (or weights) disagree in length.
    case lengthMismatch(estimator: String, rows: Int, targets: Int)
    /// Predicting on a different number of features than were fitted.
    case featureCountMismatch(estimator: String, expected: Int, got: Int)
    /// A NaN or infinite value where the estimator needs finite numbers.
    case nonFinite(estimator: String, row: Int, column: Int)
    /// A classifier given fewer than two classes.
    case singleClass(estimator: String, className: String?)
    /// A hyperparameter outside its domain.
    case invalidHyperparameter(estimator: String, name: String, reason: String)
    /// Sample weights that are negative, non-finite or all zero.
    case invalidSampleWeights(estimator: String, reason: String)
    /// A numerical routine failed (e.g. a singular system).
    case numerical(estimator: String, reason: String)

    public var description: String {
        switch self {
        case let .empty(e): return "\(e): cannot fit on 0 rows"
        case let .lengthMismatch(e, rows, targets): return "\(e): \(rows) feature rows but \(targets) targets"
        case let .featureCountMismatch(e, expected, got):
            return "\(e): fitted on \(expected) features, given \(got)"
        case let .nonFinite(e, row, column): return "\(e): non-finite value at row \(row), feature \(column)"
        case let .singleClass(e, name):
            return "\(e): needs at least two classes, the target has only \(name.map { "'\($0)'" } ?? "none")"
        case let .invalidHyperparameter(e, name, reason): return "\(e): \(name) \(reason)"
        case let .invalidSampleWeights(e, reason): return "\(e): sample weights \(reason)"
        case let .numerical(e, reason): return "\(e): \(reason)"
        }
    }
}

/// Input checks shared by the estimators.
enum Validate {
    static func fitInput(_ x: Matrix<Double>, targets: Int, weights: [Double]?, estimator: String) throws {
        guard x.rows > 0 else { throw EstimatorError.empty(estimator: estimator) }
        guard x.rows == targets else {
            throw EstimatorError.lengthMismatch(estimator: estimator, rows: x.rows, targets: targets)
        }
        try finite(x, estimator: estimator)
        if let w = weights {
            guard w.count == x.rows else {
                throw EstimatorError.lengthMismatch(estimator: estimator, rows: x.rows, targets: w.count)
            }
            guard w.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw EstimatorError.invalidSampleWeights(estimator: estimator, reason: "must be finite and non-negative")
            }
            guard w.contains(where: { $0 > 0 }) else {
                throw EstimatorError.invalidSampleWeights(estimator: estimator, reason: "are all zero")
            }
        }
    }

    static func predictInput(_ x: Matrix<Double>, featureCount: Int, estimator: String) throws {
        guard x.columns == featureCount else {
            throw EstimatorError.featureCountMismatch(estimator: estimator, expected: featureCount, got: x.columns)
        }
        try finite(x, estimator: estimator)
    }

    static func finite(_ x: Matrix<Double>, estimator: String) throws {
        let bad: Int? = x.withUnsafeBufferPointer { p in p.firstIndex { !$0.isFinite } }
        if let i = bad {
            throw EstimatorError.nonFinite(estimator: estimator, row: i / x.columns, column: i % x.columns)
        }
    }
}
