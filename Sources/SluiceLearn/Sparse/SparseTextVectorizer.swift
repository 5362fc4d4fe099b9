import Foundation
import SluiceCompute
import SluicePipeline

/// Text to a sparse term matrix, as scikit-learn's `TfidfVectorizer` (and, with
/// ``counts(lowercase:ngrams:minDF:maxDF:maxFeatures:)``, its `CountVectorizer`), with no
/// dense limit on the vocabulary: the output is a ``SparseMatrix`` (CSR) of 12 bytes per
/// stored entry, so 100 000 terms over 100 000 documents take what the documents' distinct
/// terms take.
///
/// - **Tokens**: scikit-learn's default `token_pattern` (runs of two or more word characters),
///   lowercased by default (``TextTokenizer``); a `nil` document is empty.
/// - **Terms**: the n-grams of tokens for each `n` in ``ngrams`` (`(1, 2)`: words and word
///   pairs), joined by one space, as scikit-learn's `ngram_range`.
/// - **Vocabulary**: terms sorted by code point; those in fewer than ``minDF`` or more than
///   ``maxDF`` documents dropped; then with ``maxFeatures`` only the most frequent over the
///   corpus kept (ties: the earlier term).
/// - **Weights**: the term's count, `1 + ln(count)` with ``sublinearTF``, times the inverse
///   document frequency `ln((1 + n) / (1 + df)) + 1` (``smoothIDF``, else `ln(n / df) + 1`)
///   with ``useIDF``; then each row scaled to unit ``norm``.
///
/// Fitting works on token ids, not strings: each word is hashed once per occurrence and each
/// n-gram is an id of (its prefix's id, its last word's id), so word pairs are never joined
/// into strings until the vocabulary (after pruning) is sorted.
public struct SparseTextVectorizer: Sendable, Codable, Equatable {
    public var lowercase: Bool
    /// The n-gram lengths, e.g. `1...2`.
    public var ngrams: ClosedRange<Int>
    /// Terms in fewer documents are dropped.
    public var minDF: DocumentFrequency
    /// Terms in more documents are dropped.
    public var maxDF: DocumentFrequency
    /// Keep only this many terms, the most frequent over the training documents.
    public var maxFeatures: Int?
    /// Whether counts are multiplied by inverse document frequencies.
    public var useIDF: Bool
    /// Whether document frequencies are smoothed (as if one extra document held every term).
    public var smoothIDF: Bool
    /// Whether a count `c` becomes `1 + ln(c)`.
    public var sublinearTF: Bool
    /// How each row is normalised.
    public var norm: VectorNorm

    /// scikit-learn's `TfidfVectorizer` defaults (words only, l2 rows, smoothed idf).
    public init(lowercase: Bool = true, ngrams: ClosedRange<Int> = 1...1, minDF: DocumentFrequency = .count(1),
                maxDF: DocumentFrequency = .fraction(1), maxFeatures: Int? = nil, useIDF: Bool = true,
                smoothIDF: Bool = true, sublinearTF: Bool = false, norm: VectorNorm = .l2) {
        self.lowercase = lowercase
        self.ngrams = ngrams
        self.minDF = minDF
        self.maxDF = maxDF
        self.maxFeatures = maxFeatures
        self.useIDF = useIDF
        self.smoothIDF = smoothIDF
        self.sublinearTF = sublinearTF
        self.norm = norm
    }

    /// scikit-learn's `CountVectorizer`: raw counts, no idf, no normalisation.
    public static func counts(lowercase: Bool = true, ngrams: ClosedRange<Int> = 1...1, minDF: DocumentFrequency = .count(1),
                              maxDF: DocumentFrequency = .fraction(1), maxFeatures: Int? = nil) -> SparseTextVectorizer {
        SparseTextVectorizer(lowercase: lowercase, ngrams: ngrams, minDF: minDF, maxDF: maxDF, maxFeatures: maxFeatures,
                             useIDF: false, norm: .none)
    }

    static let name = "sparse_text_vectorizer"

