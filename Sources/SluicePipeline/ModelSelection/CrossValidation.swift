import SluiceCompute
import SluiceFrame

/// How rows are split for cross-validation: each case makes its splits with ``Splitter``.
public enum Folds: Sendable, Equatable, CustomStringConvertible {
    /// K-fold, rows shuffled first unless `shuffle` is false.
    case kFold(Int, shuffle: Bool = true)
    /// Stratified K-fold on the target's classes, shuffled within classes unless `shuffle` is false.
    case stratifiedKFold(Int, shuffle: Bool = true)
    /// Expanding-window time-series splits (rows must be in time order); never shuffled.
    case timeSeries(Int, gap: Int = 0)
    /// One random hold-out split, stratified on the target's classes if asked.
    case holdOut(testFraction: Double, stratified: Bool = false)
    /// These splits, as given.
    case splits([Split])

    public var description: String {
        switch self {
        case let .kFold(k, shuffle): return "\(k)-fold\(shuffle ? ", shuffled" : "")"
        case let .stratifiedKFold(k, shuffle): return "stratified \(k)-fold\(shuffle ? ", shuffled" : "")"
        case let .timeSeries(k, gap): return "\(k) time-series splits\(gap > 0 ? ", gap \(gap)" : "")"
        case let .holdOut(f, s): return "hold-out \(f)\(s ? ", stratified" : "")"
        case let .splits(s): return "\(s.count) given splits"
        }
    }

    /// The splits of `rows` rows; shuffles draw from `rng`.
    public func make(rows: Int, target: Column, using rng: inout SeededGenerator) throws -> [Split] {
        switch self {
        case let .kFold(k, shuffle):
            return try Splitter.kFold(rows: rows, folds: k, shuffle: shuffle ? rng.split() : nil)
        case let .stratifiedKFold(k, shuffle):
            return try Splitter.stratifiedKFold(ClassLabels(column: target, name: "target"), folds: k,
                                                shuffle: shuffle ? rng.split() : nil)
        case let .timeSeries(k, gap):
            return try Splitter.timeSeries(rows: rows, splits: k, gap: gap)
        case let .holdOut(f, stratified):
            let labels = stratified ? try ClassLabels(column: target, name: "target") : nil
            return [try Splitter.trainTest(rows: rows, testFraction: f, stratifyBy: labels, using: &rng)]
        case let .splits(s):
            for split in s {
                for i in split.train + split.test where i < 0 || i >= rows {
                    throw PipelineError.invalidConfiguration(stage: "cross-validation",
                        reason: "a given split names row \(i) of a frame of \(rows) rows")
                }
            }
            return s
        }
    }
}

/// Per-fold scores of one pipeline configuration.
public struct CrossValidationResult: Sendable, Equatable {
    /// The score of each fold, in fold order.
    public var scores: [Double]
    /// The splits the folds used.
    public var splits: [Split]
    /// The mean of the fold scores.
    public var mean: Double { scores.isEmpty ? .nan : scores.reduce(0, +) / Double(scores.count) }
    /// The population standard deviation of the fold scores (as scikit-learn's `std_test_score`).
    public var standardDeviation: Double {
        guard !scores.isEmpty else { return .nan }
        let m = mean
        return (scores.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(scores.count)).squareRoot()
    }
}

/// Why cross-validation or a search failed: the fold (and candidate) where, and the cause.
public struct ModelSelectionError: Error, CustomStringConvertible, ExitClassified {
    /// The fold that failed (0-based), or nil for the final refit.
    public var fold: Int?
    /// The candidate's parameters, as text, in a search.
    public var parameters: String?
    /// What went wrong.
    public var underlying: any Error

    public var description: String {
        let place = [parameters.map { "candidate \($0)" }, fold.map { "fold \($0)" } ?? "refit on all rows"]
            .compactMap { $0 }.joined(separator: ", ")
        return "cross-validation (\(place)): \(underlying)"
    }

    /// The class of the error underneath (70 if it has none).
    public var exitStatus: ExitStatus { (underlying as? any ExitClassified)?.exitStatus ?? .software }
}

/// Fits and scores a whole pipeline once per fold: stages, samplers and estimator are fitted
/// on the fold's training rows only (samplers never see a test row), then the fitted pipeline
/// predicts the test rows. `seed` fixes the splits' shuffles and each fold's fit seed, so the
/// same data and seed give the same scores.
public func crossValidate<E: Learner>(_ pipeline: Pipeline<E>, _ frame: Frame, folds: Folds,
                                      scoring: Scoring, seed: UInt64) throws -> CrossValidationResult {
    let plan = try CrossValidationPlan(frame, target: pipeline.target, folds: folds, seed: seed)
    return try plan.run(pipeline, scoring: scoring, parameters: nil)
}

