import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// The rows (by `id`) each call of a ``RecordingSampler`` saw.
final class RowLog: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [[Int64]] = []
    func record(_ ids: [Int64]) { lock.withLock { calls.append(ids) } }
    var all: [[Int64]] { lock.withLock { calls } }
}

/// A sampler that changes nothing and records the `id` of every row it is given.
struct RecordingSampler: Sampler {
    let log: RowLog
    var name: String { "RecordingSampler" }
    func resample(_ frame: Frame, target: Column, context: inout FitContext) throws -> (Frame, Column) {
        log.record(try frame.int64s("id"))
        return (frame, target)
    }
}

/// A dataset as one frame with its target in a `target` column (numbers for diabetes).
func datasetFrame(_ name: String, numericTarget: Bool = false) throws -> Frame {
    let data = try Dataset.load(name)
    let target: Column = numericTarget ? .double(data.target.map { Double($0) }) : .string(data.target.map { Optional($0) })
    return try data.frame.setting("target", to: target)
}

@Suite("Cross-validation and hyperparameter search")
struct ModelSelectionTests {
    nonisolated(unsafe) static let json = Expectations.load("model_selection")
    static func scores(_ key: String) -> [Double] { json[key] as? [Double] ?? [] }

    @Test("fold scores equal scikit-learn's cross_val_score on unshuffled 5-fold splits", arguments: [
        ("diabetes_linear_r2", Scoring.r2), ("diabetes_linear_neg_mean_squared_error", .negativeMeanSquaredError),
    ])
    func regressionParity(key: String, scoring: Scoring) throws {
        let frame = try datasetFrame("diabetes", numericTarget: true)
        let pipeline = Pipeline(target: "target", estimator: LinearRegression()) {}
        let r = try crossValidate(pipeline, frame, folds: .kFold(5, shuffle: false), scoring: scoring, seed: 1)
        #expect(Self.scores(key).count == 5)
        #expect(isApproximatelyEqual(r.scores, Self.scores(key), relative: 1e-9))
    }

    @Test("a whole pipeline (scaler + logistic regression) scores as scikit-learn's per fold", arguments: [
        ("breast_cancer_logistic_roc_auc", Scoring.rocAUC(positive: "malignant")), ("breast_cancer_logistic_accuracy", .accuracy),
    ])
    func classificationParity(key: String, scoring: Scoring) throws {
        let frame = try datasetFrame("breast_cancer")
        let pipeline = Pipeline(target: "target", estimator: LogisticRegression()) { StandardScaler() }
        let r = try crossValidate(pipeline, frame, folds: .kFold(5, shuffle: false), scoring: scoring, seed: 1)
        #expect(Self.scores(key).count == 5)
        #expect(isApproximatelyEqual(r.scores, Self.scores(key), absolute: 1e-9))
    }

    /// churn-like rows with an `id` column, so a sampler can report which rows it saw.
    func churnWithIDs() throws -> Frame {
        let f = try churnLike(rows: 400, seed: 3)
        return try f.setting("id", to: .int64((0..<f.rowCount).map { Int64($0) }))
    }

    func balancedPipeline(_ log: RowLog) -> Pipeline<LogisticRegression> {
        Pipeline(target: "churn", estimator: LogisticRegression()) {
            SimpleImputer(columns: .names("age", "calls"), strategy: .median)
            OneHotEncoder(columns: .types(.string))
            RecordingSampler(log: log)
            SMOTE()
            StandardScaler(columns: .types(.double))
        }
    }

    @Test("samplers run inside each training fold only: they see exactly its rows, never a test row")
    func samplersSeeTrainingRowsOnly() throws {
        let frame = try churnWithIDs()
        let log = RowLog()
        let r = try crossValidate(balancedPipeline(log), frame, folds: .stratifiedKFold(4), scoring: .rocAUC(positive: "yes"), seed: 9)
        let calls = log.all
        #expect(calls.count == 4)
        for (seen, split) in zip(calls, r.splits) {
            #expect(seen == split.train.map { Int64($0) })
            #expect(Set(seen).isDisjoint(with: split.test.map { Int64($0) }))
        }
        #expect(r.scores.allSatisfy { $0 > 0.7 })
    }

    @Test("fold scores are reproducible under a seed; another seed shuffles other folds")
    func reproducible() throws {
        let frame = try churnWithIDs()
        let a = try crossValidate(balancedPipeline(RowLog()), frame, folds: .stratifiedKFold(4), scoring: .f1(positive: "yes"), seed: 5)
        let b = try crossValidate(balancedPipeline(RowLog()), frame, folds: .stratifiedKFold(4), scoring: .f1(positive: "yes"), seed: 5)
        let c = try crossValidate(balancedPipeline(RowLog()), frame, folds: .stratifiedKFold(4), scoring: .f1(positive: "yes"), seed: 6)
        #expect(a == b)
        #expect(a.splits != c.splits)
        #expect(a.standardDeviation >= 0 && a.mean > 0)
    }

