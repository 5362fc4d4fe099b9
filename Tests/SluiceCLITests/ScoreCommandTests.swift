import Foundation
import Testing
import SluiceConformance
import SluiceCSV
import SluiceDatasets
import SluiceFrame
import SluiceLearn
import SluicePipeline
import SluiceTestSupport

/// A churn model fitted on generated rows, saved in `dir`, with the table it came from.
func churnArtifact(in dir: URL, rows: Int = 3000) throws -> (artifact: URL, csv: URL, table: Frame) {
    let csv = dir.appendingPathComponent("churn.csv"), artifact = dir.appendingPathComponent("churn.sluice")
    try ChurnGenerator(rows: rows, seed: 3).writeCSV(to: csv)
    let table = try CSVReader().read(path: csv.path)
    let pipeline = Pipeline(target: "churned", keys: ["customer_id"], estimator: LogisticRegression(classWeight: .balanced)) {
        ColumnTransformer(remainder: .drop,
            .init(.numeric, SimpleImputer(strategy: .median), StandardScaler()),
            .init(.names("plan", "region", "contract"), OneHotEncoder()))
    }
    try Artifact.save(try pipeline.fit(table.droppingNulls(in: ["churned"]), seed: 1), to: artifact)
    return (artifact, csv, table)
}

@Suite("sluice score and sluice model inspect work with any saved model", .serialized)
struct ScoreCommandTests {
    @Test("score writes customer_id, the prediction typed as the target, one probability per class")
    func scoreToCSV() throws {
        let dir = try Fixtures.temporaryDirectory("score")
        let (artifact, csv, table) = try churnArtifact(in: dir)
        let out = dir.appendingPathComponent("scores.csv")
        let r = try runSluice(["score", artifact.path, "--input", csv.path, "--output", out.path, "--model-version", "v7"])
        #expect(r.status == 0, "\(r.stderr)")
        let scores = try CSVReader().read(path: out.path)
        #expect(scores.columnNames == ["customer_id", "prediction", "probability_0", "probability_1", "model_version"])
        #expect(scores.rowCount == table.rowCount)
        #expect(try scores.int64s("customer_id") == table.int64s("customer_id"), "keys carried through, in order")
        #expect(scores.schema["prediction"]?.type == .double, "a 0/1 double target predicts doubles")
        let p0 = try scores.doubles("probability_0"), p1 = try scores.doubles("probability_1")
        #expect(zip(p0, p1).allSatisfy { abs($0 + $1 - 1) < 1e-12 })
        let fitted = try Artifact.load(from: artifact)
        #expect(try fitted.score(table).doubles("probability_1") == p1, "the CLI scores as the library does")
    }

    @Test("an input lacking model columns exits 65 and names every one before reading rows")
    func missingColumns() throws {
        let dir = try Fixtures.temporaryDirectory("score-missing")
        let (artifact, _, table) = try churnArtifact(in: dir, rows: 500)
        let partial = dir.appendingPathComponent("partial.csv")
        try AtomicFile.write(CSVWriter().encode(try table.dropping(["plan", "usage_gb"])), to: partial)
        let out = dir.appendingPathComponent("never.csv")
        let r = try runSluice(["score", artifact.path, "--input", partial.path, "--output", out.path])
        #expect(r.status == 65)
        #expect(r.stderr.contains("'plan'") && r.stderr.contains("'usage_gb'"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing written")
    }

    @Test("a damaged or foreign artifact exits 65 with the reason, never a signal")
    func damagedArtifacts() throws {
        let dir = try Fixtures.temporaryDirectory("score-damaged")
        let (artifact, csv, _) = try churnArtifact(in: dir, rows: 300)
        let good = try Data(contentsOf: artifact)
        let cases: [(String, Data, String)] = [
            ("truncated", good.prefix(good.count - 40), "truncated"),
            ("tampered", { var d = good; d[good.count / 2] ^= 0x55; return d }(), "checksum"),
            ("not an artifact", Data("id,score\n".utf8), "not a Sluice artifact"),
            ("format 1", { var d = good; d[8] = 1; return d }(), "earlier Sluice"),
        ]
        for (label, bytes, reason) in cases {
            let bad = dir.appendingPathComponent("\(label).sluice")
            try bytes.write(to: bad)
            for arguments in [["score", bad.path, "--input", csv.path, "--output", dir.appendingPathComponent("o.csv").path],
                              ["model", "inspect", bad.path]] {
                let r = try runSluice(arguments)
                #expect(r.status == 65, "\(label): \(r.stderr)")
                #expect(r.stderr.contains(reason), "\(label): \(r.stderr)")
            }
        }
        #expect(try runSluice(["model", "inspect", dir.appendingPathComponent("absent.sluice").path]).status == 66)
    }

