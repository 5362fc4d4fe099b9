import Foundation
import Testing
import SluiceCompute
import SluiceDatasets
import SluiceFrame
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// A table where a 12-level category decides the target: levels 1, 4, 6, 9 and 11 are
/// "high" (class 1, value 10), the others low; a numeric noise column beside it. Row `i` has
/// level `i % 12`; with `missing`, every 25th row's level is NaN and its target high.
private func categoryTable(rows: Int = 600, missing: Bool = false) -> (x: Matrix<Float>, high: [Bool]) {
    var x = Matrix<Float>(rows: rows, columns: 2)
    var rng = SeededGenerator(seed: 5)
    var high = [Bool]()
    let highLevels: Set<Int> = [1, 4, 6, 9, 11]
    for i in 0..<rows {
        let c = i % 12
        let isMissing = missing && i % 25 == 0
        x[i, 0] = isMissing ? .nan : Float(c)
        x[i, 1] = Float(rng.nextDouble())
        high.append(isMissing || highLevels.contains(c))
    }
    return (x, high)
}

private let colours = (0..<12).map { "c\($0)" }

private func set(_ x: Matrix<Float>, values: [Double]) -> TrainingSet<Float> {
    TrainingSet(features: x, featureNames: ["colour", "noise"],
                categorical: [CategoricalFeature(index: 0, categories: colours)], target: .values(values))
}

private func set(_ x: Matrix<Float>, classes: [Int]) -> TrainingSet<Float> {
    TrainingSet(features: x, featureNames: ["colour", "noise"],
                categorical: [CategoricalFeature(index: 0, categories: colours)],
                target: .classes(ClassLabels(classes.map { "k\($0)" })))
}

@Suite("CART native categorical splits: category sets, missing side, artifacts, SHAP, rules, pipelines")
struct TreeCategoricalTests {
    static let splitters: [TreeSplitter] = [.exact, .histogram(maxBins: 8), .random]

    @Test("a many-level category that decides the target is split optimally at depth 1 (one-hot cannot)",
          arguments: splitters)
    func optimalAtDepthOne(splitter: TreeSplitter) throws {
        let (x, high) = categoryTable()
        let values = high.map { $0 ? 10.0 : 0 }
        var c = FitContext(seed: 1)
        let native = try DecisionTreeRegressor(splitter: splitter, maxDepth: 1, categoricalSplits: true)
            .fit(set(x, values: values), context: &c)
        if splitter != .random {
            #expect(try native.predict(x) == values)
            // The low levels go left (lower mean); no row is missing, so missing values and codes
            // beyond the 12 levels go to the larger child, the left.
            #expect(native.tree.categories(0).map { Set($0.filter { $0 < 12 }) } == [0, 2, 3, 5, 7, 8, 10])
            #expect(native.tree.missingGoesLeft[0] && native.tree.categories(0)?.contains(200) == true)
            #expect(native.rules().first?.hasPrefix("if colour in {c0, c2, c3, c5, c7, c8, c10} (or missing) then") == true)
            let clf = try DecisionTreeClassifier(splitter: splitter, maxDepth: 1, categoricalSplits: true)
                .fit(set(x, classes: high.map { $0 ? 1 : 0 }), context: &c)
            #expect(try clf.predict(x) == high.map { $0 ? 1 : 0 })
            for criterion in [RegressionCriterion.absoluteError] {
                let mae = try DecisionTreeRegressor(criterion: criterion, splitter: splitter, maxDepth: 1, categoricalSplits: true)
                    .fit(set(x, values: values), context: &c)
                #expect(try mae.predict(x) == values)
            }
        }
        #expect(native.featureImportances == [1, 0])
        // Without the option the codes are numbers: a depth-1 tree cuts them at one threshold.
        let numeric = try DecisionTreeRegressor(splitter: .exact, maxDepth: 1).fit(set(x, values: values), context: &c)
        #expect(numeric.tree.categorySets.isEmpty)
        #expect(Metrics.r2(values, try numeric.predict(x)) < 0.5)
    }

