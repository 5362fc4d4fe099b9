import Foundation
import SluiceCompute
import SluiceFrame

/// The distribution of each input column of the training rows, kept in the artifact
/// (annotation `training_profile`) so that a later run can measure drift against it.
///
/// A numeric column (double, int64, date, timestamp, as a double) keeps up to 10 bins with
/// edges at its training deciles (of at most 100 000 values taken at an even stride;
/// repeated edges merged) and the fraction of all rows in each;
/// a string or bool column keeps its 20 most frequent values and the fraction of the
/// rest. Nulls (and NaN) are a bin of their own in both.
public struct DataProfile: Codable, Sendable, Equatable {
    /// One column's bins.
    public struct ColumnProfile: Codable, Sendable, Equatable {
        public var name: String
        /// Interior bin edges of a numeric column (bin i holds values in [edges[i-1], edges[i])).
        public var edges: [Double]?
        /// The categories of a categorical column (the last bin is every other value).
        public var categories: [String]?
        /// The training fraction of each bin, the null bin last.
        public var fractions: [Double]
    }

    public var rows: Int
    public var columns: [ColumnProfile]

    /// The most values a numeric column's bin edges are computed from.
    static let sampleSize = 100_000

    /// Profiles `names` of `frame`, the columns spread over the cores.
    public init(_ frame: Frame, columns names: [String]) throws {
        rows = frame.rowCount
        let picked = try names.map { try frame.column($0) }
        var profiles = [ColumnProfile?](repeating: nil, count: names.count)
        profiles.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(of: names.count, minimumChunk: 1) { range in
                for j in range { out[j] = Self.profile(picked[j], name: names[j]) }
            }
        }
        columns = profiles.map { $0! }
    }

    private static func profile(_ column: Column, name: String) -> ColumnProfile {
        if let values = numeric(column) {
            // Deciles of at most `sampleSize` finite values, taken at an even stride:
            // the bins need not be exact, and sorting a million rows per column would
            // cost more than the rest of the profile.
            let all = values.filter(\.isFinite)
            let stride = max(1, (all.count + sampleSize - 1) / sampleSize)
            let finite = (stride == 1 ? all : Swift.stride(from: 0, to: all.count, by: stride).map { all[$0] }).sorted()
            var edges: [Double] = []
            if !finite.isEmpty {
                for q in 1..<10 {
                    let e = finite[min(finite.count - 1, Int(Double(finite.count) * Double(q) / 10))]
                    if edges.last != e && e != finite.first { edges.append(e) }
                }
            }
            var profile = ColumnProfile(name: name, edges: edges, categories: nil, fractions: [])
            profile.fractions = fractions(profile.counts(values: values))
            return profile
        }
        var counts: [String: Int] = [:]
        if case .string(let strings) = column.data {
            var perCode = [Int](repeating: 0, count: strings.dictionary.count)
            for i in 0..<strings.count where !column.isNull(i) { perCode[Int(strings.codes[i])] += 1 }
            for (code, n) in perCode.enumerated() where n > 0 { counts[strings.dictionary[code], default: 0] += n }
        } else {
            for i in 0..<column.count where !column.isNull(i) { counts[column[i].description, default: 0] += 1 }
        }
        let top = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(20).map(\.key)
        var profile = ColumnProfile(name: name, edges: nil, categories: Array(top), fractions: [])
        profile.fractions = fractions(profile.counts(column))
        return profile
    }

    /// Keeps the profiles of `names` only, in that order (those it has).
    public mutating func keep(_ names: [String]) {
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        columns = names.compactMap { byName[$0] }
    }

    static func numeric(_ column: Column) -> [Double]? {
        switch column.data {
        case .double(let v): return column.nullCount == 0 ? v : (0..<v.count).map { column.isNull($0) ? .nan : v[$0] }
        case .int64(let v): return (0..<v.count).map { column.isNull($0) ? .nan : Double(v[$0]) }
        case .date(let v): return (0..<v.count).map { column.isNull($0) ? .nan : Double(v[$0]) }
        case .timestamp(let v): return (0..<v.count).map { column.isNull($0) ? .nan : Double(v[$0]) }
        default: return nil
        }
    }

    static func fractions(_ counts: [Int]) -> [Double] {
        let total = counts.reduce(0, +)
        return counts.map { total == 0 ? 0 : Double($0) / Double(total) }
    }
}

