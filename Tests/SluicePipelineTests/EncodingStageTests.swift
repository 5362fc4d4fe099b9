import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// scikit-learn's results for the encoding, text, selection and k-NN stages, written by
/// `Scripts/encoding.py`.
enum EncodingExpectations {
    nonisolated(unsafe) static let json = Expectations.load("encoding")
    static func entry(_ k: String) -> [String: Any] { json[k] as? [String: Any] ?? [:] }
    static func matrix(_ k: String, _ field: String) -> [[Double]] { entry(k)[field] as? [[Double]] ?? [] }
    static func numbers(_ k: String, _ field: String) -> [Double] { entry(k)[field] as? [Double] ?? [] }
    /// A row-major list of rows, with JSON nulls as NaN.
    static func rows(_ value: Any?) -> [[Double]] {
        (value as? [[Any]] ?? []).map { $0.map { ($0 as? Double) ?? .nan } }
    }

    /// The synthetic categorical frame: `city` (string with nulls) and `size` (int64).
    static func categorical(scoring: Bool = false) throws -> Frame {
        let c = entry("categorical")
        let city = (c[scoring ? "score_city" : "city"] as? [Any] ?? []).map { $0 as? String }
        let size = (c[scoring ? "score_size" : "size"] as? [Int] ?? []).map { Int64?(Int64($0)) }
        return try Frame(["city": .string(city), "size": .int64(size)])
    }

    static func target(_ kind: String) -> Column {
        let c = entry("categorical")
        if kind == "continuous" { return .double((c["y_continuous"] as? [Double] ?? []).map { Optional($0) }) }
        return .string((c["y_\(kind)"] as? [String] ?? []).map { Optional($0) })
    }
}

/// The frame's columns `names` as rows (row-major), for comparing with scikit-learn's arrays.
func rowsOf(_ frame: Frame, _ names: [String]) throws -> [[Double]] {
    let m = try frame.matrix(columns: names)
    return (0..<m.rows).map { m.row($0) }
}

func approx(_ a: [[Double]], _ b: [[Double]], tolerance: Double = 1e-9) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { isApproximatelyEqual($0, $1, absolute: tolerance, relative: tolerance) }
}

@Suite("Encoders match scikit-learn")
struct EncoderParityTests {
    typealias E = EncodingExpectations

    @Test("OrdinalEncoder: sorted categories, nulls stay null, unknowns get -1 and are counted")
    func ordinal() throws {
        var ctx = FitContext(seed: 0)
        let fitted = try OrdinalEncoder(columns: .types(.string, .int64)).fit(E.categorical(), context: &ctx)
        let expected = E.entry("ordinal")["categories"] as? [[String]] ?? []
        #expect(fitted.categories == expected)
        var report = TransformReport()
        let out = try fitted.transform(E.categorical(scoring: true), report: &report)
        let got = try rowsOf(out, ["city", "size"])
        let want = E.rows(E.entry("ordinal")["score"])
        #expect(got.count == want.count && zip(got, want).allSatisfy { isApproximatelyEqual($0, $1) })
        #expect(out.schema["city"] == Field("city", .double, nullable: true))
        #expect(try out.column("city").nullCount == 1)
        #expect(report.unknownCategories == ["OrdinalEncoder.city": 2, "OrdinalEncoder.size": 2])
    }

    @Test("TargetEncoder: full-data encodings, cross-fitted training rows and scoring rows",
          arguments: ["continuous", "binary", "multiclass"], [true, false])
    func target(kind: String, auto: Bool) throws {
        let key = "target_\(kind)_\(auto ? "auto" : "2.0")"
        let encoder = TargetEncoder(columns: .types(.string, .int64),
                                    targetKind: TargetEncoder.TargetKind(rawValue: kind) ?? .auto,
                                    smoothing: auto ? .auto : .fixed(2), shuffle: false)
        let frame = try E.categorical()
        var ctx = FitContext(seed: 3, target: E.target(kind))
        let (fitted, train) = try encoder.fitTransform(frame, context: &ctx)
        #expect(isApproximatelyEqual(fitted.targetMeans, E.numbers(key, "target_mean"), absolute: 1e-12))
        // scikit-learn lists encodings per column (then per class); ours per column, per output.
        let ours = fitted.encodings.flatMap { e in e.values }
        let theirs = E.entry(key)["encodings"] as? [[Double]] ?? []
        #expect(approx(ours, theirs))
        let names = train.columnNames
        #expect(approx(try rowsOf(train, names), E.matrix(key, "fit_transform")))
        #expect(approx(try rowsOf(fitted.transform(frame), names), E.matrix(key, "transform_train")))
        var report = TransformReport()
        let scored = try fitted.transform(E.categorical(scoring: true), report: &report)
        #expect(approx(try rowsOf(scored, names), E.matrix(key, "transform_score")))
        #expect(report.unknownCategories == ["TargetEncoder.city": 2, "TargetEncoder.size": 2])
        if kind == "multiclass" {
            #expect(names == ["city=high", "city=low", "city=mid", "size=high", "size=low", "size=mid"])
        } else {
            #expect(names == ["city", "size"])
        }
    }

