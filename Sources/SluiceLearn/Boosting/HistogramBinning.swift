import CSluiceKernels
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
        var binCount = [Int](repeating: 0, count: p)
        var isCategorical = [Bool](repeating: false, count: p)
        for (j, k) in categorical where j < p {
            isCategorical[j] = true
            binCount[j] = k
        }
        // Each numeric feature's edges from its sorted sample, the features in parallel: the
        // even-numbered ones first, then the odd ones, so that each thread's contiguous share
        // holds features from the whole row (the one-hot columns, quick to sort, come last).
        let found = BoostBuffer<[Double]>(count: p, repeating: [])
        let numeric = (0..<p).filter { !isCategorical[$0] }
        let order = stride(from: 0, to: numeric.count, by: 2).map { numeric[$0] }
            + stride(from: 1, to: numeric.count, by: 2).map { numeric[$0] }
        x.withUnsafeBufferPointer { data in
            sample.withUnsafeBufferPointer { rows in
                let shared = BoostUnchecked((data, rows))
                Parallel.forEachChunk(of: order.count, minimumChunk: 1) { positions in
                    let (data, rows) = shared.value
                    var column = [Double]()
                    column.reserveCapacity(rows.count)
                    for j in positions.map({ order[$0] }) {
                        column.removeAll(keepingCapacity: true)
                        for i in rows {
                            let v = data[i * p + j]
                            if !v.isNaN { column.append(v) }
                        }
                        found[j] = Self.edges(unsorted: &column)
                    }
                }
            }
        }
        let edges = Array(found.buffer)
        for j in 0..<p where !isCategorical[j] { binCount[j] = edges[j].count + 1 }
        self.edges = edges
        self.binCount = binCount
        self.isCategorical = isCategorical
    }

    /// Bin edges from a feature's non-missing values in any order (`v` may be sorted in place),
    /// the same as ``edges(sorted:)`` of them sorted: their distinct values are kept sorted as
    /// they come, and all of them sorted only once more than 255 distinct values are seen
    /// (one-hot and small-count features are not sorted).
    static func edges(unsorted v: inout [Double]) -> [Double] {
        var distinct = [Double]()
        distinct.reserveCapacity(maxBins)
        var last = Double.nan
        for x in v where x != last {
            last = x
            var lo = 0, hi = distinct.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if distinct[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            if lo < distinct.count && distinct[lo] == x { continue }
            if distinct.count == maxBins {
                v.sort()
                return edges(sorted: v)
            }
            distinct.insert(x, at: lo)
        }
        return edges(sorted: distinct)
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

    /// The rows `rows` of `x`, binned row-major, with sparse mutually exclusive features
    /// bundled into one column (LightGBM's exclusive feature bundling): a one-hot group of
    /// `k` columns becomes one column of `k + 1` bins. A numeric feature without missing
    /// values, non-zero bin in at most half of the rows, joins the first bundle where no row
    /// has a non-zero bin of another member (and the bins fit in 255); bundle bin 0 means every
    /// member is at bin 0, and member `f` at bin `b ≥ 1` is bundle bin `offset(f) + b - 1`.
    ///
    /// Then, with `jointCodes`, columns (plain features or bundles) of few codes share one byte
    /// by the product of their codes (a plain feature's missing bin its last code): from the
    /// column with the fewest codes up, each joins the first shared column whose codes times
    /// its own are at most 256. The shared column's histogram is the joint one of its members,
    /// and a member's own is its margin, so the splits are those of one column each, with
    /// fewer histogram columns to build and fewer bytes a row to move.
    func binned(_ x: Matrix<Double>, rows: [Int], jointCodes: Bool = true) -> BoostingBinnedFeatures {
        let n = rows.count, p = x.columns
        // Column-major bins first, parallel over blocks of rows: a block's rows stay in cache
        // while each feature's values are read from them (a column read down the whole matrix
        // would load one cache line per value).
        let byColumn = BoostBuffer<UInt8>(count: n * p, repeating: 0)
        let blockRows = 4096, rowBlocks = max(1, (n + blockRows - 1) / blockRows)
        let blockMissing = BoostBuffer<Bool>(count: rowBlocks * p, repeating: false)
        let blockNonZero = BoostBuffer<Int>(count: rowBlocks * p, repeating: 0)
        x.withUnsafeBufferPointer { data in
            rows.withUnsafeBufferPointer { r in
                let source = BoostUnchecked((data, r))
                Parallel.forEachChunk(of: rowBlocks, minimumChunk: 1) { blocks in
                    let (data, r) = source.value
                    for block in blocks {
                        let first = block * blockRows, end = min(n, first + blockRows)
                        for j in 0..<p {
                            let column = byColumn.pointer + j * n
                            var anyMissing = false, count = 0
                            if isCategorical[j] {
                                for i in first..<end {
                                    let b = bin(data[r[i] &* p &+ j], feature: j)
                                    column[i] = b
                                    anyMissing = anyMissing || b == UInt8(Self.missingBin)
                                    count &+= b != 0 ? 1 : 0
                                }
                            } else {
                                // `bin(_:feature:)`'s search, branch-free in C.
                                var missing: Int32 = 0
                                count = edges[j].withUnsafeBufferPointer { e in
                                    sluice_boost_bin_numeric(data.baseAddress! + j, p, r.baseAddress!, first, end,
                                                             e.baseAddress, e.count, column, &missing)
                                }
                                anyMissing = missing != 0
                            }
                            blockMissing.pointer[block * p + j] = anyMissing
                            blockNonZero.pointer[block * p + j] = count
                        }
                    }
                }
            }
        }
        var missing = [Bool](repeating: false, count: p), nonZero = [Int](repeating: 0, count: p)
        for block in 0..<rowBlocks {
            for j in 0..<p {
                missing[j] = missing[j] || blockMissing[block * p + j]
                nonZero[j] += blockNonZero[block * p + j]
            }
        }
        // Greedy conflict-free bundles.
        var bundles: [(members: [Int], bins: Int, used: [Bool])] = []
        var offset = [Int](repeating: 0, count: p)
        for j in 0..<p where !isCategorical[j] && !missing[j] && nonZero[j] * 2 <= n && binCount[j] >= 2 {
            let column = byColumn.pointer + j * n
            var placed = false
            for k in bundles.indices where bundles[k].bins + binCount[j] - 1 <= Self.maxBins {
                let conflict = bundles[k].used.withUnsafeBufferPointer { used in
                    (0..<n).contains { column[$0] != 0 && used[$0] }
                }
                if conflict { continue }
                for i in 0..<n where column[i] != 0 { bundles[k].used[i] = true }
                offset[j] = bundles[k].bins
                bundles[k].members.append(j)
                bundles[k].bins += binCount[j] - 1
                placed = true
                break
            }
            if !placed, bundles.count < 64 {
                var used = [Bool](repeating: false, count: n)
                for i in 0..<n where column[i] != 0 { used[i] = true }
                offset[j] = 1
                bundles.append(([j], binCount[j], used))
            }
        }
        var parts: [[Int]] = []  // members of each bundle; a plain feature alone with offset 0
        var partOf = [Int](repeating: -1, count: p)
        for j in 0..<p {
            if let k = bundles.firstIndex(where: { $0.members.first == j }), bundles[k].members.count > 1 {
                for f in bundles[k].members { partOf[f] = parts.count }
                parts.append(bundles[k].members)
            } else if partOf[j] < 0 {
                if bundles.contains(where: { $0.members.count > 1 && $0.members.contains(j) }) { continue }
                offset[j] = 0
                partOf[j] = parts.count
                parts.append([j])
            }
        }
        for j in 0..<p where parts[partOf[j]].count == 1 { offset[j] = 0 }
        // A part's codes: a plain feature's bins (and one more for missing), a bundle's bins.
        let codes = parts.map { m in
            m.count == 1 ? binCount[m[0]] + (missing[m[0]] ? 1 : 0) : 1 + m.reduce(0) { $0 + binCount[$1] - 1 }
        }
        // Parts with few codes share a column by their product (joint codes, first fit from the
        // fewest codes): the column's histogram is their joint one, each part's its margin.
        var groups: [(parts: [Int], product: Int)] = []
        for k in parts.indices.sorted(by: { (codes[$0], $0) < (codes[$1], $1) }) {
            if jointCodes, codes[k] <= 128, let g = groups.firstIndex(where: { $0.product <= 128 && $0.product * codes[k] <= 256 }) {
                groups[g].parts.append(k)
                groups[g].product *= codes[k]
            } else {
                groups.append(([k], codes[k]))
            }
        }
        groups.sort { $0.parts.min()! < $1.parts.min()! }
        // Per part: its column and the weight of its code in the column's byte (0: the byte is the part's own).
        var columnOfPart = [Int](repeating: 0, count: parts.count), radix = [Int](repeating: 0, count: parts.count)
        for (c, g) in groups.enumerated() {
            var r = 1
            for k in g.parts {
                columnOfPart[k] = c
                radix[k] = g.parts.count == 1 ? 0 : r
                r *= codes[k]
            }
        }
        let columnOf = (0..<p).map { columnOfPart[partOf[$0]] }
        // Each feature's bin from its column's byte, where the byte is not the feature's bins alone.
        let decode: [[UInt8]?] = (0..<p).map { j in
            let k = partOf[j], bundled = parts[k].count > 1
            guard bundled || radix[k] > 0 else { return nil }
            return (0..<256).map { v in
                let code = radix[k] > 0 ? (v / radix[k]) % codes[k] : v
                if bundled { return BoostingBinnedFeatures.memberBin(UInt8(code), offset: offset[j], binCount: binCount[j]) }
                return code == binCount[j] ? UInt8(Self.missingBin) : UInt8(code)
            }
        }
        // Row-major columns, parallel over blocks of rows.
        let q = groups.count
        let bins = BoostBuffer<UInt8>(count: n * q, repeating: 0)
        let blocks = max(1, (n + 65_535) / 65_536)
        let layout = groups.map { g in
            g.parts.map { k in (radix: radix[k], missingCode: binCount[parts[k][0]],
                                members: parts[k].map { (feature: $0, offset: offset[$0]) }) }
        }
        let shared = BoostUnchecked(layout)
        Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
            let columns = shared.value
            for block in range {
                for i in (block * 65_536)..<min(n, (block + 1) * 65_536) {
                    let out = bins.pointer + i * q
                    for (c, parts) in columns.enumerated() {
                        var byte = 0
                        for part in parts {
                            var code: Int
                            if part.members.count == 1 {
                                code = Int(byColumn.pointer[part.members[0].feature * n + i])
                                if part.radix > 0 && code == Self.missingBin { code = part.missingCode }
                            } else {
                                code = 0
                                for m in part.members {
                                    let b = byColumn.pointer[m.feature * n + i]
                                    if b != 0 { code = m.offset + Int(b) - 1 }
                                }
                            }
                            byte += part.radix > 0 ? code * part.radix : code
                        }
                        out[c] = UInt8(byte)
                    }
                }
            }
        }
        return BoostingBinnedFeatures(rows: n, features: p, columns: q, bins: bins, hasMissing: missing,
                                      columnOf: columnOf, decode: decode)
    }
}

/// Features as bins, row-major by column: row `i`'s bins are `bins[i·columns ..< (i+1)·columns]`;
/// feature `f` is column `columnOf[f]`, alone (`decode[f] == nil`: the byte is its bin) or
/// sharing it (in an exclusive bundle, or by joint codes, or both).
struct BoostingBinnedFeatures: Sendable {
    let rows: Int
    let features: Int
    let columns: Int
    let bins: BoostBuffer<UInt8>
    /// Whether the training rows have a missing value in each feature.
    let hasMissing: [Bool]
    let columnOf: [Int]
    /// Per feature sharing its column: its bin for each value of the column's byte.
    let decode: [[UInt8]?]

    /// Feature `f`'s bin from its column's byte `v`.
    @inline(__always) func featureBin(_ v: UInt8, _ f: Int) -> UInt8 {
        decode[f].map { $0[Int(v)] } ?? v
    }

    /// The bin of a bundle member at `offset` (≥ 1) with `binCount` bins, from the bundle's bin `v`.
    @inline(__always) static func memberBin(_ v: UInt8, offset o: Int, binCount: Int) -> UInt8 {
        let b = Int(v) - o + 1
        return b >= 1 && b < binCount ? UInt8(b) : 0
    }
}
