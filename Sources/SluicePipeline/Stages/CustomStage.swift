import Foundation
import SluiceFrame

/// A stage written as a Swift closure, with a declared output schema: for row-wise
/// feature logic no built-in stage covers.
///
/// ```swift
/// let tenure = CustomStage("tenure_years", output: { input in
///     try Schema(input.fields + [Field("tenure_years", .double)])
/// }) { frame in
///     try frame.setting("tenure_years", to: .double(try frame.doubles("tenure_days").map { $0 / 365.25 }))
/// }
/// ```
///
/// The closure must keep rows one to one and return exactly the declared schema (names
/// and types, any nullability); a fitted custom stage checks both on every call and
/// fails with an error naming the stage otherwise. Nothing is learnt from the data.
///
/// **Artifacts.** A closure is code, and artifacts are code-free: a fitted custom stage
/// is stored as its *name* only (with the schemas). To load an artifact that holds one,
/// pass a codec that knows the same stage: `ArtifactCodec.standard.adding(customStages:
/// [stage])`; loading fails with a clear error naming the stage otherwise.
public struct CustomStage: Transformer {
    /// The stage's name: in errors, and the key artifacts store.
    public let name: String
    let declaredOutput: @Sendable (Schema) throws -> Schema
    let body: @Sendable (Frame) throws -> Frame

    /// A stage named `name` whose output schema for an input schema is `output`, and which
    /// transforms a frame with `transform`.
    public init(_ name: String, output: @escaping @Sendable (Schema) throws -> Schema,
                transform: @escaping @Sendable (Frame) throws -> Frame) {
        self.name = name
        self.declaredOutput = output
        self.body = transform
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        guard !name.isEmpty else { throw PipelineError.invalidConfiguration(stage: "CustomStage", reason: "a custom stage needs a name") }
        return try declaredOutput(input)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        Fitted(name: name, inputSchema: frame.schema, outputSchema: try outputSchema(for: frame.schema), stage: self)
    }

    /// Fitted state: the stage's name and the schemas it was fitted with. The closure
    /// itself is held in memory and, when decoding, looked up by name in the registry.
    public struct Fitted: FittedTransformer {
        public static let kind = "CustomStage"
        public var name: String
        /// The whole schema the stage was fitted on: a closure may read any column.
        public var inputSchema: Schema
        public var outputSchema: Schema
        let stage: CustomStage

        init(name: String, inputSchema: Schema, outputSchema: Schema, stage: CustomStage) {
            self.name = name
            self.inputSchema = inputSchema
            self.outputSchema = outputSchema
            self.stage = stage
        }

        private enum CodingKeys: String, CodingKey { case name, inputSchema, outputSchema }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            inputSchema = try c.decode(Schema.self, forKey: .inputSchema)
            outputSchema = try c.decode(Schema.self, forKey: .outputSchema)
            guard let stage = try ArtifactCodec.current(decoder).customStages[name] else {
                throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription:
                    "custom stage '\(name)' is not in the codec: load with codec.adding(customStages: [thatStage])")
            }
            self.stage = stage
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(inputSchema, forKey: .inputSchema)
            try c.encode(outputSchema, forKey: .outputSchema)
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: name)
            let out = try stage.body(frame)
            guard out.rowCount == frame.rowCount else {
                throw PipelineError.invalidValue(stage: name, column: "*",
                    reason: "returned \(out.rowCount) rows for \(frame.rowCount); a transform keeps rows one to one")
            }
            let expected = try stage.declaredOutput(frame.schema)
            guard out.schema.names == expected.names else {
                throw PipelineError.invalidValue(stage: name, column: "*",
                    reason: "returned columns \(out.schema.names), declared \(expected.names)")
            }
            for (f, e) in zip(out.schema.fields, expected.fields) where f.type != e.type {
                throw PipelineError.schemaMismatch(column: f.name, expected: e.type.rawValue, actual: f.type.rawValue)
            }
            return out
        }
    }
}