    @Test("FeatureHasher: MurmurHash3 buckets and signs as scikit-learn", arguments: [true, false])
    func hasher(alternate: Bool) throws {
        var ctx = FitContext(seed: 0)
        let fitted = try FeatureHasher(columns: .names("city", "size"), features: 16, alternateSign: alternate).fit(E.categorical(), context: &ctx)
        let out = try fitted.transform(E.categorical())
        #expect(out.columnNames == (0..<16).map { "hash#\($0)" })
        let want = E.json["hasher_\(alternate ? "True" : "False")"] as? [[Double]] ?? []
        #expect(try rowsOf(out, out.columnNames) == want)
    }
}

@Suite("Text vectorizers match scikit-learn")
struct TextParityTests {
    typealias E = EncodingExpectations

    static func docs(_ field: String = "docs") throws -> Frame {
        let d = (E.entry("text")[field] as? [Any] ?? []).map { $0 as? String }
        return try Frame(["id": .int64((0..<d.count).map { Int64($0) }), "body": .string(d)])
    }

    func check<F: FittedTransformer>(_ fitted: F, key: String, names: [String]) throws {
        let train = try fitted.transform(Self.docs())
        #expect(train.columnNames == ["id"] + names)
        #expect(approx(try rowsOf(train, names), E.matrix(key, "train"), tolerance: 1e-12))
        var report = TransformReport()
        let scored = try fitted.transform(Self.docs("score_docs"), report: &report)
        #expect(approx(try rowsOf(scored, names), E.matrix(key, "score"), tolerance: 1e-12))
        #expect(report.totalUnknown == 0)
    }

    @Test("CountVectorizer: tokens, sorted vocabulary, pruning by document frequency and max features", arguments: [
        ("text_count", CountVectorizer(columns: .names("body"))),
        ("text_count_pruned", CountVectorizer(columns: .names("body"), minDF: .count(2), maxDF: .fraction(0.5))),
        ("text_count_max", CountVectorizer(columns: .names("body"), maxFeatures: 5)),
    ])
    func count(key: String, vectorizer: CountVectorizer) throws {
        var ctx = FitContext(seed: 0)
        let fitted = try vectorizer.fit(Self.docs(), context: &ctx)
        let vocabulary = E.entry(key)["vocabulary"] as? [String] ?? []
        #expect(fitted.vocabularies == [vocabulary])
        try check(fitted, key: key, names: vocabulary.map { "body=\($0)" })
    }

    @Test("TfidfVectorizer: idf, sublinear tf, l2 and l1 norms", arguments: [
        ("text_tfidf", TfidfVectorizer(columns: .names("body"))),
        ("text_tfidf_options", TfidfVectorizer(columns: .names("body"), minDF: .count(2), smoothIDF: false,
                                               sublinearTF: true, norm: .l1)),
    ])
    func tfidf(key: String, vectorizer: TfidfVectorizer) throws {
        var ctx = FitContext(seed: 0)
        let fitted = try vectorizer.fit(Self.docs(), context: &ctx)
        #expect(isApproximatelyEqual(fitted.idf.flatMap { $0 }, E.numbers(key, "idf"), relative: 1e-12))
        let vocabulary = E.entry(key)["vocabulary"] as? [String] ?? []
        try check(fitted, key: key, names: vocabulary.map { "body=\($0)" })
    }

