import Foundation
import SluiceCompute
import SluiceFrame

/// A hyperparameter to search over: a typed key path into the configuration and a finite
/// list of values, e.g. `Parameter(\.estimator.c, [0.01, 0.1, 1])` for a
/// `Pipeline<LogisticRegression>`. The compiler checks the path and the values' type; no
/// parameter is ever named by a string.
public struct Parameter<Root>: Sendable {
    /// The key path as text, without the root type (`estimator.c`), for reports.
    public let label: String
    /// The number of values.
    public let count: Int
    let apply: @Sendable (inout Root, Int) -> String

    public init<Value: Sendable>(_ path: WritableKeyPath<Root, Value> & Sendable, _ values: [Value]) {
        label = keyPathLabel(path, root: Root.self)
        count = values.count
        apply = { root, i in
            root[keyPath: path] = values[i]
            return "\(values[i])"
        }
    }
}

/// A hyperparameter for random search: a typed key path and a distribution to draw from.
public struct ParameterDistribution<Root>: Sendable {
    /// The key path as text, without the root type, for reports.
    public let label: String
    let draw: @Sendable (inout Root, inout SeededGenerator) -> String

    init<Value: Sendable>(_ path: WritableKeyPath<Root, Value> & Sendable,
                          _ sample: @escaping @Sendable (inout SeededGenerator) -> Value) {
        label = keyPathLabel(path, root: Root.self)
        draw = { root, rng in
            let v = sample(&rng)
            root[keyPath: path] = v
            return "\(v)"
        }
    }

    /// One of `values`, each equally likely.
    public static func oneOf<Value: Sendable>(_ path: WritableKeyPath<Root, Value> & Sendable,
                                              _ values: [Value]) -> ParameterDistribution {
        ParameterDistribution(path) { rng in values[rng.nextInt(below: values.count)] }
    }

    /// Uniform in `range`.
    public static func uniform(_ path: WritableKeyPath<Root, Double> & Sendable,
                               in range: ClosedRange<Double>) -> ParameterDistribution {
        ParameterDistribution(path) { rng in range.lowerBound + (range.upperBound - range.lowerBound) * rng.nextDouble() }
    }

    /// Log-uniform in `range` (both bounds positive), for scales such as `C` or `alpha`.
    public static func logUniform(_ path: WritableKeyPath<Root, Double> & Sendable,
                                  in range: ClosedRange<Double>) -> ParameterDistribution {
        let lo = log(range.lowerBound), hi = log(range.upperBound)
        return ParameterDistribution(path) { rng in exp(lo + (hi - lo) * rng.nextDouble()) }
    }

    /// An integer uniform in `range`.
    public static func integers(_ path: WritableKeyPath<Root, Int> & Sendable,
                                in range: ClosedRange<Int>) -> ParameterDistribution {
        ParameterDistribution(path) { rng in range.lowerBound + rng.nextInt(below: range.count) }
    }
}

/// `\Pipeline<LogisticRegression>.estimator.c` → `estimator.c`.
func keyPathLabel<Root, Value>(_ path: KeyPath<Root, Value>, root: Root.Type) -> String {
    let text = String(describing: path)
    let prefix = "\\" + String(describing: root) + "."
    return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
}

/// One configuration a search tried, with its cross-validated scores.
public struct SearchCandidate: Sendable, Equatable {
    /// `label=value` for each parameter, joined by ", ".
    public var parameters: String
    /// The score of each fold.
    public var scores: [Double]
    /// The mean fold score (`NaN` if any fold's score was).
    public var mean: Double
    /// The population standard deviation of the fold scores.
    public var standardDeviation: Double
    /// 1 for the best mean; ties share the smaller rank; `NaN` means rank last.
    public var rank: Int
}

/// What a search found: the best configuration refitted on all rows, and every candidate.
public struct SearchResult<E: Learner>: Sendable {
    /// The best configuration, refitted on every row.
    public var best: FittedPipeline
    /// The best configuration, unfitted.
    public var bestPipeline: Pipeline<E>
    /// The index of the best candidate in ``candidates`` (the first of equal best means).
    public var bestIndex: Int
    /// Every candidate, in the order tried.
    public var candidates: [SearchCandidate]
    /// The scorer's name.
    public var scoring: String

