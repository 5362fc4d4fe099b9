import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// A one-hot encoding inside a ColumnTransformer route, given as CSR: the nightly churn
/// pipeline's shape (numbers imputed and scaled, categories imputed and encoded).
@Suite("One-hot as CSR inside a ColumnTransformer route: Newton logistic regression gives the dense pipeline's model")
struct SparseRouteTests {
    /// `n` rows: two numbers (some missing), two categories (some missing), a label of
    /// `classes` classes that depends on all four.
    static func frame(rows n: Int, classes: Int, seed: Int = 0) throws -> Frame {
        var a = [Double?](), b = [Double?](), plan = [String?](), region = [String?](), label = [String]()
        let plans = ["basic", "plus", "pro"], regions = ["north", "south", "east", "west", "centre"]
        for i in 0..<n {
            let u = Double((i &* 7919 &+ seed &* 104_729) % 1000) / 1000, v = Double((i &* 104_723 &+ 17) % 997) / 997
            let p = (i &* 31 &+ seed) % 3, r = (i &* 17 &+ i / 7) % 5
            a.append(i % 23 == 0 ? nil : u * 10)
            b.append(i % 29 == 0 ? nil : v * v * 3 - 1)
            plan.append(i % 31 == 0 ? nil : plans[p])
            region.append(i % 37 == 0 ? nil : regions[r])
            let score = 1.3 * u - 0.8 * v + 0.6 * Double(p) - 0.4 * Double(r) + 0.9 * sin(Double(i))
            label.append("c\(min(classes - 1, max(0, Int((score + 1.5) / 3.8 * Double(classes)))))")
        }
        return try Frame(["a": .double(a), "b": .double(b), "plan": .string(plan), "region": .string(region),
                          "label": .string(label)])
    }

    func pipeline(sparse: Bool, categoriesFirst: Bool = false) -> Pipeline<LogisticRegression> {
        let numeric = ColumnTransformer.Route(.numeric, SimpleImputer(strategy: .median), StandardScaler())
        let categorical = ColumnTransformer.Route(.categorical, SimpleImputer(strategy: .mostFrequent),
                                                  OneHotEncoder(sparse: sparse))
        var transformer = ColumnTransformer(remainder: .drop, numeric, categorical)
        if categoriesFirst { transformer.routes.reverse() }
        return Pipeline(target: "label", estimator: LogisticRegression(c: 0.5)) { transformer }
    }

    @Test("binary and multinomial: the same probabilities as the dense pipeline, saved, loaded and scored", arguments: [2, 3])
    func sameModel(classes: Int) throws {
        let train = try Self.frame(rows: 3000, classes: classes), test = try Self.frame(rows: 500, classes: classes, seed: 5)
        let dense = try pipeline(sparse: false).fit(train)
        let sparse = try pipeline(sparse: true).fit(train)
        #expect(sparse.features.sparseNames?.first == "plan=basic", "the one-hot features left the frame as CSR")
        #expect(sparse.featureNames == dense.featureNames, "numbers first, then the one-hot columns, as the dense frame")
        let expected = try dense.predictProbabilities(test).elements
        #expect(isApproximatelyEqual(try sparse.predictProbabilities(test).elements, expected, absolute: 1e-9))
        #expect(try sparse.predict(test).codes == (try dense.predict(test).codes))
        let url = try Fixtures.temporaryDirectory("sparse-route").appendingPathComponent("route.sluice")
        try Artifact.save(sparse, to: url)
        let loaded = try Artifact.load(from: url, checking: test.schema)
        #expect(try loaded.predictProbabilities(test).elements == (try sparse.predictProbabilities(test).elements))
        #expect(try loaded.score(test) == (try sparse.score(test)))
    }

    @Test("sparse routes first: the frame's numbers still come first, and the model is the same")
    func routeOrder() throws {
        let train = try Self.frame(rows: 2000, classes: 2), test = try Self.frame(rows: 300, classes: 2, seed: 9)
        let dense = try pipeline(sparse: false).fit(train)
        let sparse = try pipeline(sparse: true, categoriesFirst: true).fit(train)
        #expect(sparse.featureNames.first == "a")
        #expect(isApproximatelyEqual(try sparse.predictProbabilities(test).elements,
                                     try dense.predictProbabilities(test).elements, absolute: 1e-9))
    }

    @Test("an unseen category scores as all-zero one-hot and is counted, as the dense encoder does")
    func unseenCategory() throws {
        let train = try Self.frame(rows: 1000, classes: 2)
        let fitted = try pipeline(sparse: true).fit(train)
        let dense = try pipeline(sparse: false).fit(train)
        let test = try Frame(["a": .double([1, nil]), "b": .double([0.5, 2]), "plan": .string(["enterprise", "pro"]),
                              "region": .string(["north", "mars"]), "label": .string(["c0", "c1"])])
        var report = TransformReport()
        let p = try fitted.predict(test, report: &report)
        #expect(report.totalUnknown == 2)
        #expect(isApproximatelyEqual(p.probabilities?.elements ?? [], try dense.predictProbabilities(test).elements,
                                     absolute: 1e-9))
    }

    @Test("a sparse stage before another stage of its route is refused, naming it")
    func sparseStageMustEndItsRoute() throws {
        let train = try Self.frame(rows: 200, classes: 2)
        let p = Pipeline(target: "label", estimator: LogisticRegression()) {
            ColumnTransformer(remainder: .drop, .init(.categorical, OneHotEncoder(sparse: true), StandardScaler()))
        }
        #expect(throws: PipelineError.self) { try p.fit(train) }
        let dense = Pipeline(target: "label", estimator: GaussianNaiveBayes()) {
            ColumnTransformer(remainder: .drop, .init(.categorical, OneHotEncoder(sparse: true)))
        }
        #expect(throws: PipelineError.self) { try dense.fit(train) }
    }

    @Test("L-BFGS on the same features reaches the Newton model to its tolerance")
    func lbfgsAgrees() throws {
        let train = try Self.frame(rows: 2000, classes: 2), test = try Self.frame(rows: 300, classes: 2, seed: 2)
        let newton = try pipeline(sparse: true).fit(train)
        var lbfgs = pipeline(sparse: true)
        lbfgs.estimator = LogisticRegression(c: 0.5, maxIterations: 10_000, tolerance: 1e-10, solver: .lbfgs)
        let fitted = try lbfgs.fit(train)
        #expect(isApproximatelyEqual(try fitted.predictProbabilities(test).elements,
                                     try newton.predictProbabilities(test).elements, absolute: 1e-5))
    }
}
