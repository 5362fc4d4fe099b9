import Foundation
import Testing
import SluiceCompute
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

/// scikit-learn's results for the SluiceLearn learners, written by `Scripts/learners.py`.
enum LearnerExpectations {
    nonisolated(unsafe) static let all = Expectations.load("learners")
    static func entry(_ key: String) -> [String: Any] { all[key] as? [String: Any] ?? [:] }
    static func numbers(_ key: String, _ field: String) -> [Double] { entry(key)[field] as? [Double] ?? [] }
    static func matrix(_ key: String, _ field: String) -> [[Double]] { entry(key)[field] as? [[Double]] ?? [] }

    /// The even rows (training) or odd rows (test) of `x`, as the script splits them.
    static func half(_ x: Matrix<Double>, odd: Bool) -> Matrix<Double> {
        let rows = Array(stride(from: odd ? 1 : 0, to: x.rows, by: 2))
        return Matrix(rows: rows.count, columns: x.columns, elements: rows.flatMap { x.row($0) })
    }

    static func half<T>(_ a: [T], odd: Bool) -> [T] { Array(stride(from: odd ? 1 : 0, to: a.count, by: 2).map { a[$0] }) }
}

@Suite("k-nearest neighbours match scikit-learn")
struct NeighborsParityTests {
    @Test("classifier probabilities, neighbours and distances (k-d tree and brute force)", arguments: [
        ("knn_wine_uniform", "wine", KNeighborsClassifier()),
        ("knn_wine_distance_manhattan", "wine", KNeighborsClassifier(neighbors: 7, weights: .distance, metric: .manhattan)),
        ("knn_breast_cancer_cosine", "breast_cancer", KNeighborsClassifier(neighbors: 9, weights: .distance, metric: .cosine)),
        ("knn_breast_cancer_brute", "breast_cancer", KNeighborsClassifier()),
    ])
    func classifier(key: String, dataset: String, learner: KNeighborsClassifier) throws {
        let data = try Dataset.load(dataset)
        let x = data.standardizedFeatures
        let train = LearnerExpectations.half(x, odd: false), test = LearnerExpectations.half(x, odd: true)
        let model = try learner.fit(train, ClassLabels(LearnerExpectations.half(data.target, odd: false)))
        #expect(model.classes == LearnerExpectations.entry(key)["classes"] as? [String])
        let p = try model.predictProbabilities(test)
        let expected = LearnerExpectations.matrix(key, "probabilities")
        #expect(expected.count == test.rows)
        for (i, row) in expected.enumerated() { #expect(isApproximatelyEqual(p.row(i), row, absolute: 1e-12)) }
        let head = try model.search.neighbours(test.rows(0..<10).copy())
        let nn = (LearnerExpectations.entry(key)["neighbors"] as? [[Int]] ?? []).flatMap { $0 }
        #expect(head.indices == nn)
        let distances = LearnerExpectations.matrix(key, "distances").flatMap { $0 }
        #expect(isApproximatelyEqual(head.distances, distances, absolute: 1e-10))
    }

    @Test("regressor predictions", arguments: [
        ("knn_diabetes_uniform", KNeighborsRegressor()),
        ("knn_diabetes_distance", KNeighborsRegressor(neighbors: 8, weights: .distance)),
        ("knn_diabetes_manhattan", KNeighborsRegressor(neighbors: 3, metric: .manhattan)),
    ])
    func regressor(key: String, learner: KNeighborsRegressor) throws {
        let data = try Dataset.load("diabetes")
        let x = data.standardizedFeatures, y = data.target.map { Double($0)! }
        let model = try learner.fit(LearnerExpectations.half(x, odd: false), LearnerExpectations.half(y, odd: false))
        let got = try model.predict(LearnerExpectations.half(x, odd: true))
        #expect(isApproximatelyEqual(got, LearnerExpectations.numbers(key, "predictions"), absolute: 1e-9, relative: 1e-12))
    }

    @Test("the k-d tree and brute force find the same neighbours, ties to the lower row")
    func treeMatchesBruteForce() throws {
        // Integer grid points: many exact ties in distance.
        var rng = SeededGenerator(seed: 5)
        let x = Matrix<Double>(rows: 3000, columns: 3, elements: (0..<9000).map { _ in Double(rng.nextInt(below: 12)) })
        let q = Matrix<Double>(rows: 400, columns: 3, elements: (0..<1200).map { _ in Double(rng.nextInt(below: 12)) + 0.5 })
        for metric in [NeighborIndex.Metric.euclidean, .manhattan] {
            let tree = NeighborIndex(points: x, metric: metric, algorithm: .kdTree, k: 7, leafSize: 5).query(q, k: 7)
            let brute = NeighborIndex(points: x, metric: metric, algorithm: .brute, k: 7).query(q, k: 7)
            #expect(tree.indices == brute.indices)
            #expect(isApproximatelyEqual(tree.distances, brute.distances, absolute: 1e-12))
        }
        // Within the set, against an exact sort of every distance by (distance, index): the
        // tree's sums of squared differences are exact on integers, so ties are real ties.
        let members = KDTree(x, leafSize: 4).neighborsOfMembers(k: 6)
        let rows = (0..<x.rows).map { x.row($0) }
        for i in stride(from: 0, to: x.rows, by: 29) {
            let d = rows.map { r in zip(rows[i], r).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            let exact = (0..<x.rows).filter { $0 != i }.sorted { d[$0] < d[$1] || (d[$0] == d[$1] && $0 < $1) }.prefix(6)
            #expect(Array(members[(i * 6)..<(i * 6 + 6)]) == Array(exact))
        }
    }

    @Test("bad configurations and inputs are refused, naming the learner")
    func refusals() throws {
        let x = Matrix<Double>([[0, 1], [1, 0], [2, 2]]), y = ClassLabels(["a", "b", "a"])
        #expect(throws: EstimatorError.invalidHyperparameter(estimator: "k_neighbors_classifier", name: "neighbors",
                                                             reason: "5 is more than the 3 training rows")) {
            try KNeighborsClassifier().fit(x, y)
        }
        #expect(throws: EstimatorError.self) { try KNeighborsClassifier(neighbors: 0).fit(x, y) }
        #expect(throws: EstimatorError.self) { try KNeighborsClassifier(neighbors: 1, metric: .cosine, algorithm: .kdTree).fit(x, y) }
        let model = try KNeighborsClassifier(neighbors: 2).fit(x, y)
        #expect(throws: EstimatorError.featureCountMismatch(estimator: "k_neighbors_classifier", expected: 2, got: 1)) {
            try model.predictProbabilities(Matrix([[1]]))
        }
        #expect(throws: EstimatorError.nonFinite(estimator: "k_neighbors_regressor", row: 1, column: 0)) {
            try KNeighborsRegressor(neighbors: 1).fit(Matrix([[1], [.nan]]), [1, 2])
        }
    }
}
