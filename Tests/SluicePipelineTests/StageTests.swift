import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceTestSupport

extension Dataset {
    /// The features as a frame of double columns named as in the CSV.
    var frame: Frame {
        get throws {
            try Frame(named: featureNames.enumerated().map { j, name in
                (name, Column.double((0..<features.rows).map { Optional(features[$0, j]) }))
            })
        }
    }
}

@Suite("Stages match scikit-learn")
struct StageParityTests {
    nonisolated(unsafe) static let json = Expectations.load("stages")
    static func entry(_ k: String) -> [String: Any] { json[k] as? [String: Any] ?? [:] }

    @Test("StandardScaler: means, population deviations and transformed rows on wine")
    func scaler() throws {
        let data = try Dataset.load("wine")
        var ctx = FitContext(seed: 0)
        let fitted = try StandardScaler().fit(try data.frame, context: &ctx)
        let e = Self.entry("scaler_wine")
        #expect(isApproximatelyEqual(fitted.means, e["mean"] as? [Double] ?? [], relative: 1e-12))
        #expect(isApproximatelyEqual(fitted.scales, e["scale"] as? [Double] ?? [], relative: 1e-12))
        let out = try fitted.transform(try data.frame.head(5))
        let head = try out.matrix(columns: data.featureNames).elements
        #expect(isApproximatelyEqual(head, (e["head"] as? [[Double]] ?? []).flatMap { $0 }, absolute: 1e-12))
    }

    /// diabetes with a NaN wherever `(row · p + column) % 7 == 0`, as the expectation script.
    func holes() throws -> Frame {
        let data = try Dataset.load("diabetes")
        let p = data.features.columns
        return try Frame(named: data.featureNames.enumerated().map { j, name in
            (name, Column.double((0..<data.features.rows).map { i in (i * p + j) % 7 == 0 ? nil : data.features[i, j] }))
        })
    }

    @Test("SimpleImputer statistics: mean, median, most frequent", arguments: [
        ("imputer_mean", SimpleImputer.Strategy.mean), ("imputer_median", .median), ("imputer_most_frequent", .mostFrequent),
    ])
    func imputer(key: String, strategy: SimpleImputer.Strategy) throws {
        var ctx = FitContext(seed: 0)
        let frame = try holes()
        let fitted = try SimpleImputer(strategy: strategy).fit(frame, context: &ctx)
        let fills = fitted.fills.map { fill -> Double in if case .number(let x) = fill { return x } else { return .nan } }
        #expect(isApproximatelyEqual(fills, Self.entry(key)["statistics"] as? [Double] ?? [], relative: 1e-12))
        let out = try fitted.transform(frame)
        #expect(out.columns.allSatisfy { $0.nullCount == 0 })
        #expect(try out.doubles("age")[0] == fills[0])
    }
}

@Suite("Stage behaviour a user relies on")
struct StageBehaviourTests {
    func sample() throws -> Frame {
        try Frame([
            "x": .double([1, nil, 3, .nan, 5]),
            "n": .int64([10, 20, nil, 40, 50]),
            "plan": .string(["a", "b", nil, "a", "c"]),
            "empty": .double([nil, nil, nil, nil, nil]),
        ])
    }

    @Test("an entirely missing column is kept and filled, with an indicator")
    func allMissing() throws {
        var ctx = FitContext(seed: 0)
        let fitted = try SimpleImputer(columns: .names("x", "empty"), strategy: .median, addIndicator: true)
            .fit(sample(), context: &ctx)
        let out = try fitted.transform(sample())
        #expect(out.columnNames == ["x", "x_missing", "n", "plan", "empty", "empty_missing"])
        #expect(try out.doubles("empty") == [0, 0, 0, 0, 0])
        #expect(try out.doubles("x") == [1, 3, 3, 3, 5])
        #expect(try out.bools("x_missing") == [false, true, false, true, false])
        #expect(fitted.outputSchema == out.schema)
    }

