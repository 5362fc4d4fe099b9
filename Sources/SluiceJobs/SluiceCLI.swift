import ArgumentParser
import Dispatch

/// The `sluice` command line: one subcommand per job kind. Pipelines register themselves
/// in `pipelines/main.swift`.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct SluiceCLI: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Nightly batch machine learning: CSV and PostgreSQL in, predictions out, exactly once.",
        subcommands: [InspectCommand.self]
    )

    public init() {}

    /// Runs the command line from synchronous code, waiting for async subcommands.
    ///
    /// Top-level code (`pipelines/main.swift`) resolves `await SluiceCLI.main()` to the
    /// synchronous overload; ArgumentParser's own refuses async commands on Linux, so this
    /// one runs ``main()-swift.type.method`` (async) on a task and waits for it.
    public static func main() {
        let done = DispatchSemaphore(value: 0)
        Task {
            await asyncMain()
            done.signal()
        }
        done.wait()
    }

    /// Parses the command line and runs the chosen subcommand, awaiting async ones.
    public static func main() async { await asyncMain() }

    private static func asyncMain() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
