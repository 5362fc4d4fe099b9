import SluiceFrame
import SluicePipeline

/// Example configurations of every stage kind and sampler SluicePipeline ships (learners,
/// and stages that need one such as `SelectFromModel`, come from the module that defines
/// them: see ``ExampleTable/merging(_:)``).
public enum PipelineExamples {
    /// The closure stage the table uses; a codec must list it to decode its artifacts.
    public static let customStage = CustomStage("conformance_x_doubled", output: { input in
        try Schema(input.fields + [Field("x_doubled", .double)])
    }) { frame in
        try frame.setting("x_doubled", to: .double(try frame.doubles("x").map { $0 * 2 }),
                          nullable: true)
    }

    /// ``ConformanceData/frame(rows:seed:)`` with its numeric columns mean-imputed, for
    /// stages that refuse missing values.
    public static func complete(rows: Int = 60) throws -> Frame {
        let frame = try ConformanceData.frame(rows: rows)
        var context = FitContext(seed: 0)
        return try SimpleImputer(strategy: .mean).fit(frame, context: &context).transform(frame)
    }

    /// The numeric, complete columns only (`x`, `y`, `n`), for SMOTE.
    public static func numeric(rows: Int = 60) throws -> Frame {
        try complete(rows: rows).selecting(["x", "y", "n"])
    }

