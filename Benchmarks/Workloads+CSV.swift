import Foundation
import Sluice

/// Reading CSV into a typed frame; peers: pandas.read_csv and polars.read_csv on the same file.
let csvWorkloads: [Workload] = [
    Workload(name: "csv.read.churn_1m",
             summary: "read the 1M-row churn CSV (~70 MB) into a typed Frame, types inferred; peers pandas.read_csv, polars.read_csv") {
        [try csvReadFigure(context: $0)]
    },
]

private func csvReadFigure(context: BenchContext) throws -> Figure {
    let path = try context.churnCSV(rows: 1_000_000).path
    // Warm the page cache (the peers read the same cached file).
    _ = try CSVReader().read(path: path)
    var frame = Frame()
    let (seconds, rss) = try Measure.best(repeats: context.repeats, prepare: { frame = Frame() }) {
        frame = try CSVReader().read(path: path)
    }
    let frameMB = Double(frameBytes(frame)) / 1_048_576
    blackHole(frame)
    return Figure(workload: "csv.read.churn_1m", seconds: seconds, rows: frame.rowCount, peakRSSMB: rss,
                  extra: [("frame_mb", frameMB), ("rss_per_frame", rss / frameMB)])
}

/// The bytes a frame's values, validity masks and string dictionaries occupy.
private func frameBytes(_ frame: Frame) -> Int {
    var total = 0
    for column in frame.columns {
        total += (column.validity.words?.count ?? 0) * 8
        switch column.data {
        case let .double(v): total += v.count * 8
        case let .int64(v), let .timestamp(v): total += v.count * 8
        case let .date(v): total += v.count * 4
        case let .bool(v): total += v.count
        case let .string(s): total += s.codes.count * 4 + s.dictionary.reduce(0) { $0 + $1.utf8.count + 16 }
        }
    }
    return total
}
