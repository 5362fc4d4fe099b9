import SluiceFrame

/// A fitted model that kept its learning curves: the loss per boosting iteration or per
/// epoch, on the training rows and on held-out rows, for reports and plots.
public protocol TrainingCurves {
    /// The curves, each over the same steps (`steps` names them: "iteration", "epoch").
    var trainingCurves: [TrainingCurve] { get }
}

/// One learning curve: a loss (or metric) per step.
public struct TrainingCurve: Sendable, Equatable, Codable {
    /// What is measured, e.g. "training loss", "validation loss".
    public var name: String
    /// What one step is: "iteration", "epoch".
    public var step: String
    /// One value per step, the first step first.
    public var values: [Double]

    public init(name: String, step: String, values: [Double]) {
        self.name = name
        self.step = step
        self.values = values
    }
}

/// A fitted linear model's coefficients, one row per output (one row for a regressor or a
/// binary classifier, one per class for a multinomial one), in feature order.
public protocol LinearCoefficients {
    var coefficientTable: CoefficientTable { get }
}

/// Coefficients by output and feature, with the intercepts.
public struct CoefficientTable: Sendable, Equatable, Codable {
    /// What each row predicts: a class name, or the target's name.
    public var outputs: [String]
    /// `outputs.count` rows of one coefficient per feature.
    public var coefficients: [[Double]]
    /// One intercept per output.
    public var intercepts: [Double]

    public init(outputs: [String], coefficients: [[Double]], intercepts: [Double]) {
        self.outputs = outputs
        self.coefficients = coefficients
        self.intercepts = intercepts
    }
}

/// The class counts of a classifier's training rows, as they came and as the learner saw
/// them after the pipeline's samplers (SMOTE, under-sampling) rebalanced them.
public struct ClassBalance: Sendable, Equatable, Codable {
    /// The class names, in the target's class order.
    public var classes: [String]
    /// Rows per class before any sampler.
    public var before: [Int]
    /// Rows per class after the samplers; equal to `before` without one.
    public var after: [Int]

    public init(classes: [String], before: [Int], after: [Int]) {
        self.classes = classes
        self.before = before
        self.after = after
    }

    /// Rows per class of `column`, over `classes` (a class absent from the column counts 0).
    static func counts(_ column: Column, classes: [String]) throws -> [Int] {
        let labels = try ClassLabels(column: column, name: "target")
        let index = Dictionary(classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var counts = [Int](repeating: 0, count: classes.count)
        var perCode = [Int](repeating: 0, count: labels.classes.count)
        for c in labels.codes { perCode[c] += 1 }
        for (code, name) in labels.classes.enumerated() { if let k = index[name] { counts[k] += perCode[code] } }
        return counts
    }
}
