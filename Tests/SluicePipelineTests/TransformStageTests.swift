import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// scikit-learn's and pandas' results for the transform stages, from `Scripts/transforms.py`.
enum TransformExpectations {
    nonisolated(unsafe) static let json = Expectations.load("transforms")
    static func entry(_ key: String) -> [String: Any] { json[key] as? [String: Any] ?? [:] }
    static func number(_ x: Any) -> Double { (x as? Double) ?? .nan }  // JSON null is NaN
    static func numbers(_ key: String, _ field: String) -> [Double] {
        (entry(key)[field] as? [Any] ?? []).map(number)
    }
    /// A list of rows, flattened row by row.
    static func rows(_ key: String, _ field: String) -> [Double] {
        (entry(key)[field] as? [[Any]] ?? []).flatMap { $0.map(number) }
    }
    static func rowCount(_ key: String, _ field: String = "transformed") -> Int { (entry(key)[field] as? [Any])?.count ?? 0 }
}

/// A numeric column as doubles, `NaN` where null.
func numbers(_ c: Column) -> [Double] {
    switch c.data {
    case .double(let v): return (0..<c.count).map { c.isNull($0) ? .nan : v[$0] }
    case .int64(let v): return (0..<c.count).map { c.isNull($0) ? .nan : Double(v[$0]) }
    default: return [Double](repeating: .nan, count: c.count)
    }
}

/// The first `rows` rows of `names`, row by row.
func rowMajor(_ frame: Frame, _ names: [String], rows: Int) -> [Double] {
    let cols = names.map { frame[$0].map(numbers) ?? [] }
    return (0..<rows).flatMap { i in cols.map { i < $0.count ? $0[i] : .infinity } }
}

func fit<T: Transformer>(_ stage: T, _ frame: Frame, seed: UInt64 = 0) throws -> T.Fitted {
    var ctx = FitContext(seed: seed)
    return try stage.fit(frame, context: &ctx)
}

@Suite("Transform stages match scikit-learn")
struct TransformParityTests {
    typealias E = TransformExpectations

    func data(_ name: String) throws -> (Frame, [String]) {
        let d = try Dataset.load(name)
        return (try d.frame, d.featureNames)
    }

