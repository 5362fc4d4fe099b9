import SluiceCompute
import SluiceFrame

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
        let classes = Self.sortedClasses(Array(Set(labels)))
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        self.init(codes: labels.map { index[$0]! }, classes: classes)
    }

    /// Labels from numeric values (e.g. a 0/1 column); class names are the numbers' text.
    public init<T: BinaryInteger>(_ labels: [T]) {
        let (codes, classes) = Self.encode(labels)
        self.init(codes: codes, classes: classes.map { "\($0)" })
    }

    /// Distinct class names in scikit-learn's order: numerically if all parse as numbers.
    static func sortedClasses(_ unique: [String]) -> [String] {
        let numeric = unique.compactMap(Double.init)
        return numeric.count == unique.count ? unique.sorted { Double($0)! < Double($1)! } : unique.sorted()
    }

    /// Each value's index among the sorted distinct values, and those values. A label column
    /// holds a few classes: they are looked up in a short array (the last one first) rather
    /// than hashed, until there are more than 16 of them.
    static func encode<T: Hashable & Comparable>(_ values: [T]) -> (codes: [Int], classes: [T]) {
        var seen: [T] = []
        var many = false
        for v in values where !seen.contains(v) {
            seen.append(v)
            if seen.count > 16 { many = true; break }
        }
        if many {
            let classes = Array(Set(values)).sorted()
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            return (values.map { index[$0]! }, classes)
        }
        let classes = seen.sorted()
        guard var last = classes.first else { return ([], []) }
        var lastCode = 0
        let codes = values.map { v -> Int in
            if v != last { last = v; lastCode = classes.firstIndex(of: v)! }
            return lastCode
        }
        return (codes, classes)
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
public enum EstimatorError: Error, Equatable, Sendable, CustomStringConvertible, ExitClassified {
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

    /// A bad hyperparameter is configuration (78); everything else comes from the data (65).
    public var exitStatus: ExitStatus {
        if case .invalidHyperparameter = self { return .configuration }
        return .dataError
    }
}

/// Input checks every learner runs on what it is given: shared so that each refuses bad
/// input with the same typed error, naming the row and column. Inlinable, so that each
/// learner's call is specialised to its scalar type (a generic scan costs a value-witness
/// call per element).
public enum LearnerInput {
    /// Checks a training set: rows present, target and weights aligned, features finite
    /// unless `allowsMissing`, weights finite, non-negative and not all zero.
    @inlinable
    public static func check<S: BLASScalar>(_ data: TrainingSet<S>, learner: String, allowsMissing: Bool = false) throws {
        let x = data.features
        guard x.rows > 0 else { throw EstimatorError.empty(estimator: learner) }
        if let t = data.target.count, t != x.rows {
            throw EstimatorError.lengthMismatch(estimator: learner, rows: x.rows, targets: t)
        }
        if case .values(let y) = data.target, let i = y.firstIndex(where: { !$0.isFinite }) {
            throw EstimatorError.nonFinite(estimator: learner, row: i, column: -1)
        }
        if !allowsMissing { try finite(x, learner: learner) }
        try weights(data.sampleWeights, rows: x.rows, learner: learner)
    }

    /// Checks sample weights: one per row, finite, non-negative, not all zero.
    @inlinable
    public static func weights(_ w: [Double]?, rows: Int, learner: String) throws {
        guard let w else { return }
        guard w.count == rows else { throw EstimatorError.lengthMismatch(estimator: learner, rows: rows, targets: w.count) }
        guard w.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw EstimatorError.invalidSampleWeights(estimator: learner, reason: "must be finite and non-negative")
        }
        guard w.contains(where: { $0 > 0 }) else {
            throw EstimatorError.invalidSampleWeights(estimator: learner, reason: "are all zero")
        }
    }

    /// Checks a matrix to predict on: the fitted feature count, and finite unless `allowsMissing`.
    @inlinable
    public static func predict<S: BLASScalar>(_ x: Matrix<S>, featureCount: Int, learner: String,
                                              allowsMissing: Bool = false) throws {
        guard x.columns == featureCount else {
            throw EstimatorError.featureCountMismatch(estimator: learner, expected: featureCount, got: x.columns)
        }
        if !allowsMissing { try finite(x, learner: learner) }
    }

    /// Throws ``EstimatorError/nonFinite(estimator:row:column:)`` at the first NaN or infinity.
    @inlinable
    public static func finite<S: BLASScalar>(_ x: Matrix<S>, learner: String) throws {
        let bad: Int? = x.withUnsafeBufferPointer { p in p.firstIndex { !$0.isFinite } }
        if let i = bad {
            throw EstimatorError.nonFinite(estimator: learner, row: i / max(1, x.columns), column: i % max(1, x.columns))
        }
    }
}

extension ClassLabels {
    /// Class labels from a target column: strings as they are, integers by their text,
    /// booleans as `false`/`true`, doubles by their shortest text (`0`, `1`, `2.5`: an
    /// integral double is written without `.0`), sorted numerically for numbers. A null is
    /// an error naming its row.
    public init(column: Column, name: String) throws {
        guard column.nullCount == 0 else {
            let row = (0..<column.count).first { column.isNull($0) } ?? 0
            throw PipelineError.invalidValue(stage: "target", column: name,
                reason: "\(column.nullCount) nulls (first at row \(row)); drop unlabelled rows first (Frame.droppingNulls(in:))")
        }
        switch column.data {
        case .string(let s):
            // Per dictionary entry, not per row: the same classes as `init(_:)` on the texts.
            var used = [Bool](repeating: false, count: s.dictionary.count)
            for code in s.codes { used[Int(code)] = true }
            let classes = Self.sortedClasses(Array(Set(s.dictionary.indices.filter { used[$0] }.map { s.dictionary[$0] })))
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            let byCode = s.dictionary.map { index[$0] ?? 0 }
            self.init(codes: s.codes.map { byCode[Int($0)] }, classes: classes)
        case .int64(let v):
            self.init(v)
        case .bool(let v):
            self.init(codes: v.map { $0 ? 1 : 0 }, classes: ["false", "true"])
        case .double(let v):
            if let i = v.firstIndex(where: { !$0.isFinite }) {
                throw PipelineError.invalidValue(stage: "target", column: name, reason: "\(v[i]) at row \(i) is not a class")
            }
            let (codes, classes) = Self.encode(v)
            self.init(codes: codes, classes: classes.map(Self.name(of:)))
        default:
            throw PipelineError.unsupportedType(stage: "target", column: name, type: column.type,
                                                expected: "string, int64, bool or double")
        }
    }

    /// The class name of a double label: integral values without a fraction (`1`, not `1.0`).
    static func name(of value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
