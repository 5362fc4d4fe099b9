import Foundation
import Testing
import SluiceCompute
import SluiceFrame
import SluicePipeline
@testable import SluiceLearn
import SluiceTestSupport

/// shap's values for scikit-learn's trees, forests and linear models, written by `Scripts/explain.py`.
nonisolated(unsafe) private let explain = Expectations.load("explain")

private func explainCase(_ key: String) -> [String: Any] { explain[key] as? [String: Any] ?? [:] }
private func doubles(_ any: Any?) -> [Double] { (any as? [Any] ?? []).map { ($0 as? Double) ?? Double(($0 as? Int) ?? 0) } }
private func matrix(_ any: Any?) -> [[Double]] { (any as? [Any] ?? []).map(doubles) }

/// scikit-learn's fitted trees of a case, rebuilt as ``DecisionTree``s.
private func sklearnTrees(_ c: [String: Any], outputs: Int) -> [DecisionTree] {
    let p = c["features"] as? Int ?? 0
    return (c["trees"] as? [[String: Any]] ?? []).map { t in
        let feature = (t["feature"] as? [Int] ?? []).map { Int32($0) }
        let n = feature.count
        return DecisionTree(featureCount: p, outputCount: outputs, feature: feature, threshold: doubles(t["threshold"]),
                            left: (t["left"] as? [Int] ?? []).map { Int32($0) }, right: (t["right"] as? [Int] ?? []).map { Int32($0) },
                            missingGoesLeft: [Bool](repeating: true, count: n), impurity: [Double](repeating: 0, count: n),
                            weightedSamples: doubles(t["weighted_samples"]),
                            samples: (t["samples"] as? [Int] ?? []).map { Int32($0) },
                            values: matrix(t["value"]).flatMap { $0 })
    }
}

/// The rows of a case as the `Float` matrix trees take.
private func floatRows(_ c: [String: Any]) -> Matrix<Float> {
    let rows = matrix(c["rows"])
    return Matrix(rows: rows.count, columns: rows.first?.count ?? 0, elements: rows.flatMap { $0.map { Float($0) } })
}

@Suite("Explanations: TreeSHAP for CART trees and random forests")
struct TreeExplanationTests {
    /// Checks a model's contributions, expected values and additivity against a case.
    func check<M: ContributionModel>(_ model: M, _ x: Matrix<M.Scalar>, _ c: [String: Any], output: Matrix<Double>) throws {
        try model.validate()
        let phi = try model.contributions(x)
        let reference = matrix(c["values"]).flatMap { $0 }
        #expect(phi.rows == x.rows && phi.columns == model.contributionOutputs * model.featureCount)
        #expect(isApproximatelyEqual(phi.elements, reference, absolute: 1e-6))
        #expect(isApproximatelyEqual(model.expectedValues, doubles(c["expected_value"]), absolute: 1e-6))
        #expect(isApproximatelyEqual(output.elements, matrix(c["output"]).flatMap { $0 }, absolute: 1e-9))
        let p = model.featureCount, e = model.expectedValues
        for i in 0..<x.rows {
            for k in 0..<model.contributionOutputs {
                let sum = (0..<p).reduce(e[k]) { $0 + phi[i, k * p + $1] }
                #expect(abs(sum - output[i, k]) < 1e-9)
            }
        }
    }

    @Test("a classification tree (iris): shap's per-class probability contributions to 1e-6, summing to 1e-9")
    func classificationTree() throws {
        let c = explainCase("tree_iris")
        let model = DecisionTreeClassifier.Model(classes: ["0", "1", "2"], featureNames: (0..<4).map { "f\($0)" },
                                                 tree: sklearnTrees(c, outputs: 3)[0])
        let x = floatRows(c)
        try check(model, x, c, output: try model.predictProbabilities(x))
    }

    @Test("a regression tree (diabetes): shap's contributions to 1e-6, summing to the prediction to 1e-9")
    func regressionTree() throws {
        let c = explainCase("tree_diabetes")
        let model = DecisionTreeRegressor.Model(featureNames: (0..<10).map { "f\($0)" }, tree: sklearnTrees(c, outputs: 1)[0])
        let x = floatRows(c)
        try check(model, x, c, output: Matrix(rows: x.rows, columns: 1, elements: try model.predict(x)))
    }

