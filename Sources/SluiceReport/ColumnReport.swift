import SluiceFrame

/// One input column as the report shows it: ``Frame/describe()``'s statistics, the number
/// of distinct values, and a histogram (numbers, dates, times: 20 equal bins from the least
/// to the greatest finite value) or the most frequent values (text and bool: the top 10 and
/// the count of every other value).
public struct ColumnReport: Sendable, Codable, Equatable {
    public var summary: ColumnSummary
    /// Distinct non-null values (NaN counted once).
    public var distinct: Int
    public var histogram: Histogram?
    public var top: [CategoryCount]?
    /// Non-null rows outside ``top``.
    public var other: Int?

    /// The report of `column`, named and typed by `field`.
    public init(_ field: Field, _ column: Column, summary: ColumnSummary) {
        switch column.data {
        case .string(let s):
            var perCode = [Int](repeating: 0, count: s.dictionary.count)
            for i in 0..<s.count where !column.isNull(i) && s.codes[i] >= 0 { perCode[Int(s.codes[i])] += 1 }
            // Two codes may hold one string after a merge: count by value.
            var byValue: [String: Int] = [:]
            for (code, n) in perCode.enumerated() where n > 0 { byValue[s.dictionary[code], default: 0] += n }
            self.init(summary: summary, counts: byValue)
        case .bool(let b):
            var counts: [String: Int] = [:]
            for i in b.indices where !column.isNull(i) { counts[b[i] ? "true" : "false", default: 0] += 1 }
            self.init(summary: summary, counts: counts)
        default:
            let values = Self.numbers(column)
            var seen = Set<UInt64>()
            var lo = Double.infinity, hi = -Double.infinity
            for v in values {
                seen.insert(v.isNaN ? Double.nan.bitPattern : (v == 0 ? 0 : v.bitPattern))
                if v.isFinite { lo = min(lo, v); hi = max(hi, v) }
            }
            self.init(summary: summary, distinct: seen.count,
                      histogram: lo <= hi ? Self.histogram(values, range: lo...hi, bins: 20) : nil, top: nil, other: nil)
        }
    }

    private init(summary: ColumnSummary, counts: [String: Int]) {
        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        self.init(summary: summary, distinct: counts.count, histogram: nil,
                  top: sorted.prefix(10).map { CategoryCount(value: $0.key, count: $0.value) },
                  other: sorted.dropFirst(10).reduce(0) { $0 + $1.value })
    }

    private init(summary: ColumnSummary, distinct: Int, histogram: Histogram?, top: [CategoryCount]?, other: Int?) {
        self.summary = summary
        self.distinct = distinct
        self.histogram = histogram
        self.top = top
        self.other = other
    }

    /// The non-null values of a numeric, date or timestamp column, as doubles.
    static func numbers(_ column: Column) -> [Double] {
        func valid<T>(_ v: [T], _ f: (T) -> Double) -> [Double] {
            column.nullCount == 0 ? v.map(f) : v.indices.compactMap { column.isNull($0) ? nil : f(v[$0]) }
        }
        switch column.data {
        case .double(let v): return valid(v) { $0 }
        case .int64(let v): return valid(v) { Double($0) }
        case .date(let v): return valid(v) { Double($0) }
        case .timestamp(let v): return valid(v) { Double($0) }
        case .bool(let v): return valid(v) { $0 ? 1 : 0 }
        case .string: return []
        }
    }

    /// Counts of the finite `values` in `bins` equal bins over `range`; values outside it go
    /// to the end bins, the last bin is closed.
    static func histogram(_ values: [Double], range: ClosedRange<Double>, bins: Int) -> Histogram {
        let width = (range.upperBound - range.lowerBound) / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        for v in values where v.isFinite {
            let b = width > 0 ? Int(((v - range.lowerBound) / width).rounded(.down)) : 0
            counts[min(bins - 1, max(0, b))] += 1
        }
        let edges = (0...bins).map { $0 == bins ? range.upperBound : range.lowerBound + Double($0) * width }
        return Histogram(edges: edges, counts: counts)
    }
}

/// A value and its row count.
public struct CategoryCount: Sendable, Codable, Equatable {
    public var value: String
    public var count: Int
}