    @Test("multiclass: one-vs-rest orderings separate three groups of levels in two splits")
    func multiclass() throws {
        let (x, _) = categoryTable()
        let groups = (0..<x.rows).map { i in [0, 1, 2, 0, 1, 2, 2, 1, 0, 0, 1, 2][i % 12] }
        var c = FitContext(seed: 1)
        for splitter in [TreeSplitter.exact, .histogram(maxBins: 4)] {
            let model = try DecisionTreeClassifier(criterion: .entropy, splitter: splitter, maxDepth: 2, categoricalSplits: true)
                .fit(set(x, classes: groups), context: &c)
            #expect(try model.predict(x) == groups)
        }
    }

    @Test("missing and unseen categories take the learned missing side", arguments: [TreeSplitter.exact, .histogram(maxBins: 16)])
    func missingSide(splitter: TreeSplitter) throws {
        let (x, high) = categoryTable(missing: true)
        var c = FitContext(seed: 1)
        let model = try DecisionTreeClassifier(splitter: splitter, maxDepth: 1, categoricalSplits: true)
            .fit(set(x, classes: high.map { $0 ? 1 : 0 }), context: &c)
        #expect(try model.predict(x) == high.map { $0 ? 1 : 0 })
        #expect(model.tree.missingGoesLeft[0] == false, "missing rows are high: right, with the high levels")
        let odd = Matrix<Float>([[.nan, 0.5], [30, 0.5], [2.5, 0.5], [-1, 0.5], [0, 0.5]])
        #expect(try model.predict(odd) == [1, 1, 1, 1, 0])
        // A level absent from the node follows the missing side too.
        let rows = (0..<x.rows).filter { Int(exactly: x[$0, 0]) != 11 }
        let sub = Matrix<Float>(rows: rows.count, columns: 2) { out in
            for (k, i) in rows.enumerated() { out.initializeElement(at: 2 * k, to: x[i, 0]); out.initializeElement(at: 2 * k + 1, to: x[i, 1]) }
        }
        let without = try DecisionTreeClassifier(splitter: splitter, maxDepth: 1, categoricalSplits: true)
            .fit(set(sub, classes: rows.map { high[$0] ? 1 : 0 }), context: &c)
        #expect(try without.predict(Matrix<Float>([[11, 0.5]])) == [1])
    }

    @Test("two categories: the same tree as the 0/1 column split numerically", arguments: [TreeSplitter.exact, .histogram(maxBins: 32)])
    func twoCategories(splitter: TreeSplitter) throws {
        let d = try Dataset.load("diabetes")
        let p = d.features.columns
        // `sex` (column 1) takes two values: codes 0 and 1.
        let low = (0..<d.features.rows).map { d.features[$0, 1] }.min() ?? 0
        let x = Matrix<Float>(rows: d.features.rows, columns: p) { out in
            for i in 0..<d.features.rows {
                for j in 0..<p {
                    let v = d.features[i, j]
                    out.initializeElement(at: i * p + j, to: j == 1 ? (v == low ? 0 : 1) : Float(v))
                }
            }
        }
        let y = d.target.map { Double($0)! }
        var c1 = FitContext(seed: 3), c2 = FitContext(seed: 3)
        let categorical = [CategoricalFeature(index: 1, categories: ["f", "m"])]
        for criterion in [RegressionCriterion.squaredError, .absoluteError] {
            let native = try DecisionTreeRegressor(criterion: criterion, splitter: splitter, maxDepth: 8, categoricalSplits: true)
                .fit(TrainingSet(features: x, categorical: categorical, target: .values(y)), context: &c1)
            let numeric = try DecisionTreeRegressor(criterion: criterion, splitter: splitter, maxDepth: 8)
                .fit(TrainingSet(features: x, categorical: categorical, target: .values(y)), context: &c2)
            #expect(native.tree.categorySets.contains { $0 >= 0 })
            #expect(try native.predict(x) == numeric.predict(x))
            #expect(native.tree.nodeCount == numeric.tree.nodeCount)
            #expect(zip(native.featureImportances, numeric.featureImportances).allSatisfy { abs($0 - $1) < 1e-12 })
        }
    }

