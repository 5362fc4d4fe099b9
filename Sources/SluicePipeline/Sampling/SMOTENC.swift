import SluiceCompute
import SluiceFrame

/// SMOTE for mixed numeric and categorical columns (SMOTE-NC), as imbalanced-learn's
/// `SMOTENC`.
///
/// Distances within a class are Euclidean over the numeric columns plus, for each
/// categorical column on which two rows differ, the square of the class's **median numeric
/// standard deviation** (the median over numeric columns of each column's population
/// deviation within the class). Categories are compared by their codes: nothing is one-hot
/// encoded, and only the class's numeric columns are gathered into a matrix.
///
/// A new row interpolates the numeric columns as ``SMOTE`` does, between a row and one of
/// its `kNeighbors` nearest rows of the class; each categorical column takes the value most
/// frequent among that row's `kNeighbors` neighbours, a tie broken by a draw from the seeded
/// generator. Original rows first, then new rows class by class.
///
/// Categorical columns (`categorical`, by default every `string` and `bool` column) may be
/// `string`, `bool` or `int64`; a null there is a category of its own. Every other column
/// must be numeric (`double`, `int64`, `bool`) and complete; at least one must exist.
/// `int64` and `bool` numeric columns are rounded to the nearest integer. A sampler: it runs
/// on the fit path only.
public struct SMOTENC: Sampler {
    /// The categorical columns; every other column is numeric.
    public var categorical: ColumnSelector
    public var strategy: SamplingStrategy
    /// The number of nearest neighbours (imbalanced-learn's `k_neighbors`).
    public var kNeighbors: Int
    public var name: String { "SMOTENC" }

    public init(categorical: ColumnSelector = .categorical, strategy: SamplingStrategy = .auto, kNeighbors: Int = 5) {
        self.categorical = categorical
        self.strategy = strategy
        self.kNeighbors = kNeighbors
    }

    public func resample(_ frame: Frame, target: Column, context: inout FitContext) throws -> (Frame, Column) {
        guard kNeighbors >= 1 else {
            throw PipelineError.invalidConfiguration(stage: name, reason: "kNeighbors \(kNeighbors) must be at least 1")
        }
        let labels = try Resampling.labels(target, frame: frame, stage: name)
        let add = try strategy.rowsToAdd(labels, stage: name)
        let catNames = try categorical.resolve(in: frame.schema, stage: name)
        let catSet = Set(catNames)
        for n in catNames {
            let t = try frame.schema.require(n, stage: name).type
            guard t == .string || t == .bool || t == .int64 else {
                throw PipelineError.unsupportedType(stage: name, column: n, type: t, expected: "a string, bool or int64 categorical column")
            }
        }
        let numericFields = frame.schema.fields.filter { !catSet.contains($0.name) }
        for f in numericFields where !f.type.isNumeric {
            throw PipelineError.unsupportedType(stage: name, column: f.name, type: f.type,
                expected: "a numeric column, or list it as categorical")
        }
        guard !numericFields.isEmpty else {
            throw PipelineError.invalidConfiguration(stage: name,
                reason: "no numeric columns: SMOTE-NC needs at least one (every column is categorical)")
        }
        try Interpolation.requireFinite(frame, fields: numericFields, stage: name)
        let codes = try catNames.map { n in Categories(try framing(name) { () throws(FrameError) in try frame.column(n) }) }

        var parts: [Matrix<Double>] = [], newCodes = [[Int32]](repeating: [], count: catNames.count)
        var targets: [Column] = [target]
        for (c, rows) in Resampling.rowsByClass(labels).enumerated() where add[c] > 0 {
            let k = try Interpolation.neighbours(kNeighbors, classRows: rows.count, className: labels.classes[c], stage: name)
            let xc = try Interpolation.classMatrix(frame, fields: numericFields, rows: rows, stage: name)
            let classCodes = codes.map { cat in rows.map { cat.codes[$0] } }
            let penalty = Self.medianStandardDeviation(xc)
            let nn = NearestNeighbors.search(xc, k: k, categories: classCodes, penalty: penalty)
            let draws = Interpolation.draws(add[c], rows: rows.count, k: k, rng: &context.rng)
            parts.append(Interpolation.interpolate(xc, neighbours: nn, k: k, draws: draws))
            for (f, fc) in classCodes.enumerated() {
                newCodes[f] += draws.map { Self.mode(of: fc, neighbours: nn[($0.row * k)..<($0.row * k + k)], rng: &context.rng) }
            }
            targets.append(target.taking([Int](repeating: rows[0], count: add[c])))
        }
        guard !parts.isEmpty else { return (frame, target) }
        let numeric = try Interpolation.extendedColumns(frame, fields: numericFields, parts: parts, stage: name)
        var byName: [String: Column] = [:]
        for (f, col) in zip(numericFields, numeric) { byName[f.name] = col }
        for (j, n) in catNames.enumerated() {
            let original = try framing(name) { () throws(FrameError) in try frame.column(n) }
            byName[n] = try framing(name) { () throws(FrameError) in
                try Column.concatenating([original, codes[j].column(newCodes[j])], name: n)
            }
        }
        let columns = frame.schema.fields.map { byName[$0.name] ?? Column(.double([])) }
        return try framing(name) { () throws(FrameError) in
            (try Frame(schema: frame.schema, columns: columns), try Column.concatenating(targets, name: "target"))
        }
    }

