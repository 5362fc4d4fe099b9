import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// The conformance suite every stage runs (scikit-learn's `check_estimator` idea): on a
/// mixed frame with nulls and NaN, fitting is deterministic under a seed and leaves its
/// input alone; the fitted stage keeps rows, produces the schema it declares, round-trips
/// through the artifact encoding, accepts columns in any order and names a missing column.
enum Conformance {
    /// A frame of every column type, with nulls, a NaN, and a categorical column.
    static func frame(rows: Int = 60, seed: UInt64 = 1) throws -> Frame {
        var rng = SeededGenerator(seed: seed)
        func maybe<T>(_ v: T, _ p: Double = 0.1) -> T? { rng.nextDouble() < p ? nil : v }
        var x = [Double?](), y = [Double?](), n = [Int64?](), cat = [String?](), flag = [Bool?](), day = [Int32?]()
        var text = [String?]()
        let words = ["red apple", "green apple pie", "red car", "blue sky", "apple sky"]
        for i in 0..<rows {
            let v = rng.normal(mean: 5, standardDeviation: 2)
            x.append(i == 3 ? .nan : maybe(v))
            y.append(maybe(rng.gamma(shape: 2, scale: 3) + 0.5))
            n.append(maybe(Int64(rng.poisson(mean: 4))))
            cat.append(maybe(["a", "b", "c", "d"][rng.nextInt(below: 4)]))
            flag.append(maybe(rng.nextDouble() < 0.5))
            day.append(maybe(Int32(18_000 + rng.nextInt(below: 3000))))
            text.append(maybe(words[rng.nextInt(below: words.count)]))
        }
        return try Frame(["x": .double(x), "y": .double(y), "n": .int64(n), "cat": .string(cat),
                          "flag": .bool(flag), "day": .date(day), "text": .string(text)])
    }

    /// A binary target aligned with ``frame(rows:seed:)``.
    static func target(rows: Int = 60) -> Column {
        .string((0..<rows).map { $0 % 3 == 0 ? "yes" : "no" })
    }

    static func check(_ stage: some Transformer, on input: Frame, target: Column) throws {
        let before = input
        var c1 = FitContext(seed: 42, target: target), c2 = FitContext(seed: 42, target: target)
        let a = try stage.fit(input, context: &c1), b = try stage.fit(input, context: &c2)
        #expect(input == before, "\(stage.name): fit must not change its input")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        #expect(try encoder.encode(AnyFittedTransformer(a)) == encoder.encode(AnyFittedTransformer(b)),
                "\(stage.name): fit is deterministic under one seed")

        let out = try a.transform(input)
        #expect(out.rowCount == input.rowCount, "\(stage.name): transform keeps rows")
        #expect(out.schema == a.outputSchema, "\(stage.name): output schema as declared")
        // Before fitting, a stage names its columns exactly, or (a selector) an upper bound.
        let planned = Set(try stage.outputSchema(for: input.schema).names.filter { !$0.hasSuffix("=…") })
        let produced = Set(out.columnNames)
        #expect(planned.isSubset(of: produced) || produced.isSubset(of: planned),
                "\(stage.name): the unfitted schema agrees with the fitted one")

        // Artifact encoding round trip (matrices as raw tensors).
        let archive = TensorArchive()
        encoder.userInfo[.sluiceTensors] = archive
        let data = try encoder.encode(AnyFittedTransformer(a))
        let decoder = JSONDecoder()
        ArtifactCodec.standard.configure(decoder)
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.userInfo[.sluiceTensors] = archive
        let restored = try decoder.decode(AnyFittedTransformer.self, from: data)
        #expect(try restored.base.transform(input) == out, "\(stage.name): artifact round trip transforms identically")

        // Columns in another order give the same columns.
        let reversed = try input.selecting(input.columnNames.reversed())
        let outReversed = try a.transform(reversed)
        for name in out.columnNames {
            #expect(outReversed[name] == out[name], "\(stage.name): column order at transform does not matter (\(name))")
        }

        // A missing input column is named, not a crash.
        if let missing = a.inputSchema.names.first {
            #expect(throws: PipelineError.self, "\(stage.name): a missing column fails clearly") {
                try a.transform(input.dropping([missing]))
            }
        }
    }
}

@Suite("Conformance: every stage")
struct ConformanceTests {
    static let stages: [(String, any Transformer)] = [
        ("StandardScaler", StandardScaler()),
        ("SimpleImputer mean", SimpleImputer(strategy: .mean, addIndicator: true)),
        ("SimpleImputer most frequent strings", SimpleImputer(columns: .names("cat"), strategy: .mostFrequent)),
        ("OneHotEncoder", OneHotEncoder(columns: .names("cat", "flag", "n"))),
        ("ColumnTransformer", ColumnTransformer(remainder: .passthrough,
                                                .init(.names("x", "y"), SimpleImputer(strategy: .median), StandardScaler()),
                                                .init(.names("cat"), OneHotEncoder()))),
        ("MinMaxScaler", MinMaxScaler()),
        ("MaxAbsScaler", MaxAbsScaler()),
        ("RobustScaler", RobustScaler()),
        ("PowerTransformer", PowerTransformer(columns: .names("x", "y"))),
        ("QuantileTransformer", QuantileTransformer(columns: .names("x", "y"), quantiles: 20)),
        ("OutlierClipper", OutlierClipper()),
        ("PolynomialFeatures", PolynomialFeatures(columns: .names("x", "y"))),
        ("KBinsDiscretizer", KBinsDiscretizer(columns: .names("x", "y"), bins: 4)),
        ("Log1pTransform", Log1pTransform(columns: .names("y"))),
        ("PowerFeature", PowerFeature(columns: .names("y"), exponent: 0.5)),
        ("DateParts", DateParts()),
        ("ColumnRatio", ColumnRatio("x", "y")),
        ("ColumnDifference", ColumnDifference("x", "y")),
        ("OrdinalEncoder", OrdinalEncoder(columns: .names("cat"))),
        ("TargetEncoder", TargetEncoder(columns: .names("cat"))),
        ("FeatureHasher", FeatureHasher(columns: .names("cat"), features: 8)),
        ("CountVectorizer", CountVectorizer(columns: .names("text"))),
        ("TfidfVectorizer", TfidfVectorizer(columns: .names("text"))),
        ("HashingVectorizer", HashingVectorizer(columns: .names("text"), features: 16)),
        ("VarianceThreshold", VarianceThreshold(columns: .names("x", "y", "n"))),
        ("SelectKBest (complete input)", SelectKBest(columns: .names("x", "y", "n"), k: 2)),
        ("SelectFromModel (complete input)", SelectFromModel(LogisticRegression(), columns: .names("x", "y"))),
        ("KNNImputer", KNNImputer(columns: .names("x", "y", "n"), neighbors: 3)),
    ]

    @Test("fit/transform contract", arguments: 0..<stages.count)
    func conformance(index: Int) throws {
        let (label, stage) = Self.stages[index]
        var frame = try Conformance.frame()
        if label.hasSuffix("(complete input)") {
            // These stages refuse missing values, clearly; impute first as a user must.
            var context = FitContext(seed: 0, target: Conformance.target())
            #expect(throws: PipelineError.self) { try stage.fit(frame, context: &context) }
            frame = try SimpleImputer(strategy: .mean).fit(frame, context: &context).transform(frame)
        }
        try Conformance.check(stage, on: frame, target: Conformance.target())
    }
}
