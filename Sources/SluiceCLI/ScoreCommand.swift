import ArgumentParser
import Foundation
import SluiceCSV
import SluiceFrame
import SluiceLearn
import SluicePipeline
import SluicePostgres

/// `sluice score ARTIFACT (--input CSV | --table T | --query SQL) (--output CSV | --into TABLE)`:
/// scores a table with any stored model, whatever its kind, and writes the keys, the
/// prediction (typed as the target was), one probability column per class and, with
/// `--reasons K`, the K input columns that contributed most to each prediction.
///
/// The input's schema is checked against the model's before a row is read: every missing
/// or mistyped column is named at once (exit 65). A CSV is then read with the model's
/// column types, so a value that does not parse as the model expects names its line and
/// column. Writes are all-or-nothing: a CSV replaces its file atomically, a table is written
/// in one transaction.
public struct ScoreCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a CSV file or PostgreSQL table with a saved model, to CSV or PostgreSQL."
    )

    @Argument(help: "The model artifact (any model kind Sluice ships).")
    var artifact: String

    @Option(help: "A CSV file to score.")
    var input: String?

    @Option(help: "A PostgreSQL table to score.")
    var table: String?

    @Option(help: "A query whose rows to score.")
    var query: String?

    @Option(help: "The schema of --table and --into (default: the search path).")
    var schema: String?

    @Option(help: "Write the scores to this CSV file.")
    var output: String?

    @Option(help: "Write the scores into this PostgreSQL table.")
    var into: String?

    @Option(help: "How --into writes: create, append, replace or upsert (on the keys).")
    var mode: String = "append"

    @Option(name: .customLong("keys"), parsing: .upToNextOption,
            help: "Input columns carried to the output as keys (default: the model's keys).")
    var keys: [String] = []

    @Option(help: "Also write this text in a model_version column (e.g. the deployed version).")
    var modelVersion: String?

    @Option(help: "The prediction column's name.")
    var predictionColumn: String = "prediction"

    @Option(help: ArgumentHelp("Also write the K input columns that contributed most to each prediction.",
                               discussion: "Columns reason_1, reason_1_value, … reason_K, reason_K_value: each names an input "
                                   + "column and gives its contribution (SHAP value) to the predicted class's score or "
                                   + "probability, or to a regressor's value; largest in magnitude first. K is at most the "
                                   + "number of input columns. Trees, forests, boosting, linear and logistic regression.",
                               valueName: "K"))
    var reasons: Int = 0

    @OptionGroup var database: DatabaseOptions

    /// Creates the command; ArgumentParser fills in its arguments.
    public init() {}

    /// One source and one destination.
    public func validate() throws {
        guard [input, table, query].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --input, --table and --query")
        }
        guard (output == nil) != (into == nil) else { throw ValidationError("give exactly one of --output and --into") }
        guard reasons >= 0 else { throw ValidationError("--reasons must be 0 or more, got \(reasons)") }
        guard WriteMode(rawValue: mode) != nil else {
            throw ValidationError("--mode must be one of \(WriteMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(mode)'")
        }
    }

    /// Loads, checks, reads, scores, writes.
    public func run() async throws {
        do {
            let url = URL(fileURLWithPath: artifact)
            let fitted = try Artifact.load(from: url, codec: jobCodec)
            var constants: [ScoreOutput.Constant] = []
            if let modelVersion { constants.append(ScoreOutput.Constant("model_version", .string(modelVersion))) }
            let output = ScoreOutput(prediction: predictionColumn, constants: constants, keys: keys.isEmpty ? nil : keys,
                                     reasons: reasons)
            let frame = try await read(checkingAgainst: fitted, output: output)
            var report = TransformReport()
            let scores = try fitted.score(frame, output: output, report: &report)
            let place: String
            if let path = self.output {
                try AtomicFile.write(CSVWriter().encode(scores), to: URL(fileURLWithPath: path))
                place = path
            } else {
                let target = TableName(into ?? "", schema: schema)
                let keyNames = output.keys ?? fitted.keys.map(\.name)
                let sink = PostgresSink(try await database.configuration(), table: target,
                                        options: PostgresWriteOptions(keys: keyNames))
                _ = try await sink.write(scores, mode: WriteMode(rawValue: mode) ?? .append) { _ in }
                place = "\(target) (\(mode))"
            }
            printError("sluice score: \(scores.rowCount) rows scored by a \(fitted.model.kind) model into \(place)"
                       + (report.totalUnknown > 0 ? "; \(report.totalUnknown) unknown categories" : ""))
        } catch {
            throw ExitCodes.report(error)
        }
    }

    /// The rows to score, after checking the source's schema against the model's.
    func read(checkingAgainst fitted: FittedPipeline, output: ScoreOutput) async throws -> Frame {
        let expected = (output.keys == nil ? fitted.keys : []) + fitted.inputSchema.fields
        return try await ModelInput(input: input, table: table, query: query, schema: schema)
            .read(expected: expected, extra: output.keys ?? [], database: database)
    }
}
