import SluiceCompute
import SluicePipeline

/// Category sets of native categorical splits, shared by boosting (``BoostedTrees``) and
/// CART (``DecisionTree``): each set is ``words`` 32-bit words (256 bits), bit `c` of word
/// `c >> 5` for category code `c`. Codes run `0…254` (255 is boosting's missing bin), so a
/// feature is split natively with at most ``maxCategories`` categories.
@usableFromInline
enum CategoryBitset {
    /// Words per set.
    @usableFromInline static let words = 8
    /// The most categories a feature may have to be split natively.
    static let maxCategories = 255

    /// Whether value `v` goes left at a categorical split whose set starts at `bits`: NaN,
    /// or a value that is not an integer code in `0…254` (a category unseen in training),
    /// takes the missing side; a code goes left when its bit is set.
    @inlinable @inline(__always)
    static func goesLeft(_ v: Double, bits: UnsafePointer<UInt32>, missingLeft: Bool) -> Bool {
        guard v >= 0, v < 255, v == v.rounded(.down) else { return missingLeft }  // NaN fails `v >= 0`
        let c = Int(v)
        return bits[c >> 5] & (1 << UInt32(c & 31)) != 0
    }

    /// Whether code `c` is in `set` (a set of ``words`` words).
    static func contains(_ set: ArraySlice<UInt32>, _ c: Int) -> Bool {
        c >= 0 && c < 32 * words && set[set.startIndex + c >> 5] & (1 << UInt32(c & 31)) != 0
    }

    /// The categorical features of `data` (index → category count) for a learner that splits
    /// them natively; refused, with a typed error, for an index that is not a feature or above
    /// ``maxCategories`` categories.
    static func features<S: BLASScalar>(of data: TrainingSet<S>, learner: String) throws -> [Int: Int] {
        var out = [Int: Int]()
        for c in data.categorical {
            guard c.index >= 0, c.index < data.features.columns else {
                throw EstimatorError.invalidHyperparameter(estimator: learner, name: "categorical",
                                                           reason: "index \(c.index) is not a feature")
            }
            guard c.categories.count <= maxCategories else {
                let name = c.index < data.featureNames.count ? data.featureNames[c.index] : "x\(c.index)"
                throw EstimatorError.invalidHyperparameter(estimator: learner, name: "categorical",
                    reason: "feature \(name) has \(c.categories.count) categories, at most \(maxCategories) are split natively")
            }
            out[c.index] = c.categories.count
        }
        return out
    }

    /// A set holding `codes` (each in `0..<256`).
    static func set<C: Sequence>(_ codes: C) -> [UInt32] where C.Element == Int {
        var out = [UInt32](repeating: 0, count: words)
        for c in codes where c >= 0 && c < 32 * words { out[c >> 5] |= 1 << UInt32(c & 31) }
        return out
    }
}
