import CSluiceKernels
import SluiceCompute

/// The one product every layer's forward pass makes, `z (+)= a · w`, in one of three ways:
///
/// - on a CPU with AVX-512, and for inference (`ForwardContext.rowInvariant`) on one with
///   AVX2: `w` packed once into 16-column panels, rows split over the cores in blocks of 12,
///   each element one fused multiply-add chain in `k` order (`sluice_neural_gemm_packed`).
///   A row's result is then the same bits whatever batch it is in, in training and inference
///   alike, and faster than OpenBLAS's AVX2 kernels on an AVX-512 CPU;
/// - training without AVX-512: one BLAS `sgemm` (OpenBLAS's kernels sum a row differently
///   depending on where it falls in the batch, so a row's last bits depend on its neighbours);
/// - inference without AVX2: each row by its own fixed-order sum, `z[i, :] += Σₖ a[i, k] · w[k, :]`
///   in `k` order, four `k` at a time, rows split over the cores.
///
/// `a` is `m × k` with row stride `lda`; `w` is `k × n` contiguous; `c` is `m × n` with row
/// stride `ldc` (a block of a wider buffer: an LSTM step's rows of the gate buffer).
func multiply(_ a: UnsafePointer<Float>, lda: Int, _ w: Matrix<Float>, into c: UnsafeMutablePointer<Float>, ldc: Int,
              m: Int, accumulate: Bool, rowInvariant: Bool) {
    let k = w.rows, n = w.columns
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    let bits = Int(sluice_kernels_vector_bits())
    if bits >= 512 || (rowInvariant && bits >= 256) {
        packedProduct(a, lda: lda, packedPanels(w, transposed: false), k: k, n: n, into: c, ldc: ldc, m: m, accumulate: accumulate)
        return
    }
    w.withUnsafeBufferPointer { pw in
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

/// `c (+)= a · B` with `B` (`k × n`) packed by ``packedPanels(_:transposed:)``: rows split over
/// the cores in blocks of 12 (the kernel's register tile), each row computed by one thread.
private func packedProduct(_ a: UnsafePointer<Float>, lda: Int, _ packed: [Float], k: Int, n: Int,
                           into c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, accumulate: Bool) {
    let out = NeuralSharedPointer(c), tiles = (m + 11) / 12
    packed.withUnsafeBufferPointer { pb in
        let b = NeuralSharedConstPointer(pb.baseAddress!)
        Parallel.forEachChunk(of: tiles, minimumChunk: tilesPerChunk(k * n)) { range in
            let first = range.lowerBound * 12, last = min(m, range.upperBound * 12)
            sluice_neural_gemm_packed(last - first, k, n, a + first * lda, lda, b.pointer, out.pointer + first * ldc, ldc,
                                      accumulate ? 1 : 0)
        }
    }
}

/// The fewest 12-row tiles a thread takes when each tile costs `12 · perRow` multiply-adds:
/// a chunk of at least 2²⁰ of them, so that waking a thread (tens of microseconds) pays off.
/// A 200 × 40 × 64 product (a tabular network's batch) stays on one thread.
private func tilesPerChunk(_ perRow: Int) -> Int { max(1, (1 << 20) / max(1, 12 * perRow)) }

/// `aᵀ · b` for `a` (`k × m`) and `b` (`k × n`): a layer's weight gradient over its rows. With
/// AVX-512, `sluice_neural_gemm_tn` over blocks of 12 output rows split over the cores (each
/// element one chain in row order, so the thread count does not change it); else BLAS.
func transposedProduct(_ a: Matrix<Float>, _ b: Matrix<Float>) -> Matrix<Float> {
    precondition(a.rows == b.rows, "transposedProduct: \(a.rows)×\(a.columns)ᵀ · \(b.rows)×\(b.columns)")
    let m = a.columns, n = b.columns, k = a.rows
    guard sluice_kernels_vector_bits() >= 512, m > 0, n > 0, k > 0 else {
        var c = Matrix<Float>(rows: m, columns: n)
        c.gemm(a.transposed, b)
        return c
    }
    return Matrix<Float>(rows: m, columns: n) { pc in
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let (sa, sb, out) = (NeuralSharedConstPointer(pa.baseAddress!), NeuralSharedConstPointer(pb.baseAddress!),
                                     NeuralSharedPointer(pc.baseAddress!))
                let tiles = (m + 11) / 12
                Parallel.forEachChunk(of: tiles, minimumChunk: tilesPerChunk(k * n)) { range in
                    let first = range.lowerBound * 12, last = min(m, range.upperBound * 12)
                    sluice_neural_gemm_tn(last - first, n, k, sa.pointer + first, m, sb.pointer, n, out.pointer + first * n, n)
                }
            }
        }
    }
}

/// `a · wᵀ` for `a` (`m × n`) and `w` (`k × n`): a layer's input gradient. With AVX-512, `wᵀ`
/// packed once and the rows split over the cores (``multiply(_:lda:_:into:ldc:m:accumulate:rowInvariant:)``'s
/// kernel); else BLAS.
func productTransposed(_ a: Matrix<Float>, _ w: Matrix<Float>) -> Matrix<Float> {
    precondition(a.columns == w.columns, "productTransposed: \(a.rows)×\(a.columns) · (\(w.rows)×\(w.columns))ᵀ")
    guard sluice_kernels_vector_bits() >= 512, a.rows > 0, w.rows > 0, w.columns > 0 else {
        var c = Matrix<Float>(rows: a.rows, columns: w.rows)
        c.gemm(a, w.transposed)
        return c
    }
    let packed = packedPanels(w, transposed: true)
    return Matrix<Float>(rows: a.rows, columns: w.rows) { pc in
        a.withUnsafeBufferPointer { pa in
            packedProduct(pa.baseAddress!, lda: a.columns, packed, k: w.columns, n: w.rows, into: pc.baseAddress!, ldc: w.rows,
                          m: a.rows, accumulate: false)
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
