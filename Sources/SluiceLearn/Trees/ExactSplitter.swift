import SluiceCompute

/// Each feature's row order sorted by value (NaN last), computed once for a tree or a
/// whole forest: `order[f·n + i]` is the row of the `i`-th smallest value of feature `f`
/// and `values[f·n + i]` that value. Sorting is parallel over features.
final class PresortedFeatures: @unchecked Sendable {
    let rows: Int, features: Int
    let order: UnsafeMutablePointer<Int32>
    let values: UnsafeMutablePointer<Float>

    init(_ x: Matrix<Float>) {
        rows = x.rows
        features = x.columns
        let n = rows, p = features
        order = .allocate(capacity: max(1, n * p))
        values = .allocate(capacity: max(1, n * p))
        let order = order, values = values
        x.withUnsafeBufferPointer { xs in
            Parallel.forEachChunk(of: p, minimumChunk: 1) { range in
                var keyed = [UInt64](repeating: 0, count: n)
                for f in range {
                    // Sort keys: the float's bits made order-preserving as unsigned (NaN
                    // last), the row index below them (equal values keep row order).
                    for i in 0..<n {
                        let x = xs[i * p + f]
                        let bits = x.bitPattern
                        let key: UInt32 = x.isNaN ? .max : (bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000)
                        keyed[i] = UInt64(key) << 32 | UInt64(i)
                    }
                    keyed.sort()
                    for i in 0..<n {
                        let row = Int(keyed[i] & 0xFFFF_FFFF)
                        order[f * n + i] = Int32(row)
                        values[f * n + i] = xs[row * p + f]
                    }
                }
            }
        }
    }

    deinit {
        order.deallocate()
        values.deallocate()
    }
}

/// The `.exact` and `.random` splitters over presorted features: every feature's rows are
/// kept sorted within each node's range (a stable partition per split, `O(n · p)` per
/// level, no re-sorting). Exact: every threshold between consecutive distinct values
/// (differing by more than 1e-7 in `Float`, as scikit-learn) is tried, at the midpoint
/// `a/2 + b/2` (or `a` when that rounds up to `b`); the first best split wins, features
/// in drawing order, thresholds ascending. Missing values are tried on either side, and
/// "all present left, all missing right" (threshold +∞), as scikit-learn ≥ 1.3.
/// Random (extra-trees): one uniform threshold per drawn feature in `[min, max)`.
final class ExactSplitter<Stats: TreeStatistics>: TreeSplitEngine {
    typealias State = Void
    let stats: Stats
    let rowCount: Int
    let p: Int
    let order: UnsafeMutablePointer<Int32>
    let values: UnsafeMutablePointer<Float>
    let tmpOrder: UnsafeMutablePointer<Int32>
    let tmpValues: UnsafeMutablePointer<Float>
    let goesLeft: UnsafeMutablePointer<Bool>
    let weights: UnsafePointer<Double>
    let maxFeatures: Int
    let minLeaf: Int
    let randomThresholds: Bool
    let ranking: TargetRanking?
    /// Per feature: its category count when it splits natively on category codes, else 0.
    let categoryCounts: [Int]

