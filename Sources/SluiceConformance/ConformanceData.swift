import SluiceCompute
import SluiceFrame

/// The data the verifiers run stages on: every column type, nulls, a NaN, a categorical
/// and a text column, drawn from a seeded generator (the same seed gives the same frame).
public enum ConformanceData {
    /// The categories of `cat`; ``unseen(_:)`` swaps them for values never seen.
    public static let categories = ["a", "b", "c", "d"]
    static let words = ["red apple", "green apple pie", "red car", "blue sky", "apple sky"]

    /// `x`, `y` (double, `y` positive), `n` (int64), `cat`, `text` (string), `flag` (bool),
    /// `day` (date); about one value in ten null, `x` NaN at row 3.
    public static func frame(rows: Int = 60, seed: UInt64 = 1) throws -> Frame {
        var rng = SeededGenerator(seed: seed)
        func maybe<T>(_ v: T, _ p: Double = 0.1) -> T? { rng.nextDouble() < p ? nil : v }
        var x = [Double?](), y = [Double?](), n = [Int64?](), cat = [String?](), flag = [Bool?](), day = [Int32?]()
        var text = [String?]()
        for i in 0..<rows {
            let v = rng.normal(mean: 5, standardDeviation: 2)
            x.append(i == 3 ? .nan : maybe(v))
            y.append(maybe(rng.gamma(shape: 2, scale: 3) + 0.5))
            n.append(maybe(Int64(rng.poisson(mean: 4))))
            cat.append(maybe(categories[rng.nextInt(below: categories.count)]))
            flag.append(maybe(rng.nextDouble() < 0.5))
            day.append(maybe(Int32(18_000 + rng.nextInt(below: 3000))))
            text.append(maybe(words[rng.nextInt(below: words.count)]))
        }
        return try Frame(["x": .double(x), "y": .double(y), "n": .int64(n), "cat": .string(cat),
                          "flag": .bool(flag), "day": .date(day), "text": .string(text)])
    }

    /// A two-class string target aligned with ``frame(rows:seed:)`` (one row in three "yes").
    public static func target(rows: Int = 60) -> Column {
        .string((0..<rows).map { $0 % 3 == 0 ? "yes" : "no" })
    }

    /// `frame` with every string column's values replaced by values never seen at fit
    /// (`"unseen_0"`, …), nulls kept.
    public static func unseen(_ frame: Frame) throws(FrameError) -> Frame {
        var out = frame
        for (f, c) in zip(frame.schema.fields, frame.columns) where f.type == .string {
            let values = (0..<c.count).map { c.isNull($0) ? nil : "unseen_\($0 % 3)" }
            out = try out.setting(f.name, to: .string(values), nullable: f.nullable)
        }
        return out
    }
}
