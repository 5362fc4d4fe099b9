import Foundation
import SluiceFrame

/// `log(1 + x)` of numeric columns, in place (names kept, columns become `double`), for
/// skewed non-negative quantities such as counts and amounts.
///
/// - With `signed`, `sign(x) · log(1 + |x|)`: defined everywhere, symmetric around 0.
/// - Without it, the domain is `x > -1`. A training value `≤ -1` is an error naming the
///   column (use `signed`, or clip first); at scoring time such a value becomes **null**
///   rather than failing the run, so a following imputer can fill it.
/// - Nulls stay null and `NaN` stays `NaN`. There is nothing to learn: fitting checks the
///   domain and records the schema.
public struct Log1pTransform: Transformer {
    public var columns: ColumnSelector
    public var signed: Bool
    public var name: String { "Log1pTransform" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), signed: Bool = false) {
        self.columns = columns
        self.signed = signed
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        let names = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return try ColumnValues.replacingWithDoubles(input, names, nullable: true)
            .withNullable(signed ? [] : names, stage: name)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        if !signed {
            for n in names {
                let v = ColumnValues.doubles(try ColumnValues.column(frame, n, stage: name))
                if let i = v.firstIndex(where: { $0 <= -1 }) {
                    throw PipelineError.invalidValue(stage: name, column: n,
                        reason: "value \(v[i]) at row \(i) is ≤ -1, outside log1p's domain; use signed: true or clip first")
                }
            }
        }
        return Fitted(columns: names, signed: signed,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try outputSchema(for: frame.schema))
    }

    /// Fitted state: the columns and the variant.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "Log1pTransform"
        public var columns: [String]
        public var signed: Bool
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            return try ColumnValues.mappingWithNulls(frame, columns, nullable: !signed, stage: Self.kind) { _, x in
                if signed { return x < 0 ? -log1p(-x) : log1p(x) }
                return x <= -1 ? nil : log1p(x)
            }
        }
    }
}

extension Log1pTransform.Fitted {
    /// The columns are distinct numeric input columns.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.outputs(columns, in: outputSchema)
    }
}
