import Sluice

/// Top-level `await SluiceCLI.main()` resolves to ParsableCommand's synchronous `main()`,
/// which refuses an asynchronous root command; inside an async function the async one wins.
func runCommandLine() async { await SluiceCLI.main() }
await runCommandLine()