    @Test("HashingVectorizer: MurmurHash3 of tokens, signs and norms", arguments: [
        ("text_hashing", HashingVectorizer(columns: .names("body"), features: 32)),
        ("text_hashing_plain", HashingVectorizer(columns: .names("body"), features: 32, alternateSign: false, norm: .none)),
    ])
    func hashing(key: String, vectorizer: HashingVectorizer) throws {
        var ctx = FitContext(seed: 0)
        let out = try vectorizer.fit(Self.docs(), context: &ctx).transform(Self.docs())
        let names = (0..<32).map { "body#\($0)" }
        #expect(try vectorizer.outputSchema(for: Self.docs().schema) == out.schema)
        #expect(approx(try rowsOf(out, names), E.matrix(key, "train"), tolerance: 1e-12))
    }

    @Test("a vocabulary over the dense limit fails at fit, naming stage and column")
    func densityLimit() throws {
        var ctx = FitContext(seed: 0)
        let many = try Frame(["t": .string((0..<300).map { "w\($0) common" })])
        #expect(throws: PipelineError.self) {
            try CountVectorizer(columns: .names("t"), vocabularyLimit: 100).fit(many, context: &ctx)
        }
        do {
            _ = try CountVectorizer(columns: .names("t"), vocabularyLimit: 100).fit(many, context: &ctx)
        } catch let PipelineError.invalidValue(stage, column, reason) {
            #expect(stage == "CountVectorizer" && column == "t" && reason.contains("301 terms"))
        }
        let capped = try CountVectorizer(columns: .names("t"), maxFeatures: 50, vocabularyLimit: 100).fit(many, context: &ctx)
        #expect(capped.vocabularies[0].count == 50 && capped.vocabularies[0].contains("common"))
        #expect(try CountVectorizer(columns: .names("t")).outputSchema(for: many.schema).names == ["t=…"])
    }
}

@Suite("Feature selection matches scikit-learn")
struct SelectionParityTests {
    typealias E = EncodingExpectations

    func kept(_ names: [String], _ support: [Bool]) -> [String] { zip(names, support).filter(\.1).map(\.0) }

    @Test("VarianceThreshold on digits: variances (range where smaller) and the columns kept", arguments: [0.0, 10.0])
    func variance(threshold: Double) throws {
        let data = try Dataset.load("digits")
        var ctx = FitContext(seed: 0)
        let fitted = try VarianceThreshold(threshold: threshold).fit(data.frame, context: &ctx)
        let key = "variance_digits_\(threshold == 0 ? "0" : "10")"
        #expect(isApproximatelyEqual(fitted.variances, E.numbers(key, "variances"), absolute: 1e-12, relative: 1e-12))
        let support = E.entry(key)["support"] as? [Bool] ?? []
        #expect(fitted.kept == kept(data.featureNames, support))
        #expect(try fitted.transform(data.frame).columnNames == fitted.kept)
    }

    @Test("SelectKBest with ANOVA F: scores, p-values and the k kept", arguments: ["wine", "breast_cancer", "iris"])
    func anova(name: String) throws {
        let data = try Dataset.load(name)
        let key = "kbest_\(name)"
        let k = E.entry(key)["k"] as? Int ?? 0
        var ctx = FitContext(seed: 0, target: .string(data.target.map { Optional($0) }))
        let fitted = try SelectKBest(k: k).fit(data.frame, context: &ctx)
        #expect(isApproximatelyEqual(fitted.scores, E.numbers(key, "scores"), relative: 1e-9))
        #expect(isApproximatelyEqual(fitted.pValues ?? [], E.numbers(key, "pvalues"), relative: 1e-7))
        #expect(fitted.kept == kept(data.featureNames, E.entry(key)["support"] as? [Bool] ?? []))
        #expect(try fitted.transform(data.frame).columnNames == fitted.kept)
    }

