/// Order statistics as NumPy computes them, so fitted state matches scikit-learn's.
public enum Quantiles {
    /// How a quantile between two order statistics is chosen (NumPy's `method=`).
    public enum Method: String, Sendable, Codable, Equatable {
        /// `(n − 1)·q`, interpolated linearly: NumPy's default, used by `RobustScaler`,
        /// `QuantileTransformer` and (before 1.9) `KBinsDiscretizer`.
        case linear
        /// The inverted empirical CDF, averaging at the jumps: `KBinsDiscretizer`'s
        /// default since scikit-learn 1.9.
        case averagedInvertedCDF
    }

    /// The `q`-quantile (`0 ≤ q ≤ 1`) of `sorted` (ascending, no NaN, not empty), as
    /// `numpy.quantile(…, method=)`.
    public static func quantile(sorted: [Double], _ q: Double, method: Method = .linear) -> Double {
        let n = sorted.count
        let virtual: Double
        switch method {
        case .linear: virtual = Double(n - 1) * q
        case .averagedInvertedCDF: virtual = Double(n) * q - 1
        }
        if virtual >= Double(n - 1) { return sorted[n - 1] }
        if virtual < 0 { return sorted[0] }
        let below = virtual.rounded(.down)
        let j = Int(below)
        var gamma = virtual - below
        if method == .averagedInvertedCDF { gamma = gamma == 0 ? 0.5 : 1 }
        return lerp(sorted[j], sorted[j + 1], gamma)
    }

    /// The median of `values` (no NaN; 0 if empty), equal to ``median(sorted:)`` of the sorted
    /// values, found by selection in linear expected time instead of a sort: the array is
    /// reordered (Hoare partitions around the median of three; a range that stops shrinking
    /// geometrically is sorted instead, so the worst case stays O(n log n)).
    public static func median(selecting values: inout [Double]) -> Double {
        let n = values.count
        guard n > 0 else { return 0 }
        let m = n / 2
        return values.withUnsafeMutableBufferPointer { v in
            select(v, m)
            guard n % 2 == 0 else { return v[m] }
            // After selection everything below m is ≤ v[m]: the lower middle is their maximum.
            var lower = v[0]
            for i in 1..<m where v[i] > lower { lower = v[i] }
            return (lower + v[m]) / 2
        }
    }

    /// Reorders `v` so that `v[k]` is the `k`-th smallest, with nothing larger before it and
    /// nothing smaller after it.
    static func select(_ v: UnsafeMutableBufferPointer<Double>, _ k: Int) {
        var lo = 0, hi = v.count - 1, budget = 2 * (Int.bitWidth - v.count.leadingZeroBitCount) + 4
        while hi > lo {
            if hi - lo < 16 || budget == 0 {
                var range = UnsafeMutableBufferPointer(rebasing: v[lo...hi])
                range.sort()
                return
            }
            budget -= 1
            let mid = lo + (hi - lo) / 2
            let a = v[lo], b = v[mid], c = v[hi]
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = lo, j = hi
            while i <= j {
                while v[i] < pivot { i += 1 }
                while v[j] > pivot { j -= 1 }
                if i <= j { v.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return }
        }
    }

    /// The median of `sorted` (not empty): the mean of the middle two for an even count.
    public static func median(sorted v: [Double]) -> Double {
        let m = v.count / 2
        return v.count % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2
    }

    /// NumPy's `_lerp`: exact at both ends, from whichever end is nearer.
    public static func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double {
        let d = b - a
        return t >= 0.5 ? b - d * (1 - t) : a + d * t
    }

    /// `numpy.interp(x, xp, fp)` for increasing (possibly repeated) `xp`: `fp[0]` left of
    /// the range, `fp.last` right of it, and at a repeated knot the last of the repeats.
    public static func interpolate(_ x: Double, _ xp: [Double], _ fp: [Double]) -> Double {
        let n = xp.count
        if x.isNaN { return x }
        if x == xp[n - 1] { return fp[n - 1] }
        if x > xp[n - 1] { return fp[n - 1] }
        if x < xp[0] { return fp[0] }
        // Largest j with xp[j] <= x.
        var lo = 0, hi = n  // invariant: xp[lo] <= x, xp[hi] > x (hi == n: beyond)
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if xp[mid] <= x { lo = mid } else { hi = mid }
        }
        let j = lo
        if j == n - 1 || xp[j] == x { return fp[j] }
        let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
        var r = slope * (x - xp[j]) + fp[j]
        if r.isNaN {
            r = slope * (x - xp[j + 1]) + fp[j + 1]
            if r.isNaN && fp[j] == fp[j + 1] { r = fp[j] }
        }
        return r
    }

    /// `numpy.linspace(start, stop, count)` (endpoint included).
    public static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        guard count > 1 else { return count == 1 ? [start] : [] }
        let div = Double(count - 1), step = (stop - start) / div
        var out = (0..<count).map { start + Double($0) * step }
        out[count - 1] = stop
        return out
    }

    /// NumPy's pairwise summation of a contiguous float64 array (`np.sum`): blocks of at
    /// most 128 summed with eight accumulators, larger arrays split in halves (multiples of
    /// 8). Matching NumPy's rounding keeps optimisers on NumPy's path.
    public static func pairwiseSum(_ a: UnsafeBufferPointer<Double>) -> Double {
        let n = a.count
        if n < 8 {
            var r = -0.0
            for x in a { r += x }
            return r
        }
        if n <= 128 {
            var r = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
            var i = 8
            while i < n - (n % 8) {
                r.0 += a[i]; r.1 += a[i + 1]; r.2 += a[i + 2]; r.3 += a[i + 3]
                r.4 += a[i + 4]; r.5 += a[i + 5]; r.6 += a[i + 6]; r.7 += a[i + 7]
                i += 8
            }
            var res = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
            while i < n { res += a[i]; i += 1 }
            return res
        }
        var half = n / 2
        half -= half % 8
        return pairwiseSum(UnsafeBufferPointer(rebasing: a[0..<half])) + pairwiseSum(UnsafeBufferPointer(rebasing: a[half..<n]))
    }

    /// ``pairwiseSum(_:)`` of an array.
    public static func pairwiseSum(_ a: [Double]) -> Double { a.withUnsafeBufferPointer { pairwiseSum($0) } }

    /// scikit-learn's `_handle_zeros_in_scale`: a scale below `10·eps` becomes 1.
    public static func nonZeroScale(_ s: Double) -> Double { s < 10 * Double.ulpOfOne ? 1 : s }
}
