import SluiceCompute
import SluiceFrame

/// What a stage's or learner's `fit` may use besides its data: the seeded generator every
/// random choice draws from, the target column (aligned with the frame's rows) for
/// supervised stages such as target encoding or k-best selection, an observer of progress
/// and a cancellation check (SIGTERM means "stop at the next step", not "die").
public struct FitContext: Sendable {
    /// The one generator of the run; stages and learners draw from it (or `split()` it) in order.
    public var rng: SeededGenerator
    /// The label column, when the pipeline has one.
    public var target: Column?
    /// Called after each step of a long fit (iterations, epochs, trees).
    public var observer: (@Sendable (FitProgress) -> Void)?
    /// Returns true once the caller wants the fit to stop.
    public var isCancelled: @Sendable () -> Bool
    /// Wraps a model of the learner being fitted in the fitted pipeline around it (its fitted
    /// stages, feature encoding, target and keys), so that a learner can write a checkpoint
    /// artifact of a model it has not finished fitting. `Pipeline.fit` sets it just before the
    /// learner's fit; it is nil when a learner is fitted outside a pipeline.
    public var pipelineSnapshot: (@Sendable (any FittedModel) -> FittedPipeline)? = nil

    public init(seed: UInt64, target: Column? = nil, observer: (@Sendable (FitProgress) -> Void)? = nil,
                isCancelled: @escaping @Sendable () -> Bool = { false }) {
        rng = SeededGenerator(seed: seed)
        self.target = target
        self.observer = observer
        self.isCancelled = isCancelled
    }

    /// Reports `progress` to the observer, if there is one.
    public func observe(_ progress: FitProgress) { observer?(progress) }

    /// Throws ``FitCancelled`` naming `source` if the caller asked the fit to stop.
    public func checkCancellation(_ source: String) throws {
        if isCancelled() { throw FitCancelled(source: source) }
    }
}

/// A row-preserving stage, unfitted: a configuration value. ``fit(_:context:)`` returns
/// a separate ``FittedTransformer``; there is no way to transform with an unfitted stage.
public protocol Transformer: Sendable {
    associatedtype Fitted: FittedTransformer
    /// A short name for errors and reports, e.g. `"StandardScaler"`.
    var name: String { get }
    /// The schema this stage will produce from `input`, before any data is read. Columns
    /// whose number depends on the data (one per category, say) appear as one planned
    /// expansion field (``SluiceFrame/Field/expansion(of:)``). Throws if the input cannot work (a missing column, a
    /// string column given to a scaler).
    func outputSchema(for input: Schema) throws -> Schema
    /// Learns the stage's state from `frame`.
    func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted
    /// Fits on `frame` and returns the fitted stage together with the training rows as the
    /// next stage must see them. The default is `fit` then `transform`; a stage whose
    /// training output must differ from what it produces at scoring time (cross-fitted
    /// target encoding, whose training rows are encoded out of fold) implements it.
    func fitTransform(_ frame: Frame, context: inout FitContext) throws -> (Fitted, Frame)
}

extension Transformer {
    public func fitTransform(_ frame: Frame, context: inout FitContext) throws -> (Fitted, Frame) {
        let fitted = try fit(frame, context: &context)
        var report = TransformReport()
        return (fitted, try fitted.transform(frame, report: &report))
    }
}

/// A fitted, row-preserving stage: Codable state, and the schemas it takes and makes.
public protocol FittedTransformer: Codable, Sendable {
    /// The name under which the artifact format stores this stage's state.
    static var kind: String { get }
    /// The columns (by name and type) `transform` reads; other columns pass through untouched
    /// unless the stage documents otherwise. Column order does not matter.
    var inputSchema: Schema { get }
    /// The schema `transform` returns for a frame of ``inputSchema``.
    var outputSchema: Schema { get }
    /// Maps rows one to one, noting in `report` what it had to work around (unknown
    /// categories, say).
    func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame
    /// Checks decoded state for consistency (one mean per column, categories unique, values
    /// finite) before it is used: a crafted or damaged artifact is refused here with an
    /// error naming the stage and field, never by a trap later.
    func validate() throws
}

extension FittedTransformer {
    /// No state beyond the schemas to check (stages with arrays of state implement it).
    public func validate() throws {}

    /// Maps rows one to one, discarding the report.
    public func transform(_ frame: Frame) throws -> Frame {
        var report = TransformReport()
        return try transform(frame, report: &report)
    }
}

/// What fitted stages worked around while transforming: counts by stage and column, e.g.
/// unknown categories an encoder mapped to its fallback. Scoring runs report it.
public struct TransformReport: Sendable, Equatable, Codable {
    /// `(stage, column) → count` of unknown categories seen.
    public private(set) var unknownCategories: [String: Int] = [:]

    public init() {}

    /// Adds `count` unknown categories seen by `stage` in `column`.
    public mutating func noteUnknown(stage: String, column: String, count: Int) {
        guard count > 0 else { return }
        unknownCategories["\(stage).\(column)", default: 0] += count
    }

