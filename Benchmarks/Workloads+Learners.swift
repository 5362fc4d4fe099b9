import Foundation
import Sluice

/// k-NN, naive Bayes, k-means, PCA and lasso on the churn table; peers: scikit-learn.
let learnerWorkloads: [Workload] = [
    Workload(name: "predict.knn.churn_200k",
             summary: "k-NN classifier (k=5) probabilities of 32k churn rows against 128k (6 numeric columns, median-imputed "
                 + "and scaled, untimed); peer sklearn KNeighborsClassifier") {
        [try knnFigure(context: $0)]
    },
    Workload(name: "fit.nb.churn_1m",
             summary: "Gaussian naive Bayes on the prepared churn table (first 80% of labelled rows); peer sklearn GaussianNB") {
        [try naiveBayesFigure(context: $0)]
    },
    Workload(name: "fit.kmeans.churn_1m",
             summary: "k-means (k=8, k-means++, one init) on the prepared 1M-row churn table; untimed, the mean and worst "
                 + "inertia of seeds 1-5; peer sklearn KMeans") {
        [try kmeansFigure(context: $0)]
    },
    Workload(name: "fit.pca.churn_1m",
             summary: "PCA (all components, auto solver) of the prepared 1M-row churn table; peer sklearn PCA") {
        [try pcaFigure(context: $0)]
    },
    Workload(name: "fit.lasso.churn_1m",
             summary: "lasso (alpha=1e-3) of churned on the prepared churn table (first 80% of labelled rows); peer sklearn Lasso") {
        [try lassoFigure(context: $0)]
    },
]

/// The prepared churn features: the labelled rows split 80/20 (train, test), or all rows.
private struct PreparedChurn {
    var x: Matrix<Double>
    var y: ClassLabels?
    var xTest: Matrix<Double>?
    var yTest: ClassLabels?

    static func labelled(_ context: BenchContext) throws -> PreparedChurn {
        let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
        let labelled = try raw.filtered(by: (0..<raw.rowCount).map { !raw.columns[raw.schema.index(of: "churned")!].isNull($0) })
        let cut = labelled.rowCount * 8 / 10
        let train = labelled.slice(0..<cut), test = labelled.slice(cut..<labelled.rowCount)
        var fit = FitContext(seed: 7)
        let prep = try churnPreparation.fit(train, context: &fit)
        let features = try prep.transform(train), testFeatures = try prep.transform(test)
        return PreparedChurn(x: try features.matrix(columns: features.columnNames),
                             y: try ClassLabels(column: train.column("churned"), name: "churned"),
                             xTest: try testFeatures.matrix(columns: testFeatures.columnNames),
                             yTest: try ClassLabels(column: test.column("churned"), name: "churned"))
    }

    static func all(_ context: BenchContext) throws -> PreparedChurn {
        let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
        var fit = FitContext(seed: 7)
        let features = try churnPreparation.fit(raw, context: &fit).transform(raw)
        return PreparedChurn(x: try features.matrix(columns: features.columnNames))
    }
}

private func knnFigure(context: BenchContext) throws -> Figure {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let label = try raw.column("churned")
    let labelled = try raw.filtered(by: (0..<raw.rowCount).map { !label.isNull($0) })
    let rows = try labelled.slice(0..<160_000).selecting(churnNumeric + ["churned"])
    var fit = FitContext(seed: 7)
    let prep = ColumnTransformer(remainder: .drop, .init(.names(churnNumeric), SimpleImputer(strategy: .median), StandardScaler()))
    let train = rows.slice(0..<128_000), test = rows.slice(128_000..<160_000)
    let fitted = try prep.fit(train, context: &fit)
    let x = try fitted.transform(train).matrix(columns: churnNumeric), xTest = try fitted.transform(test).matrix(columns: churnNumeric)
    let y = try ClassLabels(column: train.column("churned"), name: "churned")
    let yTest = try ClassLabels(column: test.column("churned"), name: "churned")
    let model = try KNeighborsClassifier(neighbors: 5).fit(x, y)
    var p = Matrix<Double>(rows: 0, columns: 2)
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { p = try model.predictProbabilities(xTest) }
    let auc = Metrics.rocAUC(yTest.codes, scores: (0..<xTest.rows).map { p[$0, 1] })
    return Figure(workload: "predict.knn.churn_200k", seconds: seconds, rows: xTest.rows, peakRSSMB: rss, extra: [("auc", auc)])
}

private func naiveBayesFigure(context: BenchContext) throws -> Figure {
    let data = try PreparedChurn.labelled(context)
    var model: GaussianNaiveBayes.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { model = try GaussianNaiveBayes().fit(data.x, data.y!) }
    let p = try model!.predictProbabilities(data.xTest!)
    let auc = Metrics.rocAUC(data.yTest!.codes, scores: (0..<p.rows).map { p[$0, 1] })
    return Figure(workload: "fit.nb.churn_1m", seconds: seconds, rows: data.x.rows, peakRSSMB: rss, extra: [("auc", auc)])
}