extension DataProfile.ColumnProfile {
    /// How many rows of `column` fall in each bin (the null bin last).
    public func counts(_ column: Column) -> [Int] {
        if let edges {
            guard let values = DataProfile.numeric(column) else { return [Int](repeating: 0, count: edges.count + 2) }
            return counts(values: values)
        }
        let categories = self.categories ?? []
        var index: [String: Int] = [:]
        for (i, c) in categories.enumerated() { index[c] = i }
        var counts = [Int](repeating: 0, count: categories.count + 2)
        if case .string(let strings) = column.data {
            let bin = strings.dictionary.map { index[$0] ?? categories.count }
            for i in 0..<strings.count {
                counts[column.isNull(i) ? categories.count + 1 : bin[Int(strings.codes[i])]] += 1
            }
            return counts
        }
        for i in 0..<column.count {
            if column.isNull(i) { counts[categories.count + 1] += 1; continue }
            counts[index[column[i].description] ?? categories.count] += 1
        }
        return counts
    }
}

extension DataProfile.ColumnProfile {
    /// How many of a numeric column's `values` fall in each bin (NaN in the null bin, last).
    func counts(values: [Double]) -> [Int] {
        let edges = self.edges ?? []
        var counts = [Int](repeating: 0, count: edges.count + 2)
        counts.withUnsafeMutableBufferPointer { counts in
            edges.withUnsafeBufferPointer { edges in
                for v in values {
                    if v.isNaN { counts[edges.count + 1] += 1; continue }
                    // The bin is the number of edges ≤ v (bins are [e(i-1), e(i))): at most
                    // nine edges, counted without a branch per edge.
                    var bin = 0
                    for e in edges { bin &+= e <= v ? 1 : 0 }
                    counts[bin] += 1
                }
            }
        }
        return counts
    }
}

/// The population stability index between a profile's training fractions and tonight's
/// counts: Σ (q − p) · ln(q / p) over the bins. Tonight's fractions are smoothed as
/// (count + ½) / (total + ½ · bins), so an empty bin of a small night counts as a shift of
/// its size rather than an infinity; training fractions are floored at 1e-4.
public enum PopulationStability {
    public static func index(expected: [Double], actualCounts: [Int]) -> Double {
        let total = actualCounts.reduce(0, +)
        guard total > 0, expected.count == actualCounts.count else { return 0 }
        let denominator = Double(total) + 0.5 * Double(actualCounts.count)
        var psi = 0.0
        for (e, a) in zip(expected, actualCounts) {
            let p = max(e, 1e-4), q = (Double(a) + 0.5) / denominator
            psi += (q - p) * log(q / p)
        }
        return psi
    }
}

/// Tonight's counts per profiled column, accumulated batch by batch.
struct DriftMeter {
    let profile: DataProfile
    var counts: [[Int]]

    init(_ profile: DataProfile) {
        self.profile = profile
        counts = profile.columns.map { [Int](repeating: 0, count: $0.fractions.count) }
    }

    mutating func add(_ frame: Frame) {
        for (i, c) in profile.columns.enumerated() {
            guard let column = try? frame.column(c.name) else { continue }
            let n = c.counts(column)
            guard n.count == counts[i].count else { continue }
            for j in n.indices { counts[i][j] += n[j] }
        }
    }

    /// PSI per column, in profile order.
    func indices() -> [(column: String, psi: Double)] {
        zip(profile.columns, counts).map { ($0.name, PopulationStability.index(expected: $0.fractions, actualCounts: $1)) }
    }
}
