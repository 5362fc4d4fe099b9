import Foundation
import SluiceFrame
import SluicePipeline

extension ArtifactCodec {
    /// The model kinds SluiceLearn ships.
    public static let learnModelKinds: [any FittedModel.Type] = [
        LogisticRegression.Model.self, LinearRegression.Model.self,
        DecisionTreeClassifier.Model.self, DecisionTreeRegressor.Model.self,
        RandomForestClassifier.Model.self, RandomForestRegressor.Model.self,
        HistGradientBoostingClassifier.Model.self, HistGradientBoostingRegressor.Model.self,
        KNeighborsClassifier.Model.self, KNeighborsRegressor.Model.self,
        GaussianNaiveBayes.Model.self, DiscreteNaiveBayesModel.self, KMeans.Model.self, ElasticNet.Model.self,
        LinearSVC.Model.self, CalibratedClassifier<LinearSVC>.Model.self, CalibratedClassifier<LogisticRegression>.Model.self,
        CalibratedClassifier<GaussianNaiveBayes>.Model.self,
        GeneralizedLinearRegressor.Model.self,
        SVC.Model.self, SVR.Model.self,
        TunedThresholdClassifier<LogisticRegression>.Model.self, TunedThresholdClassifier<SVC>.Model.self,
        DBSCAN.Model.self,
        LinearSVR.Model.self,
    ]

    /// Every stage and model kind Sluice ships: the codec a job uses to load whatever model
    /// is deployed. Add your own kinds with ``ArtifactCodec/adding(stages:models:customStages:)``.
    public static let standard = ArtifactCodec.pipelineStages.adding(models: learnModelKinds)
}

extension Artifact {
    /// Loads the fitted pipeline at `url` with the ``ArtifactCodec/standard`` codec: any of
    /// Sluice's own stage and model kinds, without naming the model's type.
    public static func load(from url: URL, checking schema: Schema? = nil) throws -> FittedPipeline {
        try load(from: url, checking: schema, codec: .standard)
    }
}