    @Test("forest classifiers (wine, 3 classes; breast cancer with balanced class weights): shap's values to 1e-6",
          arguments: [("forest_wine", 3, 13), ("forest_breast_cancer", 2, 30)])
    func forestClassifier(key: String, classes: Int, features: Int) throws {
        let c = explainCase(key)
        let model = RandomForestClassifier.Model(classes: (0..<classes).map(String.init), featureNames: (0..<features).map { "f\($0)" },
                                                 trees: sklearnTrees(c, outputs: classes))
        let x = floatRows(c)
        try check(model, x, c, output: try model.predictProbabilities(x))
    }

    @Test("a forest regressor (diabetes): shap's contributions to 1e-6, summing to the prediction to 1e-9")
    func forestRegressor() throws {
        let c = explainCase("forest_diabetes")
        let model = RandomForestRegressor.Model(featureNames: (0..<10).map { "f\($0)" }, trees: sklearnTrees(c, outputs: 1))
        let x = floatRows(c)
        try check(model, x, c, output: Matrix(rows: x.rows, columns: 1, elements: try model.predict(x)))
    }

    @Test("fitted trees and forests with missing values and weights: contributions add up to the output")
    func fittedAdditivity() throws {
        let d = try Dataset.load("wine")
        var x = Matrix<Float>(rows: d.features.rows, columns: d.features.columns, elements: d.features.elements.map { Float($0) })
        for i in stride(from: 0, to: x.rows, by: 6) { x[i, 3] = .nan }
        let y = ClassLabels(d.target)
        let weights = (0..<x.rows).map { 1 + Double($0 % 3) }
        var context = FitContext(seed: 5)
        let set = TrainingSet(features: x, target: .classes(y), sampleWeights: weights)
        let tree = try DecisionTreeClassifier(maxDepth: 6).fit(set, context: &context)
        let forest = try RandomForestClassifier(treeCount: 7, maxDepth: 5).fit(set, context: &context)
        for (phi, e, out) in [(try tree.contributions(x), tree.expectedValues, try tree.predictProbabilities(x)),
                              (try forest.contributions(x), forest.expectedValues, try forest.predictProbabilities(x))] {
            let p = x.columns
            for i in 0..<x.rows {
                for k in 0..<3 { #expect(abs((0..<p).reduce(e[k]) { $0 + phi[i, k * p + $1] } - out[i, k]) < 1e-9) }
            }
        }
        #expect(throws: (any Error).self) { try tree.contributions(Matrix<Float>(rows: 2, columns: 3)) }
    }

    @Test("the boosting walk and the tree walk are one: a forest of one tree explains as that tree")
    func oneEngine() throws {
        let c = explainCase("tree_iris")
        let tree = sklearnTrees(c, outputs: 3)[0]
        let single = DecisionTreeClassifier.Model(classes: ["0", "1", "2"], featureNames: (0..<4).map { "f\($0)" }, tree: tree)
        let forest = RandomForestClassifier.Model(classes: ["0", "1", "2"], featureNames: (0..<4).map { "f\($0)" }, trees: [tree, tree])
        let x = floatRows(c)
        #expect(isApproximatelyEqual(try single.contributions(x).elements, try forest.contributions(x).elements, absolute: 1e-12))
    }
}

@Suite("Explanations: exact linear contributions")
struct LinearExplanationTests {
    /// Checks contributions and expected values against shap's LinearExplainer.
    func check<M: ContributionModel>(_ model: M, _ c: [String: Any], output: (Matrix<Double>) throws -> Matrix<Double>)
        throws where M.Scalar == Double {
        let x = Matrix(matrix(c["rows"]))
        let phi = try model.contributions(x)
        #expect(isApproximatelyEqual(phi.elements, matrix(c["values"]).flatMap { $0 }, absolute: 1e-6))
        #expect(isApproximatelyEqual(model.expectedValues, doubles(c["expected_value"]), absolute: 1e-6))
        let raw = try output(x), p = model.featureCount, e = model.expectedValues
        for i in 0..<x.rows {
            for k in 0..<model.contributionOutputs {
                #expect(abs((0..<p).reduce(e[k]) { $0 + phi[i, k * p + $1] } - raw[i, k]) < 1e-9)
            }
        }
    }

