import SluiceCompute

/// Features binned once for the `.histogram` splitter: `bins[i·p + f]` is row `i`'s bin of
/// feature `f` (row-major, one byte each), bin ``missingBin`` for NaN.
///
/// Edges come from the sorted present values of a subsample of up to 200 000 rows drawn
/// without replacement from the fit's generator (`SeededGenerator.sample`): with at most
/// `maxBins` distinct values, the midpoints between consecutive ones; otherwise the
/// `k / maxBins` quantiles (`k = 1…maxBins-1`, linear interpolation between order
/// statistics), duplicates dropped. A value `x` falls in bin `b`, the number of edges below
/// it, so `x ≤ edges[f][b]` exactly when its bin is at most `b`: a split after bin `b` is
/// the threshold `edges[f][b]`. A categorical feature with `k` categories (codes `0…k-1`,
/// at most 255) has the edges `0.5, 1.5, …`: bin `c` is category `c`, whatever `maxBins`.
final class BinnedFeatures: @unchecked Sendable {
    static let missingBin = 255
    let rows: Int, features: Int
    let bins: UnsafeMutablePointer<UInt8>
    let edges: [[Double]]
    /// Per feature: its category count when it splits natively on category codes, else 0.
    let categoryCounts: [Int]

    /// `categoryCounts` (one per feature, or empty) marks the categorical features.
    init(_ x: Matrix<Float>, maxBins: Int, categoryCounts: [Int] = [], rng: inout SeededGenerator) {
        rows = x.rows
        features = x.columns
        let n = rows, p = features
        let categoryCounts = categoryCounts.count == p ? categoryCounts : [Int](repeating: 0, count: p)
        self.categoryCounts = categoryCounts
        let sample = n <= 200_000 ? Array(0..<n) : rng.sample(200_000, from: n)
        var edges = [[Double]](repeating: [], count: p)
        x.withUnsafeBufferPointer { xs in
            edges.withUnsafeMutableBufferPointer { out in
                Parallel.forEachChunk(of: p, minimumChunk: 1) { chunk in
                    for f in chunk {
                        if categoryCounts[f] > 0 {
                            out[f] = (0..<(categoryCounts[f] - 1)).map { Double($0) + 0.5 }
                            continue
                        }
                        var v = [Double]()
                        v.reserveCapacity(sample.count)
                        for i in sample where !xs[i * p + f].isNaN { v.append(Double(xs[i * p + f])) }
                        v.sort()
                        out[f] = Self.edges(sorted: v, maxBins: maxBins)
                    }
                }
            }
        }
        self.edges = edges
        bins = .allocate(capacity: max(1, n * p))
        let bins = bins
        x.withUnsafeBufferPointer { xs in
            Parallel.forEachChunk(of: n, minimumChunk: 16384) { range in
                for f in 0..<p {
                    edges[f].withUnsafeBufferPointer { e in
                        for i in range {
                            let x = xs[i * p + f]
                            bins[i * p + f] = x.isNaN ? UInt8(Self.missingBin) : UInt8(Self.bin(Double(x), e))
                        }
                    }
                }
            }
        }
    }

    deinit { bins.deallocate() }

    /// The number of edges below `x` (binary search).
    @inline(__always) static func bin(_ x: Double, _ e: UnsafeBufferPointer<Double>) -> Int {
        var lo = 0, hi = e.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if e[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    static func edges(sorted v: [Double], maxBins: Int) -> [Double] {
        var distinct = [Double]()
        for x in v where distinct.last != x { distinct.append(x) }
        if distinct.count <= 1 { return [] }
        var out = [Double]()
        if distinct.count <= maxBins {
            for i in 1..<distinct.count {
                let a = distinct[i - 1], b = distinct[i]
                let t = a / 2 + b / 2
                out.append(t == b ? a : t)
            }
            return out
        }
        for k in 1..<maxBins {
            let position = Double(k) / Double(maxBins) * Double(v.count - 1)
            let i = Int(position), frac = position - Double(i)
            let q = i + 1 < v.count ? v[i] + (v[i + 1] - v[i]) * frac : v[i]
            if out.last.map({ q > $0 }) ?? true, q < distinct[distinct.count - 1] { out.append(q) }
        }
        return out
    }
}

/// One node's histograms: for each feature and bin, the accumulator of its rows plus
/// their count (the last entry), `width + 1` doubles per bin; feature `f` has its
/// `edges + 1` value bins then its missing bin, from offset `offsets[f]`.
final class NodeHistogram {
    let buffer: UnsafeMutablePointer<Double>
    let count: Int

    init(count: Int) {
        self.count = count
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: 0, count: count)
    }

    deinit { buffer.deallocate() }
}

/// The `.histogram` splitter: each node's rows summed per bin (the smaller child built from
/// its rows, the larger one as the parent minus it), then every bin boundary tried, missing
/// values on either side (or alone on the right); ties go to the first feature drawn and
/// the lowest bin.
final class HistogramSplitter<Stats: TreeStatistics>: TreeSplitEngine {
    typealias State = NodeHistogram
    let stats: Stats
    let binned: BinnedFeatures
    let rowCount: Int
    let p: Int
    let hw: Int
    let samples: UnsafeMutablePointer<Int32>
    let tmp: UnsafeMutablePointer<Int32>
    let weights: UnsafePointer<Double>
    let maxFeatures: Int
    let minLeaf: Int
    /// The first cell of each feature (and the total cell count last).
    let offsets: [Int]
    let ranking: TargetRanking?

