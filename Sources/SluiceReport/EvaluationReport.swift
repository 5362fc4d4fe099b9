import SluicePipeline

/// What a fitted model does on held-out rows, in numbers and curves: written as one
/// self-contained HTML page by ``html()`` (charts as inline SVG, no network needed) or as
/// JSON with the same numbers by ``json()``.
///
/// Build one with ``init(pipeline:data:options:)`` from held-out rows with their target,
/// or with ``init(pipeline:predictions:truth:data:options:)`` from out-of-fold
/// predictions. Curves are down-sampled to ``ReportOptions/maxCurvePoints`` points and
/// regression scatters above ``ReportOptions/maxScatterPoints`` rows are binned, so the
/// page stays small (a few hundred kilobytes) whatever the row count. Every figure equals
/// the one the ``Metrics`` function of that name returns on the same rows.
public struct EvaluationReport: Sendable, Codable, Equatable {
    /// The page title.
    public var title: String
    /// When the report was made (ISO 8601, UTC).
    public var created: String
    /// The model, its training and its configuration.
    public var model: ModelSummary
    /// The rows evaluated, and the headline metrics on them (nil for a run that only scored:
    /// its rows have no target).
    public var evaluation: EvaluationSummary?
    /// Curves and tables of a classifier (nil for other models).
    public var classification: ClassificationEvaluation?
    /// Plots of a regressor (nil for other models).
    public var regression: RegressionEvaluation?
    /// What the model relies on: its own importances, permutation importance on the input
    /// columns, and a linear model's coefficients.
    public var importances: ImportanceSummary
    /// One summary per input column of the evaluated (or scored) rows.
    public var data: [ColumnReport]
    /// A nightly run's figures, when the report is a run's.
    public var run: RunSummary?
}

/// Report-building choices.
public struct ReportOptions: Sendable, Equatable {
    /// The page title (default: the model kind and target).
    public var title: String?
    /// The class treated as positive for a binary classifier's curves, lift and threshold
    /// table (default: the second class, as scikit-learn's `pos_label=1` for 0/1 labels).
    public var positiveClass: String?
    /// The probability at or above which a binary classifier predicts the positive class for
    /// the confusion matrix (the threshold table shows every other one).
    public var threshold: Double
    /// The most points drawn per curve.
    public var maxCurvePoints: Int
    /// Above this many rows a scatter becomes a binned heat map.
    public var maxScatterPoints: Int
    /// Permutation importance: repeats per column (0 skips it) and the most rows scored.
    public var permutationRepeats: Int
    public var permutationRows: Int
    /// The seed of the permutation-importance subsample and shuffles.
    public var seed: UInt64
    /// The artifact's digest, when the model came from a file or the model store.
    public var artifactDigest: String?

    public init(title: String? = nil, positiveClass: String? = nil, threshold: Double = 0.5, maxCurvePoints: Int = 300,
                maxScatterPoints: Int = 10_000, permutationRepeats: Int = 5, permutationRows: Int = 5_000, seed: UInt64 = 0,
                artifactDigest: String? = nil) {
        self.title = title
        self.positiveClass = positiveClass
        self.threshold = threshold
        self.maxCurvePoints = maxCurvePoints
        self.maxScatterPoints = maxScatterPoints
        self.permutationRepeats = permutationRepeats
        self.permutationRows = permutationRows
        self.seed = seed
        self.artifactDigest = artifactDigest
    }
}

/// The model: kind, target, training lineage and configuration.
public struct ModelSummary: Sendable, Codable, Equatable {
    public var kind: String
    /// "classification", "regression" or "clustering".
    public var task: String
    public var target: String?
    public var classes: [String]?
    public var featureNames: [String]
    public var inputColumns: [String]
    public var keys: [String]
    public var seed: UInt64
    public var dataFingerprint: String
    public var artifactDigest: String?
    public var hyperparameters: JSONValue
    /// Class counts before and after sampling, for a classifier that kept them.
    public var trainingBalance: ClassBalance?
    /// Loss per iteration or epoch (boosting, neural networks).
    public var curves: [TrainingCurve]
}

/// A named figure.
public struct NamedValue: Sendable, Codable, Equatable {
    public var name: String
    public var value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}

/// The evaluated rows and the headline metrics.
public struct EvaluationSummary: Sendable, Codable, Equatable {
    /// Where the rows came from (a file, a table, "out-of-fold predictions").
    public var source: String
    public var rows: Int
    public var metrics: [NamedValue]
    /// `stage.column → count` of categories unknown to the fitted stages.
    public var unknownCategories: [String: Int]
}