    @Test("linear regression (diabetes): shap's LinearExplainer values to 1e-6; the fit keeps the training means")
    func linearRegression() throws {
        let c = explainCase("linear_diabetes")
        let model = LinearRegression.Model(coefficients: doubles(matrix(c["coefficients"]).first), intercept: doubles(c["intercepts"])[0],
                                           rank: nil, featureMeans: doubles(c["means"]))
        try check(model, c) { Matrix(rows: $0.rows, columns: 1, elements: try model.predict($0)) }
        let d = try Dataset.load("diabetes")
        let fitted = try LinearRegression().fit(d.features, d.target.map { Double($0) ?? .nan })
        #expect(isApproximatelyEqual(fitted.featureMeans ?? [], doubles(c["means"]), absolute: 1e-12))
    }

    @Test("logistic regression, binary and multinomial: shap's values of the decision function to 1e-6",
          arguments: [("logistic_breast_cancer", 2), ("logistic_wine", 3)])
    func logistic(key: String, classes: Int) throws {
        let c = explainCase(key)
        let w = matrix(c["coefficients"])
        let model = LogisticRegression.Model(classes: (0..<classes).map(String.init), coefficients: Matrix(w),
                                             intercepts: doubles(c["intercepts"]), iterations: 0, converged: true,
                                             featureMeans: doubles(c["means"]))
        try check(model, c) { try model.decisionFunction($0) }
    }

    @Test("a model stored without training means refuses contributions, naming its kind")
    func noBaseline() throws {
        let model = LinearRegression.Model(coefficients: [1, 2], intercept: 0, rank: 2)
        #expect(throws: ContributionError.noBaseline(model: "linear_regression")) { try model.contributions(Matrix([[1, 2]])) }
        #expect(model.expectedValues[0].isNaN)
    }
}

@Suite("Explanations: contributions by input column and reasons in the score output")
struct PipelineExplanationTests {
    static func train() throws -> Frame { try churnLike(rows: 800, seed: 11) }
    static func test() throws -> Frame { try churnLike(rows: 120, seed: 12) }

    static func boosted() -> Pipeline<HistGradientBoostingClassifier> {
        Pipeline(target: "churn", estimator: HistGradientBoostingClassifier(maxIterations: 15)) {
            SimpleImputer(columns: .numeric, strategy: .median, addIndicator: true)
            StandardScaler(columns: .types(.double))
            OneHotEncoder(columns: .types(.string))
        }
    }

    @Test("per input column: a one-hot group and an imputer's indicator sum to their column; totals are the raw output",
          arguments: ["logistic", "boosting", "forest"])
    func byInputColumn(model: String) throws {
        let train = try Self.train(), test = try Self.test()
        let fitted: FittedPipeline
        switch model {
        case "logistic": fitted = try churnPipeline().fit(train, seed: 3)
        case "boosting": fitted = try Self.boosted().fit(train, seed: 3)
        default:
            fitted = try Pipeline(target: "churn", estimator: RandomForestClassifier(treeCount: 5, maxDepth: 4)) {
                SimpleImputer(columns: .numeric, strategy: .median, addIndicator: true)
                OneHotEncoder(columns: .types(.string))
            }.fit(train, seed: 3)
        }
        let byColumn = try fitted.contributions(test), byFeature = try fitted.contributions(test, byInputColumn: false)
        #expect(byColumn.columns == ["age", "calls", "plan"])
        #expect(byFeature.columns == fitted.featureNames)
        let raw = model == "forest" ? try fitted.predictProbabilities(test) : try fitted.decisionFunction(test)
        #expect(byColumn.outputs.count == raw.columns)
        let (owners, _) = try fitted.featureLineage()
        for i in 0..<test.rowCount {
            for k in 0..<raw.columns {
                #expect(abs(byColumn.total(row: i, output: k) - raw[i, k]) < 1e-9)
                #expect(abs(byFeature.total(row: i, output: k) - raw[i, k]) < 1e-9)
                for (c, _) in byColumn.columns.enumerated() {
                    let summed = byFeature.columns.indices.filter { owners[$0] == c }
                        .reduce(0) { $0 + byFeature.value(row: i, output: k, column: $1) }
                    #expect(abs(summed - byColumn.value(row: i, output: k, column: c)) < 1e-12)
                }
            }
        }
    }

