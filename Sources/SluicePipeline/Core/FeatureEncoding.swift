import SluiceCompute
import SluiceFrame

/// How the frame the last stage produces becomes the learner's feature matrix, fitted with
/// the pipeline and stored in its artifact: numeric and bool columns as numbers; string
/// columns, for learners that asked for category codes, as codes into the categories seen
/// in training (sorted; an unknown category or a null becomes NaN and is counted in the
/// transform report); nulls as NaN for learners that take missing values, else refused.
public struct FeatureEncoding: Codable, Sendable, Equatable {
    /// The feature names, in matrix column order.
    public var names: [String]
    /// Whether the learner takes NaN (missing values).
    public var allowsMissing: Bool
    /// The string features given as codes, with their training categories.
    public var categorical: [CategoricalFeature]
    /// The names of the features that stages give as CSR, after ``names`` in the learner's
    /// matrix; nil when the pipeline has no sparse stage (the matrix is dense).
    public var sparseNames: [String]? = nil

    /// Every feature name, in the learner's column order: ``names`` then ``sparseNames``.
    public var allNames: [String] { names + (sparseNames ?? []) }

    /// Checks that every field of `schema` can be a feature for a learner with `requirements`;
    /// `planned` skips the placeholders of a schema planned before fitting.
    static func check(_ schema: Schema, requirements: FeatureRequirements, planned: Bool) throws {
        for f in schema.fields where !(planned && f.expandedColumn != nil) {
            if f.type.isNumeric || (f.type == .string && requirements.categoricalCodes) { continue }
            throw PipelineError.nonNumericFeature(column: f.name, type: f.type)
        }
    }

    /// The encoding of `frame`'s columns for a learner with `requirements`.
    static func fit(_ frame: Frame, requirements: FeatureRequirements) throws -> FeatureEncoding {
        try check(frame.schema, requirements: requirements, planned: false)
        var categorical = [CategoricalFeature]()
        for (j, c) in frame.columns.enumerated() {
            guard case .string(let s) = c.data else { continue }
            var seen = [Bool](repeating: false, count: s.dictionary.count)
            for (i, code) in s.codes.enumerated() where c.validity.isValid(i) && code >= 0 { seen[Int(code)] = true }
            let categories = s.dictionary.indices.filter { seen[$0] }.map { s.dictionary[$0] }.sorted()
            categorical.append(CategoricalFeature(index: j, categories: categories))
        }
        return FeatureEncoding(names: frame.columnNames, allowsMissing: requirements.allowsMissing, categorical: categorical)
    }

    /// Checks decoded state: category lists unique, indices within the features.
    public func validate() throws {
        guard Set(allNames).count == allNames.count else {
            throw PipelineError.invalidValue(stage: "features", column: "names", reason: "repeat a feature name")
        }
        for c in categorical {
            guard c.index >= 0, c.index < names.count else {
                throw PipelineError.invalidValue(stage: "features", column: "categorical", reason: "index \(c.index) is not a feature")
            }
            guard Set(c.categories).count == c.categories.count else {
                throw PipelineError.invalidValue(stage: "features", column: names[c.index], reason: "repeats a category")
            }
        }
    }

    /// The `rows × names.count` feature matrix of `frame` (the last stage's output).
    func matrix<S: BLASScalar>(_ frame: Frame, report: inout TransformReport) throws -> Matrix<S> {
        let numeric = try numericFrame(frame, report: &report)
        return try framing("features") { () throws(FrameError) in
            try numeric.matrix(columns: names, as: S.self, nulls: allowsMissing ? .nan : .error)
        }
    }

    /// The same matrix as ``matrix(_:report:)``, built from `frame` a few columns at a time,
    /// each block's columns released once copied (`frame` is left empty): the fit path then
    /// never holds the whole transformed frame and the whole matrix at once.
    func matrix<S: BLASScalar>(consuming frame: inout Frame, report: inout TransformReport) throws -> Matrix<S> {
        var numeric = try numericFrame(frame, report: &report)
        frame = Frame()
        let width = names.count, block = 8
        var x = Matrix<S>(rows: numeric.rowCount, columns: width)
        var first = 0
        while first < width {
            let picked = Array(names[first..<min(width, first + block)])
            try framing("features") { () throws(FrameError) in
                try numeric.write(columns: picked, into: &x, at: first, nulls: allowsMissing ? .nan : .error)
                numeric = try numeric.dropping(picked)
            }
            first += picked.count
        }
        return x
    }

    /// `frame` with its categorical features replaced by their codes (as numbers).
    private func numericFrame(_ frame: Frame, report: inout TransformReport) throws -> Frame {
        guard frame.columnNames == names else {
            throw PipelineError.schemaMismatch(column: "features", expected: names.joined(separator: ", "),
                                               actual: frame.columnNames.joined(separator: ", "))
        }
        var numeric = frame
        for c in categorical {
            let column = frame.columns[c.index], name = names[c.index]
            guard case .string(let s) = column.data else {
                throw PipelineError.unsupportedType(stage: "features", column: name, type: column.type, expected: "string")
            }
            let index = Dictionary(c.categories.enumerated().map { ($1, Double($0)) }, uniquingKeysWith: { a, _ in a })
            let byCode = s.dictionary.map { index[$0] }
            var unknown = 0
            let codes: [Double?] = s.codes.indices.map { i in
                guard column.validity.isValid(i) else { return nil }
                let k = Int(s.codes[i])
                guard k >= 0, k < byCode.count else { return nil }
                guard let code = byCode[k] else { unknown += 1; return nil }
                return code
            }
            report.noteUnknown(stage: "features", column: name, count: unknown)
            numeric = try framing("features") { () throws(FrameError) in try numeric.setting(name, to: .double(codes)) }
        }
        return numeric
    }
}
