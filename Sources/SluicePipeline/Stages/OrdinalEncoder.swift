import SluiceFrame

/// Encodes categorical (`string`, `bool`, `int64`) columns as ordinal numbers, as
/// scikit-learn's `OrdinalEncoder`: each column's categories seen at fit time, sorted
/// (numerically for `int64`, by code point otherwise), become `0, 1, …, k−1` in a `double`
/// column of the same name.
///
/// - **Nulls stay null** (scikit-learn's `encoded_missing_value=np.nan`): an imputer or a
///   model that takes missing values handles them downstream.
/// - **Unknown categories** at transform time encode as ``unknownValue`` (default `-1`,
///   scikit-learn's `handle_unknown="use_encoded_value", unknown_value=-1`) and are counted
///   in the ``TransformReport``. Choose a value that cannot be a code (negative, or `NaN`).
public struct OrdinalEncoder: Transformer {
    public var columns: ColumnSelector
    /// The value an unseen category encodes as.
    public var unknownValue: Double
    public var name: String { "OrdinalEncoder" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .categorical), unknownValue: Double = -1) {
        self.columns = columns
        self.unknownValue = unknownValue
    }

    /// Each chosen column becomes a `double` column of the same name and nullability.
    public func outputSchema(for input: Schema) throws -> Schema {
        try ColumnValues.replacingWithDoubles(input, Categories.columns(columns, in: input, stage: name))
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        if !unknownValue.isNaN, unknownValue >= 0, unknownValue == unknownValue.rounded() {
            throw PipelineError.invalidConfiguration(stage: name,
                reason: "unknownValue \(unknownValue) could be a category's code; use a negative number or NaN")
        }
        let names = try Categories.columns(columns, in: frame.schema, stage: name)
        let categories = try names.map { n in
            Categories.fit(try framing(name) { () throws(FrameError) in try frame.column(n) }).categories
        }
        return Fitted(columns: names, categories: categories, unknownValue: unknownValue,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: each column's sorted categories.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "OrdinalEncoder"
        public var columns: [String]
        /// `categories[j][code]` is the category that encodes as `code` in `columns[j]`.
        public var categories: [[String]]
        public var unknownValue: Double
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            var out = frame
            for (j, n) in columns.enumerated() {
                let c = try framing(Self.kind) { () throws(FrameError) in try frame.column(n) }
                let codes = Categories.lookup(c, in: categories[j])
                var unknown = 0
                let values = codes.map { code -> Double in
                    if code >= 0 { return Double(code) }
                    if code == Categories.null { return .nan }
                    unknown += 1
                    return unknownValue
                }
                report.noteUnknown(stage: Self.kind, column: n, count: unknown)
                try framing(Self.kind) { () throws(FrameError) in
                    try out.set(n, to: Column(.double(values), validity: c.validity),
                                nullable: c.nullCount > 0 || (outputSchema[n]?.nullable ?? true))
                }
            }
            return out
        }
    }
}

extension OrdinalEncoder.Fitted {
    /// One list of distinct categories per categorical input column.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: categoryTypes)
        try check.count(categories.count, "categories", equals: columns.count)
        for (n, c) in zip(columns, categories) { try check.unique(c, "categories[\(n)]") }
        try check.outputs(columns, in: outputSchema)
    }
}
