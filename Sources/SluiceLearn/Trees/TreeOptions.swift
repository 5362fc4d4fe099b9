import Foundation
import SluicePipeline

/// How a decision tree measures the impurity of a classification node.
public enum ClassificationCriterion: String, Sendable, Codable, Equatable {
    /// Gini impurity `1 - Σ pₖ²`.
    case gini
    /// Shannon entropy `-Σ pₖ log₂ pₖ` (scikit-learn's `"entropy"`).
    case entropy
    /// The same as ``entropy`` (scikit-learn's `"log_loss"`): splits minimise the log loss.
    case logLoss
}

/// How a decision tree measures the impurity of a regression node.
public enum RegressionCriterion: String, Sendable, Codable, Equatable {
    /// The weighted variance; leaves predict the weighted mean.
    case squaredError
    /// The weighted mean absolute deviation from the weighted median; leaves predict the
    /// weighted median (scikit-learn's `"absolute_error"`: the smallest target whose
    /// cumulative weight passes half the node's, or the midpoint of two targets when a prefix
    /// holds exactly half). Each split is scored by a Fenwick tree over the node's ranked
    /// targets, `O(n log n)` per feature and node (``TargetRanking``).
    case absoluteError
}

/// How many features a split looks at (scikit-learn's `max_features`).
public enum MaxFeatures: Sendable, Codable, Equatable {
    /// Every feature.
    case all
    /// `max(1, ⌊√p⌋)` features.
    case sqrt
    /// `max(1, ⌊log₂ p⌋)` features.
    case log2
    /// `max(1, ⌊fraction · p⌋)` features, `0 < fraction ≤ 1`.
    case fraction(Double)
    /// Exactly `count` features (`1 ≤ count`, clamped to `p`).
    case count(Int)

    /// The number of features to draw per node out of `p`.
    func resolve(_ p: Int) -> Int {
        let k: Int
        switch self {
        case .all: k = p
        case .sqrt: k = Int(Double(p).squareRoot())
        case .log2: k = p > 0 ? Int(Foundation.log2(Double(p))) : 0
        case .fraction(let f): k = Int(f * Double(p))
        case .count(let c): k = c
        }
        return min(p, max(1, k))
    }

    func check(estimator: String) throws {
        switch self {
        case .fraction(let f) where !(f > 0 && f <= 1):
            throw EstimatorError.invalidHyperparameter(estimator: estimator, name: "maxFeatures", reason: "fraction must be in (0, 1]")
        case .count(let c) where c < 1:
            throw EstimatorError.invalidHyperparameter(estimator: estimator, name: "maxFeatures", reason: "count must be ≥ 1")
        default: return
        }
    }
}

/// How a tree finds its splits.
public enum TreeSplitter: Sendable, Codable, Equatable {
    /// Every threshold between consecutive distinct values of the node's rows (sorted once
    /// per feature at the root and kept sorted down the tree), thresholds at the midpoints,
    /// as scikit-learn's `splitter="best"`.
    case exact
    /// Features binned once into at most `maxBins` (2…255) bins at quantile edges computed
    /// from a seeded subsample of up to 200 000 rows; splits between bins (thresholds at the
    /// bin edges). The fast choice for large tables.
    case histogram(maxBins: Int)
    /// A uniformly random threshold per drawn feature between the node's minimum and
    /// maximum, the best of those kept (scikit-learn's `splitter="random"`, extra-trees).
    case random
    /// ``exact`` up to 100 000 rows, ``histogram(maxBins:)`` with 255 bins above.
    case automatic

    func resolved(rows: Int) -> TreeSplitter {
        if case .automatic = self { return rows <= 100_000 ? .exact : .histogram(maxBins: 255) }
        return self
    }
}

/// The growth limits every tree shares (scikit-learn's names in parentheses).
public struct TreeLimits: Sendable, Codable, Equatable {
    /// The deepest a leaf may be, the root at depth 0 (`max_depth`); nil for no limit.
    public var maxDepth: Int?
    /// A node with fewer rows is not split (`min_samples_split`, ≥ 2).
    public var minSamplesSplit: Int
    /// Each child keeps at least this many rows (`min_samples_leaf`, ≥ 1).
    public var minSamplesLeaf: Int
    /// A split is made only if it lowers the weighted impurity by at least this much
    /// (`min_impurity_decrease`): `N_t / N · (impurity - N_L/N_t · left - N_R/N_t · right)`.
    public var minImpurityDecrease: Double
    /// Grow best-first (largest impurity decrease next) to at most this many leaves
    /// (`max_leaf_nodes`, ≥ 2); nil grows depth-first.
    public var maxLeafNodes: Int?
    /// Cost-complexity pruning after growth (`ccp_alpha`, ≥ 0; 0 does not prune): see
    /// ``DecisionTree/pruned(alpha:)``.
    public var ccpAlpha: Double

    public init(maxDepth: Int? = nil, minSamplesSplit: Int = 2, minSamplesLeaf: Int = 1,
                minImpurityDecrease: Double = 0, maxLeafNodes: Int? = nil, ccpAlpha: Double = 0) {
        self.maxDepth = maxDepth
        self.minSamplesSplit = minSamplesSplit
        self.minSamplesLeaf = minSamplesLeaf
        self.minImpurityDecrease = minImpurityDecrease
        self.maxLeafNodes = maxLeafNodes
        self.ccpAlpha = ccpAlpha
    }

    func check(estimator e: String) throws {
        func bad(_ name: String, _ reason: String) -> EstimatorError {
            .invalidHyperparameter(estimator: e, name: name, reason: reason)
        }
        if let d = maxDepth, d < 0 { throw bad("maxDepth", "must be ≥ 0") }
        if minSamplesSplit < 2 { throw bad("minSamplesSplit", "must be ≥ 2") }
        if minSamplesLeaf < 1 { throw bad("minSamplesLeaf", "must be ≥ 1") }
        if !(minImpurityDecrease >= 0 && minImpurityDecrease.isFinite) { throw bad("minImpurityDecrease", "must be finite and ≥ 0") }
        if let l = maxLeafNodes, l < 2 { throw bad("maxLeafNodes", "must be ≥ 2") }
        if !(ccpAlpha >= 0 && ccpAlpha.isFinite) { throw bad("ccpAlpha", "must be finite and ≥ 0") }
    }
}

extension TreeSplitter {
    func check(estimator e: String) throws {
        if case .histogram(let b) = self, !(2...255).contains(b) {
            throw EstimatorError.invalidHyperparameter(estimator: e, name: "splitter", reason: "maxBins must be in 2…255")
        }
    }
}
