import SluiceFrame

extension FittedPipeline {
    /// Checks that the parts agree: the encoding's features, the model's feature count, the
    /// classes the model predicts and the target's, the stages' schemas chained from the
    /// input to the features (``validateStages()``). Run on every load.
    func validate() throws {
        try features.validate()
        guard model.base.featureCount == features.allNames.count else {
            throw PipelineError.invalidValue(stage: "model", column: "featureCount",
                reason: "\(model.base.featureCount) features, the pipeline makes \(features.allNames.count)")
        }
        let kind: TargetKind? = model.base is any ClassificationModel ? .classes : model.base is any RegressionModel ? .values : nil
        if let kind, kind != target?.kind {
            throw PipelineError.invalidValue(stage: "model", column: "kind",
                reason: "a '\(model.kind)' model predicts \(kind.rawValue), the target is \(target?.kind.rawValue ?? "none")")
        }
        if let m = model.base as? any ClassificationModel {
            guard let classes = target?.classes, classes == m.classes else {
                throw PipelineError.invalidValue(stage: "model", column: "classes",
                    reason: "the model's classes \(m.classes) are not the target's \(target?.classes ?? [])")
            }
        }
        try validateStages()
    }
}

extension FittedPipeline {
    /// Checks that the decoded stages fit together: each stage reads only columns (of the
    /// same types) that the input or the stage before it makes; the last stage makes exactly
    /// the model's features; a 0-row frame of the input schema goes through every stage and
    /// the model (so no part is left that only data could trip over). Skipped for the dry run
    /// when a closure stage (``CustomStage``) is present: its body is the user's code.
    func validateStages() throws {
        var available = inputSchema
        var sparse = [String]()
        for (i, s) in stages.enumerated() {
            let kind = type(of: s.base).kind
            if let c = s.base as? any SparseFeatureConsumer, let consumed = c.consumedSparseNames {
                guard consumed == sparse else {
                    throw PipelineError.invalidValue(stage: "stages[\(i)] \(kind)", column: "consumedSparseNames",
                        reason: "reads \(consumed.count) sparse features, the stages before it make \(sparse.count)")
                }
                sparse = []
            }
            for f in s.base.inputSchema.fields where available[f.name]?.type != f.type {
                throw PipelineError.invalidValue(stage: "stages[\(i)] \(kind)", column: f.name,
                    reason: "reads a \(f.type.rawValue) column that " + (i == 0 ? "the pipeline's input schema" : "the stage before it")
                        + " does not make")
            }
            available = s.base.outputSchema
            if let t = s.base as? any SparseFeatureTransformer, t.producesSparse {
                // Its features leave the frame as CSR.
                available = try t.sparseRemainderSchema
                sparse += t.sparseOutputNames
            }
        }
        guard sparse == (features.sparseNames ?? []) else {
            throw PipelineError.invalidValue(stage: "features", column: "sparseNames",
                reason: "the sparse stages make \(sparse.count) features, the model reads \(features.sparseNames?.count ?? 0)")
        }
        guard available.names == features.names else {
            throw PipelineError.invalidValue(stage: "features", column: "names",
                reason: "the last stage makes \(available.count) columns, the model reads \(features.names.count) feature names")
        }
        guard !stages.contains(where: { Self.holdsCustomStage($0.base) }) else { return }
        var report = TransformReport()
        let empty = try framing("pipeline") { () throws(FrameError) in try Frame.empty(inputSchema) }
        _ = try output(empty, report: &report)
    }

    /// Whether `stage` is, or routes through, a closure stage.
    static func holdsCustomStage(_ stage: any FittedTransformer) -> Bool {
        if stage is CustomStage.Fitted { return true }
        if let c = stage as? ColumnTransformer.Fitted {
            return c.routes.contains { $0.stages.contains { holdsCustomStage($0.base) } }
        }
        return false
    }
}
