import Foundation
import Testing
import SluiceConformance
import SluiceFrame
import SluiceLearn
import SluicePipeline

/// Crafted artifacts, checksum recomputed (``ArtifactCraft``): each is refused with an
/// ``ArtifactError`` that names the stage or model and the field, never a trap.
@Suite("Crafted artifacts are refused, naming the stage and field")
struct CraftedArtifactTests {
    /// StandardScaler (stage 0), SimpleImputer (1), OneHotEncoder (2), logistic regression.
    static func classifier() throws -> [UInt8] {
        let frame = try Examples.training().selecting(["x", "y", "n", "cat", "label"])
        let pipeline = Pipeline(target: "label", estimator: LogisticRegression()) {
            StandardScaler(columns: .names("x", "y"))
            SimpleImputer(columns: .names("x", "y", "n"), strategy: .mean)
            OneHotEncoder(columns: .names("cat"))
        }
        return try Artifact.encode(pipeline.fit(frame, seed: 1), key: nil)
    }

    static func regressor() throws -> [UInt8] {
        let frame = try Examples.training().selecting(["x", "n", "score"])
        let pipeline = Pipeline(target: "score", estimator: LinearRegression()) {
            SimpleImputer(strategy: .median)
        }
        return try Artifact.encode(pipeline.fit(frame, seed: 1), key: nil)
    }

    func expectRefused(_ bytes: [UInt8], naming words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try Artifact.decode(bytes, path: "crafted.sluice", codec: Examples.codec, key: nil)
            Issue.record("the crafted artifact loaded", sourceLocation: sourceLocation)
        } catch let error as ArtifactError {
            #expect(error.exitStatus == .dataError, sourceLocation: sourceLocation)
            for w in words { #expect("\(error)".contains(w), "'\(w)' not in: \(error)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("refused with \(type(of: error)), not an ArtifactError: \(error)", sourceLocation: sourceLocation)
        }
    }

    func crafted(_ base: [UInt8], _ edit: (inout ArtifactCraft) throws -> Void) throws -> [UInt8] {
        var craft = try ArtifactCraft(base)
        try edit(&craft)
        return try craft.bytes()
    }

    @Test("an untouched craft loads and scores as the original (the helper changes nothing by itself)")
    func untouched() throws {
        let base = try Self.classifier()
        let frame = try Examples.training()
        let a = try Artifact.decode(base, path: "a", codec: Examples.codec, key: nil)
        let b = try Artifact.decode(crafted(base) { _ in }, path: "b", codec: Examples.codec, key: nil)
        #expect(try a.score(frame) == b.score(frame))
    }

    @Test("a tensor of 2^60 rows")
    func hugeTensor() throws {
        expectRefused(try crafted(Self.classifier()) { try $0.set("pipeline.model.state.coefficients.rows", toInteger: 1 << 60) },
                      naming: ["coefficients"])
        expectRefused(try crafted(Self.classifier()) {
            try $0.set("pipeline.model.state.coefficients.rows", toInteger: 1 << 61)
            try $0.set("pipeline.model.state.coefficients.columns", toInteger: 0)
            try $0.setTensor(0, to: [])
        }, naming: ["coefficients"])
    }

    @Test("StandardScaler means shortened")
    func shortMeans() throws {
        expectRefused(try crafted(Self.classifier()) { try $0.edit("pipeline.stages.0.state.means") { v in
            if case .array(let a) = v { v = .array(Array(a.dropLast())) }
        } }, naming: ["StandardScaler", "means"])
    }

    @Test("SimpleImputer fills empty")
    func emptyFills() throws {
        expectRefused(try crafted(Self.classifier()) { try $0.set("pipeline.stages.1.state.fills", to: .array([])) },
                      naming: ["SimpleImputer", "fills"])
    }

    @Test("intercepts empty")
    func emptyIntercepts() throws {
        expectRefused(try crafted(Self.classifier()) { try $0.set("pipeline.model.state.intercepts", to: .array([])) },
                      naming: ["logistic_regression", "intercepts"])
    }

    @Test("duplicate one-hot categories")
    func duplicateCategories() throws {
        expectRefused(try crafted(Self.classifier()) { try $0.edit("pipeline.stages.2.state.encodings.0.categories") { v in
            if case .array(let a) = v { v = .array([a[0]] + a) }
        } }, naming: ["OneHotEncoder", "categories"])
    }

    @Test("one class, or three, for a binary model")
    func classCounts() throws {
        expectRefused(try crafted(Self.classifier()) { try $0.set("pipeline.model.state.classes", to: .array([.string("no")])) },
                      naming: ["classes"])
        let three = JSONValue.array([.string("maybe"), .string("no"), .string("yes")])
        expectRefused(try crafted(Self.classifier()) {
            try $0.set("pipeline.model.state.classes", to: three)
            try $0.set("pipeline.target.classes", to: three)
        }, naming: ["logistic_regression", "coefficients"])
    }

    @Test("feature names shortened")
    func shortFeatureNames() throws {
        func dropLast(_ v: inout JSONValue) { if case .array(let a) = v { v = .array(Array(a.dropLast())) } }
        expectRefused(try crafted(Self.classifier()) { try $0.edit("pipeline.features.names", dropLast) },
                      naming: ["featureCount"])
        expectRefused(try crafted(Self.classifier()) { try $0.edit("metadata.featureNames", dropLast) },
                      naming: ["featureNames"])
    }

    @Test("all-NaN coefficients")
    func nanCoefficients() throws {
        expectRefused(try crafted(Self.classifier()) { craft in
            let size = craft.tensor(0)?.count ?? 0
            let nan = withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { Array($0) }
            try craft.setTensor(0, to: (0..<(size / 8)).flatMap { _ in nan })
        }, naming: ["logistic_regression", "coefficients", "finite"])
        expectRefused(try crafted(Self.regressor()) { try $0.edit("pipeline.model.state.coefficients") { v in
            if case .array(let a) = v { v = .array(a.map { _ in .string("nan") }) }
        } }, naming: ["linear_regression", "coefficients"])
    }

    @Test("a stage that reads a column nothing makes")
    func brokenChain() throws {
        expectRefused(try crafted(Self.classifier()) { try $0.set("pipeline.stages.2.state.inputSchema.fields.0.name", to: .string("zz")) },
                      naming: ["OneHotEncoder"])
    }
}