    /// Transforms `frame` and compares its first rows with the entry's `transformed`.
    func expectTransformed(_ fitted: some FittedTransformer, _ frame: Frame, _ names: [String], _ key: String,
                           absolute: Double = 1e-9, relative: Double = 1e-9) throws {
        let out = try fitted.transform(frame)
        #expect(out.schema == fitted.outputSchema)
        let rows = E.rowCount(key)
        #expect(rows > 0)
        #expect(isApproximatelyEqual(rowMajor(out, names, rows: rows), E.rows(key, "transformed"),
                                     absolute: absolute, relative: relative), "\(key)")
    }

    @Test("MinMaxScaler: min, max, scale, offset and values; a custom range")
    func minMax() throws {
        let (wine, names) = try data("wine")
        let f = try fit(MinMaxScaler(), wine)
        #expect(isApproximatelyEqual(f.dataMin, E.numbers("minmax_wine", "data_min"), relative: 1e-15))
        #expect(isApproximatelyEqual(f.dataMax, E.numbers("minmax_wine", "data_max"), relative: 1e-15))
        #expect(isApproximatelyEqual(f.scales, E.numbers("minmax_wine", "scale"), relative: 1e-12))
        #expect(isApproximatelyEqual(f.offsets, E.numbers("minmax_wine", "min"), absolute: 1e-12, relative: 1e-12))
        try expectTransformed(f, wine, names, "minmax_wine")
        let (diabetes, dn) = try data("diabetes")
        let g = try fit(MinMaxScaler(range: -1...2), diabetes)
        #expect(isApproximatelyEqual(g.scales, E.numbers("minmax_diabetes_range", "scale"), relative: 1e-12))
        try expectTransformed(g, diabetes, dn, "minmax_diabetes_range")
    }

    @Test("MaxAbsScaler on diabetes")
    func maxAbs() throws {
        let (diabetes, names) = try data("diabetes")
        let f = try fit(MaxAbsScaler(), diabetes)
        #expect(isApproximatelyEqual(f.maxAbs, E.numbers("maxabs_diabetes", "max_abs"), relative: 1e-15))
        try expectTransformed(f, diabetes, names, "maxabs_diabetes")
    }

    @Test("RobustScaler: median and IQR, a 10–90 range with unit variance, NaN ignored")
    func robust() throws {
        let (cancer, names) = try data("breast_cancer")
        let f = try fit(RobustScaler(), cancer)
        #expect(isApproximatelyEqual(f.centers, E.numbers("robust_breast_cancer", "center"), relative: 1e-12))
        #expect(isApproximatelyEqual(f.scales, E.numbers("robust_breast_cancer", "scale"), relative: 1e-12))
        try expectTransformed(f, cancer, names, "robust_breast_cancer")
        let (wine, wn) = try data("wine")
        let g = try fit(RobustScaler(quantileRange: 10...90, unitVariance: true), wine)
        #expect(isApproximatelyEqual(g.scales, E.numbers("robust_wine_10_90_unit", "scale"), relative: 1e-12))
        try expectTransformed(g, wine, wn, "robust_wine_10_90_unit")
        let h = try fit(RobustScaler(), StageParityTests().holes())
        #expect(isApproximatelyEqual(h.centers, E.numbers("robust_diabetes_holes", "center"), relative: 1e-12))
        #expect(isApproximatelyEqual(h.scales, E.numbers("robust_diabetes_holes", "scale"), relative: 1e-12))
    }

    @Test("PowerTransformer (Yeo-Johnson): lambdas by maximum likelihood, standardised values",
          arguments: ["wine", "diabetes", "breast_cancer"])
    func power(dataset: String) throws {
        let (frame, names) = try data(dataset)
        let key = "power_\(dataset)"
        let f = try fit(PowerTransformer(), frame)
        #expect(isApproximatelyEqual(f.lambdas, E.numbers(key, "lambdas"), absolute: 1e-6, relative: 1e-6))
        #expect(isApproximatelyEqual(f.means ?? [], E.numbers(key, "mean"), absolute: 1e-6, relative: 1e-6))
        #expect(isApproximatelyEqual(f.scales ?? [], E.numbers(key, "scale"), absolute: 1e-6, relative: 1e-6))
        try expectTransformed(f, frame, names, key, absolute: 1e-6, relative: 1e-6)
    }

    @Test("PowerTransformer without standardisation on iris")
    func powerRaw() throws {
        let (iris, names) = try data("iris")
        let f = try fit(PowerTransformer(standardize: false), iris)
        #expect(isApproximatelyEqual(f.lambdas, E.numbers("power_iris_raw", "lambdas"), absolute: 1e-6, relative: 1e-6))
        #expect(f.means == nil)
        try expectTransformed(f, iris, names, "power_iris_raw", absolute: 1e-6, relative: 1e-6)
    }

    @Test("QuantileTransformer: uniform on iris (ties, values beyond the range), normal on wine, NaN on diabetes")
    func quantile() throws {
        let (iris, names) = try data("iris")
        let f = try fit(QuantileTransformer(quantiles: 100), iris)
        #expect(isApproximatelyEqual(f.references, E.numbers("quantile_iris_uniform", "references"), relative: 1e-15))
        #expect(isApproximatelyEqual(f.quantiles.flatMap { $0 }, E.rows("quantile_iris_uniform", "quantiles"), relative: 1e-12))
        try expectTransformed(f, iris, names, "quantile_iris_uniform")
        let probeRows = (TransformExpectations.entry("quantile_iris_uniform")["probe"] as? [[Double]]) ?? []
        let probe = try Frame(named: names.enumerated().map { j, n in (n, Column.double(probeRows.map { Optional($0[j]) })) })
        #expect(isApproximatelyEqual(rowMajor(try f.transform(probe), names, rows: probeRows.count),
                                     E.rows("quantile_iris_uniform", "probe_transformed"), absolute: 1e-12))
        let (wine, wn) = try data("wine")
        let g = try fit(QuantileTransformer(output: .normal), wine)
        #expect(g.references.count == 178)
        #expect(isApproximatelyEqual(g.quantiles.flatMap { $0 }, E.rows("quantile_wine_normal", "quantiles"), relative: 1e-12))
        try expectTransformed(g, wine, wn, "quantile_wine_normal")
        let holes = try StageParityTests().holes()
        let h = try fit(QuantileTransformer(quantiles: 50), holes)
        #expect(isApproximatelyEqual(h.quantiles.flatMap { $0 }, E.rows("quantile_diabetes_holes", "quantiles"), relative: 1e-12))
        try expectTransformed(h, holes, holes.columnNames, "quantile_diabetes_holes")
    }

    @Test("OutlierClipper: IQR fences and quantile fences, as numpy.percentile + clip")
    func clipper() throws {
        let (cancer, names) = try data("breast_cancer")
        let f = try fit(OutlierClipper(), cancer)
        #expect(isApproximatelyEqual(f.lower, E.numbers("clip_iqr_breast_cancer", "lower"), absolute: 1e-12, relative: 1e-12))
        #expect(isApproximatelyEqual(f.upper, E.numbers("clip_iqr_breast_cancer", "upper"), absolute: 1e-12, relative: 1e-12))
        try expectTransformed(f, cancer, names, "clip_iqr_breast_cancer")
        let (wine, wn) = try data("wine")
        let g = try fit(OutlierClipper(rule: .quantiles(lower: 0.05, upper: 0.95)), wine)
        #expect(isApproximatelyEqual(g.lower, E.numbers("clip_quantiles_wine", "lower"), relative: 1e-12))
        try expectTransformed(g, wine, wn, "clip_quantiles_wine")
    }

    @Test("PolynomialFeatures: scikit-learn's column order, names and values", arguments: [
        ("poly_iris_2", "iris", 4, PolynomialFeatures(degree: 2)),
        ("poly_wine_interactions_3", "wine", 4, PolynomialFeatures(degree: 3, interactionOnly: true, includeBias: false)),
        ("poly_diabetes_3", "diabetes", 3, PolynomialFeatures(degree: 3)),
    ])
    func polynomial(key: String, dataset: String, columns: Int, stage: PolynomialFeatures) throws {
        let (full, names) = try data(dataset)
        let frame = try full.selecting(Array(names.prefix(columns)))
        let f = try fit(stage, frame)
        let expected = TransformExpectations.entry(key)["names"] as? [String] ?? []
        #expect(f.outputSchema.names == expected)
        #expect(try stage.outputSchema(for: frame.schema) == f.outputSchema)
        try expectTransformed(f, frame, expected, key, absolute: 1e-12, relative: 1e-12)
    }

    @Test("KBinsDiscretizer: uniform and quantile edges (1.9's averaged inverted CDF, and linear), merged bins", arguments: [
        ("kbins_wine_uniform_4", "wine", KBinsDiscretizer(bins: 4, strategy: .uniform)),
        ("kbins_breast_cancer_quantile_5", "breast_cancer", KBinsDiscretizer(bins: 5)),
        ("kbins_diabetes_quantile_linear_6", "diabetes", KBinsDiscretizer(bins: 6, linearQuantiles: true)),
    ])
    func kbins(key: String, dataset: String, stage: KBinsDiscretizer) throws {
        let (frame, names) = try data(dataset)
        let f = try fit(stage, frame)
        let edges = (TransformExpectations.entry(key)["edges"] as? [[Double]]) ?? []
        #expect(f.edges.count == edges.count)
        for (a, b) in zip(f.edges, edges) { #expect(isApproximatelyEqual(a, b, relative: 1e-12)) }
        #expect(f.binCounts == (TransformExpectations.entry(key)["n_bins"] as? [Int]))
        try expectTransformed(f, frame, names, key, absolute: 0, relative: 0)
    }

    @Test("Log1pTransform, plain and signed")
    func log1p() throws {
        let (wine, names) = try data("wine")
        try expectTransformed(try fit(Log1pTransform(), wine), wine, names, "log1p_wine", relative: 1e-14)
        let (diabetes, dn) = try data("diabetes")
        try expectTransformed(try fit(Log1pTransform(signed: true), diabetes), diabetes, dn, "signed_log1p_diabetes", relative: 1e-14)
    }

    @Test("DateParts: year, month, day, day of week (Mon = 0), day of year, hour, days since, as pandas")
    func dateParts() throws {
        let micros = (TransformExpectations.entry("dateparts")["micros"] as? [Int]) ?? []
        #expect(micros.count > 200)
        let frame = try Frame(["t": .timestamp(micros.map { Optional(Int64($0)) })])
        let stage = DateParts(parts: [.year, .month, .day, .dayOfWeek, .dayOfYear, .hour, .daysSince(year: 2000, month: 1, day: 1)])
        let out = try fit(stage, frame).transform(frame)
        #expect(out.columnNames == ["t_year", "t_month", "t_day", "t_dayofweek", "t_dayofyear", "t_hour", "t_days_since_2000-01-01"])
        for part in ["year", "month", "day", "dayofweek", "dayofyear", "hour"] {
            let expected = ((TransformExpectations.entry("dateparts")[part] as? [Int]) ?? []).map(Int64.init)
            #expect(try out.int64s("t_\(part)") == expected, "\(part)")
        }
        #expect(isApproximatelyEqual(try out.doubles("t_days_since_2000-01-01"),
                                     TransformExpectations.numbers("dateparts", "days_since_2000"), relative: 1e-12))
    }
}