    @Test("most frequent and constant fill strings; ties take the smallest")
    func stringImputation() throws {
        var ctx = FitContext(seed: 0)
        let f = try SimpleImputer(columns: .names("plan"), strategy: .mostFrequent).fit(sample(), context: &ctx)
        #expect(try f.transform(sample()).strings("plan").codes.count == 5)
        #expect(try f.transform(sample()).strings("plan")[2] == "a")
        let c = try SimpleImputer(columns: .names("plan"), strategy: .constantString("missing")).fit(sample(), context: &ctx)
        #expect(try c.transform(sample()).strings("plan")[2] == "missing")
        #expect(throws: PipelineError.unsupportedType(stage: "SimpleImputer", column: "plan", type: .string,
                                                      expected: "a numeric column")) {
            try SimpleImputer(columns: .names("plan"), strategy: .mean).fit(sample(), context: &ctx)
        }
    }

    @Test("one-hot: sorted categories, null as a category, unknowns as zeros and counted")
    func oneHot() throws {
        var ctx = FitContext(seed: 0)
        let fitted = try OneHotEncoder(columns: .names("plan")).fit(sample(), context: &ctx)
        #expect(fitted.outputSchema.names == ["x", "n", "plan=a", "plan=b", "plan=c", "plan=null", "empty"])
        let scoring = try Frame(["x": .double([1, 2]), "n": .int64([1, 2]), "plan": .string(["zzz", "b"]),
                                 "empty": .double([nil, nil])])
        var report = TransformReport()
        let out = try fitted.transform(scoring, report: &report)
        #expect(try out.doubles("plan=a") == [0, 0] && out.doubles("plan=b") == [0, 1])
        #expect(report.totalUnknown == 1 && report.unknownCategories["OneHotEncoder.plan"] == 1)
    }

    @Test("one-hot: infrequent grouping and drop-first")
    func oneHotOptions() throws {
        var ctx = FitContext(seed: 0)
        let frame = try Frame(["c": .string(["a", "a", "a", "b", "b", "c"])])
        let grouped = try OneHotEncoder(minFrequency: 2).fit(frame, context: &ctx)
        #expect(grouped.outputSchema.names == ["c=a", "c=b", "c=infrequent"])
        #expect(try grouped.transform(frame).doubles("c=infrequent") == [0, 0, 0, 0, 0, 1])
        let dropped = try OneHotEncoder(dropFirst: true).fit(frame, context: &ctx)
        #expect(dropped.outputSchema.names == ["c=b", "c=c"])
    }

    @Test("column routing: each route its stages, the remainder dropped or passed through by choice")
    func routing() throws {
        var ctx = FitContext(seed: 0)
        let route = ColumnTransformer(remainder: .drop,
                                      .init(.names("x"), SimpleImputer(strategy: .mean), StandardScaler()),
                                      .init(.categorical, OneHotEncoder()))
        let dropped = try route.fit(sample(), context: &ctx)
        #expect(dropped.outputSchema.names == ["x", "plan=a", "plan=b", "plan=c", "plan=null"])
        var passing = route
        passing.remainder = .passthrough
        let passed = try passing.fit(sample(), context: &ctx)
        #expect(passed.outputSchema.names == ["x", "plan=a", "plan=b", "plan=c", "plan=null", "n", "empty"])
        #expect(try passing.outputSchema(for: sample().schema).names == ["x", "plan=…", "n", "empty"])
    }

    @Test("a scaler given a string column fails before any data is read, naming stage and column")
    func schemaErrors() throws {
        let scaler = StandardScaler(columns: .names("plan"))
        #expect(throws: PipelineError.unsupportedType(stage: "StandardScaler", column: "plan", type: .string,
                                                      expected: "a numeric column")) {
            try scaler.outputSchema(for: sample().schema)
        }
        #expect(throws: PipelineError.missingColumn(stage: "StandardScaler", column: "nope")) {
            try StandardScaler(columns: .names("nope")).outputSchema(for: sample().schema)
        }
    }
}