private func kmeansFigure(context: BenchContext) throws -> Figure {
    let data = try PreparedChurn.all(context)
    var model: KMeans.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        var fit = FitContext(seed: 7)
        model = try KMeans(clusters: 8).fit(data.x, context: &fit)
    }
    // Untimed: the inertia of seeds 1…5, for the "within 0.5 % of scikit-learn's over 5 seeds"
    // (the peer prints the same two figures of its own seeds 1…5).
    let inertias = try (UInt64(1)...5).map { seed in
        var fit = FitContext(seed: seed)
        return try KMeans(clusters: 8).fit(data.x, context: &fit).inertia
    }
    return Figure(workload: "fit.kmeans.churn_1m", seconds: seconds, rows: data.x.rows, peakRSSMB: rss,
                  extra: [("inertia", model!.inertia), ("iterations", Double(model!.iterations)),
                          ("inertia_mean_5_seeds", inertias.reduce(0, +) / 5), ("inertia_max_5_seeds", inertias.max()!)])
}

private func pcaFigure(context: BenchContext) throws -> Figure {
    let data = try PreparedChurn.all(context)
    var result: PrincipalComponents.Result?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        var rng = SeededGenerator(seed: 7)
        result = try PrincipalComponents.fit(data.x, keep: data.x.columns, rng: &rng)
    }
    let first = result!.explainedVariance[0] / result!.totalVariance
    return Figure(workload: "fit.pca.churn_1m", seconds: seconds, rows: data.x.rows, peakRSSMB: rss,
                  extra: [("explained_variance_ratio_0", first)])
}

private func lassoFigure(context: BenchContext) throws -> Figure {
    let data = try PreparedChurn.labelled(context)
    let y = data.y!.codes.map(Double.init), yTest = data.yTest!.codes.map(Double.init)
    var model: ElasticNet.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) { model = try ElasticNet.lasso(alpha: 1e-3).fit(data.x, y) }
    let predicted = try model!.predict(data.xTest!)
    let mean = yTest.reduce(0, +) / Double(yTest.count)
    let ssRes = zip(yTest, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    let ssTot = yTest.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return Figure(workload: "fit.lasso.churn_1m", seconds: seconds, rows: data.x.rows, peakRSSMB: rss,
                  extra: [("r2", 1 - ssRes / ssTot)])
}

/// ``PreparedChurn/labelled(_:)`` for workloads in other files (the linear SVM's).
func labelledPreparedChurn(_ context: BenchContext) throws
    -> (x: Matrix<Double>, y: ClassLabels, xTest: Matrix<Double>, yTest: ClassLabels) {
    let data = try PreparedChurn.labelled(context)
    return (data.x, data.y!, data.xTest!, data.yTest!)
}

/// Kernel SVM on the churn table; peer: scikit-learn SVC.
let kernelSVMWorkloads: [Workload] = [
    Workload(name: "fit.svc_rbf.churn_25k",
             summary: "RBF SVC (C=1, gamma='scale') on the first 16k of 20k labelled churn rows, prepared as the other "
                 + "churn workloads (untimed), AUC of the decision function on the last 4k; peer sklearn SVC") {
        [try svcFigure(context: $0)]
    },
]

private func svcFigure(context: BenchContext) throws -> Figure {
    let raw = try CSVReader().read(path: context.churnCSV(rows: 1_000_000).path)
    let label = try raw.column("churned")
    let labelled = try raw.filtered(by: (0..<raw.rowCount).map { !label.isNull($0) })
    let train = labelled.slice(0..<16_000), test = labelled.slice(16_000..<20_000)
    var fit = FitContext(seed: 7)
    let prep = try churnPreparation.fit(train, context: &fit)
    let features = try prep.transform(train), testFeatures = try prep.transform(test)
    let x = try features.matrix(columns: features.columnNames), xTest = try testFeatures.matrix(columns: testFeatures.columnNames)
    let y = try ClassLabels(column: train.column("churned"), name: "churned")
    let yTest = try ClassLabels(column: test.column("churned"), name: "churned")
    var model: SVC.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        var context = FitContext(seed: 7)
        model = try SVC().fit(x, y, context: &context)
    }
    let z = try model!.decisionFunction(xTest)
    let auc = Metrics.rocAUC(yTest.codes, scores: z.elements)
    return Figure(workload: "fit.svc_rbf.churn_25k", seconds: seconds, rows: x.rows, peakRSSMB: rss,
                  extra: [("auc", auc), ("support_vectors", Double(model!.supportVectors.rows)),
                          ("iterations", Double(model!.iterations))])
}
