import ArgumentParser
import Foundation
import SluiceFrame
import SluiceJobs
import SluicePipeline
import SluicePostgres
import SluiceReport

/// `sluice report ARTIFACT (--data CSV | --table T | --query SQL) --output report.html`:
/// evaluates any saved model on labelled rows and writes one self-contained HTML page (ROC,
/// precision-recall, calibration, confusion matrix with a threshold slider, lift and gain;
/// or predicted-against-actual and residuals; importances, coefficients, learning curves and
/// the columns), and with `--json` the same numbers as JSON.
///
/// `sluice report --run ID --output run.html` writes out the report a nightly run stored
/// beside its ledger row (`sluice history JOB` lists the runs that have one).
public struct ReportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML (and JSON) evaluation report of a saved model on labelled rows."
    )

    @Argument(help: "The model artifact (any model kind Sluice ships).")
    var artifact: String?

    @Option(help: "Write out the report stored by this nightly run instead.")
    var run: Int64?

    @Option(help: "A CSV file of labelled rows (the input columns and the target).")
    var data: String?

    @Option(help: "A PostgreSQL table of labelled rows.")
    var table: String?

    @Option(help: "A query whose rows to evaluate on.")
    var query: String?

    @Option(help: "The schema of --table (default: the search path).")
    var schema: String?

    @Option(help: "Write the HTML report to this file.")
    var output: String?

    @Option(help: "Write the report's numbers as JSON to this file.")
    var json: String?

    @Option(help: "The positive class of a binary classifier (default: the second class).")
    var positiveClass: String?

    @Option(help: "The probability threshold of the confusion matrix (binary classifiers).")
    var threshold: Double = 0.5

    @Option(help: "Shuffles per input column for permutation importance (0 skips it).")
    var permutationRepeats: Int = 5

    @Option(help: "The page title.")
    var title: String?

    @OptionGroup var database: DatabaseOptions

    public init() {}

    public func validate() throws {
        if run != nil {
            guard artifact == nil, [data, table, query].allSatisfy({ $0 == nil }) else {
                throw ValidationError("--run writes a stored report: give no artifact and no --data, --table or --query")
            }
        } else {
            guard artifact != nil else { throw ValidationError("give a model artifact, or --run ID") }
            guard [data, table, query].compactMap({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --data, --table and --query")
            }
        }
        guard output != nil || json != nil else { throw ValidationError("give --output (HTML), --json, or both") }
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be between 0 and 1") }
        guard permutationRepeats >= 0 else { throw ValidationError("--permutation-repeats must not be negative") }
    }

    public func run() async throws {
        do {
            for path in [output, json].compactMap({ $0 }) { try AtomicFile.checkTarget(path) }
            if let run { return try await writeStored(run: run) }
            let url = URL(fileURLWithPath: artifact ?? "")
            let fitted = try Artifact.load(from: url, codec: jobCodec)
            guard let target = fitted.target else {
                throw PipelineError.invalidConfiguration(stage: "report",
                    reason: "a '\(fitted.model.kind)' model has no target to evaluate against")
            }
            let expected = fitted.inputSchema.fields + [Field(target.name, target.type)]
            let frame = try await ModelInput(input: data, table: table, query: query, schema: schema)
                .read(expected: expected, extra: [], database: database)
            let source = data ?? table ?? "query"
            let options = ReportOptions(title: title, positiveClass: positiveClass, threshold: threshold,
                                        permutationRepeats: permutationRepeats, artifactDigest: try Artifact.digest(at: url))
            let report = try EvaluationReport(pipeline: fitted, data: frame, source: source, options: options)
            if let output { try report.write(html: URL(fileURLWithPath: output)) }
            if let json { try AtomicFile.write(Array(try report.json()), to: URL(fileURLWithPath: json)) }
            let headline = report.evaluation?.metrics.prefix(3).map { "\($0.name) \(String(format: "%.4f", $0.value))" }
                .joined(separator: ", ") ?? ""
            printError("sluice report: \(report.evaluation?.rows ?? 0) of \(frame.rowCount) rows evaluated (\(headline)); wrote \([output, json].compactMap { $0 }.joined(separator: " and "))")
        } catch {
            throw ExitCodes.report(error)
        }
    }

    /// Writes the report `run` stored in `sluice.run_reports`.
    func writeStored(run: Int64) async throws {
        let connection = try PostgresConnection(try await database.configuration())
        defer { connection.close() }
        guard try connection.rows("SELECT to_regclass('sluice.run_reports') IS NOT NULL").first?.first == "t",
              let stored = try RunReports(connection).load(run: run) else {
            throw JobError.noReport(run: run)
        }
        if let output { try AtomicFile.write(Array(stored.html.utf8), to: URL(fileURLWithPath: output)) }
        if let json { try AtomicFile.write(Array(stored.json.utf8), to: URL(fileURLWithPath: json)) }
        printError("sluice report: run \(run)'s report written to \([output, json].compactMap { $0 }.joined(separator: " and "))")
    }
}