    @Test("crafted artifacts (checksum recomputed) exit 65 naming the stage and field, never by a signal")
    func craftedArtifacts() throws {
        let dir = try Fixtures.temporaryDirectory("score-crafted")
        let (artifact, csv, _) = try churnArtifact(in: dir, rows: 300)
        let good = [UInt8](try Data(contentsOf: artifact))
        let edits: [(String, (inout ArtifactCraft) throws -> Void, [String])] = [
            ("intercepts empty", { try $0.set("pipeline.model.state.intercepts", to: .array([])) }, ["intercepts"]),
            ("coefficient rows 2^60", { try $0.set("pipeline.model.state.coefficients.rows", toInteger: 1 << 60) }, ["coefficients"]),
            ("three classes", { try $0.set("pipeline.model.state.classes", to: .array([.string("0"), .string("1"), .string("2")])) },
             ["logistic_regression"]),
            ("feature names shortened", { try $0.edit("metadata.featureNames") { v in
                if case .array(let a) = v { v = .array(Array(a.dropLast())) } } }, ["featureNames"]),
        ]
        for (label, edit, words) in edits {
            var craft = try ArtifactCraft(good)
            try edit(&craft)
            let bad = dir.appendingPathComponent("crafted.sluice")
            try Data(try craft.bytes()).write(to: bad)
            let r = try runSluice(["score", bad.path, "--input", csv.path, "--output", dir.appendingPathComponent("o.csv").path])
            #expect(r.status == 65, "\(label): \(r.status) \(r.stderr)")
            for w in words { #expect(r.stderr.contains(w), "\(label): '\(w)' not in \(r.stderr)") }
        }
    }

    @Test("model inspect prints the kind, schema, hyperparameters and digest; --json is valid JSON")
    func inspect() throws {
        let dir = try Fixtures.temporaryDirectory("model-inspect")
        let (artifact, _, _) = try churnArtifact(in: dir, rows: 300)
        let text = try runSluice(["model", "inspect", artifact.path])
        #expect(text.status == 0 && text.stdout.contains("logistic_regression") && text.stdout.contains("customer_id"))
        let json = try runSluice(["model", "inspect", artifact.path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "logistic_regression")
        #expect((object["hyperparameters"] as? [String: Any])?["c"] as? Double == 1)
        #expect((object["digest"] as? String)?.count == 64)
    }

    @Test("score into a PostgreSQL table, then the table holds exactly the scores")
    func scoreIntoPostgres() async throws {
        let db = ["DATABASE_URL": try await CLIServer.url()]
        let dir = try Fixtures.temporaryDirectory("score-pg")
        let (artifact, csv, table) = try churnArtifact(in: dir, rows: 800)
        let name = "scores_\(UInt32.random(in: 0...UInt32.max))"
        let r = try runSluice(["score", artifact.path, "--input", csv.path, "--into", name, "--mode", "replace"], environment: db)
        #expect(r.status == 0, "\(r.stderr)")
        let back = dir.appendingPathComponent("back.csv")
        let e = try runSluice(["export", "--query", "SELECT * FROM \(name) ORDER BY customer_id", "--output", back.path], environment: db)
        #expect(e.status == 0, "\(e.stderr)")
        let stored = try CSVReader().read(path: back.path)
        let expected = try Artifact.load(from: artifact).score(table)
        #expect(stored.columnNames == expected.columnNames)
        #expect(try stored.doubles("probability_1") == expected.doubles("probability_1"))
        // Scoring from the table itself: the source's schema is checked against the model's first.
        _ = try runSluice(["load", csv.path, "--table", "\(name)_input", "--mode", "replace"], environment: db)
        let fromTable = try runSluice(["score", artifact.path, "--table", "\(name)_input",
                                       "--output", dir.appendingPathComponent("t.csv").path], environment: db)
        #expect(fromTable.status == 0, "\(fromTable.stderr)")
    }
}

@Suite("The churn example parses its arguments and creates its folders")
struct ChurnExampleTests {
    func run(_ arguments: [String], in directory: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try sluiceBinary().deletingLastPathComponent().appendingPathComponent("churn-example")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    @Test("--help prints usage and writes nothing; a run creates the folders it writes to")
    func helpAndFolders() throws {
        let dir = try Fixtures.temporaryDirectory("churn-example")
        let help = try run(["--help"], in: dir)
        #expect(help.status == 0 && help.stdout.contains("USAGE"))
        #expect(listing(dir).isEmpty, "no file named --help, nothing written")
        let r = try run(["--data", "data/churn.csv", "--artifact", "models/nightly/churn.sluice", "--rows", "3000"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("models/nightly/churn.sluice").path))
        #expect(r.stdout.contains("customer_id") && r.stdout.contains("probability_1"))
        #expect(try run(["--rows", "-5"], in: dir).status == 64)
    }
}
