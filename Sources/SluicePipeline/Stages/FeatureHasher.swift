import SluiceFrame

/// Hashes categorical (`string`, `bool`, `int64`) columns into a fixed number of `double`
/// columns, as scikit-learn's `FeatureHasher` given `{column: value}` rows: each row's
/// feature `"column=value"` (UTF-8) is hashed with MurmurHash3 (x86, 32-bit, seed 0 — a
/// documented, stable hash, not Swift's per-process seeded `Hasher`) into column
/// `|h| mod features`, adding `+1` if `h ≥ 0` and `−1` otherwise (`alternateSign`; else
/// always `+1`).
///
/// All chosen columns share one hashed space: they are replaced by `features` columns
/// named `prefix#0 … prefix#(features−1)`, placed where the first chosen column was. The
/// output schema is known before fitting, and fitting learns nothing.
///
/// - A null contributes nothing (its row's features from that column are all zero).
/// - There are no unknown categories: an unseen value hashes like any other (so nothing
///   is counted in the ``TransformReport``); distinct values may collide.
/// - `bool` values hash as `column=true` / `column=false`, `int64` as their decimal text.
public struct FeatureHasher: Transformer {
    public var columns: ColumnSelector
    /// The number of output columns.
    public var features: Int
    public var alternateSign: Bool
    /// The output columns' name prefix.
    public var prefix: String
    public var name: String { "FeatureHasher" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .categorical), features: Int = 256, alternateSign: Bool = true,
                prefix: String = "hash") {
        self.columns = columns
        self.features = features
        self.alternateSign = alternateSign
        self.prefix = prefix
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        guard features >= 1 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "features must be at least 1, not \(features)")
        }
        let names = try Categories.columns(columns, in: input, stage: name)
        return try Self.schema(input, replacing: names, features: features, prefix: prefix, stage: name)
    }

    /// `input` with `names` removed and the hashed columns put where the first of them was.
    static func schema(_ input: Schema, replacing names: [String], features: Int, prefix: String,
                       stage: String) throws -> Schema {
        let chosen = Set(names)
        var fields = [Field](), placed = false
        for f in input.fields {
            guard chosen.contains(f.name) else { fields.append(f); continue }
            if !placed {
                fields += (0..<features).map { Field("\(prefix)#\($0)", .double, nullable: false) }
                placed = true
            }
        }
        return try framing(stage) { () throws(FrameError) in try Schema(fields) }
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let output = try outputSchema(for: frame.schema)
        let names = try Categories.columns(columns, in: frame.schema, stage: name)
        return Fitted(columns: names, features: features, alternateSign: alternateSign, prefix: prefix,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name), outputSchema: output)
    }

    /// Fitted state: the configuration (hashing learns nothing).
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "FeatureHasher"
        public var columns: [String]
        public var features: Int
        public var alternateSign: Bool
        public var prefix: String
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            let n = frame.rowCount, width = features
            // Column-major: one contiguous block of rows per output column.
            var out = [Double](repeating: 0, count: n * width)
            for col in columns {
                let c = try framing(Self.kind) { () throws(FrameError) in try frame.column(col) }
                let (distinct, codes) = Categories.text(c)
                // Hash each distinct value once.
                let buckets = distinct.map { v -> (Int, Double) in
                    let b = Murmur3.bucket(Murmur3.hash(Array("\(col)=\(v)".utf8)), of: width)
                    return (b.index, alternateSign ? b.sign : 1)
                }
                for i in 0..<n where codes[i] >= 0 {
                    let (j, s) = buckets[Int(codes[i])]
                    out[j * n + i] += s
                }
            }
            let chosen = Set(columns)
            var named: [(Field, Column)] = [], placed = false
            for (f, c) in zip(frame.schema.fields, frame.columns) {
                guard chosen.contains(f.name) else { named.append((f, c)); continue }
                if !placed {
                    for j in 0..<width {
                        named.append((Field("\(prefix)#\(j)", .double, nullable: false),
                                      Column(.double(Array(out[(j * n)..<((j + 1) * n)])))))
                    }
                    placed = true
                }
            }
            return try ColumnValues.frame(named, stage: Self.kind)
        }
    }
}

extension FeatureHasher.Fitted {
    /// The columns are distinct categorical input columns; the width is at least 1 and
    /// every hashed column is in the output schema (which also bounds the width).
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: categoryTypes)
        try check.require(features >= 1 && features <= outputSchema.count, "features",
                          "\(features) for an output schema of \(outputSchema.count) columns")
        if !columns.isEmpty { try check.outputs((0..<features).map { "\(prefix)#\($0)" }, in: outputSchema) }
    }
}
