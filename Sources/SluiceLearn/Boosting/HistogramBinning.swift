import SluiceCompute

/// The feature binning of histogram gradient boosting, as scikit-learn's `_BinMapper`:
/// each feature is cut once into at most 255 bins, and bin 255 holds the missing values.
///
/// A numeric feature's edges come from its non-missing values in a seeded subsample of at
/// most ``subsampleSize`` rows (drawn with ``SeededGenerator/sample(_:from:)``): with at most
/// 255 distinct values, the midpoints between consecutive ones; otherwise the 254 percentiles
/// at `100·k/255` (`k = 1…254`) by the *midpoint* method (numpy's `method="midpoint"`).
/// A value `x` falls in bin `b`, the number of edges below it, so that `x ≤ edges[b]`
/// goes to bins `0…b`. A categorical feature's bins are its category codes (`0…k-1`, at
/// most 255 categories); a code that is not an integer in range is missing.
struct HistogramBinning: Sendable {
    /// The bin of missing values (NaN, or an unknown category).
    static let missingBin = 255
    /// The most non-missing bins a feature has.
    static let maxBins = 255
    /// The most rows the edges are computed from.
    static let subsampleSize = 200_000

    /// Per feature: the bin edges (numeric), empty for categorical features.
    var edges: [[Double]]
    /// Per feature: the number of non-missing bins.
    var binCount: [Int]
    /// Per feature: whether it is categorical.
    var isCategorical: [Bool]

    /// The edges of every feature of `x` (row-major, `n × p`).
    init(fitting x: Matrix<Double>, rows: [Int], categorical: [Int: Int], generator: inout SeededGenerator) {
        let p = x.columns
        let sample: [Int] = rows.count > Self.subsampleSize
            ? generator.sample(Self.subsampleSize, from: rows.count).sorted().map { rows[$0] }
            : rows
        var edges = [[Double]](repeating: [], count: p)
        var binCount = [Int](repeating: 0, count: p)
        var isCategorical = [Bool](repeating: false, count: p)
        x.withUnsafeBufferPointer { data in
            var column = [Double]()
            column.reserveCapacity(sample.count)
            for j in 0..<p {
                if let k = categorical[j] {
                    isCategorical[j] = true
                    binCount[j] = k
                    continue
                }
                column.removeAll(keepingCapacity: true)
                for i in sample {
                    let v = data[i * p + j]
                    if !v.isNaN { column.append(v) }
                }
                column.sort()
                edges[j] = Self.edges(sorted: column)
                binCount[j] = edges[j].count + 1
            }
        }
        self.edges = edges
        self.binCount = binCount
        self.isCategorical = isCategorical
    }

    /// Bin edges from a feature's sorted non-missing values.
    static func edges(sorted v: [Double]) -> [Double] {
        guard !v.isEmpty else { return [] }
        var distinct = [Double]()
        distinct.reserveCapacity(min(v.count, maxBins + 1))
        for x in v where distinct.last != x {
            distinct.append(x)
            if distinct.count > maxBins { break }
        }
        var out: [Double]
        if distinct.count <= maxBins {
            out = zip(distinct.dropLast(), distinct.dropFirst()).map { ($0 + $1) * 0.5 }
        } else {
            let n = Double(v.count - 1)
            out = (1..<maxBins).map { k in
                let position = Double(k) / Double(maxBins) * n  // linspace(0, 100, 256)[k] / 100 · (n - 1)
                let lo = Int(position.rounded(.down)), hi = Int(position.rounded(.up))
                return (v[lo] + v[hi]) * 0.5
            }
        }
        let almostInfinite = 1e300
        return out.map { min($0, almostInfinite) }
    }

    /// The bin of value `v` of feature `j`.
    @inline(__always)
    func bin(_ v: Double, feature j: Int) -> UInt8 {
        if v.isNaN { return UInt8(Self.missingBin) }
        if isCategorical[j] {
            guard v >= 0, v < Double(binCount[j]), v == v.rounded(.down) else { return UInt8(Self.missingBin) }
            return UInt8(Int(v))
        }
        let e = edges[j]
        var lo = 0, hi = e.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if v <= e[mid] { hi = mid } else { lo = mid + 1 }
        }
        return UInt8(lo)
    }

    /// The real threshold of a split after bin `b` of numeric feature `j`: `x ≤ threshold` goes left.
    func threshold(feature j: Int, bin b: Int) -> Double {
        b < edges[j].count ? edges[j][b] : .infinity
    }

    /// The rows `rows` of `x`, binned column-major (`p` columns of `rows.count` bins each),
    /// with, per feature, whether any of those rows is missing; parallel over features.
    func binned(_ x: Matrix<Double>, rows: [Int]) -> BinnedFeatures {
        let n = rows.count, p = x.columns
        let bins = BoostBuffer<UInt8>(count: n * p, repeating: 0)
        let missing = BoostBuffer<Bool>(count: p, repeating: false)
        x.withUnsafeBufferPointer { data in
            rows.withUnsafeBufferPointer { r in
                let source = BoostUnchecked((data, r))
                Parallel.forEachChunk(of: p, minimumChunk: 1) { features in
                    let (data, r) = source.value
                    for j in features {
                        let column = bins.pointer + j * n
                        var anyMissing = false
                        for i in 0..<n {
                            let b = bin(data[r[i] * p + j], feature: j)
                            column[i] = b
                            anyMissing = anyMissing || b == UInt8(Self.missingBin)
                        }
                        missing.pointer[j] = anyMissing
                    }
                }
            }
        }
        return BinnedFeatures(rows: n, features: p, bins: bins, hasMissing: Array(missing.buffer))
    }
}

/// Features as bins, column-major: feature `j`'s bins are `bins[j·rows ..< (j+1)·rows]`.
struct BinnedFeatures: Sendable {
    let rows: Int
    let features: Int
    let bins: BoostBuffer<UInt8>
    /// Whether the training rows have a missing value in each feature.
    let hasMissing: [Bool]
}
