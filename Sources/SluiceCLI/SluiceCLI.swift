import ArgumentParser
import Foundation
import SluiceJobs

/// The `sluice` command line: one subcommand per job kind. Pipelines register themselves
/// in `pipelines/main.swift`.
public struct SluiceCLI: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Nightly batch machine learning: CSV and PostgreSQL in, predictions out, exactly once.",
        subcommands: [InspectCommand.self, GenerateCommand.self, DatabaseCommand.self, LoadCommand.self, ExportCommand.self,
                      ScoreCommand.self, ModelCommand.self, ListCommand.self, RunCommand.self, ScheduleCommand.self,
                      HistoryCommand.self, ModelsCommand.self, DeployCommand.self, ReportCommand.self]
    )

    public init() {}

    /// Runs the command line with `jobs` registered (the `pipelines/` files define them): parses, runs the chosen command (awaiting async ones) and
    /// exits. Commands report failures with `throw ExitCodes.report(error)`, which prints
    /// the error and exits with its sysexits status; usage errors exit 64.
    ///
    /// Standard output is checked once, here, for every command: it is flushed at the end
    /// and a failed write (`sluice inspect --json > /dev/full`) exits 73 with the reason,
    /// never 0 (see ``StandardOutput``).
    ///
    /// (Top-level `await SluiceCLI.main()` resolves to ArgumentParser's synchronous
    /// overload, which refuses async commands; this entry point has no such ambiguity.)
    public static func run(arguments: [String]? = nil, jobs: [Job] = []) async -> Never {
        JobRegistry.register(jobs)
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            if let failure = StandardOutput.finish() {
                ExitCodes.printError(failure.description)
                exit(withError: ExitCode(failure.exitStatus.rawValue))
            }
            exit(withError: nil)
        } catch {
            // The command's own failure decides the status; a failed stdout is still said.
            if let failure = StandardOutput.finish() { ExitCodes.printError(failure.description) }
            exit(withError: error)
        }
    }
}
