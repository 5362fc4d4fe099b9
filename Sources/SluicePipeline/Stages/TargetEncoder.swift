import SluiceCompute
import SluiceFrame

/// Target encoding with cross fitting, as scikit-learn's `TargetEncoder` (1.3+): each
/// category of a categorical (`string`, `bool`, `int64`) column is replaced by a shrunk
/// estimate of the target's mean among the rows of that category.
///
/// **Encoding.** With ``Smoothing/auto`` the shrinkage is scikit-learn's empirical Bayes
/// estimate: a category with `n` rows, target mean `m` and within-category sum of squared
/// deviations `s` encodes as `λ·m + (1−λ)·μ`, where `μ` and `σ²` are the target's overall
/// mean and (population) variance and `λ = σ²n / (σ²n + s/n)`. With ``Smoothing/fixed(_:)``
/// it is `(Σy + a·μ) / (n + a)`. A null is a category of its own (sorted last).
///
/// **Targets.** A binary target is encoded as 0/1 (the second of the two sorted classes
/// is 1) and the encoding replaces the column in place, as does a continuous target. A
/// ``TargetKind/multiclass`` target encodes each column once per class (one-vs-rest), into
/// `double` columns named `column=class` in class order. ``TargetKind/auto`` picks binary
/// for a target with exactly two distinct values and continuous for any other numeric
/// target (scikit-learn would call an integer target with more values multiclass); a text
/// target with more than two classes must ask for ``TargetKind/multiclass`` explicitly,
/// so that the output schema is known before any data is read.
///
/// **Cross fitting, and how it fits the stage protocol.** The training rows must not be
/// encoded with statistics that include their own target, or a downstream model learns
/// the leak. So ``fitTransform(_:context:)`` (what ``Pipeline`` and ``ColumnTransformer``
/// call) splits the training rows into ``folds`` folds — stratified by class for a
/// binary or multiclass target, plain K-fold for a continuous one, both laid out exactly
/// as scikit-learn's `StratifiedKFold` / `KFold`, shuffled (when ``shuffle``) by the
/// pipeline's seeded generator — and encodes each fold with statistics from the other
/// folds. The fitted value keeps only the encodings learnt on **all** training rows, which
/// ``Fitted/transform(_:report:)`` applies to any later frame. The out-of-fold training
/// encodings exist only on the fit path: they are never stored, so an artifact holds no
/// training data, and scoring the training table later gives the full-data encoding
/// (scikit-learn's `fit_transform` versus `transform`). Calling ``fit(_:context:)`` alone
/// (scikit-learn's `fit`) does not cross-fit and draws nothing from the generator.
///
/// **Unknown categories** at transform time (and nulls when none were seen at fit) encode
/// as the overall target mean (of their class, for multiclass) and are counted in the
/// ``TransformReport``.
public struct TargetEncoder: Transformer {
    /// What the target is.
    public enum TargetKind: String, Sendable, Codable, Equatable {
        /// Binary if the target has two distinct values, else continuous if numeric.
        case auto
        case binary, continuous, multiclass
    }

    /// How strongly a category's mean is pulled toward the overall mean.
    public enum Smoothing: Sendable, Codable, Equatable {
        /// scikit-learn's `smooth="auto"`: an empirical Bayes estimate per category.
        case auto
        /// A fixed prior weight `a ≥ 0` (in rows).
        case fixed(Double)
    }

    public var columns: ColumnSelector
    public var targetKind: TargetKind
    public var smoothing: Smoothing
    /// Folds of the cross fitting on the training rows (at least 2).
    public var folds: Int
    /// Whether rows are shuffled (by the seeded generator) before being cut into folds.
    public var shuffle: Bool
    public var name: String { "TargetEncoder" }

    public init(columns: ColumnSelector = .routeColumns(otherwise: .categorical), targetKind: TargetKind = .auto,
                smoothing: Smoothing = .auto, folds: Int = 5, shuffle: Bool = true) {
        self.columns = columns
        self.targetKind = targetKind
        self.smoothing = smoothing
        self.folds = folds
        self.shuffle = shuffle
    }

