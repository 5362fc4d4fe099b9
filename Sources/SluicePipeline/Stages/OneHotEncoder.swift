import SluiceFrame

/// One-hot encodes categorical (`string`, `bool`, `int64`) columns into `double` 0/1
/// columns named `column=category`, categories sorted as scikit-learn sorts them.
///
/// - A null seen at fit time is a category of its own, `column=null`.
/// - **Unknown categories** at transform time (and nulls not seen at fit) encode as all
///   zeros and are counted in the ``TransformReport`` (scikit-learn's
///   `handle_unknown="ignore"`).
/// - `minFrequency`: categories seen fewer times are grouped into `column=infrequent`.
/// - `dropFirst`: the first category's column is left out (for models without
///   regularisation, to avoid collinearity).
public struct OneHotEncoder: Transformer, Equatable {
    public var columns: ColumnSelector
    public var minFrequency: Int
    public var dropFirst: Bool
    public var name: String { "OneHotEncoder" }

    public init(columns: ColumnSelector = .categorical, minFrequency: Int = 1, dropFirst: Bool = false) {
        self.columns = columns
        self.minFrequency = minFrequency
        self.dropFirst = dropFirst
    }

    public static func == (a: OneHotEncoder, b: OneHotEncoder) -> Bool {
        a.columns.description == b.columns.description && a.minFrequency == b.minFrequency && a.dropFirst == b.dropFirst
    }

    private func chosen(_ schema: Schema) throws -> [String] {
        let names = try columns.resolve(in: schema, stage: name)
        for n in names {
            let t = try schema.require(n, stage: name).type
            guard t == .string || t == .bool || t == .int64 else {
                throw PipelineError.unsupportedType(stage: name, column: n, type: t, expected: "string, bool or int64")
            }
        }
        return names
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
            var counts = [String: Int]()
            let keys = Self.keys(c)
            for k in keys { counts[k ?? Fitted.nullKey, default: 0] += 1 }
            var categories = counts.keys.filter { counts[$0]! >= minFrequency && $0 != Fitted.nullKey }
            if c.type == .int64 {
                categories.sort { Int64($0)! < Int64($1)! }
            } else {
                categories.sort()
            }
            if let nulls = counts[Fitted.nullKey], nulls >= minFrequency { categories.append(Fitted.nullKey) }
            let infrequent = counts.contains { $0.value < minFrequency }
            encodings.append(Fitted.Encoding(column: n, categories: categories, hasInfrequent: infrequent,
                                             dropFirst: dropFirst))
        }
        let input = try ColumnValues.subschema(frame.schema, names, stage: name)
        var fitted = Fitted(encodings: encodings, inputSchema: input, outputSchema: frame.schema)
        fitted.outputSchema = try fitted.schema(for: frame.schema)
        return fitted
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
        static let nullKey = "null"

        public struct Encoding: Sendable, Codable, Equatable {
            public var column: String
            public var categories: [String]
            public var hasInfrequent: Bool
            public var dropFirst: Bool

            /// Output column names, in order.
            var outputNames: [String] {
                let all = categories.map { "\(column)=\($0)" } + (hasInfrequent ? ["\(column)=infrequent"] : [])
                return dropFirst ? Array(all.dropFirst()) : all
            }
        }

        public var encodings: [Encoding]
        public var inputSchema: Schema
        public var outputSchema: Schema

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
                let width = e.categories.count + (e.hasInfrequent ? 1 : 0)
                let index = Dictionary(uniqueKeysWithValues: e.categories.enumerated().map { ($1, $0) })
                // Map each distinct value once (a string column's dictionary), then each row.
                let slots: [Int]
                if case .string(let s) = c.data {
                    let codeSlot = s.dictionary.map { index[$0] ?? (e.hasInfrequent ? width - 1 : -1) }
                    let nullSlot = index[Self.nullKey] ?? -1
                    slots = (0..<c.count).map { c.isNull($0) ? nullSlot : codeSlot[Int(s.codes[$0])] }
                } else {
                    slots = OneHotEncoder.keys(c).map { k in
                        index[k ?? Self.nullKey] ?? (e.hasInfrequent && k != nil ? width - 1 : -1)
                    }
                }
                let unknown = slots.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
                report.noteUnknown(stage: Self.kind, column: f.name, count: unknown)
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
