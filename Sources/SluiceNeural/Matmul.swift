import CSluiceKernels
import SluiceCompute

/// The one product every layer's forward pass makes, `z (+)= a · w`, in one of two ways:
///
/// - training: one BLAS `sgemm` (fastest; OpenBLAS's kernels sum a row differently depending
///   on where it falls in the batch, so a row's last bits depend on its neighbours);
/// - inference (`ForwardContext.rowInvariant`): each row by its own fixed-order sum,
///   `z[i, :] += Σₖ a[i, k] · w[k, :]` in `k` order, four `k` at a time, rows split over the
///   cores. A row's prediction is then the same bits whatever batch it is scored in.
///
/// `a` is `m × k` with row stride `lda`; `w` is `k × n` contiguous; `c` is `m × n` with row
/// stride `ldc` (a block of a wider buffer: an LSTM step's rows of the gate buffer).
func multiply(_ a: UnsafePointer<Float>, lda: Int, _ w: Matrix<Float>, into c: UnsafeMutablePointer<Float>, ldc: Int,
              m: Int, accumulate: Bool, rowInvariant: Bool) {
    let k = w.rows, n = w.columns
    if m == 0 || n == 0 { return }
    w.withUnsafeBufferPointer { pw in
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        if !rowInvariant {
            Float.gemm(false, false, m, n, k, 1, a, max(1, lda), pw.baseAddress!, max(1, n), accumulate ? 1 : 0, c, max(1, ldc))
            return
        }
        let b = pw.baseAddress!
        let out = NeuralSharedPointer(c)
        Parallel.forEachChunk(of: m, minimumChunk: max(1, 16_384 / max(1, k * n / 64))) { rows in
            for i in rows {
                let ci = out.pointer + i * ldc, ai = a + i * lda
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

/// `z (+)= a · w` into a contiguous `z` of `m × w.columns`.
func multiply(_ a: UnsafePointer<Float>, lda: Int, _ w: Matrix<Float>, into z: inout Matrix<Float>,
              m: Int, accumulate: Bool, rowInvariant: Bool) {
    precondition(z.rows * z.columns == m * w.columns, "multiply: \(m)×\(w.rows) · \(w.rows)×\(w.columns) into \(z.rows)×\(z.columns)")
    z.withUnsafeMutableBufferPointer { pz in
        guard let c = pz.baseAddress else { return }
        multiply(a, lda: lda, w, into: c, ldc: w.columns, m: m, accumulate: accumulate, rowInvariant: rowInvariant)
    }
}

/// A pointer that chunks of a parallel loop write through, each to its own rows only.
struct NeuralSharedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

/// A read-only pointer that chunks of a parallel loop read through.
struct NeuralSharedConstPointer: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
    init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
}

/// Integer positions that chunks of a parallel loop write through, each to its own range only.
struct NeuralSharedIndices: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
}

/// `z (+)= a · w` for a contiguous `a`.
func multiply(_ a: Matrix<Float>, _ w: Matrix<Float>, into z: inout Matrix<Float>, accumulate: Bool, rowInvariant: Bool) {
    a.withUnsafeBufferPointer { pa in
        multiply(pa.baseAddress!, lda: a.columns, w, into: &z, m: a.rows, accumulate: accumulate, rowInvariant: rowInvariant)
    }
}

/// `w` (`k × n`), or its transpose, packed into the panels `sluice_neural_gemm_packed` reads
/// (`neural_gemm.h`): for a product with the same right-hand side at every step of a recurrence.
func packedPanels(_ w: Matrix<Float>, transposed: Bool) -> [Float] {
    let (k, n) = transposed ? (w.columns, w.rows) : (w.rows, w.columns)
    let size = sluice_neural_packed_size(k, n)
    return [Float](unsafeUninitializedCapacity: size) { buffer, count in
        w.withUnsafeBufferPointer { pw in
            sluice_neural_pack_b(k, n, pw.baseAddress!, w.columns, transposed ? 1 : 0, buffer.baseAddress!)
        }
        count = size
    }
}
