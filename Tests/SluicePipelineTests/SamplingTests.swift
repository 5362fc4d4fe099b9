import Foundation
import Testing
import SluiceCompute
import SluiceFrame
@testable import SluicePipeline
import SluiceTestSupport

/// imbalanced-learn's results, written by `Scripts/sampling.py`.
enum SamplingExpectations {
    nonisolated(unsafe) static let json = Expectations.load("sampling")
    static func entry(_ k: String) -> [String: Any] { json[k] as? [String: Any] ?? [:] }
    static func counts(_ k: String, _ field: String) -> [String: Int] { entry(k)[field] as? [String: Int] ?? [:] }
}

/// A dataset's features as a frame, and its target as a string column.
func labelled(_ name: String) throws -> (Frame, Column) {
    let data = try Dataset.load(name)
    return (try data.frame, Column.string(data.target.map { Optional($0) }))
}

func classCounts(_ target: Column) throws -> [String: Int] {
    let labels = try ClassLabels(column: target, name: "target")
    return Dictionary(uniqueKeysWithValues: zip(labels.classes, labels.classCounts))
}

/// Wine's five numeric columns plus two categorical ones, as `sampling.py` builds them.
func mixedWine() throws -> (Frame, Column) {
    let (wine, target) = try labelled("wine")
    let alcohol = try wine.doubles("alcohol")
    let band = alcohol.map { $0 < 12.5 ? "low" : $0 < 13.5 ? "mid" : "high" }
    let odd = (0..<wine.rowCount).map { $0 % 2 == 1 ? "odd" : "even" }
    var frame = try wine.selecting(["alcohol", "malic_acid", "ash", "color_intensity", "hue"])
    try frame.set("band", to: .string(band.map { Optional($0) }))
    try frame.set("odd", to: .string(odd.map { Optional($0) }))
    return (frame, target)
}

/// Where `s` lies on the segment from `a` to `b`: the step in [0, 1], or nil when it is off it.
func stepOnSegment(_ s: [Double], _ a: [Double], _ b: [Double]) -> Double? {
    var ab = 0.0, sa = 0.0, scale = 1.0
    for j in s.indices {
        ab += (b[j] - a[j]) * (b[j] - a[j])
        sa += (s[j] - a[j]) * (b[j] - a[j])
        scale = max(scale, abs(a[j]), abs(b[j]))
    }
    let u = ab > 0 ? sa / ab : 0
    guard u >= -1e-12, u <= 1 + 1e-12 else { return nil }
    for j in s.indices where abs(a[j] + u * (b[j] - a[j]) - s[j]) > 1e-9 * scale { return nil }
    return u
}

/// Brute-force k nearest neighbours of row `i` among `rows` (by `distance`), accepting
/// every row tied with the k-th: the set any correct search may return.
func bruteNeighbours(_ i: Int, _ n: Int, k: Int, distance: (Int, Int) -> Double) -> Set<Int> {
    let d = (0..<n).filter { $0 != i }.map { ($0, distance(i, $0)) }.sorted { $0.1 < $1.1 }
    let kth = d[k - 1].1
    return Set(d.filter { $0.1 <= kth * (1 + 1e-12) + 1e-300 }.map(\.0))
}