    /// Learns the vocabulary (and idf) of `documents`.
    public func fit(_ documents: [String?]) throws -> Fitted { try fitTransform(documents).fitted }

    /// Learns the vocabulary of `documents` and returns their matrix (`documents × terms`),
    /// from one pass of tokenising.
    public func fitTransform(_ documents: [String?]) throws -> (fitted: Fitted, matrix: SparseMatrix<Double>) {
        try check()
        // Memory: the gram table (every distinct n-gram of the corpus), its counts and the
        // per-document lists are the peak; the table and counts are dropped once the vocabulary
        // is chosen, and each document's list as soon as its matrix row is written.
        var perDocument = [[(Int32, Int32)]]()
        let (vocabulary, idf, column) = try learnVocabulary(documents, perDocument: &perDocument)
        let fitted = Fitted(settings: self, vocabulary: vocabulary, idf: idf)
        var x = try Self.matrix(consuming: &perDocument, column: column, columns: vocabulary.count)
        fitted.weigh(&x)
        return (fitted, x)
    }

    /// Tokenises `documents` into `perDocument`'s (gram, count) lists and returns the
    /// vocabulary, the idf and each gram's column (`-1`: dropped).
    private func learnVocabulary(_ documents: [String?], perDocument: inout [[(Int32, Int32)]]) throws
        -> (vocabulary: [String], idf: [Double]?, column: [Int32]) {
        var table = TextGramTable()
        perDocument = documents.map { d in
            d.map { TextGramTable.counted(table.grams(of: $0, ngrams: ngrams, lowercase: lowercase, insert: true)) } ?? []
        }
        let grams = table.count
        var df = [Int32](repeating: 0, count: grams), tf = [Int](repeating: 0, count: grams)
        for doc in perDocument { for (g, c) in doc { df[Int(g)] += 1; tf[Int(g)] += Int(c) } }
        let n = documents.count
        let low = Self.resolve(minDF, documents: n), high = Self.resolve(maxDF, documents: n)
        var kept = [Int32]()
        for g in 0..<grams where ngrams.contains(table.length[g]) && Double(df[g]) >= low && Double(df[g]) <= high {
            kept.append(Int32(g))
        }
        var terms = kept.map { (gram: $0, bytes: table.bytes(of: $0)) }
        kept = []
        table = TextGramTable()
        terms.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }  // UTF-8 order is code-point order
        if let m = maxFeatures, terms.count > m {
            let ranked = terms.indices.sorted {
                let a = tf[Int(terms[$0].gram)], b = tf[Int(terms[$1].gram)]
                return a != b ? a > b : $0 < $1
            }
            terms = ranked.prefix(m).sorted().map { terms[$0] }
        }
        tf = []
        guard !terms.isEmpty else {
            throw EstimatorError.invalidHyperparameter(estimator: Self.name, name: "minDF",
                                                       reason: "leaves no terms after pruning; lower minDF or raise maxDF")
        }
        var column = [Int32](repeating: -1, count: grams)
        for (j, t) in terms.enumerated() { column[Int(t.gram)] = Int32(j) }
        let vocabulary = terms.map { String(decoding: $0.bytes, as: UTF8.self) }
        let idf = useIDF ? terms.map { Self.idf(documentFrequency: Int(df[Int($0.gram)]), documents: n, smooth: smoothIDF) } : nil
        return (vocabulary, idf, column)
    }

    func check() throws {
        guard ngrams.lowerBound >= 1 else {
            throw EstimatorError.invalidHyperparameter(estimator: Self.name, name: "ngrams", reason: "must start at 1 or more")
        }
        if let m = maxFeatures, m < 1 {
            throw EstimatorError.invalidHyperparameter(estimator: Self.name, name: "maxFeatures", reason: "must be at least 1")
        }
        for (label, b) in [("minDF", minDF), ("maxDF", maxDF)] {
            let valid: Bool
            switch b {
            case .count(let c): valid = c >= 0
            case .fraction(let f): valid = f >= 0 && f <= 1
            }
            guard valid else {
                throw EstimatorError.invalidHyperparameter(estimator: Self.name, name: label, reason: "is out of range")
            }
        }
    }

    static func resolve(_ b: DocumentFrequency, documents n: Int) -> Double {
        switch b {
        case .count(let c): return Double(c)
        case .fraction(let f): return f * Double(n)
        }
    }

    static func idf(documentFrequency df: Int, documents n: Int, smooth: Bool) -> Double {
        smooth ? log(Double(1 + n) / Double(1 + df)) + 1 : log(Double(n) / Double(df)) + 1
    }

    /// The CSR matrix of per-document (gram, count) pairs, grams mapped to columns (`-1`: dropped);
    /// each document's list is emptied once its row is written, the arrays sized exactly first.
    static func matrix(consuming perDocument: inout [[(Int32, Int32)]], column: [Int32], columns: Int) throws
        -> SparseMatrix<Double> {
        var stored = 0
        for doc in perDocument { for (g, _) in doc where column[Int(g)] >= 0 { stored += 1 } }
        var offsets = [0], indices = [Int32](), values = [Double]()
        offsets.reserveCapacity(perDocument.count + 1)
        indices.reserveCapacity(stored)
        values.reserveCapacity(stored)
        var row = [(Int32, Double)]()
        for d in perDocument.indices {
            row.removeAll(keepingCapacity: true)
            for (g, c) in perDocument[d] where column[Int(g)] >= 0 { row.append((column[Int(g)], Double(c))) }
            perDocument[d] = []
            row.sort { $0.0 < $1.0 }
            for (j, v) in row { indices.append(j); values.append(v) }
            offsets.append(values.count)
        }
        let rows = perDocument.count
        perDocument = []
        return try SparseMatrix(rows: rows, columns: columns, rowOffsets: offsets, columnIndices: indices, values: values)
    }

    /// A fitted vectorizer: the vocabulary in column order and, with idf, each term's weight.
    public struct Fitted: Sendable, Codable, Equatable {
        public var settings: SparseTextVectorizer
        /// The terms, in column order (sorted by code point).
        public var vocabulary: [String]
        /// Each term's inverse document frequency, or nil without ``SparseTextVectorizer/useIDF``.
        public var idf: [Double]?

        /// The matrix of `documents` (`documents × vocabulary.count`); terms outside the vocabulary are ignored.
        public func transform(_ documents: [String?]) throws -> SparseMatrix<Double> {
            var table = TextGramTable()
            var column = [Int32]()
            for (j, term) in vocabulary.enumerated() {
                let g = table.register(term: term)
                if column.count <= Int(g) { column += [Int32](repeating: -1, count: Int(g) + 1 - column.count) }
                column[Int(g)] = Int32(j)
            }
            column += [Int32](repeating: -1, count: table.count - column.count)
            let s = settings
            var perDocument = documents.map { d in
                d.map { TextGramTable.counted(table.grams(of: $0, ngrams: s.ngrams, lowercase: s.lowercase, insert: false)) } ?? []
            }
            var x = try SparseTextVectorizer.matrix(consuming: &perDocument, column: column, columns: vocabulary.count)
            weigh(&x)
            return x
        }

        /// Counts to weights, in place: sublinear tf, idf, row norm.
        func weigh(_ x: inout SparseMatrix<Double>) {
            if settings.sublinearTF { x.transformValues { 1 + log($0) } }
            if let idf { x.scaleColumns(by: idf) }
            switch settings.norm {
            case .l2: x.normalizeRows()
            case .l1: x.normalizeRows(l1: true)
            case .none: break
            }
        }

        /// Checks decoded state: distinct non-empty terms, one finite positive idf per term.
        public func validate() throws {
            try FittedStateError.require(!vocabulary.isEmpty, SparseTextVectorizer.name, field: "vocabulary", "is empty")
            try FittedStateError.require(Set(vocabulary).count == vocabulary.count, SparseTextVectorizer.name,
                                         field: "vocabulary", "has repeated terms")
            if let idf {
                try FittedStateError.require(idf.count == vocabulary.count && idf.allSatisfy { $0.isFinite && $0 > 0 },
                                             SparseTextVectorizer.name, field: "idf", "needs one finite positive value per term")
            }
        }
    }
}

