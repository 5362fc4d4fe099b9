import SluiceCompute

/// The one product every layer's forward pass makes, `z (+)= a · w`, in one of two ways:
///
/// - training: one BLAS `sgemm` (fastest; OpenBLAS's kernels sum a row differently depending
///   on where it falls in the batch, so a row's last bits depend on its neighbours);
/// - inference (`ForwardContext.rowInvariant`): each row by its own fixed-order sum,
///   `z[i, :] += Σₖ a[i, k] · w[k, :]` in `k` order, four `k` at a time, rows split over the
///   cores. A row's prediction is then the same bits whatever batch it is scored in.
///
/// `a` is `m × k` with row stride `lda`; `w` is `k × n` contiguous; `z` is `m × n` contiguous.
func multiply(_ a: UnsafePointer<Float>, lda: Int, _ w: Matrix<Float>, into z: inout Matrix<Float>,
              m: Int, accumulate: Bool, rowInvariant: Bool) {
    let k = w.rows, n = w.columns
    precondition(z.rows * z.columns == m * n, "multiply: \(m)×\(k) · \(k)×\(n) into \(z.rows)×\(z.columns)")
    if m == 0 || n == 0 { return }
    if !rowInvariant {
        // A view over the caller's buffer: sgemm through a matrix that shares no storage.
        z.withUnsafeMutableBufferPointer { pz in
            w.withUnsafeBufferPointer { pw in
                if k == 0 {
                    if !accumulate { pz.update(repeating: 0) }
                    return
                }
                Float.gemm(false, false, m, n, k, 1, a, max(1, lda), pw.baseAddress!, max(1, n),
                           accumulate ? 1 : 0, pz.baseAddress!, max(1, n))
            }
        }
        return
    }
    z.withUnsafeMutableBufferPointer { pz in
        w.withUnsafeBufferPointer { pw in
            let (c, b) = (pz.baseAddress!, pw.baseAddress!)
            Parallel.forEachChunk(of: m, minimumChunk: max(1, 16_384 / max(1, k * n / 64))) { rows in
                for i in rows {
                    let ci = c + i * n, ai = a + i * lda
                    if !accumulate { ci.update(repeating: 0, count: n) }
                    var p = 0
                    while p + 4 <= k {
                        let (a0, a1, a2, a3) = (ai[p], ai[p + 1], ai[p + 2], ai[p + 3])
                        let (b0, b1, b2, b3) = (b + p * n, b + (p + 1) * n, b + (p + 2) * n, b + (p + 3) * n)
                        for j in 0..<n { ci[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j] }
                        p += 4
                    }
                    while p < k {
                        let a0 = ai[p], b0 = b + p * n
                        for j in 0..<n { ci[j] += a0 * b0[j] }
                        p += 1
                    }
                }
            }
        }
    }
}

/// `z (+)= a · w` for a contiguous `a`.
func multiply(_ a: Matrix<Float>, _ w: Matrix<Float>, into z: inout Matrix<Float>, accumulate: Bool, rowInvariant: Bool) {
    a.withUnsafeBufferPointer { pa in
        multiply(pa.baseAddress!, lda: a.columns, w, into: &z, m: a.rows, accumulate: accumulate, rowInvariant: rowInvariant)
    }
}