    @Test("SelectKBest with mutual information: within scikit-learn's spread over seeds, deterministic under ours",
          arguments: ["wine", "breast_cancer", "iris"])
    func mutualInformation(name: String) throws {
        let data = try Dataset.load(name)
        let key = "kbest_\(name)"
        let mean = E.numbers(key, "mi_mean"), low = E.numbers(key, "mi_min"), high = E.numbers(key, "mi_max")
        let stage = SelectKBest(k: 3, score: .mutualInformation(neighbors: 3))
        var ctx = FitContext(seed: 4, target: .string(data.target.map { Optional($0) }))
        let fitted = try stage.fit(data.frame, context: &ctx)
        var again = FitContext(seed: 4, target: .string(data.target.map { Optional($0) }))
        #expect(try stage.fit(data.frame, context: &again) == fitted)
        #expect(fitted.scores.count == mean.count)
        // The jitter breaks ties in rounded data, so scikit-learn's own scores move with its
        // seed; ours must land inside that spread (with a small margin).
        for (j, s) in fitted.scores.enumerated() where j < low.count {
            #expect(s >= 0 && s >= low[j] - 0.01 && s <= high[j] + 0.01, "column \(j): \(s) outside [\(low[j]), \(high[j])]")
        }
        if name == "breast_cancer" {  // few ties: close to the mean, and the same top three
            #expect(isApproximatelyEqual(fitted.scores, mean, absolute: 0.01, relative: 0))
            let top = Set(mean.indices.sorted { mean[$0] > mean[$1] }.prefix(3).map { data.featureNames[$0] })
            #expect(Set(fitted.kept) == top)
        }
    }

    @Test("SelectFromModel: |coefficients| of a fitted linear model against a threshold", arguments: [
        ("logistic_breast_cancer", "breast_cancer"), ("logistic_iris_max2", "iris"), ("linear_diabetes_median", "diabetes"),
    ])
    func fromModel(key: String, name: String) throws {
        let data = try Dataset.load(name)
        let x = data.standardizedFeatures
        let frame = try Frame(named: data.featureNames.enumerated().map { j, n in
            (n, Column.double((0..<x.rows).map { Optional(x[$0, j]) }))
        })
        let expected = E.entry("from_model_\(key)")
        let support = expected["support"] as? [Bool] ?? []
        let importances = expected["importances"] as? [Double] ?? []
        if name == "diabetes" {
            var ctx = FitContext(seed: 0, target: .double(data.target.map { Double($0) }))
            let fitted = try SelectFromModel(LinearRegression(), threshold: .median).fit(frame, context: &ctx)
            #expect(isApproximatelyEqual(fitted.importances, importances, absolute: 1e-8, relative: 1e-9))
            #expect(fitted.kept == kept(data.featureNames, support))
        } else {
            var ctx = FitContext(seed: 0, target: .string(data.target.map { Optional($0) }))
            let stage = name == "iris"
                ? SelectFromModel(LogisticRegression(tolerance: 1e-12), threshold: .value(0), maxFeatures: 2)
                : SelectFromModel(LogisticRegression(tolerance: 1e-12))
            let fitted = try stage.fit(frame, context: &ctx)
            #expect(isApproximatelyEqual(fitted.importances, importances, absolute: 1e-6, relative: 1e-6))
            #expect(isApproximatelyEqual(fitted.threshold, expected["threshold"] as? Double ?? .nan, absolute: 1e-6))
            #expect(fitted.kept == kept(data.featureNames, support))
        }
    }
}

@Suite("KNNImputer matches scikit-learn")
struct KNNImputerParityTests {
    typealias E = EncodingExpectations

    /// diabetes with the expectation script's holes and an entirely missing column `empty`;
    /// scoring rows are shifted copies of the first 40.
    static func frames() throws -> (train: Frame, score: Frame, names: [String]) {
        let data = try Dataset.load("diabetes")
        let x = data.features, p = x.columns
        var train = [(String, Column)](), score = [(String, Column)]()
        for (j, name) in data.featureNames.enumerated() {
            train.append((name, .double((0..<x.rows).map { i in (i * p + j) % 7 == 0 ? nil : x[i, j] })))
            // Scoring holes alternate between null and NaN: both are missing.
            score.append((name, .double((0..<40).map { i -> Double? in
                if i == 39 || (i * p + j) % 5 == 1 { return i % 2 == 0 ? nil : .nan }
                return x[i, j] * 1.01 + 0.001
            })))
        }
        train.append(("empty", .double([Double?](repeating: nil, count: x.rows))))
        score.append(("empty", .double((0..<40).map { i in i == 39 ? nil : Double(i) })))
        return (try Frame(named: train), try Frame(named: score), data.featureNames + ["empty"])
    }