    /// `weights` holds one weight per training row; rows with weight 0 are left out.
    /// `categoryCounts` (one per feature, or empty) marks the categorical features.
    init(presorted: PresortedFeatures, weights: UnsafePointer<Double>, stats: Stats, maxFeatures: Int,
         minSamplesLeaf: Int, randomThresholds: Bool, categoryCounts: [Int] = []) {
        let n = presorted.rows
        p = presorted.features
        var m = 0
        for i in 0..<n where weights[i] > 0 { m += 1 }
        rowCount = m
        self.stats = stats
        self.weights = weights
        self.maxFeatures = maxFeatures
        minLeaf = minSamplesLeaf
        self.randomThresholds = randomThresholds
        self.categoryCounts = categoryCounts.count == p ? categoryCounts : [Int](repeating: 0, count: p)
        order = .allocate(capacity: max(1, m * p))
        values = .allocate(capacity: max(1, m * p))
        tmpOrder = .allocate(capacity: max(1, m))
        tmpValues = .allocate(capacity: max(1, m))
        goesLeft = .allocate(capacity: max(1, n))
        goesLeft.initialize(repeating: false, count: max(1, n))
        ranking = stats.rankedTargets.map { TargetRanking(y: $0, weights: weights, rows: n, capacity: m) }
        for f in 0..<p {
            var k = 0
            let src = presorted.order + f * n, sv = presorted.values + f * n
            let dst = order + f * m, dv = values + f * m
            for i in 0..<n where weights[Int(src[i])] > 0 {
                dst[k] = src[i]
                dv[k] = sv[i]
                k += 1
            }
        }
    }

    deinit {
        order.deallocate(); values.deallocate(); tmpOrder.deallocate(); tmpValues.deallocate(); goesLeft.deallocate()
    }

    /// Values closer than this (in `Float` arithmetic, as scikit-learn's `FEATURE_THRESHOLD`)
    /// are not split apart.
    static var tolerance: Float { 1e-7 }

