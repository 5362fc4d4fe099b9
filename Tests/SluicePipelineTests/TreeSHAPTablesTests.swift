import Foundation
import Testing
import SluiceCompute
import SluicePipeline
@testable import SluiceLearn
import SluiceTestSupport

@Suite("TreeSHAP: Fast TreeSHAP tables give the recursive walk's contributions")
struct TreeSHAPTablesTests {
    /// Contributions of `engine` for `x` by tables and by the recursive walk, and the trees given tables.
    static func both<S: BLASScalar>(_ engine: TreeSHAPEngine, _ x: Matrix<S>) -> (tables: [Double], recursive: [Double], tabled: Int) {
        let tabled = TreeSHAPTables(engine, rows: nil).trees.count
        return (engine.contributions(x, method: .tables).elements, engine.contributions(x, method: .recursive).elements, tabled)
    }

    @Test("G(B) of the table equals its definition, Σ_{S ⊆ B} |S|! (d − |S| − 1)! / d! · Π_{j ∈ B ∖ S} zⱼ")
    func table() {
        let z = [0.3, 0.55, 0.8, 0.1, 0.45]
        let d = z.count, g = TreeSHAPTables.table(z)
        func factorial(_ n: Int) -> Double { n < 2 ? 1 : (2...n).reduce(1.0) { $0 * Double($1) } }
        for pattern in 0..<(1 << d) - 1 {
            var total = 0.0
            for subset in 0..<(1 << d) where subset & ~pattern == 0 {
                let s = subset.nonzeroBitCount
                var product = factorial(s) * factorial(d - s - 1) / factorial(d)
                for j in 0..<d where pattern & ~subset & 1 << j != 0 { product *= z[j] }
                total += product
            }
            #expect(abs(g[pattern] - total) < 1e-14, "pattern \(pattern)")
        }
    }

    @Test("scikit-learn's boosted trees with NaN: tables equal shap's values to 1e-6 and the walk to 1e-12")
    func sklearnTrees() throws {
        let (trees, shap) = try TreeSHAPTests.sklearnTrees()
        let rows = (shap["rows"] as? [[Any]] ?? []).map { $0.map { ($0 as? Double) ?? .nan } }
        let engine = trees.shapEngine(), r = Self.both(engine, Matrix(rows))
        #expect(r.tabled == engine.roots.count)
        #expect(isApproximatelyEqual(r.tables, r.recursive, absolute: 1e-12))
        #expect(isApproximatelyEqual(r.tables, (shap["values"] as? [[Double]] ?? []).flatMap { $0 }, absolute: 1e-6))
    }

    @Test("fitted boosting with a category set and NaN: tables equal the walk to 1e-12")
    func boostingCategories() throws {
        let n = 400
        var x = Matrix<Double>(rows: n, columns: 3)
        var y = [Int]()
        for i in 0..<n {
            let c = i % 8, u = Double(i * 37 % 101)
            x[i, 0] = Double(c)
            x[i, 1] = i % 7 == 0 ? .nan : u
            x[i, 2] = Double(i * 13 % 17)
            y.append((c == 1 || c == 4 || c == 6) != (u > 50 && i % 7 != 0) ? 1 : 0)
        }
        let set = TrainingSet(features: x, categorical: [CategoricalFeature(index: 0, categories: (0..<8).map { "c\($0)" })],
                              target: .classes(ClassLabels(y)))
        var context = FitContext(seed: 3)
        let model = try HistGradientBoostingClassifier(maxIterations: 10).fit(set, context: &context)
        #expect(model.trees.categorySets.contains { $0 >= 0 })
        let r = Self.both(model.trees.shapEngine(), x)
        #expect(r.tabled > 0)
        #expect(isApproximatelyEqual(r.tables, r.recursive, absolute: 1e-12))
    }

    @Test("a random forest's classifier trees (class fractions per leaf): tables equal the walk to 1e-12")
    func forest() throws {
        let d = try Dataset.load("breast_cancer")
        let x = Matrix<Float>(rows: d.features.rows, columns: d.features.columns, elements: d.features.elements.map { Float($0) })
        var context = FitContext(seed: 1)
        let model = try RandomForestClassifier(treeCount: 5, maxDepth: 8)
            .fit(TrainingSet(features: x, target: .classes(ClassLabels(d.target))), context: &context)
        let engine = DecisionTree.shapEngine(model.trees, outputs: model.classes.count, featureCount: model.featureCount)
        let r = Self.both(engine, x)
        #expect(r.tabled > 0)
        #expect(isApproximatelyEqual(r.tables, r.recursive, absolute: 1e-12))
    }
}