    /// Every unknown category seen, across stages and columns.
    public var totalUnknown: Int { unknownCategories.values.reduce(0, +) }
}

/// A stage that changes rows (balancing, outlier removal). Samplers run on the fit path
/// only: a fitted pipeline holds no sampler, so none can run at scoring time.
public protocol Sampler: Sendable {
    /// A short name for errors and reports.
    var name: String { get }
    /// The rows to train on, with the target aligned to them. Must not change the schema.
    func resample(_ frame: Frame, target: Column, context: inout FitContext) throws -> (Frame, Column)
}

/// Why a pipeline, stage or artifact failed; each case names the stage and column.
public enum PipelineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A stage needs a column the input does not have.
    case missingColumn(stage: String, column: String)
    /// A stage cannot take a column of this type.
    case unsupportedType(stage: String, column: String, type: ColumnType, expected: String)
    /// A stage needs the target column and the pipeline has none.
    case targetRequired(stage: String)
    /// A stage's configuration is invalid.
    case invalidConfiguration(stage: String, reason: String)
    /// At the estimator, a column is not numeric.
    case nonNumericFeature(column: String, type: ColumnType)
    /// A value the stage cannot handle.
    case invalidValue(stage: String, column: String, reason: String)
    /// The input to a fitted pipeline does not match the schema it was trained on.
    case schemaMismatch(column: String, expected: String, actual: String)
    /// The input to a fitted pipeline lacks columns, or has them in other types: every one.
    case inputSchema([SchemaProblem])
    /// A frame operation failed inside a stage.
    case frame(stage: String, FrameError)

    public var description: String {
        switch self {
        case let .missingColumn(stage, column): return "\(stage): no column '\(column)' in the input"
        case let .unsupportedType(stage, column, type, expected):
            return "\(stage): column '\(column)' is \(type), expected \(expected)"
        case let .targetRequired(stage): return "\(stage): needs the target column, and the pipeline has none"
        case let .invalidConfiguration(stage, reason): return "\(stage): \(reason)"
        case let .nonNumericFeature(column, type):
            return "estimator input: column '\(column)' is \(type); encode it before the estimator"
        case let .invalidValue(stage, column, reason): return "\(stage): column '\(column)': \(reason)"
        case let .schemaMismatch(column, expected, actual):
            return "input schema: column '\(column)' expected \(expected), found \(actual)"
        case let .frame(stage, error): return "\(stage): \(error)"
        case let .inputSchema(problems):
            return "input schema: \(problems.count) column\(problems.count == 1 ? "" : "s") do not fit the model: "
                + problems.map(\.description).joined(separator: ", ")
        }
    }
}

extension PipelineError: ExitClassified {
    /// A pipeline that cannot be built is configuration (78); data that does not fit it, 65.
    public var exitStatus: ExitStatus {
        switch self {
        case .invalidConfiguration, .targetRequired: return .configuration
        default: return .dataError
        }
    }
}

extension Schema {
    /// The field named `name`, or a ``PipelineError/missingColumn(stage:column:)``.
    func require(_ name: String, stage: String) throws -> Field {
        guard let f = self[name] else { throw PipelineError.missingColumn(stage: stage, column: name) }
        return f
    }

    /// Checks that `frame` has every field of this schema with the same type (any order).
    func check(_ frame: Frame, stage: String) throws {
        for f in fields {
            guard let actual = frame.schema[f.name] else { throw PipelineError.missingColumn(stage: stage, column: f.name) }
            guard actual.type == f.type else {
                throw PipelineError.schemaMismatch(column: f.name, expected: f.type.rawValue, actual: actual.type.rawValue)
            }
        }
    }
}

/// Runs a frame operation inside a stage, tagging a ``FrameError`` with the stage.
func framing<T>(_ stage: String, _ body: () throws(FrameError) -> T) throws -> T {
    do { return try body() } catch { throw PipelineError.frame(stage: stage, error) }
}

extension Field {
    /// The marker a planned expansion's name ends with.
    static let expansionMarker = "=…"

    /// A planned field standing for the columns a stage makes from `column` once it has
    /// seen the data (one per category or term, say), all `double`: the one place a
    /// planned schema encodes a data-dependent width. Fitted schemas never hold one.
    public static func expansion(of column: String) -> Field {
        Field(column + expansionMarker, .double, nullable: false)
    }

    /// The column this planned field expands, or nil for an ordinary field.
    public var expandedColumn: String? {
        name.hasSuffix(Self.expansionMarker) ? String(name.dropLast(Self.expansionMarker.count)) : nil
    }
}

extension Schema {
    /// The column the planned field `name` expands (see ``SluiceFrame/Field/expansion(of:)``),
    /// or nil when it is an ordinary field or absent.
    public func expansionSource(of name: String) -> String? { self[name]?.expandedColumn }
}
