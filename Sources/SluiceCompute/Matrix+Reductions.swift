/// Reductions over rows, columns or the whole matrix. Sums go through BLAS (`?gemv` with
/// a vector of ones); variances take two passes for accuracy.
extension Matrix {
    /// The sum of all elements.
    @inlinable public func sum() -> Scalar { columnSums().reduce(0, +) }

    /// The sum of each column (`columns` values).
    @inlinable public func columnSums() -> [Scalar] {
        view.transposed.multiplied(by: [Scalar](repeating: 1, count: rows))
    }

    /// The sum of each row (`rows` values).
    @inlinable public func rowSums() -> [Scalar] {
        view.multiplied(by: [Scalar](repeating: 1, count: columns))
    }

    /// The mean of each column; `NaN` when there are no rows.
    @inlinable public func columnMeans() -> [Scalar] {
        let n = Scalar(rows)
        return columnSums().map { $0 / n }
    }

    /// The variance of each column, `Σ(x - mean)² / (rows - ddof)`; `NaN` when
    /// `rows ≤ ddof`. `ddof: 0` is numpy's default, `ddof: 1` the sample variance.
    @inlinable public func columnVariances(ddof: Int = 0) -> [Scalar] {
        let means = columnMeans()
        var acc = [Scalar](repeating: 0, count: columns)
        withUnsafeBufferPointer { p in
            acc.withUnsafeMutableBufferPointer { acc in
                means.withUnsafeBufferPointer { m in
                    for r in 0..<rows {
                        let row = p.baseAddress! + r * columns
                        for c in 0..<columns {
                            let d = row[c] - m[c]
                            acc[c] += d * d
                        }
                    }
                }
            }
        }
        let denominator = Scalar(rows - ddof)
        return acc.map { rows > ddof ? $0 / denominator : .nan }
    }

    /// The column index of each row's largest element; the first one on ties, and the
    /// first `NaN` if a row holds one (as numpy's `argmax`). `-1` for rows of no columns.
    @inlinable public func rowArgmax() -> [Int] {
        guard columns > 0 else { return [Int](repeating: -1, count: rows) }
        return withUnsafeBufferPointer { p in
            (0..<rows).map { r in
                let row = p.baseAddress! + r * columns
                var best = 0
                for c in 0..<columns {
                    if row[c].isNaN { return c }
                    if row[c] > row[best] { best = c }
                }
                return best
            }
        }
    }

    /// `log Σ exp(x)` of each row, computed as `m + log Σ exp(x - m)` with `m` the row's
    /// maximum so that no term overflows. `-inf` for an all `-inf` row.
    @inlinable public func rowLogSumExp() -> [Scalar] {
        var shifted = self
        let maxima = shifted.subtractRowMaxima()
        shifted.apply(.exp)
        return zip(shifted.rowSums(), maxima).map { sum, m in m.isFinite ? m + Scalar(_log(Double(sum))) : m }
    }

    /// Replaces each row by its softmax, `exp(x - max) / Σ exp(x - max)`: stable for large inputs.
    @inlinable public mutating func softmaxRows() {
        _ = subtractRowMaxima()
        apply(.exp)
        let sums = rowSums()
        let p = storage.pointer
        for r in 0..<rows {
            let inv = 1 / sums[r], row = p + r * columns
            for c in 0..<columns { row[c] *= inv }
        }
    }

    /// Subtracts each row's maximum from the row (a finite one only) and returns the maxima.
    @inlinable mutating func subtractRowMaxima() -> [Scalar] {
        makeUnique()
        let p = storage.pointer
        return (0..<rows).map { r in
            let row = p + r * columns
            var m = -Scalar.infinity
            for c in 0..<columns where row[c] > m { m = row[c] }
            if m.isFinite { for c in 0..<columns { row[c] -= m } }
            return m
        }
    }
}
