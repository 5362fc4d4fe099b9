import ArgumentParser

/// The `sluice` command line: one subcommand per job kind. Pipelines register themselves
/// in `pipelines/main.swift`.
public struct SluiceCLI: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Nightly batch machine learning: CSV and PostgreSQL in, predictions out, exactly once.",
        subcommands: [DatabaseCommand.self]
    )

    public init() {}
}
