import CSluiceKernels
import SluiceCompute

/// A long short-term memory layer over `[time, features]` samples, PyTorch's gate order
/// `i, f, g, o`:
/// `i = σ(x Wxᵢ + h Whᵢ + bᵢ)`, `f = σ(…)`, `g = tanh(…)`, `o = σ(…)`, `c′ = f c + i g`, `h′ = o tanh c′`.
///
/// A batch splits into fixed blocks of 32 samples, each run by one core with no
/// synchronisation between steps. Per block: the input projection of all its steps is one
/// product (`[block · time, features] × [features, 4·units]`), written into the gate buffer; each
/// step adds `h Wh` for all four gates with one product into that step's rows and runs one fused
/// C kernel for the activations, the cell and `h` (`neural_lstm.c`); nothing is allocated per
/// step. Those products use `Wx` and `Wh` packed once per pass (`neural_gemm.c`: BLAS would
/// repack `Wh` at every step), each element one fixed-order chain, so a sample's output is the
/// same bits in training and inference, whatever batch it is in. Backpropagation through time
/// runs the steps in reverse with one fused kernel and one packed product (`dh = dG Whᵀ`) per
/// step, then one product each over all the block's steps for the input gradient (packed `Wxᵀ`)
/// and the `Wx` and `Wh` gradients (`sluice_neural_gemm_tn` with AVX-512, else BLAS); the blocks' weight gradients are summed in block
/// order, so the result does not depend on the thread count. Parameters: `Wx`
/// (`features × 4·units`), `Wh` (`units × 4·units`), `b` (`1 × 4·units`, PyTorch's `b_ih + b_hh`).
public struct LSTM: Layer {
    public static let kind = "lstm"
    public var units: Int
    /// Whether the output is every step's `h` (`[time, units]`) or the last (`[units]`).
    public var returnSequences: Bool

    public init(_ units: Int, returnSequences: Bool = false) {
        self.units = units
        self.returnSequences = returnSequences
    }