    @Test("artifacts: the category sets round-trip; trees and hyperparameters saved before them still decode")
    func roundTrip() throws {
        let (x, high) = categoryTable(missing: true)
        var c = FitContext(seed: 1)
        let model = try DecisionTreeRegressor(maxDepth: 3, categoricalSplits: true)
            .fit(set(x, values: high.map { $0 ? 10.0 : 0 }), context: &c)
        let back = try JSONDecoder().decode(DecisionTreeRegressor.Model.self, from: JSONEncoder().encode(model))
        #expect(back == model && back.categorical.count == 1)
        #expect(try back.predict(x) == model.predict(x))
        let forest = try RandomForestClassifier(treeCount: 4, maxDepth: 3, categoricalSplits: true)
            .fit(set(x, classes: high.map { $0 ? 1 : 0 }), context: &c)
        let forestBack = try JSONDecoder().decode(RandomForestClassifier.Model.self, from: JSONEncoder().encode(forest))
        #expect(try forestBack.predictProbabilities(x) == forest.predictProbabilities(x))
        try forestBack.validate()
        // Older JSON: no category fields anywhere.
        let plain = try DecisionTreeRegressor(maxDepth: 2).fit(set(x, values: high.map { $0 ? 10.0 : 0 }), context: &c)
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(plain)) as? [String: Any])
        #expect((object["tree"] as? [String: Any])?["categorySets"] == nil, "a tree without category splits encodes as before")
        object["categorical"] = nil
        let old = try JSONDecoder().decode(DecisionTreeRegressor.Model.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old == plain)
        func withoutOption<L: Codable>(_ learner: L) throws -> L {
            var o = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(learner)) as? [String: Any])
            #expect(o["categoricalSplits"] as? Bool == false)
            o["categoricalSplits"] = nil
            return try JSONDecoder().decode(L.self, from: JSONSerialization.data(withJSONObject: o))
        }
        #expect(try withoutOption(DecisionTreeClassifier(maxDepth: 2)) == DecisionTreeClassifier(maxDepth: 2))
        #expect(try withoutOption(DecisionTreeRegressor(maxDepth: 2)) == DecisionTreeRegressor(maxDepth: 2))
        #expect(try withoutOption(RandomForestClassifier(treeCount: 2)) == RandomForestClassifier(treeCount: 2))
        #expect(try withoutOption(RandomForestRegressor(treeCount: 2)) == RandomForestRegressor(treeCount: 2))
        // A crafted set index is refused.
        var bad = model
        bad.tree.categorySets[0] = 9
        #expect(throws: FittedStateError.self) { try bad.validate() }
    }

    @Test("TreeSHAP: contributions plus the expected value sum to the prediction, through the category sets")
    func shap() throws {
        let (x, high) = categoryTable(missing: true)
        let values = (0..<x.rows).map { (high[$0] ? 10.0 : 0) + Double(x[$0, 1]) }
        var c = FitContext(seed: 1)
        let tree = try DecisionTreeRegressor(maxDepth: 4, categoricalSplits: true).fit(set(x, values: values), context: &c)
        let forest = try RandomForestRegressor(treeCount: 5, splitter: .histogram(maxBins: 16), maxDepth: 4, categoricalSplits: true)
            .fit(set(x, values: values), context: &c)
        let probe = Matrix<Float>([[.nan, 0.2], [30, 0.9], [4, 0.1], [3, 0.7]])
        for (phi, e, p) in [(try tree.contributions(x), tree.expectedValues[0], try tree.predict(x)),
                            (try forest.contributions(x), forest.expectedValues[0], try forest.predict(x)),
                            (try tree.contributions(probe), tree.expectedValues[0], try tree.predict(probe))] {
            for i in 0..<phi.rows {
                #expect(abs(phi[i, 0] + phi[i, 1] + e - p[i]) < 1e-9)
            }
        }
        #expect(try tree.contributions(Matrix<Float>([[4, 0.5]]))[0, 0] > 0, "a high level raises the prediction")
    }

    @Test("rules name the categories: colour in {…} and not in {…}")
    func rules() throws {
        let (x, high) = categoryTable(missing: true)
        var c = FitContext(seed: 1)
        let model = try DecisionTreeClassifier(maxDepth: 1, categoricalSplits: true)
            .fit(set(x, classes: high.map { $0 ? 1 : 0 }), context: &c)
        let rules = model.rules(target: "high")
        #expect(rules.count == 2)
        #expect(rules.first?.hasPrefix("if colour in {c0, c2, c3, c5, c7, c8, c10} then high = k0 (p 1)") == true)
        #expect(rules.last?.hasPrefix("if colour not in {c0, c2, c3, c5, c7, c8, c10} (or missing) then high = k1 (p 1)") == true)
    }

    @Test("bad category input is refused with typed errors")
    func refused() throws {
        var c = FitContext(seed: 1)
        let (x, high) = categoryTable()
        var bad = x
        bad[3, 0] = 2.5
        #expect(throws: EstimatorError.self) {
            try DecisionTreeRegressor(categoricalSplits: true).fit(set(bad, values: high.map { $0 ? 1.0 : 0 }), context: &c)
        }
        bad[3, 0] = 12
        #expect(throws: EstimatorError.self) {
            try RandomForestClassifier(treeCount: 2, categoricalSplits: true).fit(set(bad, classes: high.map { $0 ? 1 : 0 }), context: &c)
        }
        let many = TrainingSet(features: x, categorical: [CategoricalFeature(index: 0, categories: (0..<300).map { "v\($0)" })],
                               target: .values(high.map { $0 ? 1.0 : 0 }))
        #expect(throws: EstimatorError.self) { try DecisionTreeRegressor(categoricalSplits: true).fit(many, context: &c) }
    }

    @Test("through a pipeline: with categoricalSplits a string column reaches the tree as codes, no one-hot or imputer")
    func pipeline() throws {
        let train = try churnLike(rows: 1500, seed: 1), test = try churnLike(rows: 400, seed: 2)
        let plain = Pipeline(target: "churn", estimator: DecisionTreeClassifier(maxDepth: 4))
        #expect(throws: PipelineError.nonNumericFeature(column: "plan", type: .string)) { try plain.fit(train, seed: 1) }
        for estimator in [DecisionTreeClassifier(maxDepth: 4, categoricalSplits: true)] {
            let fitted = try Pipeline(target: "churn", estimator: estimator).fit(train, seed: 1)
            let model = try fitted.model(as: DecisionTreeClassifier.Model.self)
            #expect(model.categorical.map(\.categories) == [["basic", "family", "premium"]])
            #expect(model.tree.categorySets.contains { $0 >= 0 })
            #expect(model.rules(target: "churn").contains { $0.contains("plan in {") || $0.contains("plan not in {") })
            let dir = try Fixtures.temporaryDirectory("categorical-tree")
            let url = dir.appendingPathComponent("tree.sluice")
            try Artifact.save(fitted, to: url)
            let loaded = try Artifact.load(from: url, checking: test.schema)
            #expect(try loaded.predict(test).probabilities == fitted.predict(test).probabilities)
            let truth = try ClassLabels(column: test.column("churn"), name: "churn")
            let p = try fitted.predict(test)
            #expect(Metrics.rocAUC(truth.codes, scores: (0..<test.rowCount).map { p.probabilities![$0, 1] }) > 0.7)
        }
        let forest = try Pipeline(target: "churn", estimator: RandomForestClassifier(treeCount: 10, maxDepth: 5, categoricalSplits: true))
            .fit(train, seed: 1)
        #expect(try forest.model(as: RandomForestClassifier.Model.self).trees.contains { $0.categorySets.contains { $0 >= 0 } })
    }
}