/// A curve as drawn: at most a few hundred points.
public struct CurvePoints: Sendable, Codable, Equatable {
    public var x: [Double]
    public var y: [Double]

    public init(x: [Double], y: [Double]) {
        self.x = x
        self.y = y
    }
}

/// A classifier's evaluation.
public struct ClassificationEvaluation: Sendable, Codable, Equatable {
    public var classes: [String]
    /// The positive class of a binary problem (nil for more classes).
    public var positiveClass: String?
    /// One-vs-rest curves per class (only the positive class for a binary problem).
    public var curves: [ClassCurves]
    /// Rows by true class (rows) and predicted class (columns), at ``threshold`` for a
    /// binary problem, at the most probable class otherwise.
    public var confusion: [[Int]]
    /// The threshold of ``confusion`` (binary only).
    public var threshold: Double?
    /// Counts, precision, recall and F1 at thresholds 0, 0.01, …, 1 (binary only).
    public var thresholds: [ThresholdRow]
    /// Per-decile lift and cumulative gain (binary only).
    public var lift: [LiftRow]
    /// The cumulative gain curve: share of positives found against share of rows targeted.
    public var gain: CurvePoints?
    /// Histograms of the positive-class probability (20 bins over [0, 1]), by true class:
    /// the rows of the positive class and the rest (binary only).
    public var scoreHistogram: ScoreHistogram?
    /// Precision, recall, F1 and support per class.
    public var report: ClassificationReport
}

/// One class's one-vs-rest curves.
public struct ClassCurves: Sendable, Codable, Equatable {
    public var className: String
    public var rocAUC: Double
    public var averagePrecision: Double
    public var roc: CurvePoints
    /// Recall on x, precision on y.
    public var precisionRecall: CurvePoints
    public var calibration: CalibrationCurve
    /// Rows of this class, and all rows.
    public var positives: Int
}

/// Binary confusion counts at one threshold, with the scores they give.
public struct ThresholdRow: Sendable, Codable, Equatable {
    public var threshold: Double
    public var truePositives: Int
    public var falsePositives: Int
    public var trueNegatives: Int
    public var falseNegatives: Int
    public var precision: Double
    public var recall: Double
    public var f1: Double
}

/// Counts of a score in equal bins, split by true class.
public struct ScoreHistogram: Sendable, Codable, Equatable {
    /// `bins + 1` edges.
    public var edges: [Double]
    public var positives: [Int]
    public var negatives: [Int]
}

/// A regressor's evaluation.
public struct RegressionEvaluation: Sendable, Codable, Equatable {
    /// Predicted (x) against actual (y).
    public var predictedVsActual: Scatter
    /// Residual (actual − predicted) against predicted.
    public var residualsVsPredicted: Scatter
    /// The residuals' histogram (40 equal bins between their 0.5th and 99.5th percentiles,
    /// the tails counted in the end bins).
    public var residualHistogram: Histogram
}

/// Points, or above the scatter limit a grid of counts.
public struct Scatter: Sendable, Codable, Equatable {
    /// The points, when there are few enough.
    public var points: CurvePoints?
    /// The binned counts otherwise.
    public var grid: HeatGrid?
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
}

/// Counts on a `columns × rows` grid over the scatter's ranges; `counts[row][column]`,
/// row 0 at the lowest y.
public struct HeatGrid: Sendable, Codable, Equatable {
    public var columns: Int
    public var rows: Int
    public var counts: [[Int]]
}

/// Counts in equal bins.
public struct Histogram: Sendable, Codable, Equatable {
    /// `counts.count + 1` edges.
    public var edges: [Double]
    public var counts: [Int]
}

/// Importances by the model and by permutation, and linear coefficients.
public struct ImportanceSummary: Sendable, Codable, Equatable {
    /// The model's own importances (impurity, gain, |coefficient|) per feature it sees.
    public var model: [NamedValue]?
    /// The model's importances summed per input column (a one-hot group to its column).
    public var modelByInput: [NamedValue]?
    /// Permutation importance on the input columns, on held-out rows.
    public var permutation: PermutationImportance?
    /// A linear model's coefficients, with ``ModelSummary/featureNames`` as columns.
    public var coefficients: CoefficientTable?
}