    @Test("grid search tries every combination, picks the best mean and refits it on all rows")
    func gridSearch() throws {
        let frame = try churnLike(rows: 500, seed: 4)
        let search = GridSearch(churnPipeline(), parameters: [
            Parameter(\.estimator.c, [1e-4, 1.0, 100]),
            Parameter(\.estimator.classWeight, [ClassWeight.uniform, .balanced]),
        ], folds: .stratifiedKFold(3), scoring: .balancedAccuracy)
        let result = try search.fit(frame, seed: 2)
        #expect(result.candidates.count == 6)
        #expect(result.candidates[1].parameters == "estimator.c=0.0001, estimator.classWeight=balanced")
        let means = result.candidates.map(\.mean)
        let best = means.indices.max { means[$0] < means[$1] || (means[$0] == means[$1] && $0 > $1) }
        #expect(result.bestIndex == best)
        #expect(result.candidates[result.bestIndex].rank == 1)
        // Every candidate's scores are those of cross-validating it alone with the same seed.
        for (i, candidate) in try search.candidates().enumerated() {
            let alone = try crossValidate(candidate.pipeline, frame, folds: .stratifiedKFold(3), scoring: .balancedAccuracy, seed: 2)
            #expect(alone.scores == result.candidates[i].scores)
        }
        // The best is refitted on every row: same fingerprint and predictions as fitting it directly.
        let direct = try result.bestPipeline.fit(frame, seed: 0)
        #expect(result.best.dataFingerprint == direct.dataFingerprint)
        #expect(try result.best.predict(frame).probabilities == direct.predict(frame).probabilities)
        #expect(result.bestPipeline.estimator.c == [1e-4, 1.0, 100][result.bestIndex / 2])
        let table = try result.table
        #expect(table.columnNames == ["parameters", "mean_score", "std_score", "rank", "fold_0", "fold_1", "fold_2"])
        #expect(table.rowCount == 6)
    }

    @Test("random search draws its candidates from the seed, within their distributions")
    func randomSearch() throws {
        let frame = try churnLike(rows: 300, seed: 8)
        let search = RandomSearch(churnPipeline(), parameters: [
            .logUniform(\.estimator.c, in: 1e-3...1e2),
            .oneOf(\.estimator.fitIntercept, [true, false]),
            .integers(\.estimator.maxIterations, in: 20...60),
        ], iterations: 4, folds: .kFold(3), scoring: .rocAUC(positive: "yes"))
        let a = try search.candidates(seed: 1), b = try search.candidates(seed: 1), c = try search.candidates(seed: 2)
        #expect(a.map(\.parameters) == b.map(\.parameters))
        #expect(a.map(\.parameters) != c.map(\.parameters))
        for candidate in a {
            #expect(candidate.pipeline.estimator.c >= 1e-3 && candidate.pipeline.estimator.c <= 1e2)
            #expect((20...60).contains(candidate.pipeline.estimator.maxIterations))
            #expect(candidate.parameters.hasPrefix("estimator.c="))
        }
        let r1 = try search.fit(frame, seed: 3), r2 = try search.fit(frame, seed: 3)
        #expect(r1.candidates == r2.candidates)
        #expect(r1.candidates[r1.bestIndex].mean == r1.candidates.map(\.mean).max())
    }

    /// What the sampler search below varies: settings of a sampler and of the estimator.
    struct Setup: Sendable {
        var neighbours = 5
        var strategy = SamplingStrategy.auto
        var c = 1.0
    }

    @Test("a search over a configuration of one's own reaches sampler settings, still by key path")
    func samplerSearch() throws {
        let frame = try churnWithIDs()
        let log = RowLog()
        let search = GridSearch(Setup(), parameters: [
            Parameter(\.neighbours, [3, 7]),
            Parameter(\.strategy, [.auto, .ratio(0.6)]),
        ], folds: .stratifiedKFold(3), scoring: .f1(positive: "yes")) { setup in
            Pipeline(target: "churn", estimator: LogisticRegression(c: setup.c)) {
                SimpleImputer(columns: .names("age", "calls"), strategy: .median)
                OneHotEncoder(columns: .types(.string))
                RecordingSampler(log: log)
                SMOTE(strategy: setup.strategy, kNeighbors: setup.neighbours)
            }
        }
        let result = try search.fit(frame, seed: 4)
        #expect(result.candidates.map(\.parameters) == [
            "neighbours=3, strategy=auto", "neighbours=3, strategy=ratio 0.6",
            "neighbours=7, strategy=auto", "neighbours=7, strategy=ratio 0.6",
        ])
        #expect(log.all.count == 4 * 3 + 1)          // every fold of every candidate, then the refit
        #expect(log.all.last?.count == frame.rowCount)
        #expect(result.candidates.allSatisfy { $0.mean > 0 })
    }

    @Test("a failing fold names the fold and the candidate")
    func errorsSayWhere() throws {
        let frame = try churnLike(rows: 60, seed: 1)
        let search = GridSearch(churnPipeline(), parameters: [Parameter(\.estimator.c, [-1.0])],
                                folds: .kFold(3), scoring: .accuracy)
        do {
            _ = try search.fit(frame, seed: 1)
            Issue.record("a negative C should fail")
        } catch let error as ModelSelectionError {
            #expect(error.fold == 0)
            #expect(error.parameters == "estimator.c=-1.0")
            #expect(error.description.hasPrefix("cross-validation (candidate estimator.c=-1.0, fold 0): logistic_regression"))
        }
        #expect(throws: (any Error).self) {
            try crossValidate(churnPipeline(), frame, folds: .kFold(3), scoring: .r2, seed: 1)
        }
    }
}
