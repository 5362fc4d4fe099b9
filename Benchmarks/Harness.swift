import Foundation
import Sluice

/// One named, measurable piece of work.
struct Workload: Sendable {
    /// The stable name peers and `BENCHMARKS.md` refer to, e.g. `gemm.dgemm.1024`.
    let name: String
    /// One line on what is measured and against which peer.
    let summary: String
    let run: @Sendable (BenchContext) async throws -> [Figure]
}

/// One measured figure: printed as one JSON line.
struct Figure: Sendable {
    var workload: String
    var seconds: Double
    var rows: Int
    var peakRSSMB: Double
    /// Quality or rate fields (`gflops`, `auc`, `accuracy`, `inertia`, `r2`), in print order.
    var extra: [(String, Double)] = []

    var json: String {
        func number(_ v: Double) -> String { v.isFinite ? String(format: "%.6g", v) : "null" }
        var fields = ["\"workload\": \"\(workload)\"", "\"seconds\": \(number(seconds))",
                      "\"rows\": \(rows)", "\"peak_rss_mb\": \(number(peakRSSMB))"]
        fields += extra.map { "\"\($0.0)\": \(number($0.1))" }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

/// What a workload may use: where its data lives, the database to use.
struct BenchContext: Sendable {
    var dataDirectory: URL
    var databaseURL: String?
    var repeats: Int

    /// The churn table of `rows` rows as CSV in the data directory, generated on first use
    /// with the fixed seed 7.
    func churnCSV(rows: Int) throws -> URL {
        let name = rows % 1_000_000 == 0 ? "churn_\(rows / 1_000_000)m.csv" : "churn_\(rows).csv"
        let url = dataDirectory.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            try ChurnGenerator(rows: rows, seed: 7).writeCSV(to: url)
        }
        return url
    }
}

/// Timing and memory measurement.
enum Measure {
    /// The best wall time of `repeats` runs of `body`, and the peak resident set size in MB
    /// during them (the high-water mark is reset first, so set-up does not count).
    /// `prepare` runs before each run, untimed (e.g. to restore an input changed in place).
    static func best(repeats: Int, prepare: () -> Void = {},
                     _ body: () throws -> Void) rethrows -> (seconds: Double, peakRSSMB: Double) {
        prepare()
        resetPeakRSS()
        var best = Double.infinity
        for run in 0..<max(1, repeats) {
            if run > 0 { prepare() }
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return (best, peakRSSMB())
    }

    /// Resets the kernel's peak-RSS counter for this process (Linux `clear_refs`).
    static func resetPeakRSS() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// The peak resident set size of this process in MB (`VmHWM`).
    static func peakRSSMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kb / 1024
    }
}

/// Keeps the optimiser from deleting work whose result is otherwise unused.
@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }
