import SluiceFrame

/// A new `double` column, `numerator / denominator`, appended after the others (the two
/// inputs are kept).
///
/// **Division by zero gives null**, not infinity or `NaN`, so a following imputer can
/// fill it and an estimator never sees an infinity. A null in either input gives null;
/// `NaN` propagates as `NaN`.
public struct ColumnRatio: Transformer {
    public var numerator: String
    public var denominator: String
    /// The new column's name.
    public var output: String
    public var name: String { "ColumnRatio" }

    /// `numerator / denominator` as `output` (by default `numerator/denominator`).
    public init(_ numerator: String, _ denominator: String, as output: String? = nil) {
        self.numerator = numerator
        self.denominator = denominator
        self.output = output ?? "\(numerator)/\(denominator)"
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try PairwiseColumn.schema(input, numerator, denominator, output: output, nullable: true, stage: name)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        Fitted(left: numerator, right: denominator, output: output,
               inputSchema: try ColumnValues.subschema(frame.schema, [numerator, denominator], stage: name),
               outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: the two inputs and the output name.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "ColumnRatio"
        public var left: String
        public var right: String
        public var output: String
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            return try PairwiseColumn.apply(frame, left, right, output: output, nullable: true, stage: Self.kind) { a, b in
                b == 0 ? nil : a / b
            }
        }
    }
}

/// Shared by ``ColumnRatio`` and ``ColumnDifference``: a new column from two numeric ones.
enum PairwiseColumn {
    static func schema(_ input: Schema, _ a: String, _ b: String, output: String, nullable: Bool, stage: String) throws -> Schema {
        let fa = try input.require(a, stage: stage), fb = try input.require(b, stage: stage)
        for f in [fa, fb] where !f.type.isNumeric {
            throw PipelineError.unsupportedType(stage: stage, column: f.name, type: f.type, expected: "a numeric column")
        }
        guard input[output] == nil else {
            throw PipelineError.invalidConfiguration(stage: stage, reason: "output column '\(output)' already exists")
        }
        let field = Field(output, .double, nullable: nullable || fa.nullable || fb.nullable)
        return try framing(stage) { () throws(FrameError) in try Schema(input.fields + [field]) }
    }

    static func apply(_ frame: Frame, _ a: String, _ b: String, output: String, nullable: Bool, stage: String,
                      _ op: (Double, Double) -> Double?) throws -> Frame {
        let schema = try schema(frame.schema, a, b, output: output, nullable: nullable, stage: stage)
        let ca = try ColumnValues.column(frame, a, stage: stage), cb = try ColumnValues.column(frame, b, stage: stage)
        let va = ColumnValues.doubles(ca), vb = ColumnValues.doubles(cb)
        var result = [Double](repeating: .nan, count: va.count)
        var valid = [Bool](repeating: true, count: va.count)
        for i in va.indices {
            if ca.isNull(i) || cb.isNull(i) { valid[i] = false; continue }
            if let y = op(va[i], vb[i]) { result[i] = y } else { valid[i] = false }
        }
        let made = Column(.double(result), validity: ValidityMask(valid: valid))
        return try ColumnValues.assembling(schema, from: frame, made: [output: made], stage: stage)
    }
}

extension ColumnRatio.Fitted {
    /// Both inputs are numeric input columns; the output is a new column of the output schema.
    public func validate() throws {
        try PairwiseColumn.validate(Self.kind, left, right, output, inputSchema, outputSchema)
    }
}

extension PairwiseColumn {
    static func validate(_ kind: String, _ left: String, _ right: String, _ output: String,
                         _ input: Schema, _ outputSchema: Schema) throws {
        let check = StateCheck(kind)
        try check.columns([left], in: input, field: "left", types: numericTypes)
        try check.columns([right], in: input, field: "right", types: numericTypes)
        try check.require(input[output] == nil, "output", "'\(output)' is already an input column")
        try check.outputs([output], in: outputSchema)
    }
}
