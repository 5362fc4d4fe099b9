import SluiceFrame

/// Polynomial and interaction features of numeric columns, as scikit-learn's
/// `PolynomialFeatures`: every product of the chosen columns up to `degree`, in
/// scikit-learn's order (by degree, then lexicographically by column position) and with
/// its names (`1`, `a`, `b`, `a^2`, `a b`, `b^2`).
///
/// - `interactionOnly` keeps products of distinct columns only (`a b`, not `a^2`).
/// - `includeBias` adds the constant column `1` first.
/// - The chosen columns are replaced by the feature block, placed where the first of them
///   was; other columns pass through.
/// - A null factor makes the product null; `NaN` propagates as `NaN`. The bias is never null.
/// - The output schema depends only on the input schema, so it is exact before fitting.
public struct PolynomialFeatures: Transformer {
    public var columns: ColumnSelector
    public var degree: Int
    public var interactionOnly: Bool
    public var includeBias: Bool
    public var name: String { "PolynomialFeatures" }

    /// Refuses configurations that would make more output columns than this.
    public static let maximumOutputColumns = 100_000

    public init(columns: ColumnSelector = .routeColumns(otherwise: .numeric), degree: Int = 2, interactionOnly: Bool = false,
                includeBias: Bool = true) {
        self.columns = columns
        self.degree = degree
        self.interactionOnly = interactionOnly
        self.includeBias = includeBias
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        let names = try ColumnValues.numericColumns(columns, in: input, stage: name)
        return try Fitted.schema(input, columns: names, terms: terms(count: names.count))
    }

    /// The index tuples of every output term, in scikit-learn's order.
    func terms(count p: Int) throws -> [[Int]] {
        guard degree >= 0 else { throw PipelineError.invalidConfiguration(stage: name, reason: "degree must be ≥ 0, got \(degree)") }
        var all: [[Int]] = includeBias ? [[]] : []
        var previous: [[Int]] = [[]]
        for _ in 0..<degree {
            var next = [[Int]]()
            for t in previous {
                let start = t.last.map { interactionOnly ? $0 + 1 : $0 } ?? 0
                guard start < p else { continue }
                for j in start..<p { next.append(t + [j]) }
                if all.count + next.count > Self.maximumOutputColumns {
                    throw PipelineError.invalidConfiguration(stage: name,
                        reason: "degree \(degree) of \(p) columns makes more than \(Self.maximumOutputColumns) features")
                }
            }
            all += next
            previous = next
        }
        return all
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let names = try ColumnValues.numericColumns(columns, in: frame.schema, stage: name)
        let terms = try terms(count: names.count)
        return Fitted(columns: names, terms: terms,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                      outputSchema: try Fitted.schema(frame.schema, columns: names, terms: terms))
    }

    /// Fitted state: the chosen columns and the index tuple of each output term.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "PolynomialFeatures"
        public var columns: [String]
        /// Each output column as the positions (in ``columns``) of its factors, with
        /// repeats for powers; `[]` is the bias.
        public var terms: [[Int]]
        public var inputSchema: Schema
        public var outputSchema: Schema

        /// scikit-learn's feature name of `term`: `1`, `a`, `a^2`, `a b^3`.
        static func featureName(_ term: [Int], _ columns: [String]) -> String {
            guard !term.isEmpty else { return "1" }
            var parts = [String](), k = 0
            while k < term.count {
                var e = 1
                while k + e < term.count && term[k + e] == term[k] { e += 1 }
                parts.append(e == 1 ? columns[term[k]] : "\(columns[term[k]])^\(e)")
                k += e
            }
            return parts.joined(separator: " ")
        }

        static func schema(_ input: Schema, columns: [String], terms: [[Int]]) throws -> Schema {
            let nullable = columns.map { input[$0]?.nullable ?? true }
            let fields = terms.map { t in
                Field(featureName(t, columns), .double, nullable: t.contains { nullable[$0] })
            }
            return try ColumnValues.splicing(input, removing: columns, inserting: fields, stage: kind)
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            let inputs = try columns.map { try ColumnValues.column(frame, $0, stage: Self.kind) }
            let values = inputs.map(ColumnValues.doubles)
            let rows = frame.rowCount
            // Each term is its prefix term times its last factor, as scikit-learn builds them.
            var products = [[Int]: [Double]]()
            var made = [String: Column]()
            for t in terms {
                guard t.allSatisfy({ $0 >= 0 && $0 < columns.count }) else {
                    throw PipelineError.invalidValue(stage: Self.kind, column: columns.joined(separator: ","), reason: "fitted term out of range")
                }
                let v: [Double]
                if t.isEmpty {
                    v = [Double](repeating: 1, count: rows)
                } else if t.count == 1 {
                    v = values[t[0]]
                } else {
                    let prefix = Array(t.dropLast())
                    let base = products[prefix] ?? Self.product(prefix, values, rows)
                    let last = values[t[t.count - 1]]
                    v = (0..<rows).map { base[$0] * last[$0] }
                }
                products[t] = v
                let factors = Set(t)
                let validity: ValidityMask? = factors.contains { inputs[$0].nullCount > 0 }
                    ? ValidityMask(valid: (0..<rows).lazy.map { i in factors.allSatisfy { inputs[$0].validity.isValid(i) } })
                    : nil
                made[Self.featureName(t, columns)] = Column(.double(v), validity: validity)
            }
            let schema = try Self.schema(frame.schema, columns: columns, terms: terms)
            return try ColumnValues.assembling(schema, from: frame, made: made, stage: Self.kind)
        }

        static func product(_ t: [Int], _ values: [[Double]], _ rows: Int) -> [Double] {
            var v = [Double](repeating: 1, count: rows)
            for j in t { for i in 0..<rows { v[i] *= values[j][i] } }
            return v
        }
    }
}

extension PolynomialFeatures.Fitted {
    /// Every term's factors index the numeric input columns; the terms are distinct, and
    /// each term's column is in the output schema.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: numericTypes)
        for (k, t) in terms.enumerated() {
            try check.require(t.allSatisfy { $0 >= 0 && $0 < columns.count }, "terms", "term \(k) names a column out of range")
        }
        try check.unique(terms.map { Self.featureName($0, columns) }, "terms")
        try check.outputs(terms.map { Self.featureName($0, columns) }, in: outputSchema)
    }
}