    @Test("nan-Euclidean neighbours, uniform and distance weights, empty column kept as 0",
          arguments: ["uniform", "distance"], [1, 5])
    func parity(weights: String, k: Int) throws {
        let (train, score, names) = try Self.frames()
        let key = "knn_\(weights)_\(k)"
        var ctx = FitContext(seed: 0)
        let fitted = try KNNImputer(neighbors: k, weights: KNNImputer.Weights(rawValue: weights) ?? .uniform)
            .fit(train, context: &ctx)
        let done = try fitted.transform(train)
        #expect(done.schema == fitted.outputSchema && done.columns.allSatisfy { $0.nullCount == 0 })
        let p = names.count - 1
        var filled = [Double]()
        for i in 0..<train.rowCount {
            for j in 0..<p where (i * p + j) % 7 == 0 { filled.append(try done.doubles(names[j])[i]) }
        }
        #expect(isApproximatelyEqual(filled, E.numbers(key, "train_filled"), absolute: 1e-12, relative: 1e-9))
        #expect(try done.doubles("empty") == [Double](repeating: 0, count: train.rowCount))
        #expect(approx(try rowsOf(fitted.transform(score), names), E.matrix(key, "score"), tolerance: 1e-9))
    }

    @Test("a duplicate of a training row is at distance exactly 0 and takes all the weight")
    func duplicates() throws {
        let train = try Frame(["a": .double([1, 2, 3, 10, nil]), "b": .double([5, 7, nil, 1, 4])])
        var ctx = FitContext(seed: 0)
        let fitted = try KNNImputer(neighbors: 3, weights: .distance).fit(train, context: &ctx)
        let out = try fitted.transform(Frame(["a": .double([2, nil]), "b": .double([nil, nil])]))
        #expect(try out.doubles("b")[0] == 7)           // row 1 exactly: the others get no weight
        #expect(try out.doubles("a")[1] == 4)           // no shared column with anyone: the mean
        #expect(try out.doubles("b")[1] == 4.25)
    }
}

@Suite("Encoding and selection stages in pipelines")
struct EncodingPipelineTests {
    /// churnLike plus a city (with nulls), a region code and a free-text note.
    static func frame(rows: Int, seed: UInt64, unseen: Bool = false) throws -> Frame {
        var f = try churnLike(rows: rows, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 100)
        let cities = ["Bern", "Basel", "Chur", "Aarau"] + (unseen ? ["Sion"] : [])
        let words = ["late", "payment", "happy", "call", "support", "slow", "network", "great"]
        let city = (0..<rows).map { _ -> String? in rng.nextDouble() < 0.05 ? nil : cities[rng.nextInt(below: cities.count)] }
        let region = (0..<rows).map { _ in Int64(rng.nextInt(below: unseen ? 5 : 4)) }
        let note = (0..<rows).map { _ in (0..<rng.nextInt(below: 5)).map { _ in words[rng.nextInt(below: words.count)] }.joined(separator: " ") }
        f = try f.setting("city", to: .string(city)).setting("region", to: .int64(region.map { $0 }))
            .setting("note", to: .string(note.map { $0 }))
        return f
    }

    static func pipeline() -> Pipeline<LogisticRegression> {
        Pipeline(target: "churn", estimator: LogisticRegression()) {
            KNNImputer(columns: .names("age", "calls"), neighbors: 3)
            TargetEncoder(columns: .names("plan"))
            OrdinalEncoder(columns: .names("region"))
            FeatureHasher(columns: .names("city"), features: 4)
            TfidfVectorizer(columns: .names("note"))
            VarianceThreshold()
            SelectKBest(k: 8)
            SelectFromModel(LogisticRegression(), threshold: .value(0))
        }
    }

    @Test("a pipeline of these stages fits, round-trips through an artifact and predicts identically")
    func artifactRoundTrip() throws {
        let train = try Self.frame(rows: 600, seed: 1), test = try Self.frame(rows: 150, seed: 2, unseen: true)
        let fitted = try Self.pipeline().fit(train, seed: 9)
        #expect(fitted.featureNames.count <= 8 && !fitted.featureNames.isEmpty)
        let dir = try Fixtures.temporaryDirectory("encoding-artifact")
        let a = dir.appendingPathComponent("a.sluice"), b = dir.appendingPathComponent("b.sluice")
        try Artifact.save(fitted, to: a)
        try Artifact.save(try Self.pipeline().fit(train, seed: 9), to: b)
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        let loaded = try Artifact.load(from: a, checking: test.schema)
        var r1 = TransformReport(), r2 = TransformReport()
        let p1 = try fitted.predict(test, report: &r1), p2 = try loaded.predict(test, report: &r2)
        #expect(p1.probabilities == p2.probabilities)
        #expect(r1 == r2 && r1.totalUnknown > 0)
        #expect((r1.unknownCategories["OrdinalEncoder.region"] ?? 0) > 0)
    }