/// Out-of-fold predictions (scikit-learn's `cross_val_predict`): each row predicted by the
/// pipeline fitted on the folds that do not hold it. The folds must cover every row exactly
/// once in their test sets (K-fold and stratified K-fold do; time-series splits do not).
/// Probabilities are in the order of the classes of the whole frame's target.
public func crossValPredict<E: Learner>(_ pipeline: Pipeline<E>, _ frame: Frame, folds: Folds,
                                        seed: UInt64) throws -> Predictions {
    let plan = try CrossValidationPlan(frame, target: pipeline.target, folds: folds, seed: seed)
    var owner = [Int](repeating: -1, count: frame.rowCount)
    for (f, split) in plan.splits.enumerated() {
        for i in split.test {
            guard owner[i] < 0 else {
                throw PipelineError.invalidConfiguration(stage: "crossValPredict", reason: "row \(i) is in two test folds")
            }
            owner[i] = f
        }
    }
    if let i = owner.firstIndex(of: -1) {
        throw PipelineError.invalidConfiguration(stage: "crossValPredict", reason: "row \(i) is in no test fold")
    }
    let whole = try pipeline.target.map { t in
        try TargetDescription(name: t, column: framing("crossValPredict") { () throws(FrameError) in try frame.column(t) },
                              kind: pipeline.estimator.targetKind)
    }
    let classes = whole?.classes
    var values = [Double](repeating: .nan, count: frame.rowCount), codes = [Int](repeating: 0, count: frame.rowCount)
    var probabilities = Matrix<Double>(rows: frame.rowCount, columns: classes?.count ?? 0)
    for (f, split) in plan.splits.enumerated() {
        do {
            let train = try framing("crossValPredict") { () throws(FrameError) in try frame.taking(rows: split.train) }
            let test = try framing("crossValPredict") { () throws(FrameError) in try frame.taking(rows: split.test) }
            let p = try pipeline.fit(train, seed: plan.foldSeeds[f]).predict(test)
            if let prob = p.probabilities, let names = p.classes, let classes {
                let column = names.map { classes.firstIndex(of: $0) ?? 0 }
                for (r, i) in split.test.enumerated() {
                    for k in 0..<prob.columns { probabilities[i, column[k]] = prob[r, k] }
                    codes[i] = column[p.codes?[r] ?? 0]
                }
            } else if let c = p.codes {
                for (r, i) in split.test.enumerated() { codes[i] = c[r] }
            } else {
                let v = ColumnValues.doubles(p.values)
                for (r, i) in split.test.enumerated() { values[i] = v[r] }
            }
        } catch {
            throw ModelSelectionError(fold: f, parameters: nil, underlying: error)
        }
    }
    switch whole?.kind {
    case .classes?:
        return Predictions(values: try whole!.classColumn(codes), codes: codes, probabilities: probabilities, classes: classes)
    case .values?: return Predictions(values: .double(values))
    default: return Predictions(values: .int64(codes.map { Int64($0) }), codes: codes)
    }
}

/// Splits, fold seeds and per-fold frames, made once and shared by every candidate of a search.
struct CrossValidationPlan {
    var frame: Frame
    var target: String?
    var splits: [Split]
    var foldSeeds: [UInt64]
    /// The seed of the final refit on all rows.
    var refitSeed: UInt64

    init(_ frame: Frame, target: String?, folds: Folds, seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var splitRNG = rng.split()
        let labels = try target.map { t in try framing("cross-validation") { () throws(FrameError) in try frame.column(t) } }
            ?? Column.int64([Int64?](repeating: 0, count: frame.rowCount))
        self.frame = frame
        self.target = target
        splits = try folds.make(rows: frame.rowCount, target: labels, using: &splitRNG)
        foldSeeds = splits.map { _ in rng.next() }
        refitSeed = rng.next()
    }

    func run<E: Learner>(_ pipeline: Pipeline<E>, scoring: Scoring, parameters: String?) throws -> CrossValidationResult {
        guard let target else {
            throw PipelineError.invalidConfiguration(stage: "cross-validation", reason: "scoring folds needs a target")
        }
        var scores: [Double] = []
        for (f, split) in splits.enumerated() {
            do {
                let train = try framing("cross-validation") { () throws(FrameError) in try frame.taking(rows: split.train) }
                let test = try framing("cross-validation") { () throws(FrameError) in try frame.taking(rows: split.test) }
                let fitted = try pipeline.fit(train, seed: foldSeeds[f])
                let truth = try framing("cross-validation") { () throws(FrameError) in try test.column(target) }
                scores.append(try scoring.score(fitted.predict(test), truth: truth))
            } catch {
                throw ModelSelectionError(fold: f, parameters: parameters, underlying: error)
            }
        }
        return CrossValidationResult(scores: scores, splits: splits)
    }
}
