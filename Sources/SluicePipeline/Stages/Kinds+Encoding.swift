/// The fitted stage kinds of the encoding stages; artifacts can name these.
let encodingStageKinds: [any FittedTransformer.Type] = []
