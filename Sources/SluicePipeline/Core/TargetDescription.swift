import SluiceCompute
import SluiceFrame

/// What a fitted pipeline knows of its target: its name, its column type and, for a
/// classifier, the classes in code order. Predictions come back typed as the target was:
/// a 0/1 `double` target predicts doubles, a string target strings, an `int64` target integers.
public struct TargetDescription: Codable, Sendable, Equatable {
    public var name: String
    /// The target column's type at training time.
    public var type: ColumnType
    public var kind: TargetKind
    /// The class names in code order (the order of probability columns), for classifiers.
    public var classes: [String]?

    /// Describes `column`, the target named `name` of a learner predicting `kind`.
    public init(name: String, column: Column, kind: TargetKind) throws {
        self.name = name
        type = column.type
        self.kind = kind
        classes = kind == .classes ? try ClassLabels(column: column, name: name).classes : nil
    }

    /// The learner's target from a column of this type: class codes into ``classes``
    /// (a class never seen in training is an error naming it), continuous values (no nulls,
    /// finite), or none.
    public func target(_ column: Column) throws -> Target {
        guard column.type == type || (kind == .values && column.type.isNumeric) else {
            throw PipelineError.schemaMismatch(column: name, expected: type.rawValue, actual: column.type.rawValue)
        }
        switch kind {
        case .none: return .none
        case .values:
            if column.nullCount > 0 {
                let row = (0..<column.count).first { column.isNull($0) } ?? 0
                throw PipelineError.invalidValue(stage: "target", column: name,
                    reason: "\(column.nullCount) nulls (first at row \(row)); drop unlabelled rows (droppingNulls(in:))")
            }
            return .values(ColumnValues.doubles(column))
        case .classes:
            let labels = try ClassLabels(column: column, name: name)
            let known = classes ?? []
            guard labels.classes != known else { return .classes(labels) }
            let index = Dictionary(known.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            var map = [Int]()
            for c in labels.classes {
                guard let i = index[c] else {
                    throw PipelineError.invalidValue(stage: "target", column: name,
                        reason: "class '\(c)' was not in the training data (classes: \(known.joined(separator: ", ")))")
                }
                map.append(i)
            }
            return .classes(ClassLabels(codes: labels.codes.map { map[$0] }, classes: known))
        }
    }

    /// A column of predicted classes, typed as the target: `codes` index ``classes``.
    public func classColumn(_ codes: [Int]) throws -> Column {
        let names = classes ?? []
        guard codes.allSatisfy({ $0 >= 0 && $0 < names.count }) else {
            throw PipelineError.invalidValue(stage: "prediction", column: name, reason: "a class code is out of range")
        }
        // Each class's value is parsed once, then looked up per row.
        func values<T>(_ parse: (String) -> T?) throws -> [T] {
            let byClass = names.map(parse)
            guard byClass.allSatisfy({ $0 != nil }) else {
                throw PipelineError.invalidValue(stage: "prediction", column: name, reason: "a class name is not a \(type.rawValue)")
            }
            let table = byClass.map { $0! }
            return codes.map { table[$0] }
        }
        switch type {
        case .string: return Column(.string(StringColumn(codes: codes.map { Int32($0) }, dictionary: names)))
        case .int64: return Column(.int64(try values { Int64($0) }))
        case .double: return Column(.double(try values { Double($0) }))
        case .bool: return Column(.bool(try values { $0 == "true" ? true : $0 == "false" ? false : nil }))
        default:
            throw PipelineError.unsupportedType(stage: "prediction", column: name, type: type,
                                                expected: "string, int64, bool or double")
        }
    }
}

/// A pipeline's output for a batch of rows.
public struct Predictions: Sendable {
    /// The predicted value: a class typed as the target was, a number for a regressor, a
    /// cluster index (`int64`) for a clusterer.
    public var values: Column
    /// The predicted class codes (indices into ``classes``), for classifiers.
    public var codes: [Int]?
    /// Class probabilities (`rows × classes.count`), for classifiers.
    public var probabilities: Matrix<Double>?
    /// The class names, in the order of probability columns.
    public var classes: [String]?

    public init(values: Column, codes: [Int]? = nil, probabilities: Matrix<Double>? = nil, classes: [String]? = nil) {
        self.values = values
        self.codes = codes
        self.probabilities = probabilities
        self.classes = classes
    }
}