    public var parameterCount: Int { 3 }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard units > 0 else { throw NeuralError.invalidConfiguration(component: "LSTM", name: "units", reason: "must be > 0") }
        try requireRank(input, 2, layer: "LSTM", meaning: "[time, features] samples")
        guard input[0] > 0, input[1] > 0 else { throw NeuralError.shape(layer: "LSTM", reason: "expects at least one step and one feature, got shape \(describe(input))") }
        return returnSequences ? [input[0], units] : [units]
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] {
        [(input.last ?? 0, 4 * units), (units, 4 * units), (1, 4 * units)]
    }

    /// Glorot uniform input weights, orthogonal recurrent weights (one block per gate), zero
    /// bias with the forget gate's at 1.
    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        let f = input.last ?? 0, h = units
        let wx = Initializer.glorotUniform.make(rows: f, columns: 4 * h, fanIn: f, fanOut: 4 * h, rng: &rng)
        var wh = Matrix<Float>(rows: h, columns: 4 * h)
        for gate in 0..<4 {
            let q = Initializer.orthogonal.make(rows: h, columns: h, fanIn: h, fanOut: h, rng: &rng)
            for r in 0..<h { for c in 0..<h { wh[r, gate * h + c] = q[r, c] } }
        }
        var b = Matrix<Float>(rows: 1, columns: 4 * h)
        for c in h..<(2 * h) { b[0, c] = 1 }
        return [wx, wh, b]
    }

    public func forward(_ x: Tensor, parameters p: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape)
        let s = p.startIndex, wx = p[s], wh = p[s + 1], bias = p[s + 2]
        let n = x.batch, t = x.shape[1], f = x.shape[2], h = units, g4 = 4 * h
        guard wx.rows == f else { throw NeuralError.shape(layer: "LSTM", reason: "expects \(wx.rows) features per step, got \(f)") }
        // Every buffer is written before it is read: no zero fill. Row (sample, step) of
        // `gates` receives x Wx, then h Wh, then the activations in place.
        let uninitialised = { (_: UnsafeMutableBufferPointer<Float>) in }
        var gates = Matrix<Float>(rows: n, columns: t * g4, unsafeUninitializedCapacity: uninitialised)
        var cells = Matrix<Float>(rows: n, columns: t * h, unsafeUninitializedCapacity: uninitialised)
        var tanhCells = Matrix<Float>(rows: n, columns: t * h, unsafeUninitializedCapacity: uninitialised)
        var hs = Matrix<Float>(rows: n, columns: t * h, unsafeUninitializedCapacity: uninitialised)
        // Wh is packed once for every step's product (BLAS would repack it at each call), and
        // Wx once for every block's input projection.
        let packedWh = packedPanels(wh, transposed: false), packedWx = packedPanels(wx, transposed: false)
        gates.withUnsafeMutableBufferPointer { pg in
            cells.withUnsafeMutableBufferPointer { pc in
                tanhCells.withUnsafeMutableBufferPointer { ptc in
                    hs.withUnsafeMutableBufferPointer { ph in
                        bias.withUnsafeBufferPointer { pb in
                            x.withUnsafeBufferPointer { px in
                                packedWh.withUnsafeBufferPointer { ppw in
                                  packedWx.withUnsafeBufferPointer { ppx in
                                    let q = LSTMPointers(gates: pg.baseAddress!, cells: pc.baseAddress!, tanhCells: ptc.baseAddress!,
                                                         hs: ph.baseAddress!, bias: pb.baseAddress!, x: px.baseAddress!,
                                                         packedWh: ppw.baseAddress!, packedWx: ppx.baseAddress!)
                                    // Samples are independent through time: each block of samples runs on one core,
                                    // its input projection and every step's small GEMM single-threaded.
                                    Parallel.withSingleThreadedBLAS {
                                        Parallel.forEachChunk(of: LSTMBlocks.count(n), minimumChunk: 1) { blocks in
                                            for block in blocks {
                                                forwardRows(LSTMBlocks.rows(block, of: n), q, features: f, steps: t)
                                            }
                                        }
                                    }
                                  }
                                }
                            }
                        }
                    }
                }
            }
        }
        let output = returnSequences ? hs : hs.columns((t - 1) * h..<t * h).copy()
        return LayerRecord(output: Tensor(shape: [n] + out, storage: output),
                           saved: [x, Tensor(gates), Tensor(cells), Tensor(hs), Tensor(tanhCells)])
    }

    /// The recurrence for samples `rows`, every step, in the shared buffers (its own rows only):
    /// one GEMM for the input projection of all their steps, then per step one product `h Wh`
    /// with the packed `Wh` into the step's gate rows and one fused cell kernel.
    private func forwardRows(_ rows: Range<Int>, _ q: LSTMPointers, features f: Int, steps t: Int) {
        let h = units, g4 = 4 * h, m = rows.count, r0 = rows.lowerBound
        let ldg = t * g4, ldc = t * h
        sluice_neural_gemm_packed(m * t, f, g4, q.x + r0 * t * f, f, q.packedWx, q.gates + r0 * ldg, g4, 0)
        for step in 0..<t {
            let z = q.gates + r0 * ldg + step * g4, at = r0 * ldc + step * h
            if step > 0 {
                // Row invariant by construction: each element is one fixed-order chain.
                sluice_neural_gemm_packed(m, h, g4, q.hs + at - h, ldc, q.packedWh, z, ldg, 1)
            }
            sluice_neural_lstm_forward(m, h, z, ldg, q.bias, step > 0 ? q.cells + at - h : nil,
                                       q.cells + at, q.tanhCells + at, q.hs + at, ldc)
        }
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let s = p.startIndex, wx = p[s], wh = p[s + 1]
        let x = record.saved[0], gates = record.saved[1].storage, cells = record.saved[2].storage
        let hs = record.saved[3].storage, tanhCells = record.saved[4].storage
        let n = x.batch, t = x.shape[1], f = x.shape[2], h = units, g4 = 4 * h
        let blocks = LSTMBlocks.count(n), partialSize = (f + h + 1) * g4
        let uninitialised = { (_: UnsafeMutableBufferPointer<Float>) in }
        // Pre-activation gradients of every step, and each block's partial dWx, dWh, db
        // (summed below in block order, so the result does not depend on the thread count).
        var dgates = Matrix<Float>(rows: n, columns: t * g4, unsafeUninitializedCapacity: uninitialised)
        var partials = Matrix<Float>(rows: blocks, columns: partialSize, unsafeUninitializedCapacity: uninitialised)
        var dx = Matrix<Float>(rows: needsInputGradient ? n : 0, columns: t * f, unsafeUninitializedCapacity: uninitialised)
        // Whᵀ packed once for every step's `dh = dG Whᵀ`, Wxᵀ for every block's `dX = dG Wxᵀ`.
        let packedWhT = packedPanels(wh, transposed: true), packedWxT = packedPanels(wx, transposed: true)
        dgates.withUnsafeMutableBufferPointer { pdg in
            partials.withUnsafeMutableBufferPointer { ppart in
                dx.withUnsafeMutableBufferPointer { pdx in
                    gates.withUnsafeBufferPointer { pg in
                        cells.withUnsafeBufferPointer { pc in
                            tanhCells.withUnsafeBufferPointer { ptc in
                                hs.withUnsafeBufferPointer { ph in
                                    dy.withUnsafeBufferPointer { pdy in
                                        x.withUnsafeBufferPointer { px in
                                            packedWhT.withUnsafeBufferPointer { pwh in
                                                packedWxT.withUnsafeBufferPointer { pwx in
                                                    let q = LSTMBackPointers(
                                                        dgates: pdg.baseAddress!, partials: ppart.baseAddress!, dx: pdx.baseAddress,
                                                        gates: pg.baseAddress!, cells: pc.baseAddress!, tanhCells: ptc.baseAddress!,
                                                        hs: ph.baseAddress!, dy: pdy.baseAddress!, x: px.baseAddress!,
                                                        packedWhT: pwh.baseAddress!, packedWxT: pwx.baseAddress!)
                                                    Parallel.withSingleThreadedBLAS {
                                                        Parallel.forEachChunk(of: blocks, minimumChunk: 1) { range in
                                                            for block in range {
                                                                backwardRows(LSTMBlocks.rows(block, of: n), block: block, q,
                                                                             steps: t, features: f)
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var dwx = Matrix<Float>(rows: f, columns: g4), dwh = Matrix<Float>(rows: h, columns: g4), db = Matrix<Float>(rows: 1, columns: g4)
        partials.withUnsafeBufferPointer { pp in
            for block in 0..<blocks {
                let base = pp.baseAddress! + block * partialSize
                dwx.withUnsafeMutableBufferPointer { d in for i in d.indices { d[i] += base[i] } }
                dwh.withUnsafeMutableBufferPointer { d in for i in d.indices { d[i] += base[f * g4 + i] } }
                db.withUnsafeMutableBufferPointer { d in for i in d.indices { d[i] += base[(f + h) * g4 + i] } }
            }
        }
        let input = needsInputGradient ? Tensor(shape: x.shape, storage: dx) : nil
        return LayerGradients(input: input, parameters: [dwx, dwh, db])
    }

    /// Backpropagation through time for the block of samples `rows`: their gate gradients at
    /// every step (one fused cell kernel and one GEMM `dh = dGₜ Whᵀ` per step), then their
    /// input gradients and their partial weight gradients, one GEMM each over all their steps.
    private func backwardRows(_ rows: Range<Int>, block: Int, _ q: LSTMBackPointers, steps t: Int, features f: Int) {
        // C = Aᵀ B: the AVX-512 kernel where there is one, else BLAS.
        func tn(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
            if sluice_kernels_vector_bits() >= 512 {
                sluice_neural_gemm_tn(m, n, k, a, lda, b, ldb, c, ldc)
            } else {
                Float.gemm(true, false, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
            }
        }
        let h = units, g4 = 4 * h, m = rows.count, r0 = rows.lowerBound
        let ldg = t * g4, ldc = t * h
        let dh = UnsafeMutablePointer<Float>.allocate(capacity: m * h)  // from the step after
        let dc = UnsafeMutablePointer<Float>.allocate(capacity: m * h)
        defer { dh.deallocate(); dc.deallocate() }
        dc.initialize(repeating: 0, count: m * h)
        for step in stride(from: t - 1, through: 0, by: -1) {
            let g = r0 * ldg + step * g4, at = r0 * ldc + step * h
            let dyr: UnsafePointer<Float>? = returnSequences ? q.dy + at : (step == t - 1 ? q.dy + r0 * h : nil)
            sluice_neural_lstm_backward(m, h, q.gates + g, q.dgates + g, ldg, step > 0 ? q.cells + at - h : nil,
                                        q.tanhCells + at, ldc, step < t - 1 ? UnsafePointer(dh) : nil,
                                        dyr, returnSequences ? ldc : h, dc)
            if step > 0 {
                sluice_neural_gemm_packed(m, g4, h, q.dgates + g, ldg, q.packedWhT, dh, h, 0)
            }
        }
        // Rows (sample, step) of this block: dX = dG Wxᵀ, dWx = Xᵀ dG, db = Σ dG.
        let dG = q.dgates + r0 * ldg, xs = q.x + r0 * t * f, k = m * t
        let part = q.partials + block * (f + h + 1) * g4
        if let dx = q.dx { sluice_neural_gemm_packed(k, g4, f, dG, g4, q.packedWxT, dx + r0 * t * f, f, 0) }
        tn(f, g4, k, xs, f, dG, g4, part, g4)
        let db = part + (f + h) * g4
        db.update(from: dG, count: g4)
        for r in 1..<k {
            let row = dG + r * g4
            for j in 0..<g4 { db[j] += row[j] }
        }
        // dWh = Σₜ hₜ₋₁ᵀ dGₜ as one GEMM: row (sample, step) of h against row (sample, step + 1)
        // of the gate gradients, whose step-0 rows (no longer needed) are zeroed in place so
        // no pair crosses from one sample to the next.
        let dwh = part + f * g4
        for r in 0..<m { (dG + r * ldg).update(repeating: 0, count: g4) }
        if k > 1 {
            tn(h, g4, k - 1, q.hs + r0 * ldc, h, dG + g4, g4, dwh, g4)
        } else {
            dwh.update(repeating: 0, count: h * g4)
        }
    }
}

/// The fixed blocks of samples the LSTM's passes split a batch into: each block's weight
/// gradients are summed in block order, so training gives the same bits on any thread count.
enum LSTMBlocks {
    static let size = 32
    static func count(_ n: Int) -> Int { (n + size - 1) / size }
    static func rows(_ block: Int, of n: Int) -> Range<Int> { (block * size)..<min(n, (block + 1) * size) }
}

/// The shared buffers of one LSTM forward pass; each block of samples writes only its rows.
private struct LSTMPointers: @unchecked Sendable {
    let gates: UnsafeMutablePointer<Float>, cells: UnsafeMutablePointer<Float>, tanhCells: UnsafeMutablePointer<Float>
    let hs: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, x: UnsafePointer<Float>
    /// `Wh` and `Wx` packed by `packedPanels`.
    let packedWh: UnsafePointer<Float>, packedWx: UnsafePointer<Float>
}

/// The shared buffers of one LSTM backward pass; each block writes only its rows and its partials.
private struct LSTMBackPointers: @unchecked Sendable {
    let dgates: UnsafeMutablePointer<Float>, partials: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?
    let gates: UnsafePointer<Float>, cells: UnsafePointer<Float>, tanhCells: UnsafePointer<Float>
    let hs: UnsafePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>
    /// `Whᵀ` and `Wxᵀ` packed by `packedPanels`.
    let packedWhT: UnsafePointer<Float>, packedWxT: UnsafePointer<Float>
}
