import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// A small churn-like frame: numeric columns with nulls, a categorical column with nulls,
/// and a binary label that depends on them.
func churnLike(rows: Int, seed: UInt64) throws -> Frame {
    var rng = SeededGenerator(seed: seed)
    var age = [Double?](), calls = [Int64?](), plan = [String?](), label = [String?]()
    for _ in 0..<rows {
        let a = rng.normal(mean: 40, standardDeviation: 10), c = rng.poisson(mean: 3)
        let p = ["basic", "premium", "family"][rng.categorical([0.5, 0.3, 0.2])]
        let z = -1 + 0.05 * (a - 40) + 0.4 * Double(c - 3) + (p == "basic" ? 0.8 : 0) + rng.normal()
        age.append(rng.nextDouble() < 0.05 ? nil : a)
        calls.append(rng.nextDouble() < 0.02 ? nil : Int64(c))
        plan.append(rng.nextDouble() < 0.03 ? nil : p)
        label.append(z > 0 ? "yes" : "no")
    }
    return try Frame(["age": .double(age), "calls": .int64(calls), "plan": .string(plan), "churn": .string(label)])
}

func churnPipeline() -> Pipeline<LogisticRegression> {
    Pipeline(target: "churn", estimator: LogisticRegression(classWeight: .balanced)) {
        SimpleImputer(columns: .numeric, strategy: .median, addIndicator: true)
        StandardScaler(columns: .types(.double))
        OneHotEncoder(columns: .types(.string))
    }
}

