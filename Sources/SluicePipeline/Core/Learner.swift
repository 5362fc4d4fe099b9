import SluiceCompute
import SluiceFrame

/// What a learner predicts, and so what its training set's target holds.
public enum TargetKind: String, Sendable, Codable, Equatable {
    /// Class labels (classification): the target arrives as ``ClassLabels``.
    case classes
    /// Continuous values (regression): the target arrives as `[Double]`.
    case values
    /// No target (clustering, decomposition).
    case none
}

/// How a learner wants its features, declared so that the pipeline feeds each learner what
/// it can take: gradient boosting raw NaN and category codes, linear models finite numbers.
public struct FeatureRequirements: Sendable, Equatable, Codable {
    /// Whether NaN may reach the learner (it handles missing values natively). Nulls in a
    /// numeric feature become NaN. When false, a null or NaN feature is refused with its
    /// row and column: impute before such a learner.
    public var allowsMissing: Bool
    /// Whether string and bool features may reach the learner as category codes (`0…k-1`
    /// as floating point, missing as NaN), listed in ``TrainingSet/categorical``. When false,
    /// a string feature is refused: one-hot or ordinal-encode before such a learner.
    public var categoricalCodes: Bool

    public init(allowsMissing: Bool = false, categoricalCodes: Bool = false) {
        self.allowsMissing = allowsMissing
        self.categoricalCodes = categoricalCodes
    }

    /// Finite numbers only (linear models, SVMs, k-NN, neural networks).
    public static let finite = FeatureRequirements()
}

/// A categorical feature given to a learner as codes: its column index and its categories,
/// in code order.
public struct CategoricalFeature: Sendable, Equatable, Codable {
    /// The feature's index (column of the feature matrix).
    public var index: Int
    /// The category values; code `c` means `categories[c]`.
    public var categories: [String]

    public init(index: Int, categories: [String]) {
        self.index = index
        self.categories = categories
    }
}

/// A learner's target: class labels, continuous values, or nothing.
public enum Target: Sendable, Equatable {
    case classes(ClassLabels)
    case values([Double])
    case none

    /// The number of rows, or nil for ``none``.
    public var count: Int? {
        switch self {
        case .classes(let l): return l.count
        case .values(let v): return v.count
        case .none: return nil
        }
    }

    /// The class labels, or an error naming `learner` that needs them.
    public func classLabels(learner: String) throws -> ClassLabels {
        guard case .classes(let l) = self else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "target", reason: "must be class labels")
        }
        return l
    }

    /// The continuous values, or an error naming `learner` that needs them.
    public func values(learner: String) throws -> [Double] {
        guard case .values(let v) = self else {
            throw EstimatorError.invalidHyperparameter(estimator: learner, name: "target", reason: "must be continuous values")
        }
        return v
    }
}

/// What a learner fits on: features in the scalar it asked for, the target, optional
/// weights and an optional validation set (for early stopping and per-epoch metrics).
public struct TrainingSet<Scalar: BLASScalar>: Sendable {
    /// `n × p` features.
    public var features: Matrix<Scalar>
    /// The name of each feature column, in order.
    public var featureNames: [String]
    /// The features given as category codes (only for learners that asked for them).
    public var categorical: [CategoricalFeature]
    /// The target, aligned with the feature rows.
    public var target: Target
    /// One weight per row, or nil for all 1.
    public var sampleWeights: [Double]?
    /// Held-out rows, transformed by the same fitted stages, when the caller gave some.
    public var validation: Validation?

    /// Held-out rows for a learner to monitor.
    public struct Validation: Sendable {
        public var features: Matrix<Scalar>
        public var target: Target
        public var sampleWeights: [Double]?

        public init(features: Matrix<Scalar>, target: Target, sampleWeights: [Double]? = nil) {
            self.features = features
            self.target = target
            self.sampleWeights = sampleWeights
        }
    }

    public init(features: Matrix<Scalar>, featureNames: [String]? = nil, categorical: [CategoricalFeature] = [],
                target: Target, sampleWeights: [Double]? = nil, validation: Validation? = nil) {
        self.features = features
        self.featureNames = featureNames ?? (0..<features.columns).map { "x\($0)" }
        self.categorical = categorical
        self.target = target
        self.sampleWeights = sampleWeights
        self.validation = validation
    }

    /// The number of rows.
    public var rows: Int { features.rows }
}

/// A learner, unfitted: a configuration value (Codable: its hyperparameters go into the
/// artifact as JSON) whose ``fit(_:context:)`` returns a separate fitted ``Model``.
///
/// A learner declares the scalar it computes in (`Double` or `Float`), what its target is,
/// and which features it can take; the pipeline converts its final frame accordingly.
public protocol Learner: Sendable, Encodable {
    /// The floating-point type of the feature matrix (`Double` unless the learner says).
    associatedtype Scalar: BLASScalar = Double
    associatedtype Model: FittedModel where Model.Scalar == Scalar
    /// What the learner predicts.
    var targetKind: TargetKind { get }
    /// Which features it accepts beyond finite numbers (default: none).
    var featureRequirements: FeatureRequirements { get }
    /// Fits on `data`. Random choices draw from `context.rng`; long fits report progress
    /// through `context.observe` and call `context.checkCancellation()` between steps.
    func fit(_ data: TrainingSet<Scalar>, context: inout FitContext) throws -> Model
}

