import Foundation
import SluiceFrame

/// Raises numeric columns to a fixed power, in place (names kept, columns become
/// `double`): `x^2`, `sqrt(x)` as `exponent: 0.5`, `1/x` as `exponent: -1`.
///
/// - With `signed`, `sign(x) · |x|^exponent`, defined for every `x` (a zero base with a
///   negative exponent still has no value).
/// - Without it, a value with no real power (a negative base with a fractional exponent,
///   or zero with a negative exponent) is an error naming the column at fit time, and
///   becomes **null** at scoring time rather than failing the run.
/// - Nulls stay null and `NaN` stays `NaN`. There is nothing to learn.
public struct PowerFeature: Transformer {
    public var columns: ColumnSelector
    public var exponent: Double
    public var signed: Bool
    public var name: String { "PowerFeature" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), exponent: Double, signed: Bool = false) {
        self.columns = columns
        self.exponent = exponent
        self.signed = signed
    }

    /// Whether some finite value of a column can have no power.
    var canFail: Bool { exponent < 0 || (!signed && exponent != exponent.rounded()) }

    public func outputSchema(for input: Schema) throws -> Schema {
        let names = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return try ColumnValues.replacingWithDoubles(input, names, nullable: true)
            .withNullable(canFail ? names : [], stage: name)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        guard exponent.isFinite else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "exponent must be finite, got \(exponent)")
        }
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        let fitted = Fitted(columns: names, exponent: exponent, signed: signed, canFail: canFail,
                            inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                            outputSchema: try outputSchema(for: frame.schema))
        if canFail {
            for n in names {
                let c = try ColumnValues.column(frame, n, stage: name)
                let v = ColumnValues.doubles(c)
                if let i = v.indices.first(where: { !v[$0].isNaN && fitted.power(v[$0]) == nil }) {
                    throw PipelineError.invalidValue(stage: name, column: n,
                        reason: "value \(v[i]) at row \(i) has no real power \(exponent)")
                }
            }
        }
        return fitted
    }

    /// Fitted state: the columns, the exponent and the variant.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "PowerFeature"
        public var columns: [String]
        public var exponent: Double
        public var signed: Bool
        /// Whether some values have no power (and become null).
        public var canFail: Bool
        public var inputSchema: Schema
        public var outputSchema: Schema

        /// The power of `x`, or `nil` where it has none.
        func power(_ x: Double) -> Double? {
            if x == 0 && exponent < 0 { return nil }
            if signed { return x < 0 ? -pow(-x, exponent) : pow(x, exponent) }
            let y = pow(x, exponent)
            return y.isNaN ? nil : y
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            return try ColumnValues.mappingWithNulls(frame, columns, nullable: canFail, stage: Self.kind) { _, x in power(x) }
        }
    }
}

extension PowerFeature.Fitted {
    /// The columns are distinct numeric input columns; the exponent is finite.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        try check.require(exponent.isFinite, "exponent", "\(exponent) is not finite")
        try check.outputs(columns, in: outputSchema)
    }
}