@Suite("Transform stages: missing values, schemas, errors, determinism, artifacts")
struct TransformBehaviourTests {
    func sample() throws -> Frame {
        try Frame([
            "x": .double([1, nil, 3, .nan, 5, 8]),
            "n": .int64([10, 20, nil, 40, 50, 0]),
            "plan": .string(["a", "b", nil, "a", "c", "a"]),
            "d": .date([0, 59, nil, 11_016, -1, 19_000]),
        ])
    }

    /// Every numeric stage: nulls stay null, NaN stays NaN (KBins: NaN becomes null), the
    /// schema before fitting equals the fitted one and the transformed frame's.
    @Test("null and NaN follow the contract; output schemas agree before fitting, after, and on data", arguments: [
        ("MinMaxScaler", MinMaxScaler(columns: .names("x", "n")) as any Transformer),
        ("MaxAbsScaler", MaxAbsScaler(columns: .names("x", "n"))),
        ("RobustScaler", RobustScaler(columns: .names("x", "n"))),
        ("PowerTransformer", PowerTransformer(columns: .names("x", "n"))),
        ("QuantileTransformer", QuantileTransformer(columns: .names("x", "n"), quantiles: 4)),
        ("OutlierClipper", OutlierClipper(columns: .names("x", "n"), rule: .iqr(0.5))),
        ("Log1pTransform", Log1pTransform(columns: .names("x", "n"))),
        ("PowerFeature", PowerFeature(columns: .names("x", "n"), exponent: 2)),
        ("KBinsDiscretizer", KBinsDiscretizer(columns: .names("x", "n"), bins: 2, strategy: .uniform)),
    ])
    func missingValues(label: String, stage: any Transformer) throws {
        let frame = try sample()
        let out = try Self.fitTransform(stage, frame)
        #expect(try stage.outputSchema(for: frame.schema).names == out.schema.names, "\(label)")
        let x = numbers(try out.column("x")), n = try out.column("n")
        #expect(try out.column("x").isNull(1) && n.isNull(2), "\(label)")
        if label == "KBinsDiscretizer" {
            #expect(try out.column("x").isNull(3))
        } else {
            let stillValid = try !out.column("x").isNull(3)
            #expect(x[3].isNaN && stillValid, "\(label)")
        }
        #expect(x.enumerated().allSatisfy { $0.offset == 1 || $0.offset == 3 || $0.element.isFinite }, "\(label)")
        #expect(try out.strings("plan") == frame.strings("plan") && out.dates("d") == frame.dates("d"), "\(label)")
    }

