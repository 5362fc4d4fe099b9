import SluiceFrame

/// The checks fitted stages run on decoded state (``FittedTransformer/validate()``): each
/// failure is a ``FittedStateError`` naming the stage kind and the field, so a crafted or
/// damaged artifact is refused on load instead of trapping in `transform`.
struct StateCheck {
    let kind: String

    init(_ kind: String) { self.kind = kind }

    /// Throws unless `condition` holds.
    func require(_ condition: Bool, _ field: String, _ reason: @autoclosure () -> String) throws {
        try FittedStateError.require(condition, kind, field: field, reason())
    }

    /// `names` are distinct and each a field of `schema` (of one of `types`, when given).
    func columns(_ names: [String], in schema: Schema, field: String = "columns", types: Set<ColumnType>? = nil) throws {
        try unique(names, field)
        for n in names {
            guard let f = schema[n] else {
                throw FittedStateError(kind, field: field, "'\(n)' is not in the stage's input schema")
            }
            if let types {
                try require(types.contains(f.type), field, "'\(n)' is \(f.type.rawValue), expected one of "
                            + types.map(\.rawValue).sorted().joined(separator: "/"))
            }
        }
    }

    /// `values` has no repeats.
    func unique(_ values: [String], _ field: String) throws {
        var seen = Set<String>()
        for v in values where !seen.insert(v).inserted {
            throw FittedStateError(kind, field: field, "repeats '\(v)'")
        }
    }

    /// `count` is `expected` (one entry per column, say).
    func count(_ count: Int, _ field: String, equals expected: Int, per what: String = "columns") throws {
        try require(count == expected, field, "\(count) entries for \(expected) \(what)")
    }

    /// Every value is finite.
    func finite(_ values: [Double], _ field: String) throws {
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw FittedStateError(kind, field: field, "entry \(i) is \(values[i]), not finite")
        }
    }

    /// No value is NaN (infinities allowed: fences, say).
    func notNaN(_ values: [Double], _ field: String) throws {
        if let i = values.firstIndex(where: \.isNaN) { throw FittedStateError(kind, field: field, "entry \(i) is NaN") }
    }

    /// Every value is finite and nonzero (a divisor).
    func divisors(_ values: [Double], _ field: String) throws {
        try finite(values, field)
        if let i = values.firstIndex(of: 0) { throw FittedStateError(kind, field: field, "entry \(i) is 0, a divisor") }
    }

    /// Every value is finite and each at least the one before.
    func nondecreasing(_ values: [Double], _ field: String) throws {
        try finite(values, field)
        for i in values.indices.dropFirst() where values[i] < values[i - 1] {
            throw FittedStateError(kind, field: field, "entry \(i) is below entry \(i - 1)")
        }
    }

    /// Each of `names` is a field of the output schema.
    func outputs(_ names: [String], in schema: Schema, field: String = "outputSchema") throws {
        for n in names where schema[n] == nil {
            throw FittedStateError(kind, field: field, "lacks the column '\(n)' the stage makes")
        }
    }
}

/// Numeric input types (what ``ColumnValues/doubles(_:)`` reads).
let numericTypes: Set<ColumnType> = [.double, .int64, .bool]
/// Categorical input types of the encoders.
let categoryTypes: Set<ColumnType> = [.string, .bool, .int64]
