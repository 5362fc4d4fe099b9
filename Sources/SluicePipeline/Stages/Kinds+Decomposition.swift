/// The fitted stage kinds of the decomposition and clustering stages; artifacts can name these.
let decompositionStageKinds: [any FittedTransformer.Type] = [
    PCA.Fitted.self, KMeansFeatures.Fitted.self,
    TruncatedSVD.Fitted.self,
]