    /// Binary and continuous targets replace each column by a `double` column of the same
    /// name; multiclass gives one column per class, a placeholder `column=…` before fitting.
    public func outputSchema(for input: Schema) throws -> Schema {
        let names = Set(try Categories.columns(columns, in: input, stage: name))
        let fields = input.fields.map { f -> Field in
            guard names.contains(f.name) else { return f }
            return targetKind == .multiclass ? Field.expansion(of: f.name) : Field(f.name, .double, nullable: false)
        }
        return try framing(name) { () throws(FrameError) in try Schema(fields) }
    }

    public func fit(_ frame: Frame, context: inout FitContext) throws -> Fitted {
        try prepare(frame, context: context).fitted
    }

    /// Fits on all rows, and encodes the training rows out of fold (see the type's notes).
    public func fitTransform(_ frame: Frame, context: inout FitContext) throws -> (Fitted, Frame) {
        let p = try prepare(frame, context: context)
        let n = frame.rowCount
        guard folds >= 2 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "folds must be at least 2, not \(folds)")
        }
        guard n >= folds else {
            throw PipelineError.invalidValue(stage: name, column: "target",
                                             reason: "\(n) rows cannot be cut into \(folds) folds")
        }
        var rng: SeededGenerator? = shuffle ? context.rng : nil
        let foldOf = p.fitted.targetKind == .continuous
            ? Self.kFold(rows: n, folds: folds, rng: &rng)
            : Self.stratifiedKFold(p.strata, classes: p.fitted.targetMeans.count == 1 ? 2 : p.fitted.targetMeans.count,
                                   folds: folds, rng: &rng)
        if let r = rng { context.rng = r }
        let outputs = p.y.count
        // encoded[column][output][row]
        var encoded = p.codes.map { _ in [[Double]](repeating: [Double](repeating: 0, count: n), count: outputs) }
        for f in 0..<folds {
            let train = (0..<n).filter { foldOf[$0] != f }, test = (0..<n).filter { foldOf[$0] == f }
            for o in 0..<outputs {
                let (mean, variance) = Self.moments(p.y[o], rows: train)
                for (j, codes) in p.codes.enumerated() {
                    let e = Self.encodings(codes: codes, rows: train, y: p.y[o], count: p.categoryCounts[j],
                                           smoothing: smoothing, mean: mean, variance: variance)
                    for i in test { encoded[j][o][i] = e[Int(codes[i])] }
                }
            }
        }
        let out = try p.fitted.assemble(frame, encoded)
        return (p.fitted, out)
    }

    /// The categories, row codes and target of a training frame, and the full-data fit.
    struct Prepared {
        var fitted: Fitted
        /// Per column, each row's index into its categories (the null category last).
        var codes: [[Int32]]
        var categoryCounts: [Int]
        /// Per output (one, or one per class), the target as numbers.
        var y: [[Double]]
        /// Class codes in order of first appearance (scikit-learn's fold layout), or empty.
        var strata: [Int]
    }

    func prepare(_ frame: Frame, context: FitContext) throws -> Prepared {
        if case .fixed(let a) = smoothing, !(a >= 0 && a.isFinite) {
            throw PipelineError.invalidConfiguration(stage: name, reason: "smoothing must be finite and ≥ 0, not \(a)")
        }
        let names = try Categories.columns(columns, in: frame.schema, stage: name)
        guard let target = context.target else { throw PipelineError.targetRequired(stage: name) }
        guard target.count == frame.rowCount else {
            throw PipelineError.invalidValue(stage: name, column: "target",
                                             reason: "has \(target.count) rows, the frame \(frame.rowCount)")
        }
        let (kind, classes, y, strata) = try resolveTarget(target)
        var encodings = [Fitted.Encoding](), codes = [[Int32]](), counts = [Int]()
        let n = frame.rowCount, all = Array(0..<n)
        let moments = y.map { Self.moments($0, rows: all) }
        for col in names {
            let c = try framing(name) { () throws(FrameError) in try frame.column(col) }
            let (categories, raw) = Categories.fit(c)
            let hasNull = raw.contains(Categories.null)
            let k = categories.count + (hasNull ? 1 : 0)
            let rowCodes = raw.map { $0 == Categories.null ? Int32(categories.count) : $0 }
            let values = y.indices.map { o in
                Self.encodings(codes: rowCodes, rows: all, y: y[o], count: k, smoothing: smoothing,
                               mean: moments[o].mean, variance: moments[o].variance)
            }
            encodings.append(Fitted.Encoding(column: col, categories: categories, hasNull: hasNull, values: values))
            codes.append(rowCodes)
            counts.append(k)
        }
        var fitted = Fitted(targetKind: kind, classes: classes, targetMeans: moments.map(\.mean), encodings: encodings,
                            inputSchema: try ColumnValues.subschema(frame.schema, names, stage: name),
                            outputSchema: frame.schema)
        fitted.outputSchema = try fitted.schema(for: frame.schema)
        return Prepared(fitted: fitted, codes: codes, categoryCounts: counts, y: y, strata: strata)
    }

    /// The resolved kind, the classes (binary, multiclass), the target as numbers per
    /// output, and class codes in order of first appearance (for the folds).
    func resolveTarget(_ t: Column) throws -> (TargetKind, [String]?, [[Double]], [Int]) {
        func labels() throws -> ClassLabels { try ClassLabels(column: t, name: "target") }
        func firstAppearance(_ l: ClassLabels) -> [Int] {
            var order = [Int](repeating: -1, count: l.classes.count), next = 0
            return l.codes.map { c in
                if order[c] < 0 { order[c] = next; next += 1 }
                return order[c]
            }
        }
        var kind = targetKind
        if kind == .auto {
            if t.type == .string || t.type == .bool {
                let l = try labels()
                guard l.classes.count == 2 else {
                    throw PipelineError.invalidConfiguration(stage: name, reason:
                        "the target has \(l.classes.count) classes; use targetKind: .multiclass to encode one column per class")
                }
                kind = .binary
            } else {
                let v = ColumnValues.doubles(t)
                kind = Set(v.filter { !$0.isNaN }).count == 2 && t.nullCount == 0 ? .binary : .continuous
            }
        }
        switch kind {
        case .continuous:
            guard t.type.isNumeric else {
                throw PipelineError.unsupportedType(stage: name, column: "target", type: t.type, expected: "a numeric target")
            }
            let v = ColumnValues.doubles(t)
            if let i = v.firstIndex(where: { !$0.isFinite }) {
                throw PipelineError.invalidValue(stage: name, column: "target", reason: "missing or non-finite at row \(i)")
            }
            return (.continuous, nil, [v], [])
        case .binary:
            let l = try labels()
            guard l.classes.count == 2 else {
                throw PipelineError.invalidValue(stage: name, column: "target",
                                                 reason: "a binary target needs 2 classes, found \(l.classes.count)")
            }
            return (.binary, l.classes, [l.codes.map { Double($0) }], firstAppearance(l))
        case .multiclass, .auto:
            let l = try labels()
            guard l.classes.count >= 3 else {
                throw PipelineError.invalidValue(stage: name, column: "target",
                                                 reason: "a multiclass target needs 3 or more classes, found \(l.classes.count)")
            }
            let y = l.classes.indices.map { k in l.codes.map { $0 == k ? 1.0 : 0.0 } }
            return (.multiclass, l.classes, y, firstAppearance(l))
        }
    }

    /// The mean and population variance of `y` over `rows`.
    static func moments(_ y: [Double], rows: [Int]) -> (mean: Double, variance: Double) {
        guard !rows.isEmpty else { return (0, 0) }
        var sum = 0.0
        for i in rows { sum += y[i] }
        let mean = sum / Double(rows.count)
        var ss = 0.0
        for i in rows { ss += (y[i] - mean) * (y[i] - mean) }
        return (mean, ss / Double(rows.count))
    }

    /// The encoding of each of `count` categories from the target over `rows`, as
    /// scikit-learn's `_fit_encoding_fast(_auto_smooth)`, in the same order of operations.
    static func encodings(codes: [Int32], rows: [Int], y: [Double], count k: Int, smoothing: Smoothing,
                          mean: Double, variance: Double) -> [Double] {
        switch smoothing {
        case .fixed(let a):
            var sums = [Double](repeating: a * mean, count: k), counts = [Double](repeating: a, count: k)
            for i in rows {
                let c = Int(codes[i])
                sums[c] += y[i]
                counts[c] += 1
            }
            return (0..<k).map { counts[$0] == 0 ? mean : sums[$0] / counts[$0] }
        case .auto:
            var means = [Double](repeating: 0, count: k), counts = [Int](repeating: 0, count: k)
            for i in rows {
                let c = Int(codes[i])
                counts[c] += 1
                means[c] += y[i]
            }
            for c in 0..<k { means[c] /= Double(counts[c]) }
            var ssd = [Double](repeating: 0, count: k)
            for i in rows {
                let c = Int(codes[i]), d = y[i] - means[c]
                ssd[c] += d * d
            }
            return (0..<k).map { c in
                let n = Double(counts[c])
                let lambda = variance * n / (variance * n + ssd[c] / n)
                return lambda.isNaN ? mean : lambda * means[c] + (1 - lambda) * mean
            }
        }
    }

    /// scikit-learn's `KFold`: rows (shuffled if `rng`) cut into consecutive folds, the
    /// first `n mod k` one larger. Returns each row's fold.
    static func kFold(rows n: Int, folds k: Int, rng: inout SeededGenerator?) -> [Int] {
        var order = Array(0..<n)
        if rng != nil { rng!.shuffle(&order) }
        var foldOf = [Int](repeating: 0, count: n), start = 0
        for f in 0..<k {
            let size = n / k + (f < n % k ? 1 : 0)
            for p in start..<(start + size) { foldOf[order[p]] = f }
            start += size
        }
        return foldOf
    }

    /// scikit-learn's `StratifiedKFold` layout: the class codes (in order of first
    /// appearance) sorted and dealt round robin decide how many rows of each class each
    /// fold gets; each class's rows, in row order, take their folds in ascending order
    /// (shuffled per class if `rng`). Returns each row's fold.
    static func stratifiedKFold(_ strata: [Int], classes: Int, folds k: Int, rng: inout SeededGenerator?) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for s in strata { counts[s] += 1 }
        var allocation = [[Int]](repeating: [Int](repeating: 0, count: k), count: classes)
        var position = 0
        for c in 0..<classes {
            for _ in 0..<counts[c] {
                allocation[c][position % k] += 1
                position += 1
            }
        }
        var foldsForClass = (0..<classes).map { c in (0..<k).flatMap { f in [Int](repeating: f, count: allocation[c][f]) } }
        if rng != nil { for c in 0..<classes { rng!.shuffle(&foldsForClass[c]) } }
        var next = [Int](repeating: 0, count: classes)
        return strata.map { c in
            defer { next[c] += 1 }
            return foldsForClass[c][next[c]]
        }
    }

    /// Fitted state: each column's categories and their encodings learnt on all training rows.
    public struct Fitted: FittedTransformer, Equatable {
        public static let kind = "TargetEncoder"

        public struct Encoding: Sendable, Codable, Equatable {
            public var column: String
            /// The sorted non-null categories seen at fit.
            public var categories: [String]
            /// Whether nulls were seen at fit (their encoding follows the categories').
            public var hasNull: Bool
            /// Per output (one, or one per class): the encoding of each category, then of null.
            public var values: [[Double]]
        }

        /// The target kind fitted on (never ``TargetKind/auto``).
        public var targetKind: TargetKind
        /// The classes of a binary or multiclass target (the encoded class is the second, for binary).
        public var classes: [String]?
        /// The overall target mean per output: the encoding of unknown categories.
        public var targetMeans: [Double]
        public var encodings: [Encoding]
        public var inputSchema: Schema
        public var outputSchema: Schema

        func outputNames(_ column: String) -> [String] {
            targetKind == .multiclass ? (classes ?? []).map { "\(column)=\($0)" } : [column]
        }

        func schema(for input: Schema) throws -> Schema {
            let byColumn = Set(encodings.map(\.column))
            let fields = input.fields.flatMap { f in
                byColumn.contains(f.name) ? outputNames(f.name).map { Field($0, .double, nullable: false) } : [f]
            }
            return try framing(Self.kind) { () throws(FrameError) in try Schema(fields) }
        }

        /// `frame` with each encoded column replaced by `values[column][output]`.
        func assemble(_ frame: Frame, _ values: [[[Double]]]) throws -> Frame {
            let index = Dictionary(uniqueKeysWithValues: encodings.enumerated().map { ($1.column, $0) })
            var named: [(Field, Column)] = []
            for (f, c) in zip(frame.schema.fields, frame.columns) {
                guard let j = index[f.name] else { named.append((f, c)); continue }
                for (o, n) in outputNames(f.name).enumerated() {
                    named.append((Field(n, .double, nullable: false), Column(.double(values[j][o]))))
                }
            }
            return try ColumnValues.frame(named, stage: Self.kind)
        }

        public func transform(_ frame: Frame, report: inout TransformReport) throws -> Frame {
            try inputSchema.check(frame, stage: Self.kind)
            var values = [[[Double]]]()
            for e in encodings {
                let c = try framing(Self.kind) { () throws(FrameError) in try frame.column(e.column) }
                let codes = Categories.lookup(c, in: e.categories)
                let nullSlot: Int32 = e.hasNull ? Int32(e.categories.count) : Categories.unknown
                var unknown = 0
                let slots = codes.map { code -> Int32 in
                    let s = code == Categories.null ? nullSlot : code
                    if s < 0 { unknown += 1 }
                    return s
                }
                report.noteUnknown(stage: Self.kind, column: e.column, count: unknown)
                values.append(e.values.enumerated().map { o, table in
                    slots.map { $0 >= 0 ? table[Int($0)] : targetMeans[o] }
                })
            }
            return try assemble(frame, values)
        }
    }
}