/// Words and n-grams as dense ids: a word's id from its bytes, an n-gram's from
/// (its (n-1)-gram prefix's id, its last word's id), so each n-gram is one hash lookup.
struct TextGramTable {
    private var words = [[UInt8]: Int32]()
    private var extensions = [UInt64: Int32]()
    /// Each id's n-gram length, (prefix id, last word's id; -1 for words), and a word's bytes.
    private(set) var length = [Int]()
    private var parent = [(prefix: Int32, word: Int32)]()
    private var wordBytes = [[UInt8]]()

    var count: Int { length.count }

    private mutating func add(length n: Int, prefix: Int32, word: Int32, bytes: [UInt8]) -> Int32 {
        let id = Int32(length.count)
        length.append(n)
        parent.append((prefix, word))
        wordBytes.append(bytes)
        return id
    }

    mutating func word(_ bytes: [UInt8], insert: Bool) -> Int32? {
        if let id = words[bytes] { return id }
        guard insert else { return nil }
        let id = add(length: 1, prefix: -1, word: -1, bytes: bytes)
        words[bytes] = id
        return id
    }

    mutating func extend(_ prefix: Int32, with word: Int32, insert: Bool) -> Int32? {
        let key = UInt64(UInt32(prefix)) << 32 | UInt64(UInt32(word))
        if let id = extensions[key] { return id }
        guard insert else { return nil }
        let id = add(length: length[Int(prefix)] + 1, prefix: prefix, word: word, bytes: [])
        extensions[key] = id
        return id
    }

