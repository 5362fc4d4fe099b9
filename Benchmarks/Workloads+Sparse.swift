import Foundation
import Sluice

/// Sparse text: TF-IDF (1–2-grams) and L2 logistic regression on generated documents; peer:
/// scikit-learn's TfidfVectorizer + LogisticRegression.
let sparseWorkloads: [Workload] = [
    Workload(name: "fit.text_logreg.100k",
             summary: "TF-IDF (1-2-grams, min_df=2, 100k features, sublinear tf) + L2 logistic regression (L-BFGS, "
                 + "tol 1e-4, 100 iterations) fitted on 100k generated Zipfian documents, end to end; AUC on 20k more; "
                 + "peer sklearn TfidfVectorizer + LogisticRegression") {
        [try textLogisticFigure(context: $0)]
    },
    Workload(name: "fit.linsvc.churn_1m",
             summary: "linear SVM (squared hinge, C=1, tol 1e-4, dual coordinate descent) on the prepared churn table "
                 + "(first 80% of labelled rows); AUC of the margins on the rest; peer sklearn LinearSVC") {
        [try linearSVCFigure(context: $0)]
    },
    Workload(name: "fit.linsvr.churn_1m",
             summary: "linear SVR (squared epsilon-insensitive, epsilon=0, C=1, tol 1e-4, solver auto: primal Newton) of churned (0/1) "
                 + "on the prepared churn table (first 80% of labelled rows); r2 on the rest; peer sklearn LinearSVR") {
        [try linearSVRFigure(context: $0)]
    },
]

private func linearSVRFigure(context: BenchContext) throws -> Figure {
    let data = try labelledPreparedChurn(context)
    let y = data.y.codes.map(Double.init), yTest = data.yTest.codes.map(Double.init)
    var model: LinearSVR.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        var fit = FitContext(seed: 7)
        model = try LinearSVR(loss: .squaredEpsilonInsensitive).fit(data.x, y, context: &fit)
    }
    let predicted = try model!.predict(data.xTest)
    let mean = yTest.reduce(0, +) / Double(yTest.count)
    let ssRes = zip(yTest, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    let ssTot = yTest.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return Figure(workload: "fit.linsvr.churn_1m", seconds: seconds, rows: data.x.rows, peakRSSMB: rss,
                  extra: [("r2", 1 - ssRes / ssTot), ("passes", Double(model!.iterations))])
}

private func linearSVCFigure(context: BenchContext) throws -> Figure {
    let data = try labelledPreparedChurn(context)
    var model: LinearSVC.Model?
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        var fit = FitContext(seed: 7)
        model = try LinearSVC().fit(data.x, data.y, context: &fit)
    }
    let z = try model!.decisionFunction(data.xTest)
    let auc = Metrics.rocAUC(data.yTest.codes, scores: z.elements)
    return Figure(workload: "fit.linsvc.churn_1m", seconds: seconds, rows: data.x.rows, peakRSSMB: rss,
                  extra: [("auc", auc), ("passes", Double(model!.iterations))])
}

/// The generated corpus, `label<TAB>document` per line: 100 000 training documents then
/// 20 000 test documents, written to the data directory on first use (seed 7) so that the
/// peer reads the same text.
private func textCorpus(_ context: BenchContext) throws -> (docs: [String], labels: [String]) {
    let url = context.dataDirectory.appendingPathComponent("text_120k.tsv")
    if !FileManager.default.fileExists(atPath: url.path) {
        try FileManager.default.createDirectory(at: context.dataDirectory, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 7)
        let vocabulary = 30_000
        let words: [String] = (0..<vocabulary).map { r in
            var s = "w", v = r
            repeat { s.append(Character(Unicode.Scalar(UInt8(97 + v % 26)))); v /= 26 } while v > 0
            return s
        }
        var cumulative = [Double](), total = 0.0
        for r in 0..<vocabulary { total += 1 / pow(Double(r + 1), 1.05); cumulative.append(total) }
        var out = ""
        for _ in 0..<120_000 {
            let length = 20 + rng.nextInt(below: 100)
            var score = 0.0, doc = [String]()
            for _ in 0..<length {
                let u = rng.nextDouble() * total
                var lo = 0, hi = vocabulary - 1
                while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
                if lo % 50 == 7 { score += 0.6 } else if lo % 50 == 13 { score -= 0.6 }
                doc.append(words[lo])
            }
            let label = rng.nextDouble() < 1 / (1 + exp(-score)) ? "pos" : "neg"
            out += label + "\t" + doc.joined(separator: " ") + "\n"
        }
        try out.write(to: url, atomically: true, encoding: .utf8)
    }
    var docs = [String](), labels = [String]()
    for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
        let parts = line.split(separator: "\t", maxSplits: 1)
        labels.append(String(parts[0]))
        docs.append(parts.count > 1 ? String(parts[1]) : "")
    }
    return (docs, labels)
}

private func textLogisticFigure(context: BenchContext) throws -> Figure {
    let (docs, labels) = try textCorpus(context)
    let train = Array(docs[0..<100_000]), test = Array(docs[100_000...])
    let y = ClassLabels(Array(labels[0..<100_000]))
    let vectorizer = SparseTextVectorizer(ngrams: 1...2, minDF: .count(2), maxFeatures: 100_000, sublinearTF: true)
    let learner = LogisticRegression(c: 1, maxIterations: 100, tolerance: 1e-4, solver: .lbfgs)
    var fitted: SparseTextVectorizer.Fitted?, model: LogisticRegression.Model?
    var features = 0, stored = 0
    let (seconds, rss) = try Measure.best(repeats: context.repeats) {
        let (f, x) = try vectorizer.fitTransform(train)
        model = try learner.fit(sparse: x, y)
        fitted = f
        features = x.columns
        stored = x.storedCount
    }
    let p = try model!.predictProbabilities(try fitted!.transform(test))
    let yTest = labels[100_000...].map { $0 == "pos" ? 1 : 0 }
    let auc = Metrics.rocAUC(yTest, scores: (0..<p.rows).map { p[$0, 1] })
    return Figure(workload: "fit.text_logreg.100k", seconds: seconds, rows: train.count, peakRSSMB: rss,
                  extra: [("auc", auc), ("features", Double(features)), ("stored", Double(stored)),
                          ("iterations", Double(model!.iterations))])
}
