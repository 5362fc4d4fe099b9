import SluiceFrame

/// Routes columns to stages (scikit-learn's `ColumnTransformer`): each route applies its
/// stages, in order, to the columns its selector picks; the outputs are placed side by
/// side in route order, then the columns no route picked, which are dropped or passed
/// through by explicit choice.
///
/// A stage inside a route acts on **every column the route gives it** unless it is told
/// otherwise: `.init(.categorical, SimpleImputer(strategy: .mostFrequent), OneHotEncoder())`
/// imputes and encodes every string and bool column, although the imputer's natural default
/// outside a route is the numeric columns (see ``ColumnSelector/routeColumns(otherwise:)``).
/// A selector given to the stage (`columns: .names(…)`, `.numeric`, …) keeps its meaning, and
/// a column the stage cannot take (a string given to a scaler) is an error naming it.
public struct ColumnTransformer: Transformer {
    /// What happens to columns no route selects.
    public enum Remainder: String, Sendable, Codable {
        case drop, passthrough
    }

    /// One route: a selector and the stages applied to the columns it picks.
    public struct Route: Sendable {
        public var columns: ColumnSelector
        public var stages: [any Transformer]

        public init(_ columns: ColumnSelector, _ stages: any Transformer...) {
            self.columns = columns
            self.stages = stages
        }
    }

    public var routes: [Route]
    public var remainder: Remainder
    public var name: String { "ColumnTransformer" }

    public init(remainder: Remainder, _ routes: Route...) {
        self.routes = routes
        self.remainder = remainder
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        var fields = [Field](), used = Set<String>()
        for (i, r) in routes.enumerated() {
            let names = try r.columns.resolve(in: input, stage: name)
            used.formUnion(names)
            var schema = try ColumnValues.subschema(input, names, stage: name)
            try RouteScope.inRoute(i, r.columns) {
                for s in r.stages { schema = try s.outputSchema(for: schema) }
            }
            fields += schema.fields
        }
        if remainder == .passthrough { fields += input.fields.filter { !used.contains($0.name) } }
        return try framing(name) { () throws(FrameError) in try Schema(fields) }
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        try fitTransform(frame, context: &context).0
    }

    /// Fits each route's stages and keeps what they produced on the way: the training output
    /// is the routes' outputs side by side (then the passed-through columns), so the fit path
    /// never transforms the training rows a second time.
    public func fitTransform(_ frame: Frame, context: inout FitContext) throws -> (Fitted, Frame) {
        let (fitted, out, _) = try fitRoutes(frame, sparse: false, context: &context)
        return (fitted, out)
    }

    /// Fits the routes; with `sparse`, a route that ends in a stage giving sparse features
    /// (``SparseOutputStage/producesSparse``) gives them as a block instead of columns.
    private func fitRoutes(_ frame: Frame, sparse: Bool, context: inout FitContext) throws
        -> (Fitted, Frame, [SparseFeatureBlock]) {
        var fittedRoutes = [Fitted.FittedRoute](), used = Set<String>(), named: [(Field, Column)] = []
        var blocks = [SparseFeatureBlock]()
        for (i, r) in routes.enumerated() {
            let names = try r.columns.resolve(in: frame.schema, stage: name)
            used.formUnion(names)
            var part = try framing(name) { () throws(FrameError) in try frame.selecting(names) }
            var stages = [AnyFittedTransformer]()
            try RouteScope.inRoute(i, r.columns) {
                for (k, s) in r.stages.enumerated() {
                    if let t = s as? any SparseOutputStage, t.producesSparse {
                        guard k == r.stages.count - 1 else {
                            throw PipelineError.invalidConfiguration(stage: s.name,
                                reason: "gives sparse features, so it must be the last stage of its route")
                        }
                        if sparse {
                            let (f, rest, block) = try t.fitSparse(part, context: &context)
                            part = rest
                            stages.append(AnyFittedTransformer(f))
                            blocks.append(block)
                            continue
                        }
                    }
                    let (f, out) = try s.fitTransform(part, context: &context)
                    part = out
                    stages.append(AnyFittedTransformer(f))
                }
            }
            fittedRoutes.append(Fitted.FittedRoute(columns: names, stages: stages))
            named += zip(part.schema.fields, part.columns).map { ($0, $1) }
        }
        let passthrough = remainder == .passthrough ? frame.columnNames.filter { !used.contains($0) } : []
        for n in passthrough {
            let i = try framing(name) { () throws(FrameError) in try frame.schema.requireIndex(of: n) }
            named.append((frame.schema[i], frame.columns[i]))
        }
        let inputNames = frame.columnNames.filter { used.contains($0) || passthrough.contains($0) }
        var fitted = Fitted(routes: fittedRoutes, passthrough: passthrough,
                            inputSchema: try ColumnValues.subschema(frame.schema, inputNames, stage: name),
                            outputSchema: frame.schema)
        // The schema as scoring produces it (from no rows: cheap, and the same for any data).
        fitted.outputSchema = try fitted.transform(frame.head(0)).schema
        return (fitted, try Fitted.frame(named, rowsOf: frame), blocks)
    }

