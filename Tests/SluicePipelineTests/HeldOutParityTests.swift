import Foundation
import Testing
import SluiceCompute
import SluicePipeline
@testable import SluiceLearn
import SluiceTestSupport

/// The peers' 5-seed held-out scores, written by `Scripts/held_out.py`.
private enum HeldOutExpectations {
    nonisolated(unsafe) static let all = Expectations.load("held_out")
    static var seeds: Int { all["seeds"] as? Int ?? 0 }
    static var forestTrees: Int { all["forest_trees"] as? Int ?? 0 }
    static func dataset(_ name: String) -> [String: Any] {
        (all["datasets"] as? [String: Any])?[name] as? [String: Any] ?? [:]
    }
}

/// The held-out metric of a dataset: ROC-AUC of the second class for binary targets,
/// accuracy for multiclass, R² for regression (as the script scores).
private enum HeldOutMetric: String {
    case auc, accuracy, r2
}

/// One dataset split as the script splits it: row `i` is a test row when `i % 4 == 0`.
private struct HeldOutSplit {
    var x: Matrix<Double>
    var y: [String]
    var xt: Matrix<Double>
    var yt: [String]
    var metric: HeldOutMetric

    init(_ name: String) throws {
        let d = try Dataset.load(name)
        let train = (0..<d.target.count).filter { $0 % 4 != 0 }, test = (0..<d.target.count).filter { $0 % 4 == 0 }
        func rows(_ r: [Int]) -> Matrix<Double> {
            Matrix(rows: r.count, columns: d.features.columns, elements: r.flatMap { d.features.row($0) })
        }
        x = rows(train)
        y = train.map { d.target[$0] }
        xt = rows(test)
        yt = test.map { d.target[$0] }
        metric = HeldOutMetric(rawValue: HeldOutExpectations.dataset(name)["metric"] as? String ?? "") ?? .r2
    }

    var labels: ClassLabels { ClassLabels(y) }
    var values: [Double] { y.map { Double($0) ?? .nan } }

    /// The metric of a classifier's test-row probabilities (columns in ``labels`` order).
    func score(probabilities p: Matrix<Double>) -> Double {
        let classes = labels.classes
        let truth = yt.map { classes.firstIndex(of: $0) ?? -1 }
        if metric == .auc { return Metrics.rocAUC(truth, scores: (0..<p.rows).map { p[$0, 1] }) }
        let predicted = (0..<p.rows).map { i in (0..<p.columns).max { p[i, $0] < p[i, $1] } ?? 0 }
        return Metrics.accuracy(truth, predicted)
    }

    /// The R² of a regressor's test-row predictions.
    func score(predictions: [Double]) -> Double {
        Metrics.r2(yt.map { Double($0) ?? .nan }, predictions)
    }
}

private extension Matrix<Double> {
    /// The same values as `Float`, as the trees take them.
    var asFloat: Matrix<Float> { Matrix<Float>(rows: rows, columns: columns, elements: elements.map { Float($0) }) }
}

private func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(1, v.count)) }

private let datasets = ["breast_cancer", "wine", "digits", "diabetes"]

@Suite("Forests and boosting: 5-seed held-out ROC-AUC / accuracy / R² beside scikit-learn and LightGBM")
struct HeldOutParityTests {
    @Test("random forest (100 trees) within 0.005 of scikit-learn's RandomForest, mean of 5 seeds", arguments: datasets)
    func forest(name: String) throws {
        let s = try HeldOutSplit(name)
        let x = s.x.asFloat, xt = s.xt.asFloat
        var scores = [Double]()
        for seed in 0..<HeldOutExpectations.seeds {
            var c = FitContext(seed: UInt64(seed))
            if s.metric == .r2 {
                let m = try RandomForestRegressor(treeCount: HeldOutExpectations.forestTrees)
                    .fit(TrainingSet(features: x, target: .values(s.values)), context: &c)
                scores.append(s.score(predictions: try m.predict(xt)))
            } else {
                let m = try RandomForestClassifier(treeCount: HeldOutExpectations.forestTrees)
                    .fit(TrainingSet(features: x, target: .classes(s.labels)), context: &c)
                scores.append(s.score(probabilities: try m.predictProbabilities(xt)))
            }
        }
        let forest = HeldOutExpectations.dataset(name)["forest"] as? [String: Any] ?? [:]
        let theirs = forest["mean"] as? Double ?? .nan, tolerance = forest["tolerance"] as? Double ?? 0
        #expect(scores.count == 5 && abs(mean(scores) - theirs) <= tolerance,
                "\(name) \(s.metric): Sluice \(mean(scores)) \(scores), scikit-learn \(theirs)")
    }

    @Test("histogram boosting within 0.005 (or the peers' gap + 0.001) of HistGradientBoosting and LightGBM, mean of 5 seeds",
          arguments: datasets)
    func boosting(name: String) throws {
        let s = try HeldOutSplit(name)
        var scores = [Double]()
        for seed in 0..<HeldOutExpectations.seeds {
            var c = FitContext(seed: UInt64(seed))
            if s.metric == .r2 {
                let m = try HistGradientBoostingRegressor().fit(TrainingSet(features: s.x, target: .values(s.values)), context: &c)
                scores.append(s.score(predictions: try m.predict(s.xt)))
            } else {
                let m = try HistGradientBoostingClassifier().fit(TrainingSet(features: s.x, target: .classes(s.labels)), context: &c)
                scores.append(s.score(probabilities: try m.predictProbabilities(s.xt)))
            }
        }
        let boosting = HeldOutExpectations.dataset(name)["boosting"] as? [String: Any] ?? [:]
        let tolerance = boosting["tolerance"] as? Double ?? 0
        for peer in ["hist_gradient_boosting", "lightgbm"] {
            let theirs = (boosting[peer] as? [String: Any])?["mean"] as? Double ?? .nan
            #expect(scores.count == 5 && abs(mean(scores) - theirs) <= tolerance,
                    "\(name) \(s.metric): Sluice \(mean(scores)) \(scores), \(peer) \(theirs), tolerance \(tolerance)")
        }
    }
}
