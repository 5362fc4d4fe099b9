import SluiceFrame

/// Hashed bag of words, as scikit-learn's `HashingVectorizer`: each token (as ``Text``
/// tokenises, lowercased) is hashed with MurmurHash3 (x86, 32-bit, seed 0, on its UTF-8
/// bytes) into one of ``features`` columns, adding `±1` by the hash's sign
/// (``alternateSign``), and each row is then normalised (``VectorNorm/l2`` by default).
///
/// There is no vocabulary: the width is fixed, nothing is learnt, unseen words hash like
/// any other, and the output schema is known before fitting. Each text column becomes
/// ``features`` `double` columns named `column#0 … column#(features−1)`. The output is
/// dense, so the default width is 1 024, not scikit-learn's 2²⁰; widths above
/// ``CountVectorizer/vocabularyLimit``'s default are allowed but cost `rows × features`
/// doubles. A null row is an empty document (a row of zeros).
public struct HashingVectorizer: Transformer {
    public var columns: ColumnSelector
    public var features: Int
    public var lowercase: Bool
    public var alternateSign: Bool
    public var norm: VectorNorm
    /// Whether, inside a pipeline, the hashed counts go to the learner as CSR
    /// (``SparseFeatureTransformer``) rather than as columns, for learners that accept sparse input.
    public var sparse: Bool
    public var name: String { "HashingVectorizer" }

    public init(columns: ColumnSelector, features: Int = 1_024, lowercase: Bool = true, alternateSign: Bool = true,
                norm: VectorNorm = .l2, sparse: Bool = false) {
        self.columns = columns
        self.features = features
        self.lowercase = lowercase
        self.alternateSign = alternateSign
        self.norm = norm
        self.sparse = sparse
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        guard features >= 1 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "features must be at least 1, not \(features)")
        }
        let chosen = Set(try Text.columns(columns, in: input, stage: name))
        let fields = input.fields.flatMap { f in
            chosen.contains(f.name) ? (0..<features).map { Field("\(f.name)#\($0)", .double, nullable: false) } : [f]
        }
        return try framing(name) { () throws(FrameError) in try Schema(fields) }
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let output = try outputSchema(for: frame.schema)
        let names = try Text.columns(columns, in: frame.schema, stage: name)
        return Fitted(columns: names, features: features, lowercase: lowercase, alternateSign: alternateSign, norm: norm,
                      inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name), outputSchema: output,
                      sparse: sparse ? true : nil)
    }

    /// Fitted state: the configuration (hashing learns nothing).
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "HashingVectorizer"
        public var columns: [String]
        public var features: Int
        public var lowercase: Bool
        public var alternateSign: Bool
        public var norm: VectorNorm
        public var inputSchema: Schema
        public var outputSchema: Schema
        /// True when a pipeline routes the hashed counts as CSR (nil: columns, as artifacts written before it).
        public var sparse: Bool? = nil

        /// Each distinct text's (bucket, signed count) pairs, buckets increasing; unused texts empty.
        func hashedCounts(texts: [String], codes: [Int32]) -> [[(Int, Double)]] {
            var used = [Bool](repeating: false, count: texts.count)
            for c in codes where c >= 0 { used[Int(c)] = true }
            var perText = [[(Int, Double)]](repeating: [], count: texts.count)
            for (e, text) in texts.enumerated() where used[e] {
                var acc = [Int: Double]()
                Text.forEachToken(text, lowercase: lowercase) { t in
                    let b = Murmur3.bucket(Murmur3.hash(t.utf8), of: features)
                    acc[b.index, default: 0] += alternateSign ? b.sign : 1
                }
                perText[e] = acc.sorted { $0.key < $1.key }
            }
            return perText
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            let n = frame.rowCount, width = features
            var blocks = [String: ([String], [Double])]()
            for col in columns {
                let (texts, codes) = try Text.documents(frame, col, stage: Self.kind)
                let perText = hashedCounts(texts: texts, codes: codes)
                var block = [Double](repeating: 0, count: n * width)
                for i in 0..<n where codes[i] >= 0 {
                    for (j, v) in perText[Int(codes[i])] { block[j * n + i] = v }
                }
                Text.normalize(&block, rows: n, width: width, norm: norm)
                blocks[col] = ((0..<width).map { "\(col)#\($0)" }, block)
            }
            return try Text.assemble(frame, blocks, stage: Self.kind)
        }
    }
}

extension HashingVectorizer.Fitted {
    /// The columns are distinct string input columns; the width is at least 1 and each
    /// column's hashed columns are in the output schema (which also bounds the width).
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: [.string])
        try check.require(features >= 1 && features <= outputSchema.count, "features",
                          "\(features) for an output schema of \(outputSchema.count) columns")
        for n in columns { try check.outputs((0..<features).map { "\(n)#\($0)" }, in: outputSchema) }
    }
}
