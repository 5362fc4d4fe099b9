import SluiceCompute
import SluiceFrame

/// Synthetic Minority Over-sampling (Chawla et al., 2002), as imbalanced-learn's `SMOTE`.
///
/// For each class to grow, every row's `kNeighbors` nearest rows of the same class are found
/// (Euclidean distance over all columns, exact, with BLAS; see ``NearestNeighbors``). Each
/// new row picks one (row, neighbour) pair uniformly among the `rows × k` pairs and a step
/// `u` uniform in `[0, 1)`, and is `row + u · (neighbour − row)`: a point on the segment
/// between them. The original rows come first, unchanged, then the new rows class by class
/// (classes in ``ClassLabels`` order), as imbalanced-learn returns them.
///
/// Every column must be numeric and complete (impute and encode first, or use ``SMOTENC``
/// for categorical columns): `double` columns get the interpolated value, `int64` and `bool`
/// columns the value rounded to the nearest integer (imbalanced-learn would give floats; a
/// typed frame keeps its schema). A class with fewer than `kNeighbors + 1` rows uses all its
/// other rows as neighbours; a class of one row cannot be interpolated and is an error.
/// The random draws come from the pipeline's seeded generator. A sampler: fit path only.
public struct SMOTE: Sampler, Equatable {
    public var strategy: SamplingStrategy
    /// The number of nearest neighbours to interpolate towards (imbalanced-learn's `k_neighbors`).
    public var kNeighbors: Int
    public var name: String { "SMOTE" }

    public init(strategy: SamplingStrategy = .auto, kNeighbors: Int = 5) {
        self.strategy = strategy
        self.kNeighbors = kNeighbors
    }

    public func resample(_ frame: Frame, target: Column, context: inout FitContext) throws -> (Frame, Column) {
        guard kNeighbors >= 1 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "kNeighbors \(kNeighbors) must be at least 1")
        }
        let labels = try Resampling.labels(target, frame: frame, stage: name)
        let add = try strategy.rowsToAdd(labels, stage: name)
        for f in frame.schema.fields where f.type != .double && f.type != .int64 && f.type != .bool {
            throw PipelineError.unsupportedType(stage: name, column: f.name, type: f.type,
                expected: "a numeric column (encode it first, or use SMOTENC for categorical columns)")
        }
        let fields = frame.schema.fields
        try Interpolation.requireFinite(frame, fields: fields, stage: name)

        var parts: [Matrix<Double>] = [], targets: [Column] = [target]
        for (c, rows) in Resampling.rowsByClass(labels).enumerated() where add[c] > 0 {
            let k = try Interpolation.neighbours(kNeighbors, classRows: rows.count, className: labels.classes[c], stage: name)
            let xc = try Interpolation.classMatrix(frame, fields: fields, rows: rows, stage: name)
            let nn = NearestNeighbors.search(xc, k: k)
            let draws = Interpolation.draws(add[c], rows: rows.count, k: k, rng: &context.rng)
            parts.append(Interpolation.interpolate(xc, neighbours: nn, k: k, draws: draws))
            targets.append(target.taking([Int](repeating: rows[0], count: add[c])))
        }
        guard !parts.isEmpty else { return (frame, target) }
        let columns = try Interpolation.extendedColumns(frame, fields: fields, parts: parts, stage: name)
        return try framing(name) { () throws(FrameError) in
            (try Frame(schema: frame.schema, columns: columns), try Column.concatenating(targets, name: "target"))
        }
    }
}

/// The parts SMOTE and SMOTE-NC share.
enum Interpolation {
    /// One synthetic row: a row of the class, the slot of one of its neighbours, a step.
    struct Draw {
        var row: Int
        var slot: Int
        var step: Double
    }

    /// The neighbour count for a class of `classRows` rows.
    static func neighbours(_ k: Int, classRows: Int, className: String, stage: String) throws -> Int {
        guard classRows >= 2 else {
            throw PipelineError.invalidValue(stage: stage, column: "target",
                reason: "class '\(className)' has \(classRows) row; interpolation needs at least two")
        }
        return min(k, classRows - 1)
    }

