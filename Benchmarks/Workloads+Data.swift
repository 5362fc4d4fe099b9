import Foundation
import Sluice

/// Generating the benchmark data itself (the peer: the reference numpy generator).
let dataWorkloads: [Workload] = [
    Workload(name: "data.generate.churn_1m", summary: "write the 1M-row churn CSV; peer gen_churn.py (numpy+pandas)") { ctx in
        let url = ctx.dataDirectory.appendingPathComponent("churn_generate_1m.csv")
        try FileManager.default.createDirectory(at: ctx.dataDirectory, withIntermediateDirectories: true)
        let (seconds, rss) = try Measure.best(repeats: 1) { try ChurnGenerator(rows: 1_000_000).writeCSV(to: url) }
        try? FileManager.default.removeItem(at: url)
        return [Figure(workload: "data.generate.churn_1m", seconds: seconds, rows: 1_000_000, peakRSSMB: rss)]
    },
]