    /// The results table: one row per candidate with `parameters` (text), `mean_score`,
    /// `std_score`, `rank`, and `fold_0`, `fold_1`, … scores.
    public var table: Frame {
        get throws {
            let folds = candidates.first?.scores.count ?? 0
            var columns: [(String, Column)] = [
                ("parameters", .string(candidates.map { Optional($0.parameters) })),
                ("mean_score", .double(candidates.map { Optional($0.mean) })),
                ("std_score", .double(candidates.map { Optional($0.standardDeviation) })),
                ("rank", .int64(candidates.map { Optional(Int64($0.rank)) })),
            ]
            for f in 0..<folds {
                columns.append(("fold_\(f)", .double(candidates.map { Optional($0.scores[f]) })))
            }
            return try framing("search results") { () throws(FrameError) in try Frame(named: columns) }
        }
    }
}

/// Exhaustive search over every combination of the parameters' values (the last parameter
/// varying fastest, as scikit-learn's `ParameterGrid`), each cross-validated on the same
/// splits with the same fold seeds; the best mean score wins and is refitted on all rows.
///
/// Parameters are key paths into the pipeline (its estimator's hyperparameters):
///
/// ```swift
/// let search = GridSearch(pipeline, parameters: [
///     Parameter(\.estimator.c, [0.01, 0.1, 1, 10]),
///     Parameter(\.estimator.classWeight, [.uniform, .balanced]),
/// ], folds: .stratifiedKFold(5), scoring: .rocAUC(positive: "1"))
/// let result = try search.fit(frame, seed: 7)
/// ```
///
/// or, to search stage and sampler settings too, into a configuration value of your own
/// that a closure turns into the pipeline:
///
/// ```swift
/// struct Setup { var k = 5; var c = 1.0 }
/// let search = GridSearch(Setup(), parameters: [Parameter(\.k, [3, 5, 9]), Parameter(\.c, [0.1, 1])],
///                         scoring: .rocAUC(positive: "1")) { s in
///     Pipeline(target: "churned", estimator: LogisticRegression(c: s.c)) { SMOTE(kNeighbors: s.k) }
/// }
/// ```
public struct GridSearch<E: Learner>: Sendable {
    public var folds: Folds
    public var scoring: Scoring
    let list: @Sendable () throws -> [(pipeline: Pipeline<E>, parameters: String)]

    /// A search over key paths into `pipeline`.
    public init(_ pipeline: Pipeline<E>, parameters: [Parameter<Pipeline<E>>],
                folds: Folds = .stratifiedKFold(5), scoring: Scoring) {
        self.init(pipeline, parameters: parameters, folds: folds, scoring: scoring) { $0 }
    }

    /// A search over key paths into `configuration`, each candidate turned into a pipeline by `build`.
    public init<Root: Sendable>(_ configuration: Root, parameters: [Parameter<Root>], folds: Folds = .stratifiedKFold(5),
                                scoring: Scoring, build: @escaping @Sendable (Root) throws -> Pipeline<E>) {
        self.folds = folds
        self.scoring = scoring
        list = {
            var out: [(root: Root, parameters: String)] = parameters.contains { $0.count == 0 } ? [] : [(configuration, "")]
            for p in parameters {
                out = out.flatMap { base, text in
                    (0..<p.count).map { i in
                        var next = base
                        let value = p.apply(&next, i)
                        return (next, (text.isEmpty ? "" : text + ", ") + "\(p.label)=\(value)")
                    }
                }
            }
            return try out.map { (try build($0.root), $0.parameters) }
        }
    }

    /// The candidate configurations, with their parameters as text, in the order tried.
    public func candidates() throws -> [(pipeline: Pipeline<E>, parameters: String)] { try list() }

    /// Cross-validates every candidate, then refits the best on all of `frame`.
    public func fit(_ frame: Frame, seed: UInt64) throws -> SearchResult<E> {
        let candidates = try list()
        guard let first = candidates.first else {
            throw PipelineError.invalidConfiguration(stage: "GridSearch", reason: "a parameter has no values to try")
        }
        return try Search.run(candidates, frame: frame, target: first.pipeline.target, folds: folds, scoring: scoring, seed: seed)
    }
}