@Suite("Samplers match imbalanced-learn")
struct SamplingParityTests {
    @Test("random over- and under-sampling: class counts equal imbalanced-learn's", arguments: [
        ("over_auto_wine", "wine"), ("under_auto_wine", "wine"), ("over_ratio_bc", "breast_cancer"),
        ("under_ratio_bc", "breast_cancer"), ("over_counts_wine", "wine"), ("under_counts_wine", "wine"),
    ])
    func randomCounts(key: String, dataset: String) throws {
        let (frame, target) = try labelled(dataset)
        let sampler: any Sampler = switch key {
        case "over_auto_wine": RandomOverSampler()
        case "under_auto_wine": RandomUnderSampler()
        case "over_ratio_bc": RandomOverSampler(strategy: .ratio(0.8))
        case "under_ratio_bc": RandomUnderSampler(strategy: .ratio(0.8))
        case "over_counts_wine": RandomOverSampler(strategy: .counts(["class_0": 80, "class_2": 70]))
        default: RandomUnderSampler(strategy: .counts(["class_1": 50, "class_0": 40]))
        }
        #expect(try classCounts(target) == SamplingExpectations.counts(key, "before"))
        var ctx = FitContext(seed: 3)
        let (out, y) = try sampler.resample(frame, target: target, context: &ctx)
        #expect(out.rowCount == y.count)
        #expect(try classCounts(y) == SamplingExpectations.counts(key, "after"))
        #expect(!SamplingExpectations.counts(key, "after").isEmpty)
    }

    @Test("SMOTE: class counts equal imbalanced-learn's", arguments: [
        ("smote_auto_bc", "breast_cancer", SamplingStrategy.auto), ("smote_auto_wine", "wine", .auto),
        ("smote_ratio_bc", "breast_cancer", .ratio(0.75)),
    ])
    func smoteCounts(key: String, dataset: String, strategy: SamplingStrategy) throws {
        let (frame, target) = try labelled(dataset)
        var ctx = FitContext(seed: 5)
        let (out, y) = try SMOTE(strategy: strategy).resample(frame, target: target, context: &ctx)
        #expect(out.rowCount == y.count)
        #expect(try classCounts(y) == SamplingExpectations.counts(key, "after"))
        #expect(!SamplingExpectations.counts(key, "after").isEmpty)
    }

    @Test("SMOTE-NC: class counts and the categorical penalty (median numeric std) equal imbalanced-learn's")
    func smotencCounts() throws {
        let (frame, target) = try mixedWine()
        var ctx = FitContext(seed: 5)
        let (out, y) = try SMOTENC().resample(frame, target: target, context: &ctx)
        #expect(out.schema == frame.schema)
        #expect(try classCounts(y) == SamplingExpectations.counts("smotenc_wine", "after"))
        let medians = SamplingExpectations.entry("smotenc_wine")["median_std"] as? [String: Double] ?? [:]
        #expect(medians.count == 2)
        let labels = try ClassLabels(column: target, name: "target")
        let x = try frame.matrix(columns: ["alcohol", "malic_acid", "ash", "color_intensity", "hue"])
        for (name, expected) in medians {
            let rows = labels.codes.indices.filter { labels.classes[labels.codes[$0]] == name }
            let got = SMOTENC.medianStandardDeviation(x.gatheringRows(rows))
            #expect(isApproximatelyEqual(got, expected, relative: 1e-12))
        }
    }

    @Test("OutlierRemover keeps the rows pandas keeps, by IQR fences and by |z|")
    func outliers() throws {
        let (frame, _) = try labelled("diabetes")
        let e = SamplingExpectations.entry("outliers_diabetes")
        let columns = e["columns"] as? [String] ?? []
        let target = Column.int64((0..<frame.rowCount).map { Int64($0) })
        for (rule, key) in [(OutlierRemover.Rule.iqr(), "kept_iqr"), (.zScore(threshold: 2.5), "kept_z25")] {
            var ctx = FitContext(seed: 0)
            let (out, y) = try OutlierRemover(columns: .names(columns), rule: rule).resample(frame, target: target, context: &ctx)
            let kept = try y.int64Values().map { Int($0) }
            #expect(kept == e[key] as? [Int])
            #expect(out.rowCount == kept.count)
            #expect(kept.count < frame.rowCount)
        }
    }
}