extension Learner {
    public var featureRequirements: FeatureRequirements { .finite }
    /// The learner's name for errors: its model's stable kind.
    public var name: String { Model.kind }
}

/// What a fitted model returns for a feature matrix.
public enum ModelOutput: Sendable {
    /// Class probabilities, `n × classes`, columns in class-code order.
    case probabilities(Matrix<Double>)
    /// One continuous value per row.
    case values([Double])
    /// One cluster (or component) index per row.
    case clusters([Int])
}

/// A fitted model: Codable, Sendable state with a **stable kind** (`"logistic_regression"`,
/// never a Swift type name) and a state version, so that an artifact loads through an
/// ``ArtifactCodec`` without the caller naming the type, and survives the type moving.
public protocol FittedModel: Codable, Sendable {
    associatedtype Scalar: BLASScalar = Double
    /// The stable name stored in artifacts. Never change it once artifacts exist.
    static var kind: String { get }
    /// The version of the stored state; bump it when the Codable layout changes.
    static var stateVersion: Int { get }
    /// The number of features the model was fitted on.
    var featureCount: Int { get }
    /// The model's predictions for `x` (`n × featureCount`).
    func output(_ x: Matrix<Scalar>) throws -> ModelOutput
    /// Checks decoded state for consistency (sizes agree, values finite) before it is used:
    /// a crafted or damaged artifact is refused here, naming the field, never trapping later.
    func validate() throws
}

extension FittedModel {
    public static var stateVersion: Int { 1 }
}

/// A fitted classifier: class probabilities in the order of ``classes``.
public protocol ClassificationModel: FittedModel {
    /// The class names, in the order of probability columns.
    var classes: [String] { get }
    /// Class probabilities: `n × classes.count`, rows summing to 1.
    func predictProbabilities(_ x: Matrix<Scalar>) throws -> Matrix<Double>
}

extension ClassificationModel {
    public func output(_ x: Matrix<Scalar>) throws -> ModelOutput { .probabilities(try predictProbabilities(x)) }

    /// The index (into ``classes``) of the most probable class of each row; the first on ties.
    public func predict(_ x: Matrix<Scalar>) throws -> [Int] { try predictProbabilities(x).rowArgmax() }
}

/// A model with a raw decision function (scores before the link: logits, margins).
public protocol DecisionFunctionModel: FittedModel {
    /// `n × m` raw scores (one column for a binary model, one per class otherwise).
    func decisionFunction(_ x: Matrix<Scalar>) throws -> Matrix<Double>
}

/// A fitted regressor.
public protocol RegressionModel: FittedModel {
    /// One prediction per row of `x`.
    func predict(_ x: Matrix<Scalar>) throws -> [Double]
}

extension RegressionModel {
    public func output(_ x: Matrix<Scalar>) throws -> ModelOutput { .values(try predict(x)) }
}

/// What a learner or stage reports while it fits.
public struct FitProgress: Sendable, Equatable {
    /// What a step is.
    public enum Unit: String, Sendable, Equatable {
        case iteration, epoch, tree, fold, candidate
    }
    /// Who reports (a learner's kind, a stage's name).
    public var source: String
    public var unit: Unit
    /// The step just finished, from 1.
    public var step: Int
    /// How many steps at most, when known.
    public var total: Int?
    /// Figures at this step: `loss`, `validation_loss`, `gradient_norm`…
    public var metrics: [String: Double]

    public init(source: String, unit: Unit, step: Int, total: Int? = nil, metrics: [String: Double] = [:]) {
        self.source = source
        self.unit = unit
        self.step = step
        self.total = total
        self.metrics = metrics
    }
}

/// Why a fit stopped early at the caller's request.
public struct FitCancelled: Error, Equatable, ExitClassified, CustomStringConvertible {
    /// Who noticed the request.
    public var source: String
    public init(source: String) { self.source = source }
    public var description: String { "\(source): fit cancelled" }
    /// A cancelled fit is retried later: 75.
    public var exitStatus: ExitStatus { .temporaryFailure }
}

/// Fitted state that is inconsistent (a crafted or damaged artifact): the stage or model,
/// the field, and what is wrong with it.
public struct FittedStateError: Error, Equatable, ExitClassified, CustomStringConvertible {
    /// The stage or model kind.
    public var kind: String
    public var field: String
    public var reason: String

    public init(_ kind: String, field: String, _ reason: String) {
        self.kind = kind
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(kind).\(field): \(reason)" }
    /// Bad input: 65.
    public var exitStatus: ExitStatus { .dataError }

    /// Throws unless `condition` holds.
    public static func require(_ condition: Bool, _ kind: String, field: String, _ reason: @autoclosure () -> String) throws {
        if !condition { throw FittedStateError(kind, field: field, reason()) }
    }
}
