import Foundation
import Testing
import SluiceCompute
import SluicePipeline
import SluiceLearn
import SluiceTestSupport

@Suite("Calibrated classifiers match scikit-learn's CalibratedClassifierCV")
struct CalibrationParityTests {
    static func data(_ key: String, _ dataset: String) throws -> (Matrix<Double>, ClassLabels) {
        let d = try Dataset.load(dataset)
        let x = d.standardizedFeatures
        let order = LearnerExpectations.entry(key)["order"] as? [Int] ?? []
        let rows = Matrix(rows: order.count, columns: x.columns, elements: order.flatMap { x.row($0) })
        return (rows, ClassLabels(order.map { d.target[$0] }))
    }

    static func check<B: Learner>(_ learner: CalibratedClassifier<B>, key: String, dataset: String, tolerance: Double) throws {
        let (x, y) = try data(key, dataset)
        var context = FitContext(seed: 1)
        let model = try learner.fit(TrainingSet(features: x, target: .classes(y)), context: &context)
        #expect(model.classes == LearnerExpectations.entry(key)["classes"] as? [String])
        let p = try model.predictProbabilities(x), expected = LearnerExpectations.matrix(key, "probabilities")
        #expect(expected.count == x.rows)
        var worst = 0.0
        for (i, row) in expected.enumerated() { for (c, v) in row.enumerated() { worst = max(worst, abs(p[i, c] - v)) } }
        #expect(worst <= tolerance, "\(key): largest probability difference \(worst)")
    }

    @Test("sigmoid and isotonic around logistic regression; sigmoid around a linear SVM (3 classes)")
    func parity() throws {
        try Self.check(CalibratedClassifier(LogisticRegression(), method: .sigmoid, stratified: false),
                       key: "calibrated_logistic_sigmoid_bc", dataset: "breast_cancer", tolerance: 1e-6)
        try Self.check(CalibratedClassifier(LogisticRegression(), method: .isotonic, stratified: false),
                       key: "calibrated_logistic_isotonic_bc", dataset: "breast_cancer", tolerance: 1e-6)
        var svc = LinearSVC()
        svc.tolerance = 1e-10
        svc.maxIterations = 1_000_000
        try Self.check(CalibratedClassifier(svc, method: .sigmoid, stratified: false),
                       key: "calibrated_svc_sigmoid_wine", dataset: "wine", tolerance: 1e-5)
    }

    @Test("isotonic calibration is nondecreasing and pools violators by weight")
    func isotonic() {
        let c = Calibrator.isotonic(x: [0, 1, 2], y: [0.2, 0.5, 0.9])
        #expect(c(-1) == 0.2 && c(5) == 0.9 && isApproximatelyEqual(c(0.5), 0.35))
    }
}
