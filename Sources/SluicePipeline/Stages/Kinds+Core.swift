/// The fitted stage kinds of the core stages (imputation, standard scaling, one-hot, routing).
let coreStageKinds: [any FittedTransformer.Type] = [
    StandardScaler.Fitted.self, SimpleImputer.Fitted.self, OneHotEncoder.Fitted.self, ColumnTransformer.Fitted.self,
]

/// Every fitted stage kind SluicePipeline ships; each area of stages lists its own kinds.
let builtInStageKinds: [any FittedTransformer.Type] = coreStageKinds + transformStageKinds + encodingStageKinds
    + selectionStageKinds + decompositionStageKinds
