import Foundation
import ArgumentParser

/// The `sluice` command line: one subcommand per job kind. Pipelines register themselves
/// in `pipelines/main.swift`.
public struct SluiceCLI: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Nightly batch machine learning: CSV and PostgreSQL in, predictions out, exactly once.",
        subcommands: [GenerateCommand.self]
    )

    public init() {}

    /// Runs the command line: parses, runs the chosen command, and exits with the status
    /// DESIGN.md fixes (a ``CLIFailure`` prints its message to stderr first).
    public static func run(arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(withError: nil)
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data((failure.description + "\n").utf8))
            Foundation.exit(failure.code.rawValue)
        } catch {
            exit(withError: error)  // ArgumentParser: usage errors exit 64 (EX_USAGE)
        }
    }
}
