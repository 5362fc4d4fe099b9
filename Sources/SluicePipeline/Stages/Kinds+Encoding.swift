/// The fitted stage kinds of the encoding stages (ordinal, target, hashing, text); artifacts can name these.
let encodingStageKinds: [any FittedTransformer.Type] = [
    OrdinalEncoder.Fitted.self, TargetEncoder.Fitted.self, FeatureHasher.Fitted.self,
    CountVectorizer.Fitted.self, TfidfVectorizer.Fitted.self, HashingVectorizer.Fitted.self,
]