    /// Registers a vocabulary term (words joined by single spaces) and its prefixes; its id.
    mutating func register(term: String) -> Int32 {
        var id: Int32 = -1
        for w in term.utf8.split(separator: UInt8(ascii: " ")) {
            let word = self.word(Array(w), insert: true)!
            id = id < 0 ? word : extend(id, with: word, insert: true)!
        }
        return id
    }

    /// The ids of `text`'s n-grams with lengths in `ngrams`, in document order (repeated as
    /// they occur). Without `insert`, unknown words and n-grams are skipped.
    mutating func grams(of text: String, ngrams: ClosedRange<Int>, lowercase: Bool, insert: Bool) -> [Int32] {
        var tokens = [Int32]()
        TextTokenizer.forEachToken(text, lowercase: lowercase) { tokens.append(word($0, insert: insert) ?? -1) }
        var out = [Int32]()
        out.reserveCapacity(tokens.count * ngrams.count)
        if ngrams.contains(1) { for t in tokens where t >= 0 { out.append(t) } }
        guard ngrams.upperBound >= 2 else { return out }
        for i in tokens.indices where tokens[i] >= 0 {
            var id = tokens[i]
            var n = 1
            while n < ngrams.upperBound, i + n < tokens.count, tokens[i + n] >= 0 {
                guard let next = extend(id, with: tokens[i + n], insert: insert) else { break }
                id = next
                n += 1
                if n >= ngrams.lowerBound { out.append(id) }
            }
        }
        return out
    }

    /// `(id, count)` of each distinct id.
    static func counted(_ ids: [Int32]) -> [(Int32, Int32)] {
        let sorted = ids.sorted()
        var out = [(Int32, Int32)]()
        var i = 0
        while i < sorted.count {
            var j = i + 1
            while j < sorted.count && sorted[j] == sorted[i] { j += 1 }
            out.append((sorted[i], Int32(j - i)))
            i = j
        }
        return out
    }

    /// The UTF-8 bytes of an n-gram: its words joined by one space.
    func bytes(of id: Int32) -> [UInt8] {
        var words = [Int32](), g = id
        while parent[Int(g)].prefix >= 0 { words.append(parent[Int(g)].word); g = parent[Int(g)].prefix }
        words.append(g)
        var out = [UInt8]()
        for (k, w) in words.reversed().enumerated() {
            if k > 0 { out.append(UInt8(ascii: " ")) }
            out += wordBytes[Int(w)]
        }
        return out
    }
}
