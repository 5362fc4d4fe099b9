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

    /// Impute and min-max scale the numeric columns, one-hot the categories: non-negative features.
    static var counts: [PipelineStep] {
        [.transformer(ColumnTransformer(remainder: .drop,
            .init(.numeric, SimpleImputer(strategy: .mean), MinMaxScaler()),
            .init(.names("cat"), OneHotEncoder())))]
    }

    static func learners() throws -> [String: [LearnerExample]] {
        let logistic = try training().dropping(["score"]), linear = try training().dropping(["label"])
        // Raw numeric columns with their nulls (NaN): the trees take missing values natively.
        let rawLabel = try logistic.selecting(["x", "y", "n", "label"]), rawScore = try linear.selecting(["x", "y", "n", "score"])
        let nativeClasses = try logistic.dropping(["day"]), nativeValues = try linear.dropping(["day"])
        return [
            DecisionTreeClassifier.Model.kind: [
                .make("DecisionTreeClassifier", DecisionTreeClassifier(maxDepth: 4), frame: logistic, target: "label",
                      codec: codec) { preprocessing },
                .make("DecisionTreeClassifier histogram, missing values, best-first", DecisionTreeClassifier(
                    criterion: .entropy, splitter: .histogram(maxBins: 16), maxLeafNodes: 6, classWeight: .balanced),
                      frame: rawLabel, target: "label", codec: codec),
                .make("DecisionTreeClassifier native categorical splits", DecisionTreeClassifier(maxDepth: 4, categoricalSplits: true),
                      frame: nativeClasses, target: "label", codec: codec),
            ],
            DecisionTreeRegressor.Model.kind: [
                .make("DecisionTreeRegressor", DecisionTreeRegressor(maxDepth: 4), frame: linear, target: "score",
                      codec: codec) { preprocessing },
                .make("DecisionTreeRegressor histogram, missing values", DecisionTreeRegressor(
                    splitter: .histogram(maxBins: 8), minSamplesLeaf: 3), frame: rawScore, target: "score", codec: codec),
                .make("DecisionTreeRegressor absolute error, native categorical splits", DecisionTreeRegressor(
                    criterion: .absoluteError, maxDepth: 4, categoricalSplits: true), frame: nativeValues, target: "score",
                      codec: codec),
            ],
            RandomForestClassifier.Model.kind: [
                .make("RandomForestClassifier", RandomForestClassifier(treeCount: 5, maxDepth: 4, oobScore: true),
                      frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("ExtraTreesClassifier, missing values", RandomForestClassifier(
                    treeCount: 4, splitter: .random, bootstrap: false, classWeight: .balanced),
                      frame: rawLabel, target: "label", codec: codec),
                .make("RandomForestClassifier native categorical splits", RandomForestClassifier(
                    treeCount: 4, maxDepth: 4, categoricalSplits: true), frame: nativeClasses, target: "label", codec: codec),
            ],
            RandomForestRegressor.Model.kind: [
                .make("RandomForestRegressor", RandomForestRegressor(treeCount: 5, maxDepth: 4, oobScore: true),
                      frame: linear, target: "score", codec: codec) { preprocessing },
                .make("RandomForestRegressor histogram, half samples, missing values", RandomForestRegressor(
                    treeCount: 4, splitter: .histogram(maxBins: 32), maxSamples: .fraction(0.5)),
                      frame: rawScore, target: "score", codec: codec),
                .make("RandomForestRegressor absolute error, histogram, native categorical splits", RandomForestRegressor(
                    treeCount: 4, criterion: .absoluteError, splitter: .histogram(maxBins: 16), categoricalSplits: true),
                      frame: nativeValues, target: "score", codec: codec),
            ],
            LogisticRegression.Model.kind: [
                .make("LogisticRegression", LogisticRegression(), frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("LogisticRegression balanced", LogisticRegression(c: 0.5, classWeight: .balanced), frame: logistic,
                      target: "label", codec: codec) { preprocessing },
                .make("LogisticRegression lbfgs", LogisticRegression(solver: .lbfgs), frame: logistic, target: "label",
                      codec: codec) { preprocessing },
                .make("LogisticRegression l1", LogisticRegression(c: 2, penalty: .l1, solver: .lbfgs), frame: logistic,
                      target: "label", codec: codec) { preprocessing },
                .make("LogisticRegression elastic net", LogisticRegression(c: 2, penalty: .elasticNet(l1Ratio: 0.5), solver: .lbfgs),
                      frame: logistic, target: "label", codec: codec) { preprocessing },
            ],
            HistGradientBoostingClassifier.Model.kind: [
                .make("HistGradientBoostingClassifier (NaN and category codes natively)",
                      HistGradientBoostingClassifier(maxIterations: 8, minSamplesLeaf: 5), frame: nativeClasses, target: "label",
                      codec: codec),
                .make("HistGradientBoostingClassifier balanced, depth 2", HistGradientBoostingClassifier(
                    maxIterations: 5, maxDepth: 2, minSamplesLeaf: 3, classWeight: .balanced), frame: logistic,
                      target: "label", codec: codec) { preprocessing },
            ],
            HistGradientBoostingRegressor.Model.kind: [
                .make("HistGradientBoostingRegressor (NaN and category codes natively)",
                      HistGradientBoostingRegressor(maxIterations: 8, minSamplesLeaf: 5), frame: nativeValues, target: "score",
                      codec: codec),
                .make("HistGradientBoostingRegressor absolute error", HistGradientBoostingRegressor(
                    loss: .absoluteError, maxIterations: 5, minSamplesLeaf: 4), frame: linear, target: "score",
                      codec: codec) { preprocessing },
            ],
            NeuralClassifier.Model.kind: [
                .make("NeuralClassifier binary logit", NeuralClassifier(training: TrainingOptions(epochs: 4, batchSize: 16)) {
                    Dense(8, activation: .relu)
                    Dense(1)
                }, frame: logistic, target: "label", codec: codec, outputTolerance: 1e-5) { preprocessing },
                .make("NeuralClassifier softmax, dropout, batch norm", NeuralClassifier(
                    training: TrainingOptions(epochs: 3, batchSize: 8, optimizer: .sgd(learningRate: 0.05, momentum: 0.9)),
                    classWeight: .balanced) {
                    Dense(8)
                    BatchNormalization()
                    ReLU()
                    Dropout(0.2)
                    Dense(2)
                }, frame: logistic, target: "label", codec: codec, outputTolerance: 1e-5) { preprocessing },
            ],
            NeuralRegressor.Model.kind: [
                .make("NeuralRegressor", NeuralRegressor(training: TrainingOptions(epochs: 4, batchSize: 16)) {
                    Dense(8, activation: .tanh)
                    Dense(1)
                }, frame: linear, target: "score", codec: codec, outputTolerance: 1e-5) { preprocessing },
            ],
            LinearRegression.Model.kind: [
                .make("LinearRegression", LinearRegression(), frame: linear, target: "score", codec: codec) { preprocessing },
                .make("Ridge", LinearRegression(alpha: 2), frame: linear, target: "score", codec: codec) { preprocessing },
            ],
            KNeighborsClassifier.Model.kind: [
                .make("KNeighborsClassifier", KNeighborsClassifier(), frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("KNeighborsClassifier distance manhattan", KNeighborsClassifier(neighbors: 3, weights: .distance, metric: .manhattan),
                      frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("KNeighborsClassifier cosine brute", KNeighborsClassifier(neighbors: 4, metric: .cosine), frame: logistic,
                      target: "label", codec: codec) { preprocessing },
            ],
            GaussianNaiveBayes.Model.kind: [
                .make("GaussianNaiveBayes", GaussianNaiveBayes(), frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("GaussianNaiveBayes priors", GaussianNaiveBayes(varianceSmoothing: 1e-3, priors: [0.3, 0.7]), frame: logistic,
                      target: "label", codec: codec) { preprocessing },
            ],
            DiscreteNaiveBayesModel.kind: [
                .make("MultinomialNaiveBayes", MultinomialNaiveBayes(), frame: logistic, target: "label", codec: codec) { counts },
                .make("ComplementNaiveBayes", ComplementNaiveBayes(alpha: 0.5, normalize: true), frame: logistic, target: "label",
                      codec: codec) { counts },
                .make("BernoulliNaiveBayes", BernoulliNaiveBayes(binarize: 0.1), frame: logistic, target: "label",
                      codec: codec) { preprocessing },
            ],
            KMeans.Model.kind: [
                .make("KMeans", KMeans(clusters: 3), frame: try training().dropping(["label", "score"]), target: nil,
                      codec: codec) { preprocessing },
                .make("MiniBatchKMeans", MiniBatchKMeans(clusters: 3, batchSize: 16, maxIterations: 5),
                      frame: try training().dropping(["label", "score"]), target: nil, codec: codec) { preprocessing },
                .make("KMeans 2 initialisations Elkan", KMeans(clusters: 4, initializations: 2, algorithm: .elkan), frame: try training().dropping(["label", "score"]),
                      target: nil, codec: codec) { preprocessing },
            ],
            GeneralizedLinearRegressor.Model.kind: [
                .make("PoissonRegressor", GeneralizedLinearRegressor.poisson(alpha: 0.1), frame: linear, target: "score",
                      codec: codec) { preprocessing },
                .make("TweedieRegressor 1.5", GeneralizedLinearRegressor.tweedie(power: 1.5, alpha: 0.5), frame: linear,
                      target: "score", codec: codec) { preprocessing },
            ],
            ElasticNet.Model.kind: [
                .make("ElasticNet", ElasticNet(alpha: 0.1), frame: linear, target: "score", codec: codec) { preprocessing },
                .make("Lasso", ElasticNet.lasso(alpha: 0.05), frame: linear, target: "score", codec: codec) { preprocessing },
                .make("LassoCV", ElasticNetCV.lasso(alphaCount: 10, folds: 3), frame: linear, target: "score", codec: codec) { preprocessing },
            ],
            LinearSVC.Model.kind: [
                .make("LinearSVC", LinearSVC(), frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("LinearSVC hinge balanced", LinearSVC(c: 0.5, loss: .hinge, classWeight: .balanced), frame: logistic,
                      target: "label", codec: codec) { preprocessing },
            ],
            CalibratedClassifier<LinearSVC>.Model.kind: [
                .make("CalibratedClassifier LinearSVC sigmoid", CalibratedClassifier(LinearSVC(), folds: 3), frame: logistic,
                      target: "label", codec: codec) { preprocessing },
            ],
            CalibratedClassifier<LogisticRegression>.Model.kind: [
                .make("CalibratedClassifier LogisticRegression isotonic", CalibratedClassifier(LogisticRegression(), method: .isotonic,
                      folds: 3), frame: logistic, target: "label", codec: codec) { preprocessing },
            ],
            CalibratedClassifier<GaussianNaiveBayes>.Model.kind: [
                .make("CalibratedClassifier GaussianNaiveBayes", CalibratedClassifier(GaussianNaiveBayes(), folds: 4, stratified: false),
                      frame: logistic, target: "label", codec: codec) { preprocessing },
            ],
            KNeighborsRegressor.Model.kind: [
                .make("KNeighborsRegressor", KNeighborsRegressor(), frame: linear, target: "score", codec: codec) { preprocessing },
                .make("KNeighborsRegressor distance brute", KNeighborsRegressor(neighbors: 3, weights: .distance, algorithm: .brute),
                      frame: linear, target: "score", codec: codec) { preprocessing },
            ],
            SVC.Model.kind: [
                .make("SVC rbf", SVC(), frame: logistic, target: "label", codec: codec) { preprocessing },
                .make("SVC poly balanced probability", SVC(kernel: .polynomial(degree: 2, coef0: 1), classWeight: .balanced,
                      probability: true), frame: logistic, target: "label", codec: codec) { preprocessing },
            ],
            SVR.Model.kind: [
                .make("SVR rbf", SVR(), frame: linear, target: "score", codec: codec) { preprocessing },
                .make("SVR linear", SVR(c: 0.5, epsilon: 0.05, kernel: .linear), frame: linear, target: "score",
                      codec: codec) { preprocessing },
            ],
            TunedThresholdClassifier<LogisticRegression>.Model.kind: [
                .make("TunedThresholdClassifier LogisticRegression cost", TunedThresholdClassifier(LogisticRegression(),
                      objective: .cost(falsePositive: 1, falseNegative: 4), folds: 3), frame: logistic, target: "label",
                      codec: codec) { preprocessing },
            ],
            DBSCAN.Model.kind: [
                .make("DBSCAN", DBSCAN(eps: 1.5, minSamples: 3), frame: try training().dropping(["label", "score"]), target: nil,
                      codec: codec) { preprocessing },
            ],
            TunedThresholdClassifier<SVC>.Model.kind: [
                .make("TunedThresholdClassifier SVC f1", TunedThresholdClassifier(SVC(), objective: .f1, folds: 3),
                      frame: logistic, target: "label", codec: codec) { preprocessing },
            ],
            LinearSVR.Model.kind: [
                .make("LinearSVR", LinearSVR(), frame: linear, target: "score", codec: codec) { preprocessing },
                .make("LinearSVR squared epsilon", LinearSVR(c: 0.5, epsilon: 0.05, loss: .squaredEpsilonInsensitive),
                      frame: linear, target: "score", codec: codec) { preprocessing },
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