    @Test("the pipeline's schema check runs before data: a text stage on a number fails naming stage and column")
    func schemaBeforeData() throws {
        let bad = Pipeline(target: "churn", estimator: LogisticRegression()) { TfidfVectorizer(columns: .names("age")) }
        #expect(throws: PipelineError.unsupportedType(stage: "TfidfVectorizer", column: "age", type: .double,
                                                      expected: "a string (text) column")) {
            try bad.outputSchema(for: Self.frame(rows: 5, seed: 1).schema)
        }
        let noTarget = TargetEncoder(columns: .names("plan"))
        var ctx = FitContext(seed: 0)
        #expect(throws: PipelineError.targetRequired(stage: "TargetEncoder")) {
            try noTarget.fit(Self.frame(rows: 20, seed: 1), context: &ctx)
        }
    }

    @Test("TargetEncoder cross-fits the training rows (seeded) and encodes later rows with all of them")
    func crossFitting() throws {
        let frame = try Self.frame(rows: 400, seed: 3)
        let target = try frame.column("churn")
        let stage = TargetEncoder(columns: .names("city"))
        var c1 = FitContext(seed: 5, target: target), c2 = FitContext(seed: 5, target: target)
        var c3 = FitContext(seed: 6, target: target)
        let (f1, t1) = try stage.fitTransform(frame, context: &c1)
        let (f2, t2) = try stage.fitTransform(frame, context: &c2)
        let (f3, t3) = try stage.fitTransform(frame, context: &c3)
        #expect(f1 == f2 && t1 == t2 && f1 == f3)                 // full-data state does not depend on folds
        #expect(try t1.doubles("city") != t3.doubles("city"))     // folds do
        #expect(try t1.doubles("city") != f1.transform(frame).doubles("city"))
        #expect(Set(try f1.transform(frame).doubles("city")).count <= 5)  // four cities and null
        #expect(f1.targetKind == .binary && f1.classes == ["no", "yes"])
        // The drawn generator moves on: later stages see a different state than without shuffling.
        #expect(c1.rng == c2.rng && c1.rng != FitContext(seed: 5).rng)
    }

    @Test("auto target kind: a multiclass text target must be asked for explicitly")
    func multiclassNeedsAsking() throws {
        let frame = try Frame(["c": .string(["a", "b", "a", "b", "a", "b"])])
        var ctx = FitContext(seed: 0, target: .string(["x", "y", "z", "x", "y", "z"]))
        #expect(throws: PipelineError.self) { try TargetEncoder().fit(frame, context: &ctx) }
        let fitted = try TargetEncoder(targetKind: .multiclass).fit(frame, context: &ctx)
        #expect(fitted.outputSchema.names == ["c=x", "c=y", "c=z"])
        #expect(try TargetEncoder(targetKind: .multiclass).outputSchema(for: frame.schema).names == ["c=…"])
    }

    @Test("selectors refuse missing values and name the column; k larger than the columns is refused")
    func selectorErrors() throws {
        let frame = try Frame(["a": .double([1, 2, .nan, 4]), "b": .double([1, 0, 1, 0])])
        var ctx = FitContext(seed: 0, target: .string(["p", "q", "p", "q"]))
        #expect(throws: PipelineError.invalidValue(stage: "SelectKBest", column: "a",
                                                   reason: "missing or non-finite value at row 2; impute before selecting")) {
            try SelectKBest(k: 1).fit(frame, context: &ctx)
        }
        #expect(throws: PipelineError.self) { try SelectKBest(k: 3).fit(frame, context: &ctx) }
        let constant = try Frame(["a": .double([3, 3, 3]), "b": .double([1, 2, 3])])
        #expect(try VarianceThreshold().fit(constant, context: &ctx).kept == ["b"])
    }
}
