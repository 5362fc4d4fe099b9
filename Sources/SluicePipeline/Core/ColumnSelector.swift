import SluiceFrame

/// Which columns a stage applies to: by name, by type, or by a predicate. The target
/// column is never selected by type or predicate.
///
/// A stage's default selector is a ``routeColumns(otherwise:)`` selector: outside a
/// ``ColumnTransformer`` route the stage takes its natural columns (a scaler the numeric
/// ones, an encoder the categorical ones); inside a route it takes **every column the route
/// gives it**, and a column of a type the stage cannot take is an error naming it, never
/// skipped. A selector written out (``names(_:)-swift.type.method``, ``types(_:)``,
/// ``numeric``, …) means the same inside a route as outside.
public struct ColumnSelector: Sendable, CustomStringConvertible {
    enum Rule: Sendable {
        case names([String])
        case types(Set<ColumnType>)
        case predicate(@Sendable (Field) -> Bool, String)
        /// Every column inside a route; the boxed selector outside one.
        indirect case routeColumns(otherwise: Rule)
    }

    let rule: Rule

    /// Exactly these columns, in this order; a missing one is an error.
    public static func names(_ names: String...) -> ColumnSelector { ColumnSelector(rule: .names(names)) }
    /// Exactly these columns, in this order; a missing one is an error.
    public static func names(_ names: [String]) -> ColumnSelector { ColumnSelector(rule: .names(names)) }
    /// Every `double` and `int64` column (as `Frame.numericColumnNames`). `bool` columns are
    /// categorical: they are not scaled or mean-imputed, but one-hot or ordinal encoded.
    public static let numeric = ColumnSelector(rule: .types([.double, .int64]))
    /// Every `string` and `bool` column.
    public static let categorical = ColumnSelector(rule: .types([.string, .bool]))
    /// Every `date` and `timestamp` column.
    public static let temporal = ColumnSelector(rule: .types([.date, .timestamp]))
    /// Every column of one of these types.
    public static func types(_ types: ColumnType...) -> ColumnSelector { ColumnSelector(rule: .types(Set(types))) }
    /// Every column whose field satisfies `test`; `label` names the rule in errors.
    public static func matching(_ label: String, _ test: @escaping @Sendable (Field) -> Bool) -> ColumnSelector {
        ColumnSelector(rule: .predicate(test, label))
    }
    /// A stage's default: inside a ``ColumnTransformer`` route, every column the route gives
    /// the stage (in the route's order); anywhere else, the columns `natural` picks. Stages
    /// default to `.routeColumns(otherwise: .numeric)` (scalers, imputers, …),
    /// `.routeColumns(otherwise: .categorical)` (encoders) or `.routeColumns(otherwise: .temporal)`.
    public static func routeColumns(otherwise natural: ColumnSelector) -> ColumnSelector {
        if case .routeColumns = natural.rule { return natural }
        return ColumnSelector(rule: .routeColumns(otherwise: natural.rule))
    }

    /// Whether this selector takes every column of a route when it is used inside one
    /// (a stage's default, ``routeColumns(otherwise:)``).
    public var followsRoute: Bool {
        if case .routeColumns = rule { return true }
        return false
    }

    /// The selected column names of `schema`, in schema order (or the listed order for
    /// `names`), leaving out `excluded` (the target).
    public func resolve(in schema: Schema, excluding excluded: Set<String> = [], stage: String) throws -> [String] {
        try Self.resolve(rule, in: schema, excluding: excluded, stage: stage)
    }

    private static func resolve(_ rule: Rule, in schema: Schema, excluding excluded: Set<String>,
                                stage: String) throws -> [String] {
        switch rule {
        case .names(let names):
            for n in names where schema[n] == nil { throw PipelineError.missingColumn(stage: stage, column: n) }
            return names
        case .types(let types):
            return schema.fields.filter { types.contains($0.type) && !excluded.contains($0.name) }.map(\.name)
        case .predicate(let test, _):
            return schema.fields.filter { test($0) && !excluded.contains($0.name) }.map(\.name)
        case .routeColumns(let natural):
            guard RouteScope.current != nil else { return try resolve(natural, in: schema, excluding: excluded, stage: stage) }
            return schema.fields.filter { !excluded.contains($0.name) }.map(\.name)
        }
    }

    /// Resolves the selector in `schema` and checks that `accepts` takes each chosen column's
    /// type; the first it refuses is an ``unsupported(stage:column:type:expected:)`` error.
    func resolve(in schema: Schema, stage: String, accepting accepts: (ColumnType) -> Bool,
                 expected: String) throws -> [String] {
        let names = try resolve(in: schema, stage: stage)
        for n in names {
            let t = try schema.require(n, stage: stage).type
            guard accepts(t) else { throw unsupported(stage: stage, column: n, type: t, expected: expected) }
        }
        return names
    }

    /// The error for a chosen column of a type `stage` cannot take. When the column came to
    /// the stage because a route gives a default-selector stage all its columns, the message
    /// says so and how to choose instead.
    func unsupported(stage: String, column: String, type: ColumnType, expected: String) -> PipelineError {
        guard followsRoute, let scope = RouteScope.current else {
            return .unsupportedType(stage: stage, column: column, type: type, expected: expected)
        }
        return .unsupportedType(stage: stage, column: column, type: type, expected: expected
            + "; route \(scope.route + 1) (\(scope.selector)) gives \(stage) every column it selects"
            + " unless \(stage) is given columns:")
    }

    public var description: String { Self.describe(rule) }

    private static func describe(_ rule: Rule) -> String {
        switch rule {
        case .names(let n): return n.joined(separator: ", ")
        case .types(let t): return "columns of type " + t.map(\.rawValue).sorted().joined(separator: "/")
        case .predicate(_, let label): return label
        case .routeColumns(let natural): return "the route's columns (outside a route: \(describe(natural)))"
        }
    }
}

/// The route a stage is being planned or fitted in: ``ColumnTransformer`` binds it around
/// its route's stages (`outputSchema(for:)` and `fit` alike, so planning and fitting agree),
/// and a ``ColumnSelector/routeColumns(otherwise:)`` selector reads it. A stage that is not
/// in a route sees none.
struct RouteScope: Sendable {
    /// The route's index in its ``ColumnTransformer``.
    var route: Int
    /// The route's own selector, for messages.
    var selector: String

    @TaskLocal static var current: RouteScope?

    /// Runs `body` with the stages inside it in route `route`.
    static func inRoute<R>(_ route: Int, _ selector: ColumnSelector, _ body: () throws -> R) rethrows -> R {
        try $current.withValue(RouteScope(route: route, selector: selector.description), operation: body)
    }
}