    /// Throws naming the row and column of the first null or non-finite value of the numeric
    /// `fields` of `frame` (the first row that has one, its first such column in `fields` order).
    static func requireFinite(_ frame: Frame, fields: [Field], stage: String) throws {
        var first: (row: Int, column: String)?
        for f in fields {
            let column = try framing(stage) { () throws(FrameError) in try frame.column(f.name) }
            let limit = first?.row ?? column.count
            var bad = column.nullCount > 0 ? (0..<limit).first { column.isNull($0) } : nil
            if case .double(let values) = column.data {
                let end = bad ?? limit
                bad = values.withUnsafeBufferPointer { v in (0..<end).first { !v[$0].isFinite } } ?? bad
            }
            if let row = bad, row < limit { first = (row, f.name) }
        }
        if let (row, column) = first {
            throw PipelineError.invalidValue(stage: stage, column: column,
                reason: "missing or non-finite value at row \(row); impute before over-sampling")
        }
    }

    /// The numeric `fields` of the class's `rows`, a `rows.count × fields.count` matrix.
    static func classMatrix(_ frame: Frame, fields: [Field], rows: [Int], stage: String) throws -> Matrix<Double> {
        try framing(stage) { () throws(FrameError) in
            try frame.selecting(fields.map(\.name)).taking(rows: rows).matrix(columns: fields.map(\.name), nulls: .nan)
        }
    }

    /// `count` draws as imbalanced-learn makes them: a uniform index into the `rows × k`
    /// (row, neighbour) pairs, then a uniform step in `[0, 1)`.
    static func draws(_ count: Int, rows: Int, k: Int, rng: inout SeededGenerator) -> [Draw] {
        (0..<count).map { _ in
            let pair = rng.nextInt(below: rows * k)
            return Draw(row: pair / k, slot: pair % k, step: rng.nextDouble())
        }
    }

    /// The synthetic rows `x[row] + step · (x[neighbour] − x[row])`, `draws.count × x.columns`,
    /// blocks of draws on every core (each row computed alone: the same whatever the threads).
    static func interpolate(_ x: Matrix<Double>, neighbours nn: [Int], k: Int, draws: [Draw]) -> Matrix<Double> {
        let d = x.columns
        return x.withUnsafeBufferPointer { src in
            Matrix(rows: draws.count, columns: d) { out in
                Parallel.forEachChunk(of: draws.count, minimumChunk: 16_384) { range in
                    for i in range {
                        let draw = draws[i], a = draw.row * d, b = nn[draw.row * k + draw.slot] * d
                        for j in 0..<d {
                            out.initializeElement(at: i * d + j, to: src[a + j] + draw.step * (src[b + j] - src[a + j]))
                        }
                    }
                }
            }
        }
    }

    /// The numeric `fields` of `frame` (complete: see ``requireFinite(_:fields:stage:)``), each
    /// followed by its column of the stacked `parts` (one matrix column per field), typed as the
    /// field: doubles as they are, `int64` and `bool` rounded to the nearest integer.
    static func extendedColumns(_ frame: Frame, fields: [Field], parts: [Matrix<Double>], stage: String) throws -> [Column] {
        let d = fields.count
        let added = parts.reduce(0) { $0 + $1.rows }
        let originals = try fields.map { field in
            try framing(stage) { () throws(FrameError) in try frame.column(field.name) }
        }
        for (field, original) in zip(fields, originals) {
            switch original.data {
            case .int64, .bool, .double: continue
            default:
                throw PipelineError.unsupportedType(stage: stage, column: field.name, type: original.type,
                                                    expected: "a numeric column")
            }
        }
        // Each output column written once, in place (the original values, then each part's
        // column), the columns on every core.
        var columns = [Column?](repeating: nil, count: d)
        columns.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(of: d, minimumChunk: 1) { range in
                for j in range {
                    func extend<T>(_ values: [T], _ convert: (Double) -> T) -> [T] {
                        [T](unsafeUninitializedCapacity: values.count + added) { buffer, initialized in
                            var at = values.count
                            values.withUnsafeBufferPointer { v in
                                if let base = v.baseAddress { buffer.baseAddress!.initialize(from: base, count: v.count) }
                            }
                            for p in parts {
                                p.withUnsafeBufferPointer { b in
                                    for i in 0..<p.rows { buffer.initializeElement(at: at + i, to: convert(b[i * d + j])) }
                                }
                                at += p.rows
                            }
                            initialized = at
                        }
                    }
                    switch originals[j].data {
                    case .int64(let a): out[j] = Column(.int64(extend(a) { Int64(exactly: $0.rounded()) ?? ($0 < 0 ? .min : .max) }))
                    case .bool(let a): out[j] = Column(.bool(extend(a) { $0 >= 0.5 }))
                    case .double(let a): out[j] = Column(.double(extend(a) { $0 }))
                    default: break  // checked above
                    }
                }
            }
        }
        return columns.compactMap { $0 }
    }
}
