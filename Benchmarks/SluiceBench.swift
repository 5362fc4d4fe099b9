import ArgumentParser
import Foundation

/// `sluice-bench NAME`: runs one workload and prints one JSON line per figure.
@main
struct SluiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-bench",
        abstract: "Run a named benchmark workload; prints JSON lines {workload, seconds, rows, peak_rss_mb, …}.",
        discussion: "Build in release: swift run -c release sluice-bench NAME. The peers: scripts/bench-peers."
    )

    @Argument(help: "The workload to run (see --list).")
    var name: String?

    @Flag(help: "List the workloads and exit.")
    var list = false

    @Option(help: "Where generated benchmark data lives.")
    var dataDir = "bench-data"

    @Option(help: "PostgreSQL URL for database workloads (default: the throwaway cluster).")
    var databaseURL: String?

    @Option(help: "Runs per figure; the best time is reported.")
    var repeats = 3

    func validate() throws {
        if !list && name == nil { throw ValidationError("name a workload, or pass --list") }
        if let name, !list, Registry.workload(named: name) == nil {
            throw ValidationError("unknown workload '\(name)'; --list shows the names")
        }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    func run() async throws {
        if list {
            for w in Registry.all { print("\(w.name)\t\(w.summary)") }
            return
        }
        guard let name, let workload = Registry.workload(named: name) else { return }
        let context = BenchContext(dataDirectory: URL(fileURLWithPath: dataDir), databaseURL: databaseURL,
                                   repeats: repeats)
        for figure in try await workload.run(context) { print(figure.json) }
    }
}