    init(binned: BinnedFeatures, weights: UnsafePointer<Double>, stats: Stats, maxFeatures: Int, minSamplesLeaf: Int) {
        self.binned = binned
        self.stats = stats
        self.weights = weights
        self.maxFeatures = maxFeatures
        minLeaf = minSamplesLeaf
        p = binned.features
        hw = stats.width + 1
        var offsets = [0]
        for e in binned.edges { offsets.append(offsets.last! + e.count + 2) }
        self.offsets = offsets
        let n = binned.rows
        var m = 0
        for i in 0..<n where weights[i] > 0 { m += 1 }
        rowCount = m
        samples = .allocate(capacity: max(1, m))
        tmp = .allocate(capacity: max(1, m))
        var k = 0
        for i in 0..<n where weights[i] > 0 { samples[k] = Int32(i); k += 1 }
        ranking = stats.rankedTargets.map { TargetRanking(y: $0, weights: weights, rows: n, capacity: m) }
    }

    deinit { samples.deallocate(); tmp.deallocate() }

    @inline(__always) func weight(_ row: Int) -> Double { weights[row] }
    func rows(_ range: Range<Int>) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: samples + range.lowerBound, count: range.count)
    }

    func rootState() -> NodeHistogram { build(0..<rowCount) }

    /// The histograms of the rows in `range`, features in parallel for large nodes.
    private func build(_ range: Range<Int>) -> NodeHistogram {
        let h = NodeHistogram(count: offsets[p] * hw)
        let buffer = h.buffer, bins = binned.bins, stats = stats, hw = hw, p = p, weights = weights, samples = samples
        let body = { (chunk: Range<Int>) in
            self.offsets.withUnsafeBufferPointer { offsets in
                for q in range {
                    let r = Int(samples[q]), w = weights[r]
                    let row = bins + r * p
                    for f in chunk {
                        let b = Int(row[f])
                        let slot = b == BinnedFeatures.missingBin ? offsets[f + 1] - 1 : offsets[f] + b
                        let cell = buffer + slot * hw
                        stats.add(r, w, cell)
                        cell[hw - 1] += 1
                    }
                }
            }
        }
        if range.count * p < 400_000 { body(0..<p) } else { Parallel.forEachChunk(of: p, minimumChunk: 1, body) }
        return h
    }

    func bestSplit(_ range: Range<Int>, totals: [Double], state: NodeHistogram, rng: inout SeededGenerator) -> CandidateSplit? {
        let features = drawFeatures(p, maxFeatures, rng: &rng) { _ in false }
        var best: CandidateSplit?
        var bestProxy = -Double.infinity
        let width = stats.width, n = range.count, stats = stats, minLeaf = minLeaf
        var acc = [Double](repeating: 0, count: 2 * width)
        let scan = ranking.map { _ in TargetRanking.Scan(capacity: n) }
        acc.withUnsafeMutableBufferPointer { a in
            let left = a.baseAddress!, right = left + width
            totals.withUnsafeBufferPointer { total in
                for f in features {
                    let base = state.buffer + offsets[f] * hw
                    let edges = binned.edges[f]
                    let nb = edges.count + 1
                    let miss = base + nb * hw
                    let missing = Int(miss[hw - 1])
                    if binned.categoryCounts[f] > 0 {
                        let node = CategoricalSplitSearch.Node(feature: f, sums: base, stride: hw,
                                                               counts: (0..<nb).map { Int(base[$0 * hw + hw - 1]) },
                                                               missing: miss, missingCount: missing,
                                                               total: total.baseAddress!, rows: n)
                        var none = SeededGenerator(seed: 0)
                        CategoricalSplitSearch.search(node, stats: stats, minLeaf: minLeaf, scan: scan,
                                                      rank: { order, missingFirst in
                                                          if let scan { self.rank(f, range, base: base, order: order, bins: nb,
                                                                                  missingFirst: missingFirst, scan) }
                                                      }, random: false, rng: &none, bestProxy: &bestProxy, best: &best)
                        continue
                    }
                    for pass in 0..<(missing > 0 ? 2 : 1) {
                        let missingLeft = pass == 1
                        if let scan { rank(f, range, base: base, order: Array(0..<nb), bins: nb, missingFirst: missingLeft, scan) }
                        for j in 0..<width { left[j] = missingLeft ? miss[j] : 0 }
                        var count = missingLeft ? missing : 0
                        for b in 0..<nb {
                            let cell = base + b * hw
                            let c = Int(cell[hw - 1])
                            if c == 0 && b < nb - 1 { continue }
                            for j in 0..<width { left[j] += cell[j] }
                            count += c
                            let isLast = b == nb - 1
                            if isLast && (missingLeft || missing == 0) { break }
                            if count < minLeaf || n - count < minLeaf || count == 0 || count == n { continue }
                            for j in 0..<width { right[j] = total[j] - left[j] }
                            let (proxy, impurities) = scan.map { $0.split(leftCount: count, leftWeight: left[0], rightWeight: right[0]) }
                                ?? (stats.proxy(left, right), nil)
                            if proxy > bestProxy {
                                bestProxy = proxy
                                best = CandidateSplit(feature: f, threshold: isLast ? .infinity : edges[b], missingLeft: missingLeft,
                                                      sawMissing: missing > 0, leftCount: count, proxy: proxy,
                                                      position: isLast ? 255 : b,
                                                      left: Array(UnsafeBufferPointer(start: left, count: width)),
                                                      impurities: impurities)
                            }
                        }
                    }
                }
            }
        }
        return best
    }

    /// The absolute error's scan of feature `f`'s rows in `range` with its bins in `order`
    /// (a counting sort by the bin counts in the histogram at `base`; `order` holds every bin
    /// with rows), the missing bin first or last.
    private func rank(_ f: Int, _ range: Range<Int>, base: UnsafeMutablePointer<Double>, order: [Int], bins nb: Int,
                      missingFirst: Bool, _ scan: TargetRanking.Scan) {
        guard let ranking else { return }
        var start = [Int](repeating: 0, count: nb + 1)  // value bins, then the missing bin
        var next = missingFirst ? Int(base[nb * hw + hw - 1]) : 0
        for b in order {
            start[b] = next
            next += Int(base[b * hw + hw - 1])
        }
        start[nb] = missingFirst ? 0 : next
        let seq = scan.sequence, p = p, bins = binned.bins
        for q in range {
            let r = samples[q]
            let b = Int(bins[Int(r) * p + f])
            let slot = b == BinnedFeatures.missingBin ? nb : b
            seq[start[slot]] = r
            start[slot] += 1
        }
        ranking.scan(seq, scan)
    }

    func apply(_ split: CandidateSplit, _ range: Range<Int>, state: NodeHistogram) -> (NodeHistogram, NodeHistogram) {
        let f = split.feature, p = p, bins = binned.bins
        var li = range.lowerBound, ri = 0
        for q in range {
            let r = samples[q]
            let b = Int(bins[Int(r) * p + f])
            let left = b == BinnedFeatures.missingBin ? split.missingLeft
                : split.categories.map { $0.goesLeft(b) } ?? (b <= split.position)
            if left { samples[li] = r; li += 1 } else { tmp[ri] = r; ri += 1 }
        }
        (samples + li).update(from: tmp, count: ri)
        let mid = range.lowerBound + split.leftCount
        let l = range.lowerBound..<mid, r = mid..<range.upperBound
        let small = build(l.count <= r.count ? l : r)
        let total = state.count, parent = state.buffer, s = small.buffer
        for i in 0..<total { parent[i] -= s[i] }  // the parent becomes the larger child
        return l.count <= r.count ? (small, state) : (state, small)
    }
}