    @inline(__always) func weight(_ row: Int) -> Double { weights[row] }
    func rows(_ range: Range<Int>) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: order + range.lowerBound, count: range.count)
    }
    func rootState() {}

    /// The end of the present (non-NaN) values of `f` in `range`.
    @inline(__always) private func presentEnd(_ f: Int, _ range: Range<Int>) -> Int {
        let v = values + f * rowCount
        var e = range.upperBound
        while e > range.lowerBound && v[e - 1].isNaN { e -= 1 }
        return e
    }

    @inline(__always) private func isConstant(_ f: Int, _ range: Range<Int>) -> Bool {
        let v = values + f * rowCount
        let e = presentEnd(f, range)
        if e < range.upperBound { return e == range.lowerBound }  // missing and present rows can be split apart
        return v[e - 1] <= v[range.lowerBound] + Self.tolerance
    }

    func bestSplit(_ range: Range<Int>, totals: [Double], state: Void, rng: inout SeededGenerator) -> CandidateSplit? {
        let features = drawFeatures(p, maxFeatures, rng: &rng) { isConstant($0, range) }
        if randomThresholds {
            var best: CandidateSplit?
            for f in features { search(f, range, totals, &best, rng: &rng) }
            return best
        }
        if range.count * features.count < 200_000 || features.count < 2 {
            var best: CandidateSplit?
            var none = SeededGenerator(seed: 0)
            for f in features { search(f, range, totals, &best, rng: &none) }
            return best
        }
        // Large nodes: features searched in parallel, the per-feature bests reduced in
        // drawing order (the same choice as the serial loop).
        var bests = [CandidateSplit?](repeating: nil, count: features.count)
        bests.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(of: features.count, minimumChunk: 1) { chunk in
                var none = SeededGenerator(seed: 0)
                for i in chunk { search(features[i], range, totals, &out[i], rng: &none) }
            }
        }
        var best: CandidateSplit?
        for case let b? in bests where best == nil || b.proxy > best!.proxy { best = b }
        return best
    }

    /// Updates `best` with feature `f`'s best split of `range` when it is strictly better.
    private func search(_ f: Int, _ range: Range<Int>, _ totals: [Double], _ best: inout CandidateSplit?,
                        rng: inout SeededGenerator) {
        if categoryCounts[f] > 0 { return searchCategories(f, range, totals, &best, rng: &rng) }
        let width = stats.width, s = range.lowerBound, e = range.upperBound, n = range.count
        let o = order + f * rowCount, v = values + f * rowCount
        let e2 = presentEnd(f, range), missing = e - e2
        let stats = stats, weights = weights, minLeaf = minLeaf, ranking = ranking
        let scan = ranking.map { _ in TargetRanking.Scan(capacity: n) }
        var bestProxy = best?.proxy ?? -Double.infinity
        var acc = [Double](repeating: 0, count: 3 * width)  // missing | left | right
        /// The absolute error's scan of this pass's order: missing rows first when they go left.
        func rank(missingLeft: Bool) {
            guard let ranking, let scan else { return }
            let seq = scan.sequence
            if missingLeft {
                (seq).update(from: o + e2, count: missing)
                (seq + missing).update(from: o + s, count: e2 - s)
            } else {
                seq.update(from: o + s, count: n)
            }
            ranking.scan(seq, scan)
        }
        acc.withUnsafeMutableBufferPointer { a in
            let miss = a.baseAddress!, left = miss + width, right = left + width
            for q in e2..<e { let r = Int(o[q]); stats.add(r, weights[r], miss) }
            totals.withUnsafeBufferPointer { total in
                func consider(_ position: Int, leftCount: Int, threshold: () -> Double, missingLeft: Bool) {
                    if leftCount < minLeaf || n - leftCount < minLeaf { return }
                    for j in 0..<width { right[j] = total[j] - left[j] }
                    let (proxy, impurities) = scan.map { $0.split(leftCount: leftCount, leftWeight: left[0], rightWeight: right[0]) }
                        ?? (stats.proxy(left, right), nil)
                    if !(proxy > bestProxy) { return }
                    bestProxy = proxy
                    best = CandidateSplit(feature: f, threshold: threshold(), missingLeft: missingLeft, sawMissing: missing > 0,
                                          leftCount: leftCount, proxy: proxy, position: position,
                                          left: Array(UnsafeBufferPointer(start: left, count: width)), impurities: impurities)
                }
                if randomThresholds {
                    guard e2 > s else { return }
                    let lo = Double(v[s]), hi = Double(v[e2 - 1])
                    var t = lo + (hi - lo) * rng.nextDouble()
                    if t >= hi { t = lo }
                    var k = s
                    while k < e2 && Double(v[k]) <= t { k += 1 }
                    let missingLeft = missing > 0 && rng.next() & 1 == 1
                    for j in 0..<width { left[j] = missingLeft ? miss[j] : 0 }
                    for q in s..<k { let r = Int(o[q]); stats.add(r, weights[r], left) }
                    let count = k - s + (missingLeft ? missing : 0)
                    rank(missingLeft: missingLeft)
                    consider(k - 1, leftCount: count, threshold: { t }, missingLeft: missingLeft)
                    return
                }
                for pass in 0..<(missing > 0 ? 2 : 1) {
                    let missingLeft = pass == 1
                    rank(missingLeft: missingLeft)
                    for j in 0..<width { left[j] = missingLeft ? miss[j] : 0 }
                    let base = missingLeft ? missing : 0
                    var q = s
                    while q < e2 - 1 {
                        let r = Int(o[q])
                        stats.add(r, weights[r], left)
                        if v[q + 1] > v[q] + Self.tolerance {
                            let a = Double(v[q]), b = Double(v[q + 1])
                            consider(q, leftCount: q + 1 - s + base, threshold: {
                                let t = a / 2.0 + b / 2.0
                                return t == b || t.isInfinite ? a : t
                            }, missingLeft: missingLeft)
                        }
                        q += 1
                    }
                    if pass == 0 && missing > 0 && e2 > s {  // every present row left, the missing right
                        for j in 0..<width { left[j] = total[j] - miss[j] }
                        consider(e2 - 1, leftCount: e2 - s, threshold: { .infinity }, missingLeft: false)
                    }
                }
            }
        }
    }

    /// Feature `f`'s best categorical split (``CategoricalSplitSearch``): its rows are sorted
    /// by code, so each category's rows are one run of the node's range.
    private func searchCategories(_ f: Int, _ range: Range<Int>, _ totals: [Double], _ best: inout CandidateSplit?,
                                  rng: inout SeededGenerator) {
        let k = categoryCounts[f], width = stats.width, s = range.lowerBound, e = range.upperBound
        let o = order + f * rowCount, v = values + f * rowCount
        let e2 = presentEnd(f, range), missing = e - e2
        let stats = stats, weights = weights, ranking = ranking
        var sums = [Double](repeating: 0, count: (k + 1) * width)  // categories, then missing
        var counts = [Int](repeating: 0, count: k), starts = [Int](repeating: s, count: k)
        let scan = ranking.map { _ in TargetRanking.Scan(capacity: range.count) }
        var bestProxy = best?.proxy ?? -Double.infinity
        sums.withUnsafeMutableBufferPointer { a in
            let base = a.baseAddress!
            for q in s..<e2 {
                let c = Int(v[q]), r = Int(o[q])
                if counts[c] == 0 { starts[c] = q }
                counts[c] += 1
                stats.add(r, weights[r], base + c * width)
            }
            for q in e2..<e { let r = Int(o[q]); stats.add(r, weights[r], base + k * width) }
            func rank(_ categories: [Int], _ missingFirst: Bool) {
                guard let ranking, let scan else { return }
                let seq = scan.sequence
                var j = 0
                if missingFirst { seq.update(from: o + e2, count: missing); j = missing }
                for c in categories { (seq + j).update(from: o + starts[c], count: counts[c]); j += counts[c] }
                if !missingFirst { (seq + j).update(from: o + e2, count: missing) }
                ranking.scan(seq, scan)
            }
            totals.withUnsafeBufferPointer { total in
                let node = CategoricalSplitSearch.Node(feature: f, sums: base, stride: width, counts: counts,
                                                       missing: base + k * width, missingCount: missing,
                                                       total: total.baseAddress!, rows: range.count)
                CategoricalSplitSearch.search(node, stats: stats, minLeaf: minLeaf, scan: scan, rank: rank,
                                              random: randomThresholds, rng: &rng, bestProxy: &bestProxy, best: &best)
            }
        }
    }

    func apply(_ split: CandidateSplit, _ range: Range<Int>, state: Void) -> ((), ()) {
        let s = range.lowerBound, e = range.upperBound, f = split.feature
        let o = order + f * rowCount, v = values + f * rowCount
        let e2 = presentEnd(f, range)
        if let categories = split.categories {
            for q in s..<e { goesLeft[Int(o[q])] = q < e2 ? categories.goesLeft(Int(v[q])) : split.missingLeft }
        } else {
            for q in s..<e {
                goesLeft[Int(o[q])] = q < e2 ? q <= split.position : split.missingLeft
            }
        }
        let total = range.count * p
        if total < 200_000 {
            for g in 0..<p { partition(g, range, tmpOrder, tmpValues) }
        } else {
            Parallel.forEachChunk(of: p, minimumChunk: 1) { chunk in
                let to = UnsafeMutablePointer<Int32>.allocate(capacity: range.count)
                let tv = UnsafeMutablePointer<Float>.allocate(capacity: range.count)
                defer { to.deallocate(); tv.deallocate() }
                for g in chunk { partition(g, range, to, tv) }
            }
        }
        return ((), ())
    }

    /// Stable partition of feature `g`'s rows in `range`: left rows first, both in order.
    @inline(__always) private func partition(_ g: Int, _ range: Range<Int>, _ to: UnsafeMutablePointer<Int32>,
                                             _ tv: UnsafeMutablePointer<Float>) {
        let o = order + g * rowCount, v = values + g * rowCount
        var li = range.lowerBound, ri = 0
        for q in range {
            let r = o[q], x = v[q]
            if goesLeft[Int(r)] {
                o[li] = r; v[li] = x; li += 1
            } else {
                to[ri] = r; tv[ri] = x; ri += 1
            }
        }
        (o + li).update(from: to, count: ri)
        (v + li).update(from: tv, count: ri)
    }
}