extension TargetEncoder.Fitted {
    /// A fitted target kind with its classes (distinct; two or more for multiclass); one
    /// finite overall mean per output; per categorical input column, distinct categories
    /// and, per output, one finite encoding per category (and for null, if seen).
    public func validate() throws {
        let check = StateCheck(Self.kind)
        try check.require(targetKind != .auto, "targetKind", "is auto, not a fitted kind")
        let outputs: Int
        if targetKind == .multiclass {
            let classes = classes ?? []
            try check.require(classes.count >= 2, "classes", "\(classes.count) classes for a multiclass target")
            try check.unique(classes, "classes")
            outputs = classes.count
        } else {
            outputs = 1
        }
        try check.count(targetMeans.count, "targetMeans", equals: outputs, per: "outputs")
        try check.finite(targetMeans, "targetMeans")
        try check.columns(encodings.map(\.column), in: inputSchema, field: "encodings", types: categoryTypes)
        for e in encodings {
            let field = "encodings[\(e.column)]"
            try check.unique(e.categories, field + ".categories")
            try check.count(e.values.count, field + ".values", equals: outputs, per: "outputs")
            for table in e.values {
                try check.count(table.count, field + ".values", equals: e.categories.count + (e.hasNull ? 1 : 0),
                                per: "categories")
                try check.finite(table, field + ".values")
            }
            try check.outputs(outputNames(e.column), in: outputSchema)
        }
    }
}