@Suite("Pipelines: fit, predict, schema checks, artifacts")
struct PipelineTests {
    @Test("a pipeline fits end to end and predicts well on held-out rows")
    func endToEnd() throws {
        let train = try churnLike(rows: 3000, seed: 1), test = try churnLike(rows: 1000, seed: 2)
        let fitted = try churnPipeline().fit(train, seed: 7)
        #expect(fitted.featureNames == ["age", "age_missing", "calls", "calls_missing",
                                        "plan=basic", "plan=family", "plan=premium", "plan=null"])
        let p = try fitted.predict(test)
        let truth = try ClassLabels(column: test.column("churn"), name: "churn")
        #expect(p.classes == ["no", "yes"])
        let auc = Metrics.rocAUC(truth.codes, scores: (0..<test.rowCount).map { p.probabilities![$0, 1] })
        #expect(auc > 0.8)
    }

    @Test("the unfitted pipeline checks the whole chain before any data moves")
    func schemaBeforeData() throws {
        let bad = Pipeline(target: "churn", estimator: LogisticRegression()) {
            StandardScaler(columns: .names("plan"))
        }
        #expect(throws: PipelineError.unsupportedType(stage: "StandardScaler", column: "plan", type: .string,
                                                      expected: "a numeric column")) {
            try bad.outputSchema(for: churnLike(rows: 5, seed: 1).schema)
        }
        let unencoded = Pipeline(target: "churn", estimator: LogisticRegression()) { StandardScaler() }
        #expect(throws: PipelineError.nonNumericFeature(column: "plan", type: .string)) {
            try unencoded.fit(churnLike(rows: 50, seed: 1), seed: 1)
        }
    }

    @Test("scoring input: any column order works, a missing or retyped column fails clearly, a null target is refused")
    func scoringInput() throws {
        let fitted = try churnPipeline().fit(churnLike(rows: 500, seed: 3), seed: 7)
        let test = try churnLike(rows: 20, seed: 4)
        let reordered = try test.selecting(["plan", "churn", "calls", "age"])
        #expect(try fitted.predict(reordered).values == fitted.predict(test).values)
        #expect(throws: PipelineError.inputSchema([SchemaProblem(column: "calls", expected: .int64, found: nil)])) {
            try fitted.predict(test.dropping(["calls"]))
        }
        let retyped = try test.setting("calls", to: .double((0..<20).map { Double($0) }))
            .setting("plan", to: .int64((0..<20).map { Int64($0) }))
        #expect(throws: PipelineError.inputSchema([SchemaProblem(column: "calls", expected: .int64, found: .double),
                                                   SchemaProblem(column: "plan", expected: .string, found: .int64)]),
                "every wrong column is named at once") {
            try fitted.predict(retyped)
        }
        let unlabelled = try test.setting("churn", to: .string([String?](repeating: nil, count: 20)))
        #expect(throws: PipelineError.self) { try churnPipeline().fit(unlabelled, seed: 1) }
    }

    @Test("the same data and seed give the same artifact bytes; a loaded pipeline predicts bit-identically")
    func artifactRoundTrip() throws {
        let dir = try Fixtures.temporaryDirectory("artifact")
        let train = try churnLike(rows: 800, seed: 5), test = try churnLike(rows: 200, seed: 6)
        let a = dir.appendingPathComponent("a.sluice"), b = dir.appendingPathComponent("b.sluice")
        let fitted = try churnPipeline().fit(train, seed: 11)
        try Artifact.save(fitted, to: a, metrics: ["auc": 0.9])
        try Artifact.save(try churnPipeline().fit(train, seed: 11), to: b, metrics: ["auc": 0.9])
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        let loaded = try Artifact.load(from: a, checking: test.schema)
        #expect(try loaded.predict(test).probabilities == fitted.predict(test).probabilities)
        let meta = try Artifact.metadata(at: a)
        #expect(meta.seed == 11 && meta.metrics["auc"] == 0.9 && meta.featureNames == fitted.featureNames)
        #expect(meta.dataFingerprint.count == 16 && meta.library.hasPrefix("sluice"))
        let other = try churnPipeline().fit(churnLike(rows: 800, seed: 99), seed: 11)
        #expect(other.dataFingerprint != fitted.dataFingerprint, "other training data, other fingerprint")
    }

    @Test("loading refuses truncated, tampered, wrong-version, wrong-model and wrong-schema artifacts")
    func artifactRefusals() throws {
        let dir = try Fixtures.temporaryDirectory("artifact-bad")
        let url = dir.appendingPathComponent("m.sluice")
        try Artifact.save(churnPipeline().fit(churnLike(rows: 300, seed: 8), seed: 1), to: url)
        let good = try Data(contentsOf: url)
        func attempt(_ bytes: Data) throws {
            try bytes.write(to: url)
            _ = try Artifact.load(from: url)
        }
        #expect(throws: ArtifactError.self) { try attempt(good.prefix(good.count - 100)) }
        var tampered = good
        tampered[good.count / 2] ^= 0xFF
        #expect(throws: ArtifactError.checksumMismatch(path: url.path)) { try attempt(tampered) }
        var version = good
        version[8] = 9
        #expect(throws: ArtifactError.unsupportedVersion(path: url.path, found: 9, supported: 2)) { try attempt(version) }
        version[8] = 1
        #expect(throws: ArtifactError.unsupportedVersion(path: url.path, found: 1, supported: 2)) { try attempt(version) }
        #expect(ArtifactError.unsupportedVersion(path: "m", found: 1, supported: 2).description.contains("earlier Sluice"))
        #expect(throws: ArtifactError.notAnArtifact(path: url.path)) { try attempt(Data("hello".utf8)) }
        var huge = good  // a header length far beyond the file: refused before any allocation
        huge.replaceSubrange(16..<24, with: [UInt8](repeating: 0xFF, count: 8))
        #expect(throws: ArtifactError.self) { try attempt(huge) }
        try good.write(to: url)
        #expect(throws: ArtifactError.self, "a codec without the model's kind refuses it, naming the kind") {
            try Artifact.load(from: url, codec: .pipelineStages)
        }
        do { _ = try Artifact.load(from: url, codec: .pipelineStages) } catch {
            #expect("\(error)".contains("logistic_regression"))
        }
        let otherSchema = try Schema([Field("age", .string)])
        #expect(throws: ArtifactError.schemaMismatch(path: url.path, problems: [
            SchemaProblem(column: "age", expected: .double, found: .string),
            SchemaProblem(column: "calls", expected: .int64, found: nil),
            SchemaProblem(column: "plan", expected: .string, found: nil),
        ])) {
            try Artifact.load(from: url, checking: otherSchema)
        }
    }

    @Test("signed artifacts: a key signs, the same key verifies; unsigned, wrongly signed or unverifiable ones are refused")
    func signing() throws {
        let fitted = try churnPipeline().fit(churnLike(rows: 300, seed: 8), seed: 1)
        let key = try #require(ArtifactKey(Array("a key of at least sixteen bytes".utf8)))
        let other = try #require(ArtifactKey(Array("another key, also long enough".utf8)))
        #expect(ArtifactKey(Array("short".utf8)) == nil, "a key must have 16 bytes or more")
        let signed = try Artifact.encode(fitted, key: key), unsigned = try Artifact.encode(fitted, key: nil)
        #expect(signed.count == unsigned.count && signed != unsigned)
        _ = try Artifact.decode(signed, path: "s", codec: .standard, key: key)
        _ = try Artifact.decode(unsigned, path: "u", codec: .standard, key: nil)
        #expect(throws: ArtifactError.signature(path: "s", reason: "the signature does not match the key: modified, or signed with another key")) {
            try Artifact.decode(signed, path: "s", codec: .standard, key: other)
        }
        #expect(throws: ArtifactError.self, "unsigned with a key set") { try Artifact.decode(unsigned, path: "u", codec: .standard, key: key) }
        #expect(throws: ArtifactError.self, "signed without a key") { try Artifact.decode(signed, path: "s", codec: .standard, key: nil) }
        var tampered = signed
        tampered[40] ^= 1
        #expect(throws: ArtifactError.self) { try Artifact.decode(tampered, path: "t", codec: .standard, key: key) }
        #expect(try Artifact.encode(fitted, key: key) == signed, "signing is deterministic")
    }

    @Test("a regression pipeline works the same way")
    func regression() throws {
        let data = try Dataset.load("diabetes")
        var frame = try data.frame
        frame = try frame.setting("y", to: .double(data.target.map { Double($0) }))
        let fitted = try Pipeline(target: "y", estimator: LinearRegression()) { StandardScaler() }.fit(frame, seed: 0)
        let predicted = try fitted.predict(frame).values.doubleValues()
        #expect(Metrics.r2(data.target.map { Double($0)! }, predicted) > 0.5)
    }
}