@Suite("Samplers by their properties")
struct SamplingPropertyTests {
    @Test("the same seed gives the same rows; another seed other rows", arguments: ["over", "under", "smote", "smotenc"])
    func determinism(kind: String) throws {
        let (frame, target) = kind == "smotenc" ? try mixedWine() : try labelled("wine")
        let sampler: any Sampler = switch kind {
        case "over": RandomOverSampler()
        case "under": RandomUnderSampler()
        case "smote": SMOTE()
        default: SMOTENC()
        }
        func run(_ seed: UInt64) throws -> (Frame, Column) {
            var ctx = FitContext(seed: seed)
            return try sampler.resample(frame, target: target, context: &ctx)
        }
        let a = try run(11), b = try run(11), c = try run(12)
        #expect(a.0 == b.0 && a.1 == b.1)
        #expect(a.0 != c.0)
    }

    @Test("over-samplers keep the original rows first and unchanged")
    func originalsFirst() throws {
        let (frame, target) = try mixedWine()
        for sampler in [RandomOverSampler() as any Sampler, SMOTENC()] {
            var ctx = FitContext(seed: 1)
            let (out, y) = try sampler.resample(frame, target: target, context: &ctx)
            #expect(out.head(frame.rowCount) == frame)
            #expect(y.slice(0..<frame.rowCount) == target)
        }
    }

