import Foundation
import SluiceCompute
import SluiceLearn
import SluicePipeline
import SluiceTestSupport
import Testing

/// DBSCAN against scikit-learn's (Scripts/dbscan.py): the same labels and core samples.
@Suite("DBSCAN matches scikit-learn")
struct DBSCANParityTests {
    nonisolated(unsafe) static let expectations = Expectations.load("dbscan")
    static func entry(_ key: String) -> [String: Any] { expectations[key] as? [String: Any] ?? [:] }

    @Test("labels and core samples", arguments: [
        ("dbscan_iris", "iris", DBSCAN(eps: 0.6, minSamples: 5), false),
        ("dbscan_wine_manhattan", "wine", DBSCAN(eps: 6, minSamples: 4, metric: .manhattan), false),
        ("dbscan_iris_weighted", "iris", DBSCAN(eps: 0.5, minSamples: 8), true),
    ])
    func parity(key: String, dataset: String, learner: DBSCAN, weighted: Bool) throws {
        let x = try Dataset.load(dataset).standardizedFeatures
        let model = try learner.fit(x, sampleWeights: weighted ? (0..<x.rows).map { Double(1 + $0 % 3) } : nil)
        #expect(model.labels == Self.entry(key)["labels"] as? [Int])
        #expect(model.coreIndices == Self.entry(key)["core"] as? [Int])
        // New rows: a core sample is labelled as its cluster.
        #expect(try model.predict(model.coreSamples) == model.coreLabels)
    }

    @Test("radius queries match brute force")
    func radius() throws {
        let x = try Dataset.load("wine").standardizedFeatures
        let tree = KDTree(x, leafSize: 5)
        for metric in [KDTree.Metric.euclidean, .manhattan] {
            let found = tree.neighbors(within: 3, of: x, metric: metric)
            for i in 0..<x.rows {
                let brute = (0..<x.rows).filter { j in
                    let d = zip(x.row(i), x.row(j)).map { metric == .manhattan ? abs($0 - $1) : ($0 - $1) * ($0 - $1) }.reduce(0, +)
                    return metric == .manhattan ? d <= 3 : d <= 9
                }
                #expect(found[i] == brute)
            }
        }
    }

    @Test("bad hyperparameters are refused")
    func badInputs() throws {
        let x = Matrix<Double>([[0, 1], [1, 0]])
        #expect(throws: EstimatorError.self) { try DBSCAN(eps: 0).fit(x) }
        #expect(throws: EstimatorError.self) { try DBSCAN(minSamples: 0).fit(x) }
    }
}