    /// Fitted state: each route's columns and fitted stages, and the passed-through columns.
    public struct Fitted: FittedTransformer {
        public static let kind = "ColumnTransformer"

        public struct FittedRoute: Sendable, Codable {
            public var columns: [String]
            public var stages: [AnyFittedTransformer]
        }

        public var routes: [FittedRoute]
        public var passthrough: [String]
        public var inputSchema: Schema
        public var outputSchema: Schema

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            var named: [(Field, Column)] = []
            for r in routes {
                var part = try framing(Self.kind) { () throws(FrameError) in try frame.selecting(r.columns) }
                for s in r.stages { part = try s.base.transform(part, report: &report) }
                named += zip(part.schema.fields, part.columns).map { ($0, $1) }
            }
            for n in passthrough {
                let i = try framing(Self.kind) { () throws(FrameError) in try frame.schema.requireIndex(of: n) }
                named.append((frame.schema[i], frame.columns[i]))
            }
            return try ColumnValues.frame(named, stage: Self.kind)
        }

        /// The routes' columns side by side; no columns but `source`'s rows when every route
        /// gave a block.
        static func frame(_ named: [(Field, Column)], rowsOf source: Frame) throws -> Frame {
            if !named.isEmpty { return try ColumnValues.frame(named, stage: kind) }
            return try framing(kind) { () throws(FrameError) in try source.selecting([]) }
        }
    }
}

extension ColumnTransformer: SparseOutputStage {
    /// Whether a route ends in a stage that gives sparse features: inside a pipeline, those
    /// routes' features then leave the frame as CSR (after the columns of the other routes),
    /// for a learner that takes them (``SparseInputLearner``).
    public var producesSparse: Bool {
        routes.contains { r in (r.stages.last as? any SparseOutputStage)?.producesSparse == true }
    }

    public func fitSparse(_ frame: Frame, context: inout FitContext) throws
        -> (fitted: any SparseFeatureTransformer, frame: Frame, block: SparseFeatureBlock) {
        let (fitted, out, blocks) = try fitRoutes(frame, sparse: true, context: &context)
        return (fitted, out, try SparseFeatures.merged(blocks))
    }
}

extension ColumnTransformer.Fitted: SparseFeatureTransformer {
    private func sparseStage(_ r: FittedRoute) -> (any SparseFeatureTransformer)? {
        guard let t = r.stages.last?.base as? any SparseFeatureTransformer, t.producesSparse else { return nil }
        return t
    }

    public var producesSparse: Bool { routes.contains { sparseStage($0) != nil } }
    public var sparseOutputNames: [String] { routes.compactMap(sparseStage).flatMap(\.sparseOutputNames) }

    /// The output without the sparse routes' features (the other routes' columns keep their
    /// names, which may be those of input columns).
    public var sparseRemainderSchema: Schema {
        get throws {
            let gone = Set(sparseOutputNames)
            return try framing(Self.kind) { () throws(FrameError) in try Schema(outputSchema.fields.filter { !gone.contains($0.name) }) }
        }
    }

    /// The routes' output: the columns of routes without sparse features (then the
    /// passed-through ones) as a frame, and the sparse routes' features as one block.
    public func sparseTransform(_ frame: Frame, report: inout TransformReport) throws -> (frame: Frame, block: SparseFeatureBlock) {
        try inputSchema.check(frame, stage: Self.kind)
        var named: [(Field, Column)] = [], blocks = [SparseFeatureBlock]()
        for r in routes {
            var part = try framing(Self.kind) { () throws(FrameError) in try frame.selecting(r.columns) }
            let last = sparseStage(r)
            for s in r.stages.dropLast(last == nil ? 0 : 1) { part = try s.base.transform(part, report: &report) }
            if let last {
                let (rest, block) = try last.sparseTransform(part, report: &report)
                part = rest
                blocks.append(block)
            }
            named += zip(part.schema.fields, part.columns).map { ($0, $1) }
        }
        for n in passthrough {
            let i = try framing(Self.kind) { () throws(FrameError) in try frame.schema.requireIndex(of: n) }
            named.append((frame.schema[i], frame.columns[i]))
        }
        return (try Self.frame(named, rowsOf: frame), try SparseFeatures.merged(blocks))
    }
}

extension ColumnTransformer.Fitted {
    /// Routes and passed-through columns are distinct columns of the input schema, and each
    /// route's stages read only what the route gives them (the stages validated themselves
    /// as they decoded).
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.columns(routes.flatMap(\.columns) + passthrough, in: inputSchema, field: "routes")
        for (r, route) in routes.enumerated() {
            var available = try ColumnValues.subschema(inputSchema, route.columns, stage: Self.kind)
            for (s, stage) in route.stages.enumerated() {
                for f in stage.base.inputSchema.fields {
                    try check.require(available[f.name]?.type == f.type, "routes[\(r)].stages[\(s)]",
                                      "reads '\(f.name)' (\(f.type.rawValue)), which the route does not give it")
                }
                available = stage.base.outputSchema
            }
        }
    }
}
