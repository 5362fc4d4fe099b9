/// The fitted stage kinds of the selection stages (and the k-NN imputer); artifacts can name these.
let selectionStageKinds: [any FittedTransformer.Type] = [
    VarianceThreshold.Fitted.self, SelectKBest.Fitted.self, SelectFromModelFitted.self, KNNImputer.Fitted.self,
]
