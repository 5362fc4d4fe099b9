import CSluiceKernels

extension Matrix where Scalar == Double {
    /// The weighted Gram matrix of the rows augmented with `target` and a column of ones, in
    /// one pass over the rows without a copy: `q × q` row-major, `q = columns + (target ? 1 : 0) + 1`.
    ///
    /// With `z = [xᵢ, yᵢ, 1]` it is `Σᵢ wᵢ zᵢ zᵢᵀ` over `rows` (all by default): the uncentred
    /// `Σwxxᵀ` in the leading `columns × columns` block, then `Σwxy` and `Σwy²` when there is a
    /// target, and in the last column the weighted column sums, `Σw` last. The rows are split into
    /// blocks of ``KMeansSolver/block`` summed on every core and added in block order; each
    /// block's element is one fused multiply-add chain in row order (CSluiceKernels'
    /// `sluice_gram_accumulate_f64`), so the result does not depend on the thread count or the
    /// CPU's vector unit. `target` and `weights` are indexed by row, like the matrix.
    public func augmentedGram(target: [Double]? = nil, weights: [Double]? = nil, rows range: Range<Int>? = nil) -> [Double] {
        let chosen = range ?? 0..<rows, p = columns
        precondition(chosen.lowerBound >= 0 && chosen.upperBound <= rows, "augmentedGram: rows out of range")
        precondition(target.map { $0.count == rows } ?? true, "augmentedGram: one target per row")
        precondition(weights.map { $0.count == rows } ?? true, "augmentedGram: one weight per row")
        let q = p + (target == nil ? 0 : 1) + 1
        return withUnsafeBufferPointer { xp in
            withOptionalPointer(target) { yp in
                withOptionalPointer(weights) { wp in
                    let base = UncheckedSendable((x: xp.baseAddress, y: yp, w: wp))
                    return KMeansSolver.blockSums(rows: chosen.count, width: q * q) { block, out in
                        let first = chosen.lowerBound + block.lowerBound
                        sluice_gram_accumulate_f64(base.value.x.map { $0 + first * p }, p, block.count, p,
                                                   base.value.y.map { $0 + first }, base.value.w.map { $0 + first }, out)
                    }
                }
            }
        }
    }
}

/// `body` with a pointer to `values`' elements, or nil without values (optional weights or targets).
func withOptionalPointer<R>(_ values: [Double]?, _ body: (UnsafePointer<Double>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}
