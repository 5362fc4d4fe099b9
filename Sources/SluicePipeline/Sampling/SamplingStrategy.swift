import SluiceFrame

/// How many rows of each class a balancing sampler aims for, as imbalanced-learn's
/// `sampling_strategy`. Classes are ordered as ``ClassLabels`` orders them (numerically when
/// every label is a number, else as strings); "the majority" or "the minority" is the first
/// class of that order with the largest or smallest count.
public enum SamplingStrategy: Sendable, Equatable, CustomStringConvertible {
    /// Over-sampling: every class but the majority grows to the majority's count.
    /// Under-sampling: every class but the minority shrinks to the minority's count.
    case auto
    /// Binary targets only. Over-sampling: the minority grows to `⌊ratio × majority⌋` rows.
    /// Under-sampling: the majority shrinks to `⌊minority / ratio⌋` rows.
    case ratio(Double)
    /// The number of rows wanted per class name after sampling; classes not listed keep
    /// their rows. Over-samplers cannot shrink a class, under-samplers cannot grow one.
    case counts([String: Int])

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .ratio(let r): return "ratio \(r)"
        case .counts(let c): return "counts " + c.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        }
    }

    /// Rows to add per class code (over-sampling), 0 for classes left alone.
    func rowsToAdd(_ labels: ClassLabels, stage: String) throws -> [Int] {
        let counts = labels.classCounts
        try Self.requireTwoClasses(labels, stage: stage)
        let majority = Self.firstIndex(of: counts.max() ?? 0, in: counts)
        switch self {
        case .auto:
            return counts.enumerated().map { $0.offset == majority ? 0 : counts[majority] - $0.element }
        case .ratio(let r):
            try Self.checkRatio(r, labels, stage: stage)
            return try counts.enumerated().map { c, n in
                guard c != majority else { return 0 }
                let add = Int((Double(counts[majority]) * r - Double(n)).rounded(.towardZero))
                guard add > 0 else {
                    throw PipelineError.invalidConfiguration(stage: stage,
                        reason: "ratio \(r) would shrink class '\(labels.classes[c])' (\(n) rows); increase the ratio")
                }
                return add
            }
        case .counts(let wanted):
            try Self.checkNames(wanted, labels, stage: stage)
            return try counts.enumerated().map { c, n in
                guard let w = wanted[labels.classes[c]] else { return 0 }
                guard w >= n else {
                    throw PipelineError.invalidConfiguration(stage: stage,
                        reason: "class '\(labels.classes[c])' has \(n) rows; an over-sampler cannot bring it down to \(w)")
                }
                return w - n
            }
        }
    }

    /// Rows to keep per class code (under-sampling); `nil` keeps every row of the class.
    func rowsToKeep(_ labels: ClassLabels, stage: String) throws -> [Int?] {
        let counts = labels.classCounts
        try Self.requireTwoClasses(labels, stage: stage)
        let minority = Self.firstIndex(of: counts.filter { $0 > 0 }.min() ?? 0, in: counts)
        switch self {
        case .auto:
            return counts.indices.map { $0 == minority ? nil : counts[minority] }
        case .ratio(let r):
            try Self.checkRatio(r, labels, stage: stage)
            return try counts.enumerated().map { c, n in
                guard c != minority else { return nil }
                let keep = Int((Double(counts[minority]) / r).rounded(.towardZero))
                guard keep <= n else {
                    throw PipelineError.invalidConfiguration(stage: stage,
                        reason: "ratio \(r) would grow class '\(labels.classes[c])' (\(n) rows) to \(keep); increase the ratio")
                }
                return keep
            }
        case .counts(let wanted):
            try Self.checkNames(wanted, labels, stage: stage)
            return try counts.enumerated().map { c, n in
                guard let w = wanted[labels.classes[c]] else { return nil }
                guard w <= n, w >= 0 else {
                    throw PipelineError.invalidConfiguration(stage: stage,
                        reason: "class '\(labels.classes[c])' has \(n) rows; an under-sampler cannot keep \(w)")
                }
                return w
            }
        }
    }

    private static func firstIndex(of value: Int, in counts: [Int]) -> Int {
        counts.firstIndex(of: value) ?? 0
    }

    /// A ratio needs a binary target and a positive, finite value.
    private static func checkRatio(_ r: Double, _ labels: ClassLabels, stage: String) throws {
        guard labels.classes.count == 2 else {
            throw PipelineError.invalidConfiguration(stage: stage,
                reason: "a ratio strategy needs a binary target, this one has \(labels.classes.count) classes; use counts")
        }
        guard r > 0, r.isFinite else {
            throw PipelineError.invalidConfiguration(stage: stage, reason: "ratio \(r) must be positive")
        }
    }

    private static func requireTwoClasses(_ labels: ClassLabels, stage: String) throws {
        guard labels.classes.count >= 2 else {
            throw PipelineError.invalidValue(stage: stage, column: "target",
                reason: "needs at least two classes to balance, found \(labels.classes.count)")
        }
    }

    private static func checkNames(_ wanted: [String: Int], _ labels: ClassLabels, stage: String) throws {
        for name in wanted.keys.sorted() where !labels.classes.contains(name) {
            throw PipelineError.invalidConfiguration(stage: stage,
                reason: "class '\(name)' is not in the target (classes: \(labels.classes.joined(separator: ", ")))")
        }
    }
}

/// Shared pieces of the samplers.
enum Resampling {
    /// Class labels of a target column, errors naming the sampler.
    static func labels(_ target: Column, frame: Frame, stage: String) throws -> ClassLabels {
        guard target.count == frame.rowCount else {
            throw PipelineError.invalidValue(stage: stage, column: "target",
                reason: "\(target.count) labels for \(frame.rowCount) rows")
        }
        do {
            return try ClassLabels(column: target, name: "target")
        } catch let PipelineError.invalidValue(_, column, reason) {
            throw PipelineError.invalidValue(stage: stage, column: column, reason: reason)
        } catch let PipelineError.unsupportedType(_, column, type, expected) {
            throw PipelineError.unsupportedType(stage: stage, column: column, type: type, expected: expected)
        }
    }

    /// The rows `indices` of the frame and the target.
    static func take(_ frame: Frame, _ target: Column, _ indices: [Int], stage: String) throws -> (Frame, Column) {
        let f = try framing(stage) { () throws(FrameError) in try frame.taking(rows: indices) }
        return (f, target.taking(indices))
    }

    /// Row indices of each class, by code, ascending.
    static func rowsByClass(_ labels: ClassLabels) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: labels.classes.count)
        for (i, c) in labels.codes.enumerated() { byClass[c].append(i) }
        return byClass
    }
}
