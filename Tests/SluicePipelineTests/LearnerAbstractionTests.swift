import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// A learner that asks for Float features with NaN and category codes, and records what it
/// was given: the pipeline must feed it raw missing values and codes, not imputed one-hot.
struct RecordingLearner: Learner {
    typealias Scalar = Float
    var targetKind: TargetKind { .values }
    var featureRequirements: FeatureRequirements { FeatureRequirements(allowsMissing: true, categoricalCodes: true) }

    struct Model: RegressionModel {
        typealias Scalar = Float
        static let kind = "test_recording"
        var featureCount: Int
        var categorical: [CategoricalFeature]
        var validationRows: Int?
        func predict(_ x: Matrix<Float>) throws -> [Double] {
            (0..<x.rows).map { i in Double(x[i, 0].isNaN ? -1 : x[i, 0]) }   // echoes the first feature
        }
        func validate() throws {}
    }

    func fit(_ data: TrainingSet<Float>, context: inout FitContext) throws -> Model {
        for step in 1...3 {
            try context.checkCancellation(Model.kind)
            context.observe(FitProgress(source: Model.kind, unit: .iteration, step: step, total: 3, metrics: ["loss": 1 / Double(step)]))
        }
        return Model(featureCount: data.features.columns, categorical: data.categorical, validationRows: data.validation?.features.rows)
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [FitProgress] = []
    func add(_ p: FitProgress) { lock.withLock { steps.append(p) } }
    var all: [FitProgress] { lock.withLock { steps } }
}

@Suite("One learner abstraction: requirements, context, typed scoring")
struct LearnerAbstractionTests {
    static func frame() throws -> Frame {
        try Frame(["id": .int64([10, 11, 12, 13]), "plan": .string(["b", nil, "a", "b"]),
                   "x": .double([1.5, nil, .nan, 4]), "y": .double([1, 2, 3, 4])])
    }

    @Test("a learner asking for Float, NaN and codes gets them: codes into sorted training categories, nulls as NaN")
    func requirements() throws {
        let pipeline = Pipeline(target: "y", keys: ["id"], estimator: RecordingLearner())
        let fitted = try pipeline.fit(Self.frame())
        let model = try fitted.model(as: RecordingLearner.Model.self)
        #expect(fitted.featureNames == ["plan", "x"], "keys and target never become features")
        #expect(model.categorical == [CategoricalFeature(index: 0, categories: ["a", "b"])])
        let x: Matrix<Float> = try fitted.features(Self.frame(), as: Float.self)
        #expect(x[0, 0] == 1 && x[1, 0].isNaN && x[2, 0] == 0, "b → 1, null → NaN, a → 0")
        #expect(x[1, 1].isNaN && x[2, 1].isNaN && x[3, 1] == 4)
        // An unknown category scores as missing and is counted, never a crash.
        let tonight = try Frame(["id": .int64([20]), "plan": .string(["zzz"]), "x": .double([1])])
        var report = TransformReport()
        let scored = try fitted.score(tonight, report: &report)
        #expect(try scored.doubles("prediction") == [-1])
        #expect(report.totalUnknown == 1)
        #expect(scored.columnNames == ["id", "prediction"])
        #expect(try scored.int64s("id") == [20])
    }