    static func fitTransform<T: Transformer>(_ stage: T, _ frame: Frame) throws -> Frame {
        var ctx = FitContext(seed: 1)
        let fitted = try stage.fit(frame, context: &ctx)
        let out = try fitted.transform(frame)
        #expect(fitted.outputSchema == out.schema, "\(stage.name)")
        return out
    }

    @Test("schema errors name the stage and the column, before any data is read")
    func schemaErrors() throws {
        let schema = try sample().schema
        #expect(throws: PipelineError.unsupportedType(stage: "MinMaxScaler", column: "plan", type: .string, expected: "a numeric column")) {
            try MinMaxScaler(columns: .names("plan")).outputSchema(for: schema)
        }
        #expect(throws: PipelineError.missingColumn(stage: "PowerTransformer", column: "nope")) {
            try PowerTransformer(columns: .names("nope")).outputSchema(for: schema)
        }
        #expect(throws: PipelineError.unsupportedType(stage: "DateParts", column: "x", type: .double, expected: "a date or timestamp column")) {
            try DateParts(columns: .names("x")).outputSchema(for: schema)
        }
        #expect(throws: PipelineError.unsupportedType(stage: "ColumnRatio", column: "plan", type: .string, expected: "a numeric column")) {
            try ColumnRatio("x", "plan").outputSchema(for: schema)
        }
        #expect(throws: PipelineError.missingColumn(stage: "ColumnDifference", column: "y")) {
            try ColumnDifference("x", "y").outputSchema(for: schema)
        }
        #expect(throws: PipelineError.self) { try fit(RobustScaler(quantileRange: 50...120), sample()) }
        #expect(throws: PipelineError.self) { try fit(QuantileTransformer(quantiles: 0), sample()) }
        #expect(throws: PipelineError.self) { try fit(KBinsDiscretizer(bins: 1), sample()) }
        let scoring = try sample().setting("x", to: .string(["1", "2", "3", "4", "5", "6"]))
        let fitted = try fit(MinMaxScaler(columns: .names("x")), sample())
        #expect(throws: PipelineError.schemaMismatch(column: "x", expected: "double", actual: "string")) {
            try fitted.transform(scoring)
        }
        let infinite = try Frame(["v": .double([1, .infinity, 3])])
        #expect(throws: PipelineError.invalidValue(stage: "PowerTransformer", column: "v",
                                                   reason: "holds an infinite value; clip or drop it first")) {
            try fit(PowerTransformer(), infinite)
        }
    }

    @Test("ratio and difference: a new named column; division by zero is null")
    func pairwise() throws {
        let frame = try sample()
        let out = try Self.fitTransform(ColumnRatio("x", "n", as: "x_per_n"), frame)
        #expect(out.columnNames == ["x", "n", "plan", "d", "x_per_n"])
        let r = try out.column("x_per_n")
        #expect(r[0] == .double(0.1) && r.isNull(1) && r.isNull(2) && r.isNull(5))
        #expect(try out.doubles("x_per_n")[3].isNaN && !r.isNull(3))
        let diff = try Self.fitTransform(ColumnDifference("n", "x"), frame)
        #expect(diff.columnNames.last == "n-x")
        #expect(try diff.column("n-x")[0] == .double(9) && diff.column("n-x").isNull(1))
        #expect(throws: PipelineError.invalidConfiguration(stage: "ColumnRatio", reason: "output column 'x' already exists")) {
            try ColumnRatio("x", "n", as: "x").outputSchema(for: frame.schema)
        }
    }

    @Test("log1p and power: out-of-domain values refuse to fit, and become null when scoring")
    func domains() throws {
        let bad = try Frame(["v": .double([0, -2, 3])])
        #expect(throws: PipelineError.self) { try fit(Log1pTransform(), bad) }
        #expect(throws: PipelineError.self) { try fit(PowerFeature(exponent: 0.5), bad) }
        let good = try Frame(["v": .double([0, 1, 3])])
        let log = try fit(Log1pTransform(), good)
        let scored = try log.transform(bad)
        #expect(try scored.column("v").isNull(1) && scored.doubles("v")[2] == Foundation.log1p(3.0))
        let sqrt = try fit(PowerFeature(exponent: 0.5), good)
        #expect(try sqrt.transform(bad).column("v").isNull(1))
        let signed = try fit(PowerFeature(exponent: 0.5, signed: true), bad)
        #expect(try signed.transform(bad).doubles("v") == [0, -(2.0).squareRoot(), (3.0).squareRoot()])
        #expect(try fit(PowerFeature(exponent: 3), bad).transform(bad).doubles("v") == [0, -8, 27])
    }

    @Test("date parts of a date column: no hour, nulls stay null, the original kept on request")
    func datePartsOfDates() throws {
        let frame = try sample()
        let out = try Self.fitTransform(DateParts(parts: [.year, .dayOfWeek, .hour, .daysSince(year: 1970, month: 1, day: 2)],
                                                  keepOriginal: true), frame)
        #expect(out.columnNames == ["x", "n", "plan", "d_year", "d_dayofweek", "d_days_since_1970-01-02", "d"])
        #expect(try out.int64s("d_year")[0...1] == [1970, 1970] && out.int64s("d_year")[3] == 2000)
        #expect(try out.int64s("d_dayofweek")[0] == 3 && out.int64s("d_dayofweek")[4] == 2)  // Thu, Wed
        #expect(try out.column("d_year").isNull(2) && out.column("d_days_since_1970-01-02").isNull(2))
        #expect(try out.doubles("d_days_since_1970-01-02")[0] == -1)
    }

    @Test("polynomial features: nulls propagate, the bias never null, the block replaces its columns")
    func polynomialNulls() throws {
        let out = try Self.fitTransform(PolynomialFeatures(columns: .names("x", "n")), sample())
        #expect(out.columnNames == ["1", "x", "n", "x^2", "x n", "n^2", "plan", "d"])
        #expect(try out.column("1").nullCount == 0 && out.column("x n").isNull(1) && out.column("x n").isNull(2))
        #expect(try out.doubles("x n")[0] == 10 && out.doubles("n^2")[1] == 400)
    }

    @Test("subsampling draws from the seeded generator: same seed, same state; another seed, another")
    func determinism() throws {
        var rng = SeededGenerator(seed: 3)
        let frame = try Frame(["v": .double((0..<3000).map { _ in rng.logNormal(mu: 0, sigma: 1) })])
        let stage = QuantileTransformer(quantiles: 100, subsample: 500)
        let a = try fit(stage, frame, seed: 9), b = try fit(stage, frame, seed: 9), c = try fit(stage, frame, seed: 10)
        #expect(a == b && a != c)
        let bins = KBinsDiscretizer(bins: 7, subsample: 1000)
        #expect(try fit(bins, frame, seed: 4) == fit(bins, frame, seed: 4))
        #expect(try fit(PowerTransformer(), frame) == fit(PowerTransformer(), frame))
    }

    @Test("a custom closure stage: declared schema checked, rows kept, artifacts need it registered by name")
    func custom() throws {
        let name = "double_x_\(UUID().uuidString)"
        let stage = CustomStage(name, output: { $0 }) { frame in
            try frame.setting("x", to: .double(try frame.doubles("x").map { Optional($0 * 2) }))
        }
        let fitted = try fit(stage, try sample())
        #expect(try fitted.transform(sample()).doubles("x")[0] == 2)
        let encoded = try JSONEncoder().encode(AnyFittedTransformer(fitted))
        let decoder = JSONDecoder()
        ArtifactCodec.standard.configure(decoder)
        #expect(throws: DecodingError.self) { try decoder.decode(AnyFittedTransformer.self, from: encoded) }
        ArtifactCodec.standard.adding(customStages: [stage]).configure(decoder)
        let decoded = try decoder.decode(AnyFittedTransformer.self, from: encoded)
        #expect(try decoded.base.transform(sample()).doubles("x")[0] == 2)

        let liar = CustomStage("liar_\(UUID().uuidString)", output: { $0 }) { frame in try frame.dropping(["plan"]) }
        #expect(throws: PipelineError.self) { try fit(liar, sample()).transform(sample()) }
        let dropper = CustomStage("dropper_\(UUID().uuidString)", output: { $0 }) { frame in frame.head(2) }
        #expect(throws: PipelineError.self) { try fit(dropper, sample()).transform(sample()) }
    }

    /// wine with a date column and string labels, for pipelines.
    func wineFrame() throws -> Frame {
        let d = try Dataset.load("wine")
        return try d.frame
            .setting("bottled", to: .date((0..<d.features.rows).map { Int32(10_000 + $0 * 37) }))
            .setting("target", to: .string(d.target))
    }

    func transformPipeline(_ custom: CustomStage) -> Pipeline<LogisticRegression> {
        Pipeline(target: "target", estimator: LogisticRegression()) {
            ColumnRatio("alcohol", "ash", as: "alcohol_per_ash")
            ColumnDifference("flavanoids", "total_phenols")
            DateParts(parts: [.year, .month, .dayOfWeek, .daysSince(year: 2000, month: 1, day: 1)])
            OutlierClipper(columns: .names("malic_acid", "magnesium"))
            Log1pTransform(columns: .names("proline"))
            PowerTransformer(columns: .names("color_intensity", "malic_acid"))
            QuantileTransformer(columns: .names("magnesium"), quantiles: 50, output: .normal)
            RobustScaler(columns: .names("alcalinity_of_ash"))
            MaxAbsScaler(columns: .names("hue"))
            KBinsDiscretizer(columns: .names("nonflavanoid_phenols"), bins: 4)
            PolynomialFeatures(columns: .names("alcohol", "flavanoids"), degree: 2, includeBias: false)
            PowerFeature(columns: .names("proanthocyanins"), exponent: 0.5)
            custom
            MinMaxScaler(columns: .numeric)
        }
    }

    @Test("a pipeline of transform stages round-trips through an artifact and predicts bit-identically")
    func artifactRoundTrip() throws {
        let custom = CustomStage("od_squared_\(UUID().uuidString)", output: { input in
            try Schema(input.fields + [Field("od_sq", .double)])
        }) { frame in
            let od = try frame.doubles("od280/od315_of_diluted_wines")
            return try frame.setting("od_sq", to: .double(od.map { Optional($0 * $0) }))
        }
        let frame = try wineFrame()
        let pipeline = transformPipeline(custom)
        let fitted = try pipeline.fit(frame, seed: 5)
        #expect(fitted.featureNames.contains("alcohol flavanoids") && fitted.featureNames.contains("bottled_year"))
        #expect(try pipeline.outputSchema(for: frame.schema).names == fitted.featureNames)
        let dir = try Fixtures.temporaryDirectory("transforms")
        let a = dir.appendingPathComponent("a.sluice"), b = dir.appendingPathComponent("b.sluice")
        try Artifact.save(fitted, to: a)
        try Artifact.save(try pipeline.fit(frame, seed: 5), to: b)
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        #expect(throws: ArtifactError.self, "a custom stage the codec does not know") {
            try Artifact.load(from: a, checking: frame.schema)
        }
        let loaded = try Artifact.load(from: a, checking: frame.schema, codec: .standard.adding(customStages: [custom]))
        let p = try fitted.predict(frame), q = try loaded.predict(frame)
        #expect(p.probabilities == q.probabilities && p.values == q.values)
        let truth = try frame.strings("target")
        let predicted = try p.values.stringValues()
        let correct = (0..<frame.rowCount).filter { truth[$0] == predicted[$0] }.count
        #expect(Double(correct) / Double(frame.rowCount) > 0.9)
    }
}