/// Random search: `iterations` configurations, each parameter drawn from its distribution
/// with the seeded generator, cross-validated on shared splits and fold seeds; the best mean
/// score wins and is refitted on all rows. Like ``GridSearch``, it searches key paths into
/// the pipeline, or into a configuration value of your own turned into a pipeline by a closure.
public struct RandomSearch<E: Learner>: Sendable {
    public var iterations: Int
    public var folds: Folds
    public var scoring: Scoring
    let draw: @Sendable (_ seed: UInt64, _ count: Int) throws -> [(pipeline: Pipeline<E>, parameters: String)]

    /// A search over key paths into `pipeline`.
    public init(_ pipeline: Pipeline<E>, parameters: [ParameterDistribution<Pipeline<E>>], iterations: Int,
                folds: Folds = .stratifiedKFold(5), scoring: Scoring) {
        self.init(pipeline, parameters: parameters, iterations: iterations, folds: folds, scoring: scoring) { $0 }
    }

    /// A search over key paths into `configuration`, each candidate turned into a pipeline by `build`.
    public init<Root: Sendable>(_ configuration: Root, parameters: [ParameterDistribution<Root>], iterations: Int,
                                folds: Folds = .stratifiedKFold(5), scoring: Scoring,
                                build: @escaping @Sendable (Root) throws -> Pipeline<E>) {
        self.iterations = iterations
        self.folds = folds
        self.scoring = scoring
        draw = { seed, count in
            var rng = SeededGenerator(seed: seed)
            return try (0..<max(0, count)).map { _ in
                var root = configuration
                let text = parameters.map { "\($0.label)=\($0.draw(&root, &rng))" }.joined(separator: ", ")
                return (try build(root), text)
            }
        }
    }

    /// The configurations the search tries when its draws are seeded with `seed`.
    public func candidates(seed: UInt64) throws -> [(pipeline: Pipeline<E>, parameters: String)] {
        try draw(seed, iterations)
    }

    /// Cross-validates `iterations` drawn candidates, then refits the best on all of `frame`.
    public func fit(_ frame: Frame, seed: UInt64) throws -> SearchResult<E> {
        guard iterations > 0 else {
            throw PipelineError.invalidConfiguration(stage: "RandomSearch", reason: "iterations \(iterations) must be positive")
        }
        var rng = SeededGenerator(seed: seed)
        let drawSeed = rng.next(), cvSeed = rng.next()
        let candidates = try candidates(seed: drawSeed)
        return try Search.run(candidates, frame: frame, target: candidates[0].pipeline.target,
                              folds: folds, scoring: scoring, seed: cvSeed)
    }
}

enum Search {
    static func run<E: Learner>(_ list: [(pipeline: Pipeline<E>, parameters: String)], frame: Frame, target: String?,
                                  folds: Folds, scoring: Scoring, seed: UInt64) throws -> SearchResult<E> {
        let plan = try CrossValidationPlan(frame, target: target, folds: folds, seed: seed)
        var candidates: [SearchCandidate] = []
        for (pipeline, text) in list {
            let r = try plan.run(pipeline, scoring: scoring, parameters: text)
            candidates.append(SearchCandidate(parameters: text, scores: r.scores, mean: r.mean,
                                              standardDeviation: r.standardDeviation, rank: 0))
        }
        // Rank by mean, best first; NaN last; ties share the smaller rank (scikit-learn's "min").
        let key = candidates.map { $0.mean.isNaN ? -Double.infinity : $0.mean }
        for i in candidates.indices { candidates[i].rank = 1 + key.filter { $0 > key[i] }.count }
        let bestIndex = candidates.indices.min { (candidates[$0].rank, $0) < (candidates[$1].rank, $1) } ?? 0
        let best: FittedPipeline
        do {
            best = try list[bestIndex].pipeline.fit(frame, seed: plan.refitSeed)
        } catch {
            throw ModelSelectionError(fold: nil, parameters: list[bestIndex].parameters, underlying: error)
        }
        return SearchResult(best: best, bestPipeline: list[bestIndex].pipeline, bestIndex: bestIndex,
                            candidates: candidates, scoring: scoring.name)
    }
}
