import Foundation
import SluiceCompute
import SluiceFrame

/// What a scoring run writes per row, beside the key columns: the prediction, the class
/// probabilities, and constant columns such as the run id, the model version and the time.
public struct ScoreOutput: Sendable, Equatable {
    /// The prediction column's name.
    public var prediction: String
    /// The prefix of the probability columns (one per class, named prefix + class), or nil
    /// for none. Regressors and clusterers have none.
    public var probabilityPrefix: String?
    /// Columns with one value for every row, after the others, in order.
    public var constants: [Constant]
    /// The input columns carried through as keys, first; nil for the pipeline's own keys.
    public var keys: [String]?
    /// How many reasons to write per row, after the probabilities: the input columns that
    /// contributed most to the prediction, each as a `string` column naming it
    /// (`reason_1`, …) and a `double` with its contribution (`reason_1_value`, …); at most
    /// the number of explained input columns. 0 (the default) writes none.
    public var reasons: Int = 0
    /// The prefix of the reason columns.
    public var reasonPrefix: String = "reason_"

    /// A column with the same value in every row.
    public struct Constant: Sendable, Equatable {
        public var name: String
        /// The value (not null): its case gives the column type.
        public var value: Value

        public init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }

        /// A `timestamp` column holding `date`, to the microsecond.
        public static func timestamp(_ name: String, _ date: Date) -> Constant {
            Constant(name, .timestamp(Int64((date.timeIntervalSince1970 * 1_000_000).rounded())))
        }
    }

    public init(prediction: String = "prediction", probabilityPrefix: String? = "probability_", constants: [Constant] = [],
                keys: [String]? = nil, reasons: Int = 0, reasonPrefix: String = "reason_") {
        self.prediction = prediction
        self.probabilityPrefix = probabilityPrefix
        self.constants = constants
        self.keys = keys
        self.reasons = reasons
        self.reasonPrefix = reasonPrefix
    }
}

extension FittedPipeline {
    /// The schema ``score(_:output:report:)`` returns: the keys, the prediction (typed as
    /// the target), one `double` per class for classifiers, the reasons (``ScoreOutput/reasons``),
    /// then the constants. Known before
    /// any row is read, so a sink can create or check its table first. Keys other than the
    /// pipeline's take their types from `input`. Throws when two output columns would share
    /// a name, or a key is in neither.
    public func outputSchema(for output: ScoreOutput = ScoreOutput(), input: Schema? = nil) throws -> Schema {
        var fields = try keyFields(output, input: input)
        switch target?.kind {
        case .classes?:
            fields.append(Field(output.prediction, target!.type, nullable: false))
            if let prefix = output.probabilityPrefix {
                fields += (target!.classes ?? []).map { Field(prefix + $0, .double, nullable: false) }
            }
        case .values?: fields.append(Field(output.prediction, .double, nullable: false))
        case .none?, nil: fields.append(Field(output.prediction, .int64, nullable: false))
        }
        fields += try reasonFields(output)
        for c in output.constants {
            guard let type = c.value.columnType else {
                throw PipelineError.invalidConfiguration(stage: "score", reason: "constant column '\(c.name)' is null")
            }
            fields.append(Field(c.name, type, nullable: false))
        }
        return try framing("score") { () throws(FrameError) in try Schema(fields) }
    }

    /// Scores `frame`: the key columns as they came, the prediction typed as the target was,
    /// one probability column per class for classifiers, and `output`'s constant columns, in
    /// the order of ``outputSchema(for:)``. The input's schema is checked first and every
    /// wrong column is named at once.
    public func score(_ frame: Frame, output: ScoreOutput = ScoreOutput(), report: inout TransformReport) throws -> Frame {
        if output.keys == nil { try check(frame.schema) }
        let schema = try outputSchema(for: output, input: frame.schema)
        let p = try predict(frame, report: &report)
        var columns = try keyFields(output, input: frame.schema).map { k in
            try framing("score") { () throws(FrameError) in try frame.column(k.name) }
        }
        columns.append(p.values)
        if let probabilities = p.probabilities, output.probabilityPrefix != nil {
            let (n, m) = (probabilities.rows, probabilities.columns)
            probabilities.withUnsafeBufferPointer { prob in
                for k in 0..<m {
                    columns.append(Column(.double([Double](unsafeUninitializedCapacity: n) { out, count in
                        for i in 0..<n { out[i] = prob[i &* m &+ k] }
                        count = n
                    })))
                }
            }
        }
        columns += try reasonColumns(frame, output: output, predictions: p)
        for c in output.constants { columns.append(Column.repeating(c.value, count: frame.rowCount)) }
        return try framing("score") { () throws(FrameError) in
            try Frame(schema: Schema(schema.fields.map { Field($0.name, $0.type) }), columns: columns)
        }
    }

    private func keyFields(_ output: ScoreOutput, input: Schema?) throws -> [Field] {
        guard let names = output.keys else { return keys.map { Field($0.name, $0.type) } }
        return try names.map { n in
            if let f = input?[n] ?? keys.first(where: { $0.name == n }) { return Field(n, f.type) }
            throw PipelineError.missingColumn(stage: "score keys", column: n)
        }
    }

    /// Scores `frame`, discarding the transform report.
    public func score(_ frame: Frame, output: ScoreOutput = ScoreOutput()) throws -> Frame {
        var report = TransformReport()
        return try score(frame, output: output, report: &report)
    }
}
