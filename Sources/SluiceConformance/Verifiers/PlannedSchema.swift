import SluiceFrame
import SluicePipeline

/// The schema a stage plans before fitting agrees with the one it makes: every fitted
/// column is a planned column of the same type, or one of the columns a planned
/// data-dependent expansion stands for (``Schema/expansionSource(of:)``, `double`); and,
/// unless the plan is an upper bound (selectors), every planned column is made. A plan of
/// nothing but expansions no longer passes by default: each fitted column must be
/// accounted for by one.
public struct PlannedSchema: StageVerifier {
    public let name = "planned schema"
    public init() {}

    public func verify(_ e: StageExample, into findings: inout Findings) throws {
        let planned = try e.stage.outputSchema(for: e.frame.schema)
        let fitted = try Support.fit(e).outputSchema
        let expansions = Set(planned.fields.compactMap { planned.expansionSource(of: $0.name) })
        for f in fitted.fields {
            if let p = planned[f.name], planned.expansionSource(of: f.name) == nil {
                findings.expect(p.type == f.type, name, e.label, "'\(f.name)' planned \(p.type.rawValue), made \(f.type.rawValue)")
            } else {
                let source = expansions.first { f.name.hasPrefix($0 + "=") }
                findings.expect(source != nil && f.type == .double, name, e.label,
                                "made '\(f.name)' (\(f.type.rawValue)), which the plan does not account for")
            }
        }
        for p in planned.fields where planned.expansionSource(of: p.name) == nil && !e.plannedIsUpperBound {
            findings.expect(fitted[p.name] != nil, name, e.label, "planned '\(p.name)' is not made")
        }
    }
}
