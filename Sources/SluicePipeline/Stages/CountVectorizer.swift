import SluiceFrame

/// Bag of words, as scikit-learn's `CountVectorizer` with its defaults: each text
/// (`string`) column becomes one `double` column per vocabulary term, named `column=term`,
/// holding the term's count in the row's document. Tokens and documents are as described
/// on ``Text`` (scikit-learn's default token pattern, lowercased; a null row is an empty
/// document); the vocabulary is sorted by code point.
///
/// **Density limit.** The output is dense: `rows × terms` doubles per column (8 bytes each).
/// Fitting refuses a vocabulary larger than ``vocabularyLimit`` (default 5 000) with an
/// error naming the stage and column, rather than exhausting memory at transform time; use
/// ``maxFeatures`` (keep the most frequent terms, as scikit-learn's `max_features`),
/// ``minDF`` or ``maxDF`` to prune, or raise the limit knowingly. ``HashingVectorizer``
/// gives a fixed width without a vocabulary.
///
/// Tokens not in the vocabulary are ignored at transform time; they are not unknown
/// categories and are not counted in the ``TransformReport``.
public struct CountVectorizer: Transformer {
    public var columns: ColumnSelector
    public var lowercase: Bool
    /// Terms in fewer documents are dropped.
    public var minDF: DocumentFrequency
    /// Terms in more documents are dropped.
    public var maxDF: DocumentFrequency
    /// Keep only this many terms, the most frequent over the training documents.
    public var maxFeatures: Int?
    /// The largest vocabulary fitting accepts (see the density limit above); no limit with ``sparse``.
    public var vocabularyLimit: Int
    /// Whether, inside a pipeline, the counts go to the learner as CSR (``SparseFeatureTransformer``)
    /// rather than as columns: no density limit, for learners that accept sparse input.
    public var sparse: Bool
    public var name: String { "CountVectorizer" }

    public init(columns: ColumnSelector, lowercase: Bool = true, minDF: DocumentFrequency = .count(1),
                maxDF: DocumentFrequency = .fraction(1), maxFeatures: Int? = nil, vocabularyLimit: Int = 5_000,
                sparse: Bool = false) {
        self.columns = columns
        self.lowercase = lowercase
        self.minDF = minDF
        self.maxDF = maxDF
        self.maxFeatures = maxFeatures
        self.vocabularyLimit = vocabularyLimit
        self.sparse = sparse
    }

    /// Each text column becomes a placeholder `column=…` until the vocabulary is known.
    public func outputSchema(for input: Schema) throws -> Schema {
        try Text.placeholderSchema(input, Text.columns(columns, in: input, stage: name), stage: name)
    }

    /// The chosen columns, and each one's vocabulary and its terms' document frequencies.
    func vocabularies(_ frame: Frame) throws -> (columns: [String], terms: [[String]], frequencies: [[Int]]) {
        if let m = maxFeatures, m < 1 {
            throw PipelineError.invalidConfiguration(stage: name, reason: "maxFeatures must be at least 1, not \(m)")
        }
        for b in [minDF, maxDF] {
            let ok: Bool
            switch b {
            case .count(let c): ok = c >= 0
            case .fraction(let f): ok = f >= 0 && f <= 1
            }
            guard ok else {
                throw PipelineError.invalidConfiguration(stage: name, reason: "document frequency bound \(b) is out of range")
            }
        }
        let names = try Text.columns(columns, in: frame.schema, stage: name)
        var terms = [[String]](), frequencies = [[Int]]()
        for n in names {
            let (texts, codes) = try Text.documents(frame, n, stage: name)
            let v = try Text.vocabulary(texts: texts, codes: codes, lowercase: lowercase, minDF: minDF, maxDF: maxDF,
                                        maxFeatures: maxFeatures, limit: sparse ? .max : vocabularyLimit,
                                        stage: name, column: n)
            terms.append(v.terms)
            frequencies.append(v.documentFrequencies)
        }
        return (names, terms, frequencies)
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        let v = try vocabularies(frame)
        var fitted = Fitted(columns: v.columns, vocabularies: v.terms, lowercase: lowercase,
                            inputSchema: try ColumnValues.subschema(frame.schema, v.columns, stage: name),
                            outputSchema: frame.schema, sparse: sparse ? true : nil)
        fitted.outputSchema = try fitted.transform(frame.head(0)).schema
        return fitted
    }

    /// Fitted state: each column's sorted vocabulary.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "CountVectorizer"
        public var columns: [String]
        /// Per column, the terms in output order.
        public var vocabularies: [[String]]
        public var lowercase: Bool
        public var inputSchema: Schema
        public var outputSchema: Schema
        /// True when a pipeline routes the counts as CSR (nil: columns, as artifacts written before it).
        public var sparse: Bool? = nil

        /// Per column, its output names and column-major counts.
        func blocks(_ frame: Frame) throws -> [String: ([String], [Double])] {
            var blocks = [String: ([String], [Double])]()
            for (j, n) in columns.enumerated() {
                let (texts, codes) = try Text.documents(frame, n, stage: Self.kind)
                let counts = Text.counts(texts: texts, codes: codes, vocabulary: vocabularies[j], lowercase: lowercase)
                blocks[n] = (vocabularies[j].map { "\(n)=\($0)" }, counts)
            }
            return blocks
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            return try Text.assemble(frame, blocks(frame), stage: Self.kind)
        }
    }
}

extension CountVectorizer.Fitted {
    /// Per string input column, a non-empty vocabulary of distinct terms, each term's
    /// column in the output schema.
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(columns, in: inputSchema, types: [.string])
        try check.count(vocabularies.count, "vocabularies", equals: columns.count)
        for (n, v) in zip(columns, vocabularies) {
            try check.require(!v.isEmpty, "vocabularies[\(n)]", "is empty")
            try check.unique(v, "vocabularies[\(n)]")
            try check.outputs(v.map { "\(n)=\($0)" }, in: outputSchema)
        }
    }
}
