import Foundation

/// The sufficient statistics of a node's rows for one split criterion, kept in a flat
/// accumulator of ``width`` doubles whose first entry is the total weight. Splitters add
/// rows into accumulators and ask for impurities; leaves take their value from one.
///
/// The formulas are scikit-learn's (`_criterion.pyx`), term for term, so that equal
/// statistics give bit-equal proxies and so the same choice between near-equal splits.
protocol TreeStatistics {
    /// Doubles per accumulator.
    var width: Int { get }
    /// Values per node (classes, or 1).
    var outputs: Int { get }
    /// Adds row `row` with weight `w` to `acc`.
    func add(_ row: Int, _ w: Double, _ acc: UnsafeMutablePointer<Double>)
    /// The impurity of the rows summed in `acc`.
    func impurity(_ acc: UnsafePointer<Double>) -> Double
    /// A quantity that orders splits as the impurity decrease does (larger is better).
    func proxy(_ left: UnsafePointer<Double>, _ right: UnsafePointer<Double>) -> Double
    /// The node's value(s) into `out`.
    func value(_ acc: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>)
    /// The targets, when the criterion scores rows by their rank among the node's targets
    /// (the absolute error: see ``TargetRanking``) rather than from accumulators; nil otherwise.
    var rankedTargets: UnsafePointer<Double>? { get }
    /// How many orderings of a categorical feature's categories a split search scans
    /// (``CategoricalSplitSearch``): 1 (regression, binary classification), or one per class.
    var categoryOrderings: Int { get }
    /// The key a category (its rows summed in `acc`) is ordered by in ordering `ordering`:
    /// the mean target, or the fraction of class 1 (binary) or of class `ordering` (multiclass).
    func categoryKey(_ acc: UnsafePointer<Double>, ordering: Int) -> Double
}

extension TreeStatistics {
    var rankedTargets: UnsafePointer<Double>? { nil }
    var categoryOrderings: Int { 1 }
    /// The weighted mean target, `acc[1] / acc[0]`.
    func categoryKey(_ acc: UnsafePointer<Double>, ordering: Int) -> Double { acc[0] > 0 ? acc[1] / acc[0] : 0 }
}

/// Class counts: `acc = [W, w₀, w₁, …]`. Gini `1 - Σ wₖ² / W²`, entropy `-Σ pₖ log₂ pₖ`;
/// the proxy is `-W_R · impurity_R - W_L · impurity_L`; values are the class fractions.
struct ClassStatistics: TreeStatistics {
    let codes: UnsafePointer<Int32>
    let classes: Int
    let entropy: Bool

    var width: Int { classes + 1 }
    var outputs: Int { classes }

    @inline(__always) func add(_ row: Int, _ w: Double, _ acc: UnsafeMutablePointer<Double>) {
        acc[0] += w
        acc[1 + Int(codes[row])] += w
    }

    @inline(__always) func impurity(_ acc: UnsafePointer<Double>) -> Double {
        let total = acc[0]
        if entropy {
            var e = 0.0
            for k in 0..<classes {
                var c = acc[1 + k]
                if c > 0 {
                    c /= total
                    e -= c * (Foundation.log(c) / Foundation.log(2.0))
                }
            }
            return e
        }
        var sq = 0.0
        for k in 0..<classes { sq += acc[1 + k] * acc[1 + k] }
        return 1.0 - sq / (total * total)
    }

    @inline(__always) func proxy(_ left: UnsafePointer<Double>, _ right: UnsafePointer<Double>) -> Double {
        -right[0] * impurity(right) - left[0] * impurity(left)
    }

    func value(_ acc: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        for k in 0..<classes { out[k] = acc[0] > 0 ? acc[1 + k] / acc[0] : 0 }
    }

    /// Binary: one ordering, by the fraction of class 1 (Breiman's, optimal for Gini and
    /// entropy). Multiclass: one per class, one-vs-rest by that class's fraction.
    var categoryOrderings: Int { classes <= 2 ? 1 : classes }

    func categoryKey(_ acc: UnsafePointer<Double>, ordering: Int) -> Double {
        let k = classes <= 2 ? min(1, classes - 1) : ordering
        return acc[0] > 0 ? acc[1 + k] / acc[0] : 0
    }
}

/// Weighted sums `acc = [W, Σ w·y, Σ w·y²]`: impurity `Σwy²/W - (Σwy/W)²`, the proxy
/// `(Σ_L wy)² / W_L + (Σ_R wy)² / W_R`, the value the weighted mean.
struct SquaredErrorStatistics: TreeStatistics {
    let y: UnsafePointer<Double>

    var width: Int { 3 }
    var outputs: Int { 1 }

    @inline(__always) func add(_ row: Int, _ w: Double, _ acc: UnsafeMutablePointer<Double>) {
        let yi = y[row], wy = w * yi
        acc[0] += w
        acc[1] += wy
        acc[2] += wy * yi
    }

    @inline(__always) func impurity(_ acc: UnsafePointer<Double>) -> Double {
        let m = acc[1] / acc[0]
        return acc[2] / acc[0] - m * m
    }

    @inline(__always) func proxy(_ left: UnsafePointer<Double>, _ right: UnsafePointer<Double>) -> Double {
        left[1] * left[1] / left[0] + right[1] * right[1] / right[0]
    }

    func value(_ acc: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        out[0] = acc[0] > 0 ? acc[1] / acc[0] : 0
    }
}

/// The absolute error (scikit-learn's `criterion="absolute_error"`): impurity the weighted
/// mean absolute deviation from the weighted median, leaves the weighted median. Neither is
/// a function of sums, so the accumulator `[W, Σ w·y]` only carries the weight (and the
/// mean, for ordering categories); splitters and the grower take impurities, the proxy and
/// values from a ``TargetRanking`` (``rankedTargets``). The proxy is scikit-learn's default
/// `-W_R · impurity_R - W_L · impurity_L`.
struct AbsoluteErrorStatistics: TreeStatistics {
    let y: UnsafePointer<Double>

    var width: Int { 2 }
    var outputs: Int { 1 }
    var rankedTargets: UnsafePointer<Double>? { y }

    @inline(__always) func add(_ row: Int, _ w: Double, _ acc: UnsafeMutablePointer<Double>) {
        acc[0] += w
        acc[1] += w * y[row]
    }

    /// Not defined by sums: NaN (the ranking gives the impurity).
    func impurity(_ acc: UnsafePointer<Double>) -> Double { .nan }

    /// Not defined by sums: -∞ (the ranking gives the proxy).
    func proxy(_ left: UnsafePointer<Double>, _ right: UnsafePointer<Double>) -> Double { -.infinity }

    /// The weighted mean (the ranking gives the leaf's median).
    func value(_ acc: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        out[0] = acc[0] > 0 ? acc[1] / acc[0] : 0
    }

    /// scikit-learn's proxy from a child's summed absolute errors and weights.
    @inline(__always) static func proxy(leftError: Double, leftWeight: Double, rightError: Double, rightWeight: Double)
        -> (proxy: Double, left: Double, right: Double) {
        let il = leftError / leftWeight, ir = rightError / rightWeight
        return (-rightWeight * ir - leftWeight * il, il, ir)
    }
}