    @Test("SMOTE: every synthetic row lies on a segment from a class row to one of its 5 nearest class rows")
    func smoteSegments() throws {
        let (frame, target) = try labelled("breast_cancer")
        var ctx = FitContext(seed: 9)
        let (out, y) = try SMOTE().resample(frame, target: target, context: &ctx)
        let x = try frame.matrix(columns: frame.columnNames), xs = try out.matrix(columns: frame.columnNames)
        let minority = (0..<frame.rowCount).filter { target[$0] == .string("malignant") }
        let points = minority.map { x.row($0) }
        func dist(_ i: Int, _ j: Int) -> Double { zip(points[i], points[j]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        let neighbours = points.indices.map { bruteNeighbours($0, points.count, k: 5, distance: dist) }
        var steps: [Double] = []
        for r in frame.rowCount..<out.rowCount {
            #expect(y[r] == .string("malignant"))
            let s = xs.row(r)
            let found = points.indices.lazy.compactMap { i in
                neighbours[i].lazy.compactMap { stepOnSegment(s, points[i], points[$0]) }.first
            }.first
            #expect(found != nil, "synthetic row \(r) is on no neighbour segment")
            if let u = found { steps.append(u) }
        }
        #expect(steps.count == 357 - 212)
        let mean = steps.reduce(0, +) / Double(steps.count)
        #expect(mean > 0.35 && mean < 0.65)  // steps are uniform in [0, 1)
    }

    @Test("SMOTE-NC: numeric part on a neighbour segment, categories the mode of the row's neighbours")
    func smotencProperties() throws {
        let (frame, target) = try mixedWine()
        var ctx = FitContext(seed: 4)
        let (out, y) = try SMOTENC().resample(frame, target: target, context: &ctx)
        let numeric = ["alcohol", "malic_acid", "ash", "color_intensity", "hue"]
        let x = try frame.matrix(columns: numeric), xs = try out.matrix(columns: numeric)
        let medians = SamplingExpectations.entry("smotenc_wine")["median_std"] as? [String: Double] ?? [:]
        let band = try frame.strings("band"), odd = try frame.strings("odd")
        let outBand = try out.strings("band"), outOdd = try out.strings("odd")
        var checked = 0
        for name in medians.keys.sorted() {
            let penalty2 = (medians[name] ?? 0) * (medians[name] ?? 0)
            let rows = (0..<frame.rowCount).filter { target[$0] == .string(name) }
            let points = rows.map { x.row($0) }
            func dist(_ i: Int, _ j: Int) -> Double {
                let a = rows[i], b = rows[j]
                let cats = (band[a] != band[b] ? 1.0 : 0) + (odd[a] != odd[b] ? 1.0 : 0)
                return zip(points[i], points[j]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } + penalty2 * cats
            }
            let neighbours = points.indices.map { bruteNeighbours($0, points.count, k: 5, distance: dist) }
            for r in frame.rowCount..<out.rowCount where y[r] == .string(name) {
                let s = xs.row(r)
                // A row on the segment between two mutual neighbours may have come from either end.
                let bases = points.indices.filter { i in neighbours[i].contains { stepOnSegment(s, points[i], points[$0]) != nil } }
                #expect(!bases.isEmpty, "synthetic row \(r) is on no neighbour segment")
                func isMode(_ column: StringColumn, _ value: String?, base i: Int) -> Bool {
                    var counts: [String: Int] = [:]
                    for j in neighbours[i] { counts[column[rows[j]] ?? "null", default: 0] += 1 }
                    return counts[value ?? "null"] == counts.values.max()
                }
                #expect(bases.contains { isMode(band, outBand[r], base: $0) && isMode(odd, outOdd[r], base: $0) },
                        "row \(r): categories \(outBand[r] ?? "null"), \(outOdd[r] ?? "null") are no mode of the neighbours of \(bases)")
                checked += 1
            }
        }
        #expect(checked == 12 + 23)
    }

    @Test("the blocked BLAS search finds the brute-force neighbours across query blocks and reference tiles")
    func nearestNeighbours() throws {
        let x = Fixtures.matrix(2300, 4, seed: 21)
        let k = 5
        let nn = NearestNeighbors.search(x, k: k)
        let rows = (0..<x.rows).map { x.row($0) }
        for i in stride(from: 0, to: x.rows, by: 37) {
            let d = rows.map { r in zip(rows[i], r).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            let brute = (0..<x.rows).filter { $0 != i }.sorted { d[$0] < d[$1] }.prefix(k)
            #expect(Array(nn[(i * k)..<(i * k + k)]) == Array(brute))
        }
        // With categories: the distance adds penalty² per differing code.
        let small = Fixtures.matrix(700, 3, seed: 22)
        let codes: [[Int32]] = [(0..<700).map { Int32($0 % 3) }, (0..<700).map { Int32(($0 / 7) % 2) }]
        let penalty = 0.8
        let nc = NearestNeighbors.search(small, k: k, categories: codes, penalty: penalty)
        let srows = (0..<small.rows).map { small.row($0) }
        for i in stride(from: 0, to: small.rows, by: 11) {
            let d = srows.indices.map { j in
                zip(srows[i], srows[j]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                    + penalty * penalty * Double(codes.filter { $0[i] != $0[j] }.count)
            }
            let brute = (0..<small.rows).filter { $0 != i }.sorted { d[$0] < d[$1] }.prefix(k)
            #expect(Array(nc[(i * k)..<(i * k + k)]) == Array(brute))
        }
    }

    @Test("samplers refuse what they cannot use, naming the stage and column")
    func errors() throws {
        let (mixed, target) = try mixedWine()
        var ctx = FitContext(seed: 0)
        #expect(throws: PipelineError.unsupportedType(stage: "SMOTE", column: "band", type: .string,
            expected: "a numeric column (encode it first, or use SMOTENC for categorical columns)")) {
            try SMOTE().resample(mixed, target: target, context: &ctx)
        }
        var holes = try mixed.selecting(["alcohol", "hue"])
        try holes.set("hue", to: .double((0..<holes.rowCount).map { $0 == 7 ? nil : 1.0 }))
        #expect(throws: PipelineError.invalidValue(stage: "SMOTE", column: "hue",
            reason: "missing or non-finite value at row 7; impute before over-sampling")) {
            try SMOTE().resample(holes, target: target, context: &ctx)
        }
        #expect(throws: PipelineError.self) {
            try RandomOverSampler(strategy: .ratio(0.5)).resample(mixed, target: target, context: &ctx)
        }
        #expect(throws: PipelineError.invalidConfiguration(stage: "RandomUnderSampler",
            reason: "class 'class_9' is not in the target (classes: class_0, class_1, class_2)")) {
            try RandomUnderSampler(strategy: .counts(["class_9": 3])).resample(mixed, target: target, context: &ctx)
        }
    }
}
