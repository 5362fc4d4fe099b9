/// Summary statistics of one column, as ``Frame/describe()`` reports them.
///
/// Numeric statistics skip nulls and NaN; for `date` and `timestamp` columns `min` and `max`
/// are the stored day / microsecond counts, and for `bool` columns `mean` is the share of
/// `true`. Quartiles interpolate linearly between order statistics (as pandas does).
public struct ColumnSummary: Sendable, Equatable, Codable {
    /// The column name.
    public var name: String
    /// The column type.
    public var type: ColumnType
    /// The number of non-null rows.
    public var count: Int
    /// The number of null rows.
    public var nullCount: Int
    /// Mean, standard deviation (sample, n − 1), minimum, quartiles and maximum; `nil`
    /// when the type has none or no value is present.
    public var mean: Double?, std: Double?, min: Double?, q25: Double?, median: Double?, q75: Double?, max: Double?
    /// The number of distinct non-null values of a `string` column; `nil` for other types.
    public var distinct: Int?
}

/// The summaries of every column of a frame; prints as a table.
public struct FrameDescription: Sendable, Equatable, CustomStringConvertible {
    /// One summary per column, in order.
    public var columns: [ColumnSummary]

    /// The summary of `name`, or `nil`.
    public subscript(name: String) -> ColumnSummary? { columns.first { $0.name == name } }

    /// A table with one row per column and one column per statistic.
    public var description: String {
        func num(_ v: Double?, _ s: ColumnSummary) -> String {
            guard let v else { return "" }
            switch s.type {
            case .date: return CalendarDate.format(days: Int32(v))
            case .timestamp: return CalendarDate.format(microseconds: Int64(v))
            default:
                if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
                let r = (v * 1e4).rounded() / 1e4
                return r.description
            }
        }
        let header = ["column", "type", "count", "nulls", "mean", "std", "min", "25%", "50%", "75%", "max", "distinct"]
        let rows = columns.map { s in
            [s.name, s.type.description, String(s.count), String(s.nullCount), num(s.mean, s), num(s.std, s),
             num(s.min, s), num(s.q25, s), num(s.median, s), num(s.q75, s), num(s.max, s), s.distinct.map(String.init) ?? ""]
        }
        return TextTable.render(header: header, rows: rows)
    }
}

extension Frame {
    /// Count, nulls, mean, std, min, quartiles and max of every column, and the distinct
    /// count of string columns.
    public func describe() -> FrameDescription {
        FrameDescription(columns: zip(schema.fields, columns).map { Frame.summarize($0.0, $0.1) })
    }

    static func summarize(_ field: Field, _ column: Column) -> ColumnSummary {
        var s = ColumnSummary(name: field.name, type: field.type, count: column.count - column.nullCount,
                              nullCount: column.nullCount)
        var xs: [Double] = []
        let v = column.validity
        switch column.data {
        case let .double(a): xs = a.indices.compactMap { v.isValid($0) && !a[$0].isNaN ? a[$0] : nil }
        case let .int64(a), let .timestamp(a): xs = a.indices.compactMap { v.isValid($0) ? Double(a[$0]) : nil }
        case let .date(a): xs = a.indices.compactMap { v.isValid($0) ? Double(a[$0]) : nil }
        case let .bool(a): xs = a.indices.compactMap { v.isValid($0) ? (a[$0] ? 1 : 0) : nil }
        case let .string(str):
            var seen = [Bool](repeating: false, count: str.dictionary.count)
            var used = Set<String>()
            for c in str.codes where c >= 0 && !seen[Int(c)] { seen[Int(c)] = true; used.insert(str.dictionary[Int(c)]) }
            s.distinct = used.count
            return s
        }
        guard !xs.isEmpty else { return s }
        xs.sort()
        let n = Double(xs.count)
        let mean = xs.reduce(0, +) / n
        func q(_ p: Double) -> Double {
            let h = p * (n - 1), lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, xs.count - 1)
            return xs[lo] + (h - Double(lo)) * (xs[hi] - xs[lo])
        }
        s.min = xs[0]
        s.max = xs[xs.count - 1]
        if field.type != .date && field.type != .timestamp {
            s.mean = mean
            s.std = xs.count > 1 ? (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot() : nil
        }
        s.q25 = q(0.25); s.median = q(0.5); s.q75 = q(0.75)
        return s
    }
}