    @Test("score writes K reasons: names and values, largest in magnitude first, toward the prediction")
    func reasons() throws {
        let train = try Self.train(), test = try Self.test()
        let fitted = try Self.boosted().fit(train, seed: 3)
        let output = ScoreOutput(constants: [.init("model_version", .string("v1"))], reasons: 2)
        let schema = try fitted.outputSchema(for: output)
        #expect(schema.names == ["prediction", "probability_no", "probability_yes", "reason_1", "reason_1_value",
                                 "reason_2", "reason_2_value", "model_version"])
        #expect(schema["reason_1"]?.type == .string && schema["reason_1_value"]?.type == .double)
        let scores = try fitted.score(test, output: output)
        #expect(scores.schema.names == schema.names)
        let c = try fitted.contributions(test), p = try fitted.predict(test)
        let names = try scores.column("reason_1").data, values = try scores.column("reason_1_value").data
        let second = try scores.column("reason_2_value").data
        guard case .string(let n1) = names, case .double(let v1) = values, case .double(let v2) = second else {
            Issue.record("reason columns of the wrong type"); return
        }
        for i in 0..<test.rowCount {
            let sign = p.codes?[i] == 1 ? 1.0 : -1.0
            let toward = (0..<3).map { sign * c.value(row: i, output: 0, column: $0) }
            let best = toward.indices.max { abs(toward[$0]) < abs(toward[$1]) || (abs(toward[$0]) == abs(toward[$1]) && $0 > $1) } ?? 0
            #expect(n1.dictionary[Int(n1.codes[i])] == c.columns[best])
            #expect(v1[i] == toward[best])
            #expect(abs(v1[i]) >= abs(v2[i]))
        }
    }

    @Test("hostile reason counts: 0 writes none, more than the columns writes one per column, negative is refused")
    func hostileCounts() throws {
        let fitted = try churnPipeline().fit(try Self.train(), seed: 3)
        let test = try Self.test()
        #expect(try fitted.score(test, output: ScoreOutput(reasons: 0)).schema.names == ["prediction", "probability_no", "probability_yes"])
        let many = try fitted.score(test, output: ScoreOutput(reasons: 1000))
        #expect(many.schema.names.filter { $0.hasPrefix("reason_") }.count == 6)
        #expect(throws: ContributionError.invalidReasonCount(-1)) { try fitted.outputSchema(for: ScoreOutput(reasons: -1)) }
        #expect(throws: ContributionError.invalidReasonCount(-2)) { try fitted.score(test, output: ScoreOutput(reasons: -2)) }
    }

    @Test("a stage that mixes columns (PCA) is refused, naming it, before any row is read; unexplainable models too")
    func refused() throws {
        let train = try Self.train()
        let mixed = try Pipeline(target: "churn", estimator: LogisticRegression()) {
            SimpleImputer(columns: .numeric, strategy: .median)
            ColumnTransformer(remainder: .drop, .init(.numeric, StandardScaler(), PCA(components: 1)))
        }.fit(train, seed: 3)
        #expect(throws: ContributionError.self) { try mixed.outputSchema(for: ScoreOutput(reasons: 1)) }
        do {
            _ = try mixed.contributions(train)
            Issue.record("PCA was not refused")
        } catch let ContributionError.mixesColumns(stage, _) {
            #expect(stage == "PCA", "refused at \(stage)")
        }
        #expect(try mixed.contributions(train, byInputColumn: false).columns == mixed.featureNames)
        let knn = try Pipeline(target: "churn", estimator: KNeighborsClassifier(neighbors: 3)) {
            SimpleImputer(columns: .numeric, strategy: .median)
            OneHotEncoder(columns: .types(.string))
        }.fit(train, seed: 3)
        #expect(throws: ContributionError.notExplainable(model: "k_neighbors_classifier")) {
            try knn.outputSchema(for: ScoreOutput(reasons: 2))
        }
    }

    @Test("reasons survive an artifact round trip: the loaded pipeline writes the same frame")
    func roundTrip() throws {
        let fitted = try Self.boosted().fit(try Self.train(), seed: 3), test = try Self.test()
        let bytes = try Artifact.encode(fitted, key: nil)
        let loaded = try Artifact.decode(bytes, path: "memory", codec: .standard, key: nil)
        let output = ScoreOutput(reasons: 3)
        #expect(try loaded.score(test, output: output) == fitted.score(test, output: output))
        #expect(try loaded.contributions(test) == fitted.contributions(test))
    }
}
