/// The fitted stage kinds of the core stages (imputation, standard scaling, one-hot, routing).
let coreStageKinds: [any FittedTransformer.Type] = [
    StandardScaler.Fitted.self, SimpleImputer.Fitted.self, OneHotEncoder.Fitted.self, ColumnTransformer.Fitted.self,
]
