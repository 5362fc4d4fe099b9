import SluiceFrame

/// Which columns a stage applies to: by name, by type, or by a predicate. The target
/// column is never selected by type or predicate.
public struct ColumnSelector: Sendable, CustomStringConvertible {
    enum Rule: Sendable {
        case names([String])
        case types(Set<ColumnType>)
        case predicate(@Sendable (Field) -> Bool, String)
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

    /// The selected column names of `schema`, in schema order (or the listed order for
    /// `names`), leaving out `excluded` (the target).
    public func resolve(in schema: Schema, excluding excluded: Set<String> = [], stage: String) throws -> [String] {
        switch rule {
        case .names(let names):
            for n in names where schema[n] == nil { throw PipelineError.missingColumn(stage: stage, column: n) }
            return names
        case .types(let types):
            return schema.fields.filter { types.contains($0.type) && !excluded.contains($0.name) }.map(\.name)
        case .predicate(let test, _):
            return schema.fields.filter { test($0) && !excluded.contains($0.name) }.map(\.name)
        }
    }

    public var description: String {
        switch rule {
        case .names(let n): return n.joined(separator: ", ")
        case .types(let t): return "columns of type " + t.map(\.rawValue).sorted().joined(separator: "/")
        case .predicate(_, let label): return label
        }
    }
}
