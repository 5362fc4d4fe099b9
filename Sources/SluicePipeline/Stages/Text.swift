import SluiceFrame

/// Tokenising and counting shared by the text vectorizers.
///
/// **Tokens** are scikit-learn's default `token_pattern=r"(?u)\b\w\w+\b"` after
/// `lowercase=True`: maximal runs of two or more word characters, where a word character is
/// what Python's `re` calls `\w` (a letter — Unicode categories Lu, Ll, Lt, Lm, Lo — a
/// character with a numeric value, or `_`). The text is read as Unicode scalars with an
/// ASCII table on the fast path — no regex engine, no `Character`s — and lowercased per
/// scalar with Unicode's full lowercase mapping (Python's `str.lower()`).
///
/// **Documents.** A string column holds one document per row. A null row is an empty
/// document: all its counts are zero (and it counts as a document for document
/// frequencies). Each distinct text (a string column's dictionary entry) is tokenised once.
enum Text {
    /// ASCII: 0 = not a word character, else the lowercased byte.
    static let asciiWord: [UInt8] = (0..<128).map { b -> UInt8 in
        switch UInt8(b) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): return UInt8(b)
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt8(b) + 32
        default: return 0
        }
    }

    /// Whether a (non-ASCII) scalar is a word character for Python's `\w`.
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return s.properties.numericType != nil || s == "_"
        }
    }

    /// Calls `body` with each token of `text` (lowercased if `lowercase`).
    static func forEachToken(_ text: String, lowercase: Bool, _ body: (String) -> Void) {
        forEachTokenBytes(text, lowercase: lowercase) { body(String(decoding: $0, as: UTF8.self)) }
    }

    /// Calls `body` with the UTF-8 bytes of each token of `text` (lowercased if `lowercase`).
    static func forEachTokenBytes(_ text: String, lowercase: Bool, _ body: ([UInt8]) -> Void) {
        var token = [UInt8](), length = 0
        token.reserveCapacity(32)
        func end() {
            if length >= 2 { body(token) }
            token.removeAll(keepingCapacity: true)
            length = 0
        }
        func add(_ s: Unicode.Scalar) {
            if s.value < 128 {
                let w = asciiWord[Int(s.value)]
                if w == 0 { end() } else { token.append(lowercase ? w : UInt8(s.value)); length += 1 }
            } else if isWord(s) {
                token.append(contentsOf: UTF8.encode(s).map(Array.init) ?? [])
                length += 1
            } else {
                end()
            }
        }
        for s in text.unicodeScalars {
            if s.value < 128 || !lowercase {
                add(s)
            } else {
                let lower = s.properties.lowercaseMapping.unicodeScalars
                if lower.count == 1, lower.first == s { add(s) } else { for l in lower { add(l) } }
            }
        }
        end()
    }

    /// A document-frequency bound: an absolute number of documents or a fraction of them.
    enum Bound {
        static func resolve(_ b: DocumentFrequency, documents n: Int) -> Double {
            switch b {
            case .count(let c): return Double(c)
            case .fraction(let f): return f * Double(n)
            }
        }
    }

    /// The text column `name` of `frame`, as its distinct texts and each row's index into them
    /// (`-1`: null, an empty document).
    static func documents(_ frame: Frame, _ name: String, stage: String) throws -> (texts: [String], codes: [Int32]) {
        let c = try framing(stage) { () throws(FrameError) in try frame.column(name) }
        let s = try framing(stage) { () throws(FrameError) in try c.stringValues(name: name) }
        let v = c.validity
        return (s.dictionary, s.codes.indices.map { v.isValid($0) ? s.codes[$0] : -1 })
    }

    /// The string columns `selector` picks in `schema`; another type is an error.
    static func columns(_ selector: ColumnSelector, in schema: Schema, stage: String) throws -> [String] {
        try selector.resolve(in: schema, stage: stage, accepting: { $0 == .string }, expected: "a string (text) column")
    }

    /// Learns a sorted vocabulary from one text column, as scikit-learn's `CountVectorizer.fit`:
    /// terms sorted by code point, then those in fewer than `minDF` or more than `maxDF`
    /// documents dropped, then (with `maxFeatures`) only the most frequent terms kept (ties:
    /// the earlier term in sorted order). Also returns each kept term's document frequency.
    static func vocabulary(texts: [String], codes: [Int32], lowercase: Bool, minDF: DocumentFrequency,
                           maxDF: DocumentFrequency, maxFeatures: Int?, limit: Int,
                           stage: String, column: String) throws -> (terms: [String], documentFrequencies: [Int]) {
        var rowsOfText = [Int](repeating: 0, count: texts.count)
        for c in codes where c >= 0 { rowsOfText[Int(c)] += 1 }
        var index = [String: Int](), df = [Int](), tf = [Int](), terms = [String]()
        for (e, text) in texts.enumerated() where rowsOfText[e] > 0 {
            var seen = Set<Int>()
            forEachToken(text, lowercase: lowercase) { t in
                let k: Int
                if let i = index[t] { k = i } else {
                    k = terms.count
                    index[t] = k
                    terms.append(t)
                    df.append(0)
                    tf.append(0)
                }
                tf[k] += rowsOfText[e]
                if seen.insert(k).inserted { df[k] += rowsOfText[e] }
            }
        }
        let n = codes.count
        let low = Bound.resolve(minDF, documents: n), high = Bound.resolve(maxDF, documents: n)
        var order = terms.indices.sorted { Categories.precedes(terms[$0], terms[$1]) }
        order = order.filter { Double(df[$0]) >= low && Double(df[$0]) <= high }
        if let m = maxFeatures, order.count > m {
            let ranked = order.indices.sorted { tf[order[$0]] != tf[order[$1]] ? tf[order[$0]] > tf[order[$1]] : $0 < $1 }
            order = ranked.prefix(m).sorted().map { order[$0] }
        }
        guard !order.isEmpty else {
            throw PipelineError.invalidValue(stage: stage, column: column,
                                             reason: "after pruning no terms remain; lower minDF or raise maxDF")
        }
        guard order.count <= limit else {
            throw PipelineError.invalidValue(stage: stage, column: column, reason:
                "the vocabulary has \(order.count) terms, more than vocabularyLimit \(limit): the output is dense "
                + "(rows × terms doubles); set maxFeatures, raise minDF, or raise vocabularyLimit")
        }
        return (order.map { terms[$0] }, order.map { df[$0] })
    }

    /// Term counts of a text column over `vocabulary`, column-major (`rows × terms`,
    /// term `t`'s counts at `t·rows ..< (t+1)·rows`). Out-of-vocabulary tokens are ignored.
    static func counts(texts: [String], codes: [Int32], vocabulary: [String], lowercase: Bool) -> [Double] {
        let n = codes.count
        let perText = termCounts(texts: texts, codes: codes, vocabulary: vocabulary, lowercase: lowercase)
        var out = [Double](repeating: 0, count: n * vocabulary.count)
        for i in 0..<n where codes[i] >= 0 {
            for (t, c) in perText[Int(codes[i])] { out[t * n + i] = c }
        }
        return out
    }

    /// Each distinct text's (term, count) pairs over `vocabulary`, terms increasing; texts no
    /// row uses are left empty. Out-of-vocabulary tokens are ignored.
    static func termCounts(texts: [String], codes: [Int32], vocabulary: [String], lowercase: Bool) -> [[(Int, Double)]] {
        let index = Dictionary(vocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var used = [Bool](repeating: false, count: texts.count)
        for c in codes where c >= 0 { used[Int(c)] = true }
        var perText = [[(Int, Double)]](repeating: [], count: texts.count)
        for (e, text) in texts.enumerated() where used[e] {
            var counts = [Int: Double]()
            forEachToken(text, lowercase: lowercase) { t in if let k = index[t] { counts[k, default: 0] += 1 } }
            perText[e] = counts.sorted { $0.key < $1.key }
        }
        return perText
    }

    /// Row norms applied in place to a column-major `rows × width` block.
    static func normalize(_ block: inout [Double], rows n: Int, width: Int, norm: VectorNorm) {
        guard norm != .none, n > 0 else { return }
        var totals = [Double](repeating: 0, count: n)
        for j in 0..<width {
            for i in 0..<n {
                let x = block[j * n + i]
                totals[i] += norm == .l2 ? x * x : abs(x)
            }
        }
        let scale = totals.map { t -> Double in
            let s = norm == .l2 ? t.squareRoot() : t
            return s == 0 ? 1 : 1 / s
        }
        for j in 0..<width { for i in 0..<n { block[j * n + i] *= scale[i] } }
    }

    /// `frame` with each column of `blocks` (name → (output names, column-major block))
    /// replaced in place by its output columns.
    static func assemble(_ frame: Frame, _ blocks: [String: ([String], [Double])], stage: String) throws -> Frame {
        let n = frame.rowCount
        var named: [(Field, Column)] = []
        for (f, c) in zip(frame.schema.fields, frame.columns) {
            guard let (names, block) = blocks[f.name] else { named.append((f, c)); continue }
            for (j, out) in names.enumerated() {
                named.append((Field(out, .double, nullable: false), Column(.double(Array(block[(j * n)..<((j + 1) * n)])))))
            }
        }
        return try ColumnValues.frame(named, stage: stage)
    }

    /// `input` with each of `names` replaced by the placeholder `name=…` (a data-dependent width).
    static func placeholderSchema(_ input: Schema, _ names: [String], stage: String) throws -> Schema {
        let chosen = Set(names)
        let fields = input.fields.map { chosen.contains($0.name) ? Field.expansion(of: $0.name) : $0 }
        return try framing(stage) { () throws(FrameError) in try Schema(fields) }
    }
}

/// A bound on how many documents a term may appear in: a count, or a fraction of the
/// training documents (scikit-learn's int versus float `min_df` / `max_df`).
public enum DocumentFrequency: Sendable, Codable, Equatable {
    case count(Int)
    case fraction(Double)
}

/// How each row of a vectorizer's output is normalised.
public enum VectorNorm: String, Sendable, Codable, Equatable {
    /// Unit Euclidean length (rows of zeros stay zero).
    case l2
    /// Unit sum of absolute values.
    case l1
    case none
}

/// scikit-learn's default word tokenizer (`token_pattern=r"(?u)\b\w\w+\b"`, optionally
/// lowercased), as the vectorizers here use it, for vectorizers in other modules (the sparse
/// text vectorizer of SluiceLearn).
public enum TextTokenizer {
    /// Calls `body` with the UTF-8 bytes of each token of `text`, in order.
    public static func forEachToken(_ text: String, lowercase: Bool = true, _ body: ([UInt8]) -> Void) {
        Text.forEachTokenBytes(text, lowercase: lowercase, body)
    }
}