    /// Stage examples by kind, decoded through `codec` plus ``customStage``.
    public static func table(codec: ArtifactCodec) throws -> ExampleTable {
        let codec = codec.adding(customStages: [customStage])
        let frame = try ConformanceData.frame(), complete = try complete()
        func s(_ label: String, _ stage: any Transformer, on data: Frame? = nil, upperBound: Bool = false) -> StageExample {
            StageExample(label, stage, frame: data ?? frame, plannedIsUpperBound: upperBound, codec: codec)
        }
        let examples: [(String, [StageExample])] = [
            (StandardScaler.Fitted.kind, [s("StandardScaler", StandardScaler())]),
            (SimpleImputer.Fitted.kind, [
                s("SimpleImputer mean", SimpleImputer(strategy: .mean, addIndicator: true)),
                s("SimpleImputer most frequent strings", SimpleImputer(columns: .names("cat"), strategy: .mostFrequent)),
            ]),
            (OneHotEncoder.Fitted.kind, [
                s("OneHotEncoder", OneHotEncoder(columns: .names("cat", "flag", "n"))),
                s("OneHotEncoder drop first, infrequent", OneHotEncoder(columns: .names("cat"), minFrequency: 12, dropFirst: true)),
            ]),
            (ColumnTransformer.Fitted.kind, [s("ColumnTransformer", ColumnTransformer(remainder: .passthrough,
                .init(.names("x", "y"), SimpleImputer(strategy: .median), StandardScaler()),
                .init(.names("cat"), OneHotEncoder())))]),
            (MinMaxScaler.Fitted.kind, [s("MinMaxScaler", MinMaxScaler()), s("MinMaxScaler clipped", MinMaxScaler(clip: true))]),
            (MaxAbsScaler.Fitted.kind, [s("MaxAbsScaler", MaxAbsScaler())]),
            (RobustScaler.Fitted.kind, [s("RobustScaler", RobustScaler())]),
            (PowerTransformer.Fitted.kind, [s("PowerTransformer", PowerTransformer(columns: .names("x", "y")))]),
            (QuantileTransformer.Fitted.kind, [s("QuantileTransformer", QuantileTransformer(columns: .names("x", "y"), quantiles: 20))]),
            (OutlierClipper.Fitted.kind, [s("OutlierClipper", OutlierClipper())]),
            (PolynomialFeatures.Fitted.kind, [s("PolynomialFeatures", PolynomialFeatures(columns: .names("x", "y")))]),
            (KBinsDiscretizer.Fitted.kind, [s("KBinsDiscretizer", KBinsDiscretizer(columns: .names("x", "y"), bins: 4))]),
            (Log1pTransform.Fitted.kind, [s("Log1pTransform", Log1pTransform(columns: .names("y")))]),
            (PowerFeature.Fitted.kind, [s("PowerFeature", PowerFeature(columns: .names("y"), exponent: 0.5))]),
            (DateParts.Fitted.kind, [s("DateParts", DateParts())]),
            (ColumnRatio.Fitted.kind, [s("ColumnRatio", ColumnRatio("x", "y"))]),
            (ColumnDifference.Fitted.kind, [s("ColumnDifference", ColumnDifference("x", "y"))]),
            (CustomStage.Fitted.kind, [s("CustomStage", customStage)]),
            (OrdinalEncoder.Fitted.kind, [s("OrdinalEncoder", OrdinalEncoder(columns: .names("cat")))]),
            (TargetEncoder.Fitted.kind, [s("TargetEncoder", TargetEncoder(columns: .names("cat")))]),
            (FeatureHasher.Fitted.kind, [s("FeatureHasher", FeatureHasher(columns: .names("cat"), features: 8))]),
            (CountVectorizer.Fitted.kind, [s("CountVectorizer", CountVectorizer(columns: .names("text")))]),
            (TfidfVectorizer.Fitted.kind, [s("TfidfVectorizer", TfidfVectorizer(columns: .names("text"))),
                                           s("TfidfVectorizer sparse", TfidfVectorizer(columns: .names("text"), sparse: true))]),
            (HashingVectorizer.Fitted.kind, [s("HashingVectorizer", HashingVectorizer(columns: .names("text"), features: 16))]),
            (VarianceThreshold.Fitted.kind, [s("VarianceThreshold", VarianceThreshold(columns: .names("x", "y", "n")),
                                               upperBound: true)]),
            (SelectKBest.Fitted.kind, [s("SelectKBest", SelectKBest(columns: .names("x", "y", "n"), k: 2), on: complete,
                                         upperBound: true)]),
            (KNNImputer.Fitted.kind, [s("KNNImputer", KNNImputer(columns: .names("x", "y", "n"), neighbors: 3))]),
            (KMeansFeatures.Fitted.kind, [
                s("KMeansFeatures", KMeansFeatures(columns: .names("x", "y", "n"), clusters: 3), on: complete),
                s("KMeansFeatures clusters only", KMeansFeatures(columns: .names("x", "y"), clusters: 2, initializations: 2,
                                                                  distances: false, prefix: "segment"), on: complete),
            ]),
            (PCA.Fitted.kind, [
                s("PCA", PCA(columns: .names("x", "y", "n"), components: 2), on: complete),
                s("PCA whitened full", PCA(columns: .names("x", "y", "n"), whiten: true, solver: .full), on: complete),
                s("PCA randomized", PCA(columns: .names("x", "y", "n"), components: 1, solver: .randomized), on: complete),
            ]),
            (TruncatedSVD.Fitted.kind, [
                s("TruncatedSVD", TruncatedSVD(columns: .names("x", "y", "n"), components: 2), on: complete),
            ]),
        ]
        return ExampleTable(stages: Dictionary(examples, uniquingKeysWith: +), samplers: try samplers())
    }

    /// Every sampler SluicePipeline ships, on data it accepts.
    public static func samplers() throws -> [SamplerExample] {
        let target = ConformanceData.target(), numeric = try numeric()
        let mixed = try complete().selecting(["x", "y", "n", "cat", "flag"])
        return [
            SamplerExample("RandomOverSampler", RandomOverSampler(), frame: try ConformanceData.frame(), target: target),
            SamplerExample("RandomUnderSampler", RandomUnderSampler(), frame: try ConformanceData.frame(), target: target),
            SamplerExample("SMOTE", SMOTE(kNeighbors: 3), frame: numeric, target: target),
            SamplerExample("SMOTENC", SMOTENC(kNeighbors: 3), frame: mixed, target: target),
            SamplerExample("OutlierRemover", OutlierRemover(columns: .names("x", "y")), frame: try ConformanceData.frame(),
                           target: target),
        ]
    }
}
