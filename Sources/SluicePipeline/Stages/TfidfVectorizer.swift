import Foundation
import SluiceFrame

/// TF-IDF, as scikit-learn's `TfidfVectorizer` with its defaults: the counts of a
/// ``CountVectorizer`` (same tokens, vocabulary, pruning and density limit) times each
/// term's inverse document frequency, each row then scaled to unit length.
///
/// - `idf = ln((1 + n) / (1 + df)) + 1` with ``smoothIDF`` (the default), else
///   `ln(n / df) + 1`, where `n` counts the training rows (a null row is an empty
///   document) and `df` the rows holding the term.
/// - ``sublinearTF`` replaces a count `c > 0` by `1 + ln c` (off by default).
/// - ``norm``: ``VectorNorm/l2`` by default; a row without terms stays zero.
///
/// Output columns are named `column=term`, one per vocabulary term.
public struct TfidfVectorizer: Transformer {
    /// Tokens, vocabulary, pruning and the density limit.
    public var counting: CountVectorizer
    public var useIDF: Bool
    public var smoothIDF: Bool
    public var sublinearTF: Bool
    public var norm: VectorNorm
    public var name: String { "TfidfVectorizer" }

    public init(columns: ColumnSelector, lowercase: Bool = true, minDF: DocumentFrequency = .count(1),
                maxDF: DocumentFrequency = .fraction(1), maxFeatures: Int? = nil, vocabularyLimit: Int = 5_000,
                useIDF: Bool = true, smoothIDF: Bool = true, sublinearTF: Bool = false, norm: VectorNorm = .l2,
                sparse: Bool = false) {
        counting = CountVectorizer(columns: columns, lowercase: lowercase, minDF: minDF, maxDF: maxDF,
                                   maxFeatures: maxFeatures, vocabularyLimit: vocabularyLimit, sparse: sparse)
        self.useIDF = useIDF
        self.smoothIDF = smoothIDF
        self.sublinearTF = sublinearTF
        self.norm = norm
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        try Text.placeholderSchema(input, Text.columns(counting.columns, in: input, stage: name), stage: name)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let v = try counting.vocabularies(frame)
        let n = Double(frame.rowCount)
        let idf = v.frequencies.map { dfs in
            dfs.map { df -> Double in
                guard useIDF else { return 1 }
                return smoothIDF ? log((n + 1) / (Double(df) + 1)) + 1 : log(n / Double(df)) + 1
            }
        }
        let counts = CountVectorizer.Fitted(columns: v.columns, vocabularies: v.terms, lowercase: counting.lowercase,
                                            inputSchema: try ColumnValues.subschema(frame.schema, v.columns, stage: name),
                                            outputSchema: frame.schema)
        var fitted = Fitted(counts: counts, idf: idf, sublinearTF: sublinearTF, norm: norm,
                            inputSchema: counts.inputSchema, outputSchema: frame.schema, sparse: counting.sparse ? true : nil)
        fitted.outputSchema = try fitted.transform(frame.head(0)).schema
        fitted.counts.outputSchema = fitted.outputSchema
        return fitted
    }

    /// Fitted state: the vocabularies and each term's inverse document frequency.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "TfidfVectorizer"
        public var counts: CountVectorizer.Fitted
        /// Per column, each term's idf (all 1 without `useIDF`).
        public var idf: [[Double]]
        public var sublinearTF: Bool
        public var norm: VectorNorm
        public var inputSchema: Schema
        public var outputSchema: Schema
        /// True when a pipeline routes the weights as CSR (nil: columns, as artifacts written before it).
        public var sparse: Bool? = nil

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            var blocks = try counts.blocks(frame)
            let n = frame.rowCount
            for (j, column) in counts.columns.enumerated() {
                guard let (names, counted) = blocks[column] else { continue }
                var block = counted
                for (t, w) in idf[j].enumerated() {
                    for i in 0..<n {
                        let c = block[t * n + i]
                        if c > 0 { block[t * n + i] = (sublinearTF ? 1 + log(c) : c) * w }
                    }
                }
                Text.normalize(&block, rows: n, width: names.count, norm: norm)
                blocks[column] = (names, block)
            }
            return try Text.assemble(frame, blocks, stage: Self.kind)
        }
    }
}

extension TfidfVectorizer.Fitted {
    /// The counts' state is valid, read the same input, and each term has one finite idf.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        do { try counts.validate() } catch let e as FittedStateError {
            throw FittedStateError(Self.kind, field: "counts.\(e.field)", e.reason)
        }
        try check.columns(counts.columns, in: inputSchema, field: "counts.columns", types: [.string])
        try check.count(idf.count, "idf", equals: counts.columns.count)
        for (j, (n, w)) in zip(counts.columns, idf).enumerated() {
            try check.count(w.count, "idf[\(n)]", equals: counts.vocabularies[j].count, per: "terms")
            try check.finite(w, "idf[\(n)]")
            try check.outputs(counts.vocabularies[j].map { "\(n)=\($0)" }, in: outputSchema)
        }
    }
}