    /// The median (numpy's: the mean of the middle two for an even count) over columns of
    /// each column's population standard deviation.
    static func medianStandardDeviation(_ x: Matrix<Double>) -> Double {
        let sds = x.columnVariances().map { $0.squareRoot() }.sorted()
        guard !sds.isEmpty else { return 0 }
        let m = sds.count / 2
        return sds.count % 2 == 1 ? sds[m] : (sds[m - 1] + sds[m]) / 2
    }

    /// The most frequent code among the neighbours; a tie is broken by a uniform draw among
    /// the tied codes (in order of first appearance).
    static func mode(of codes: [Int32], neighbours: ArraySlice<Int>, rng: inout SeededGenerator) -> Int32 {
        var values: [Int32] = [], counts: [Int] = []
        for r in neighbours {
            let v = codes[r]
            if let i = values.firstIndex(of: v) { counts[i] += 1 } else { values.append(v); counts.append(1) }
        }
        let top = counts.max() ?? 0
        let tied = values.indices.filter { counts[$0] == top }
        guard tied.count > 1 else { return values[tied.first ?? 0] }
        return values[tied[rng.nextInt(below: tied.count)]]
    }

    /// A categorical column as codes (`-1` for null) and the way back to a column.
    struct Categories {
        enum Kind { case string([String]), bool, int64([Int64]) }
        var codes: [Int32]
        var kind: Kind

        init(_ column: Column) {
            let v = column.validity
            switch column.data {
            case .string(let s):
                codes = s.codes
                kind = .string(s.dictionary)
            case .bool(let b):
                codes = b.indices.map { v.isValid($0) ? (b[$0] ? 1 : 0) : -1 }
                kind = .bool
            case .int64(let a):
                var index: [Int64: Int32] = [:], values: [Int64] = []
                codes = a.indices.map { i in
                    guard v.isValid(i) else { return -1 }
                    if let c = index[a[i]] { return c }
                    let c = Int32(values.count)
                    index[a[i]] = c
                    values.append(a[i])
                    return c
                }
                kind = .int64(values)
            default:
                codes = [Int32](repeating: -1, count: column.count)
                kind = .bool
            }
        }

        /// A column of this kind holding `newCodes`.
        func column(_ newCodes: [Int32]) -> Column {
            let validity = ValidityMask(valid: newCodes.lazy.map { $0 >= 0 })
            switch kind {
            case .string(let dictionary):
                return Column(.string(StringColumn(codes: newCodes, dictionary: dictionary)), validity: validity)
            case .bool:
                return Column(.bool(newCodes.map { $0 == 1 }), validity: validity)
            case .int64(let values):
                return Column(.int64(newCodes.map { $0 >= 0 ? values[Int($0)] : 0 }), validity: validity)
            }
        }
    }
}
