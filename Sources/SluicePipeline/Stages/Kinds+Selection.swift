/// The fitted stage kinds of the selection stages; artifacts can name these.
let selectionStageKinds: [any FittedTransformer.Type] = []
