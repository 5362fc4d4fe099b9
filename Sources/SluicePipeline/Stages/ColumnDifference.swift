import SluiceFrame

/// A new `double` column, `minuend − subtrahend`, appended after the others (the two
/// inputs are kept). A null in either input gives null; `NaN` propagates as `NaN`.
public struct ColumnDifference: Transformer {
    public var minuend: String
    public var subtrahend: String
    /// The new column's name.
    public var output: String
    public var name: String { "ColumnDifference" }

    /// `minuend − subtrahend` as `output` (by default `minuend-subtrahend`).
    public init(_ minuend: String, _ subtrahend: String, as output: String? = nil) {
        self.minuend = minuend
        self.subtrahend = subtrahend
        self.output = output ?? "\(minuend)-\(subtrahend)"
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try PairwiseColumn.schema(input, minuend, subtrahend, output: output, nullable: false, stage: name)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        Fitted(left: minuend, right: subtrahend, output: output,
               inputSchema: try ColumnValues.subschema(frame.schema, [minuend, subtrahend], stage: name),
               outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: the two inputs and the output name.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "ColumnDifference"
        public var left: String
        public var right: String
        public var output: String
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            return try PairwiseColumn.apply(frame, left, right, output: output, nullable: false, stage: Self.kind) { a, b in a - b }
        }
    }
}

extension ColumnDifference.Fitted {
    /// Both inputs are numeric input columns; the output is a new column of the output schema.
    public func validate() throws {
        try PairwiseColumn.validate(Self.kind, left, right, output, inputSchema, outputSchema)
    }
}
