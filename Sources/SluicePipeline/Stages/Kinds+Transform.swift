/// The fitted stage kinds of the transform stages; artifacts can name these.
let transformStageKinds: [any FittedTransformer.Type] = []