    @Test("a finite-only learner refuses strings and nulls, naming the column")
    func finiteOnly() throws {
        #expect(throws: PipelineError.nonNumericFeature(column: "plan", type: .string)) {
            try Pipeline(target: "y", estimator: LinearRegression()).fit(Self.frame())
        }
        #expect(throws: PipelineError.frame(stage: "features", .nullInMatrix(column: "x", row: 1))) {
            try Pipeline(target: "y", estimator: LinearRegression()).fit(Self.frame().dropping(["plan"]))
        }
    }

    @Test("the observer sees each step; cancellation stops the fit with FitCancelled (exit 75)")
    func observerAndCancellation() throws {
        let log = ProgressLog()
        _ = try Pipeline(target: "y", estimator: RecordingLearner()).fit(Self.frame(), observer: { log.add($0) })
        #expect(log.all.map(\.step) == [1, 2, 3] && log.all.allSatisfy { $0.source == "test_recording" })
        #expect(throws: FitCancelled.self) {
            try Pipeline(target: "y", estimator: RecordingLearner()).fit(Self.frame(), isCancelled: { true })
        }
        #expect(FitCancelled(source: "x").exitStatus == .temporaryFailure)
        // Logistic regression reports its Newton iterations too.
        let lr = ProgressLog()
        let data = try Dataset.load("breast_cancer")
        let frame = try data.frame.setting("target", to: .string(data.target.map { Optional($0) }))
        _ = try Pipeline(target: "target", estimator: LogisticRegression()) { StandardScaler() }.fit(frame, observer: { lr.add($0) })
        #expect(!lr.all.isEmpty && lr.all.allSatisfy { $0.unit == .iteration && $0.metrics["loss"] != nil })
    }

    @Test("a validation frame reaches the learner transformed by the fitted stages")
    func validation() throws {
        let fitted = try Pipeline(target: "y", keys: ["id"], estimator: RecordingLearner())
            .fit(Self.frame(), validation: Self.frame().head(3))
        #expect(try fitted.model(as: RecordingLearner.Model.self).validationRows == 3)
    }

    @Test("predictions are typed as the target was: string, int64, bool and 0/1 double")
    func typedPredictions() throws {
        let base = try Dataset.load("breast_cancer")
        let codes = base.target.map { $0 == "malignant" ? 1 : 0 }
        let targets: [(Column, ColumnType, [String])] = [
            (.string(base.target.map { Optional($0) }), .string, ["benign", "malignant"]),
            (.int64(codes.map { Optional(Int64($0)) }), .int64, ["0", "1"]),
            (.bool(codes.map { Optional($0 == 1) }), .bool, ["false", "true"]),
            (.double(codes.map { Optional(Double($0)) }), .double, ["0", "1"]),
        ]
        for (target, type, classes) in targets {
            let frame = try base.frame.setting("t", to: target)
            let fitted = try Pipeline(target: "t", estimator: LogisticRegression()) { StandardScaler() }.fit(frame)
            let scored = try fitted.score(frame.dropping(["t"]))
            #expect(scored.schema["prediction"]?.type == type)
            #expect(scored.columnNames == ["prediction"] + classes.map { "probability_\($0)" })
            #expect(try fitted.outputSchema().names == scored.columnNames, "the sink's schema before any row")
            let predicted = try fitted.predict(frame).values
            let right = (0..<frame.rowCount).filter { predicted[$0] == target[$0] }.count
            #expect(Double(right) / Double(frame.rowCount) > 0.95, "\(type): predictions compare equal to the target's values")
        }
    }

    @Test("scoring needs only the columns the stages read; constants and key overrides are columns")
    func requiredInput() throws {
        let frame = try Self.frame().setting("unused", to: .string(["a", "b", "c", "d"]))
        let fitted = try Pipeline(target: "y", keys: ["id"], estimator: LinearRegression()) {
            ColumnTransformer(remainder: .drop, .init(.names("x"), SimpleImputer(strategy: .median)))
        }.fit(frame)
        #expect(fitted.inputSchema.names == ["x"], "plan and unused are never read")
        let output = ScoreOutput(constants: [.init("model_version", .string("v3")), .init("run_id", .int64(42))])
        let scored = try fitted.score(try Frame(["id": .int64([1, 2]), "x": .double([1, nil])]), output: output)
        #expect(scored.columnNames == ["id", "prediction", "model_version", "run_id"])
        #expect(try scored.int64s("run_id") == [42, 42])
        #expect(try scored.strings("model_version")[1] == "v3")
        #expect(throws: PipelineError.self, "a null constant has no type") {
            try fitted.outputSchema(for: ScoreOutput(constants: [.init("z", .null)]))
        }
    }

    @Test("binary scores need an explicit positive class that exists")
    func positiveClass() throws {
        let data = try Dataset.load("breast_cancer")
        let frame = try data.frame.setting("t", to: .string(data.target.map { Optional($0) }))
        let p = try Pipeline(target: "t", estimator: LogisticRegression()) { StandardScaler() }.fit(frame).predict(frame)
        let truth = try frame.column("t")
        let malignant = try Scoring.rocAUC(positive: "malignant").score(p, truth: truth)
        let benign = try Scoring.rocAUC(positive: "benign").score(p, truth: truth)
        #expect(isApproximatelyEqual(malignant, benign, absolute: 1e-12), "AUC is symmetric in the positive class")
        #expect(throws: PipelineError.self) { try Scoring.f1(positive: "yes").score(p, truth: truth) }
    }

    @Test("out-of-fold predictions cover every row once, typed as the target")
    func outOfFold() throws {
        let data = try Dataset.load("breast_cancer")
        let frame = try data.frame.setting("t", to: .string(data.target.map { Optional($0) }))
        let pipeline = Pipeline(target: "t", estimator: LogisticRegression()) { StandardScaler() }
        let p = try crossValPredict(pipeline, frame, folds: .stratifiedKFold(5), seed: 3)
        #expect(p.values.count == frame.rowCount && p.values.type == .string)
        #expect(p.probabilities?.rows == frame.rowCount && p.classes == ["benign", "malignant"])
        let accuracy = Double((0..<frame.rowCount).filter { p.values[$0] == frame["t"]![$0] }.count) / Double(frame.rowCount)
        #expect(accuracy > 0.95)
        #expect(throws: PipelineError.self, "time-series folds leave the first rows out") {
            try crossValPredict(pipeline, frame, folds: .timeSeries(3), seed: 3)
        }
    }
}
