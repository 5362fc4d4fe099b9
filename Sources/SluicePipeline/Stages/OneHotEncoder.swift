import SluiceFrame

/// One-hot encodes categorical (`string`, `bool`, `int64`) columns into `double` 0/1
/// columns named `column=category`, categories sorted as scikit-learn sorts them.
///
/// - A null seen at fit time is a category of its own, sorted last (as scikit-learn sorts
///   `None`/`NaN`), in a column `column=null`. It is not the string `"null"`: a column with
///   both keeps them apart, the string in `column=null` and the null in `column=<null>`.
/// - A `bool` column has the categories `false` and `true` (those seen at fit).
/// - **Unknown categories** at transform time (and nulls not seen at fit) encode as all
///   zeros and are counted in the ``TransformReport`` (scikit-learn's
///   `handle_unknown="ignore"`), unless the column has an infrequent group (below).
/// - `minFrequency`: categories (null included) seen fewer times are grouped into
///   `column=infrequent` (`column=<infrequent>` if a category is the string `"infrequent"`);
///   values unseen at fit go there too when the column has it.
/// - `dropFirst`: the first category's column is left out (for models without
///   regularisation, to avoid collinearity).
public struct OneHotEncoder: Transformer, Equatable {
    public var columns: ColumnSelector
    public var minFrequency: Int
    public var dropFirst: Bool
    /// Whether, inside a pipeline, the indicators go to the learner as CSR (one stored 1 per
    /// row and column; ``SparseFeatureTransformer``), for learners that accept sparse input.
    public var sparse: Bool
    public var name: String { "OneHotEncoder" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .categorical), minFrequency: Int = 1, dropFirst: Bool = false,
                sparse: Bool = false) {
        self.columns = columns
        self.minFrequency = minFrequency
        self.dropFirst = dropFirst
        self.sparse = sparse
    }

    public static func == (a: OneHotEncoder, b: OneHotEncoder) -> Bool {
        a.columns.description == b.columns.description && a.minFrequency == b.minFrequency && a.dropFirst == b.dropFirst
            && a.sparse == b.sparse
    }

    private func chosen(_ schema: Schema) throws -> [String] {
        try Categories.columns(columns, in: schema, stage: name)
    }

    /// Before fitting, each encoded column appears as one placeholder `column=…`.
    public func outputSchema(for input: Schema) throws -> Schema {
        let chosen = Set(try self.chosen(input))
        let fields = input.fields.map { chosen.contains($0.name) ? Field.expansion(of: $0.name) : $0 }
        return try framing(name) { () throws(FrameError) in try Schema(fields) }
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        guard minFrequency >= 1 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "minFrequency must be at least 1")
        }
        let names = try chosen(frame.schema)
        var encodings = [Fitted.Encoding]()
        for n in names {
            let c = try framing(name) { () throws(FrameError) in try frame.column(n) }
            let (counts, nulls) = Self.counts(c)
            var categories = counts.keys.filter { counts[$0]! >= minFrequency }
            if c.type == .int64 {
                categories.sort { (Int64($0) ?? 0) < (Int64($1) ?? 0) }
            } else {
                categories.sort()
            }
            let infrequent = counts.values.contains { $0 < minFrequency } || (nulls > 0 && nulls < minFrequency)
            encodings.append(Fitted.Encoding(column: n, categories: categories, hasNull: nulls >= minFrequency && nulls > 0,
                                             hasInfrequent: infrequent, dropFirst: dropFirst))
        }
        let input = try ColumnValues.subschema(frame.schema, names, stage: name)
        var fitted = Fitted(encodings: encodings, inputSchema: input, outputSchema: frame.schema, sparse: sparse ? true : nil)
        fitted.outputSchema = try fitted.schema(for: frame.schema)
        return fitted
    }

    /// How many rows hold each category text, and how many are null. A string column is
    /// counted per dictionary code, so no row's text is hashed.
    static func counts(_ c: Column) -> (counts: [String: Int], nulls: Int) {
        var counts = [String: Int]()
        guard case .string(let s) = c.data else {
            var nulls = 0
            for k in keys(c) {
                if let k { counts[k, default: 0] += 1 } else { nulls += 1 }
            }
            return (counts, nulls)
        }
        var perCode = [Int](repeating: 0, count: s.dictionary.count)
        s.codes.withUnsafeBufferPointer { codes in
            for i in 0..<c.count where c.validity.isValid(i) && codes[i] >= 0 { perCode[Int(codes[i])] += 1 }
        }
        for (code, n) in perCode.enumerated() where n > 0 { counts[s.dictionary[code], default: 0] += n }
        return (counts, c.nullCount)
    }

    /// Each row's category text (`nil` for null).
    static func keys(_ c: Column) -> [String?] {
        switch c.data {
        case .string(let s): return (0..<c.count).map { c.isNull($0) ? nil : s.dictionary[Int(s.codes[$0])] }
        case .bool(let b): return (0..<c.count).map { c.isNull($0) ? nil : (b[$0] ? "true" : "false") }
        case .int64(let v): return (0..<c.count).map { c.isNull($0) ? nil : String(v[$0]) }
        default: return [String?](repeating: nil, count: c.count)
        }
    }

    /// Fitted state: each column's categories.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "OneHotEncoder"

        /// One column's encoding. Its output columns, in order: one per category, then one
        /// for null (``hasNull``), then one for the infrequent group (``hasInfrequent``),
        /// less the first with ``dropFirst``.
        public struct Encoding: Sendable, Codable, Equatable {
            /// The input column.
            public var column: String
            /// The sorted non-null categories (as text: `int64` by its digits, `bool` as
            /// `false`/`true`), each with its own output column.
            public var categories: [String]
            /// Whether null is a category (seen at fit, at least `minFrequency` times): its
            /// column follows the categories'. Null is never one of ``categories``.
            public var hasNull: Bool
            /// Whether categories seen fewer than `minFrequency` times share a last column.
            public var hasInfrequent: Bool
            /// Whether the first output column is left out.
            public var dropFirst: Bool

            /// An encoding of `column` with these sorted non-null `categories`.
            public init(column: String, categories: [String], hasNull: Bool, hasInfrequent: Bool, dropFirst: Bool) {
                self.column = column
                self.categories = categories
                self.hasNull = hasNull
                self.hasInfrequent = hasInfrequent
                self.dropFirst = dropFirst
            }

            /// The number of output columns before ``dropFirst``.
            var width: Int { categories.count + (hasNull ? 1 : 0) + (hasInfrequent ? 1 : 0) }

            /// The slot of null: its own column, else the infrequent group, else none (-1).
            var nullSlot: Int { hasNull ? categories.count : (hasInfrequent ? width - 1 : -1) }

            /// Output column names, in order. The null and infrequent columns are named
            /// `null` and `infrequent` after the `=`, wrapped in `<…>` until no category has
            /// that text (so the string `"null"` and a real null never share a name).
            var outputNames: [String] {
                let taken = Set(categories)
                func synthetic(_ word: String) -> String {
                    var w = word
                    while taken.contains(w) { w = "<\(w)>" }
                    return w
                }
                let all = (categories + (hasNull ? [synthetic("null")] : [])
                           + (hasInfrequent ? [synthetic("infrequent")] : [])).map { "\(column)=\($0)" }
                return dropFirst ? Array(all.dropFirst()) : all
            }

            /// Each row's slot (output column before ``dropFirst``; -1: unknown, all zeros),
            /// unknowns counted in `report`.
            func slots(_ c: Column, report: inout TransformReport) -> [Int] {
                let nullSlot = self.nullSlot, otherSlot = hasInfrequent ? width - 1 : -1
                let index = Dictionary(categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                // Map each distinct value once (a string column's dictionary), then each row.
                let slots: [Int]
                if case .string(let s) = c.data {
                    let codeSlot = s.dictionary.map { index[$0] ?? otherSlot }
                    slots = (0..<c.count).map { c.isNull($0) ? nullSlot : codeSlot[Int(s.codes[$0])] }
                } else {
                    slots = OneHotEncoder.keys(c).map { k in k.map { index[$0] ?? otherSlot } ?? nullSlot }
                }
                report.noteUnknown(stage: Fitted.kind, column: column, count: slots.reduce(0) { $0 + ($1 < 0 ? 1 : 0) })
                return slots
            }
        }

        public var encodings: [Encoding]
        public var inputSchema: Schema
        public var outputSchema: Schema
        /// True when a pipeline routes the indicators as CSR (nil: columns, as artifacts written before it).
        public var sparse: Bool? = nil

        func schema(for input: Schema) throws -> Schema {
            let byColumn = Dictionary(uniqueKeysWithValues: encodings.map { ($0.column, $0) })
            let fields = input.fields.flatMap { f in
                byColumn[f.name].map { $0.outputNames.map { Field($0, .double, nullable: false) } } ?? [f]
            }
            return try framing(Self.kind) { () throws(FrameError) in try Schema(fields) }
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            let byColumn = Dictionary(uniqueKeysWithValues: encodings.map { ($0.column, $0) })
            var named: [(Field, Column)] = []
            for (f, c) in zip(frame.schema.fields, frame.columns) {
                guard let e = byColumn[f.name] else { named.append((f, c)); continue }
                let width = e.width, slots = e.slots(c, report: &report)
                let first = e.dropFirst ? 1 : 0
                for k in first..<Swift.max(first, width) {
                    let values = slots.map { $0 == k ? 1.0 : 0.0 }
                    named.append((Field(e.outputNames[k - first], .double, nullable: false), Column(.double(values))))
                }
            }
            return try ColumnValues.frame(named, stage: Self.kind)
        }
    }
}

extension OneHotEncoder.Fitted {
    /// One encoding per input column, each with distinct categories, at least one output
    /// column, and its output columns in the output schema.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(encodings.map(\.column), in: inputSchema, field: "encodings", types: categoryTypes)
        for e in encodings {
            try check.unique(e.categories, "encodings[\(e.column)].categories")
            try check.outputs(e.outputNames, in: outputSchema)
        }
    }
}
