import SluiceConformance
import SluiceFrame
import SluiceLearn
import SluiceNeural
import SluicePipeline

/// The conformance table of everything `ArtifactCodec.standard` knows: SluicePipeline's
/// stages and samplers, plus SluiceLearn's learners and the stages that need a learner.
enum Examples {
    static let codec = ArtifactCodec.standard.adding(models: ArtifactCodec.neuralModelKinds)
        .adding(customStages: [PipelineExamples.customStage])

    /// ``ConformanceData/frame(rows:seed:)`` with a class target `label` and a continuous target `score`.
    static func training(rows: Int = 60) throws -> Frame {
        var frame = try ConformanceData.frame(rows: rows)
        frame = try frame.setting("label", to: ConformanceData.target(rows: rows), nullable: false)
        return try frame.setting("score", to: .double((0..<rows).map { Double($0 % 7) * 1.5 }), nullable: false)
    }

    /// Impute and scale the numeric columns, one-hot the categories: features a linear model takes.
    static var preprocessing: [PipelineStep] {
        [.transformer(ColumnTransformer(remainder: .drop,
            .init(.numeric, SimpleImputer(strategy: .mean), StandardScaler()),
            .init(.names("cat"), OneHotEncoder())))]
    }

    static func learners() throws -> [String: [LearnerExample]] {
        let logistic = try training().dropping(["score"]), linear = try training().dropping(["label"])
        return [
            LogisticRegression.Model.kind: [
                .make("LogisticRegression", LogisticRegression(), frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("LogisticRegression balanced", LogisticRegression(c: 0.5, classWeight: .balanced), frame: logistic,
                      target: "label", codec: codec) { preprocessing },
            ],
            NeuralClassifier.Model.kind: [
                .make("NeuralClassifier binary logit", NeuralClassifier(training: TrainingOptions(epochs: 4, batchSize: 16)) {
                    Dense(8, activation: .relu)
                    Dense(1)
                }, frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("NeuralClassifier softmax, dropout, batch norm", NeuralClassifier(
                    training: TrainingOptions(epochs: 3, batchSize: 8, optimizer: .sgd(learningRate: 0.05, momentum: 0.9)),
                    classWeight: .balanced) {
                    Dense(8)
                    BatchNormalization()
                    ReLU()
                    Dropout(0.2)
                    Dense(2)
                }, frame: logistic, target: "label", codec: codec) { preprocessing },
            ],
            NeuralRegressor.Model.kind: [
                .make("NeuralRegressor", NeuralRegressor(training: TrainingOptions(epochs: 4, batchSize: 16)) {
                    Dense(8, activation: .tanh)
                    Dense(1)
                }, frame: linear, target: "score", codec: codec) { preprocessing },
            ],
            LinearRegression.Model.kind: [
                .make("LinearRegression", LinearRegression(), frame: linear, target: "score", codec: codec) { preprocessing },
                .make("Ridge", LinearRegression(alpha: 2), frame: linear, target: "score", codec: codec) { preprocessing },
            ],
        ]
    }

    static func table() throws -> ExampleTable {
        let learnStages = ExampleTable(stages: [SelectFromModelFitted.kind: [
            StageExample("SelectFromModel", SelectFromModel(LogisticRegression(), columns: .names("x", "y")),
                         frame: try PipelineExamples.complete(), plannedIsUpperBound: true, codec: codec),
        ]], learners: try learners())
        return try PipelineExamples.table(codec: codec).merging(learnStages)
    }

    /// Every stage example, in kind order, flattened (for parameterised tests).
    static let stageExamples: [StageExample] = {
        guard let t = try? table() else { return [] }
        return t.stages.keys.sorted().flatMap { t.stages[$0] ?? [] }
    }()

    static let learnerExamples: [LearnerExample] = {
        guard let t = try? table() else { return [] }
        return t.learners.keys.sorted().flatMap { t.learners[$0] ?? [] }
    }()

    static let samplerExamples: [SamplerExample] = (try? PipelineExamples.samplers()) ?? []
}
