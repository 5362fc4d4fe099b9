import SluiceCompute

/// A long short-term memory layer over `[time, features]` samples, PyTorch's gate order
/// `i, f, g, o`:
/// `i = σ(x Wxᵢ + h Whᵢ + bᵢ)`, `f = σ(…)`, `g = tanh(…)`, `o = σ(…)`, `c′ = f c + i g`, `h′ = o tanh c′`.
///
/// The input projection of every step is one GEMM (`[batch · time, features] × [features, 4·units]`);
/// each step then adds `h Wh` for all four gates in one GEMM. Backpropagation through time
/// runs the steps in reverse with one GEMM per step for the recurrent gradient, and one each
/// for the input weights and the input gradient. Parameters: `Wx` (`features × 4·units`),
/// `Wh` (`units × 4·units`), `b` (`1 × 4·units`, PyTorch's `b_ih + b_hh`).
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
        let invariant = context.rowInvariant
        var xw = Matrix<Float>(rows: n * t, columns: g4)
        multiply(x.storage.reshaped(rows: n * t, columns: f), wx, into: &xw, accumulate: false, rowInvariant: invariant)
        // Per sample and step: gates after activation, c, tanh c and h.
        var gates = Matrix<Float>(rows: n, columns: t * g4)
        var cells = Matrix<Float>(rows: n, columns: t * h)
        var tanhCells = Matrix<Float>(rows: n, columns: t * h)
        var hs = Matrix<Float>(rows: n, columns: t * h)
        gates.withUnsafeMutableBufferPointer { pg in
            cells.withUnsafeMutableBufferPointer { pc in
                tanhCells.withUnsafeMutableBufferPointer { ptc in
                    hs.withUnsafeMutableBufferPointer { ph in
                        xw.withUnsafeBufferPointer { px in
                            let ptrs = LSTMPointers(gates: pg.baseAddress!, cells: pc.baseAddress!, tanhCells: ptc.baseAddress!,
                                                    hs: ph.baseAddress!, xw: UnsafePointer(px.baseAddress!))
                            // Samples are independent through time: halves of the batch run on their own cores,
                            // each step's small GEMM single-threaded.
                            Parallel.withSingleThreadedBLAS {
                                Parallel.forEachChunk(of: n, minimumChunk: 16) { rows in
                                    forwardRows(rows, ptrs, wh: wh, bias: bias, steps: t, invariant: invariant)
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

    /// The recurrence for samples `rows`, every step, into the shared buffers (its own rows only).
    private func forwardRows(_ rows: Range<Int>, _ q: LSTMPointers, wh: Matrix<Float>, bias: Matrix<Float>, steps t: Int, invariant: Bool) {
        let h = units, g4 = 4 * h, m = rows.count, r0 = rows.lowerBound
        var z = Matrix<Float>(rows: m, columns: g4)
        let b = bias.elements
        for step in 0..<t {
            z.withUnsafeMutableBufferPointer { pz in
                for r in 0..<m {
                    let src = q.xw + ((r0 + r) * t + step) * g4, dst = pz.baseAddress! + r * g4
                    for j in 0..<g4 { dst[j] = src[j] + b[j] }
                }
            }
            if step > 0 {
                multiply(q.hs + r0 * t * h + (step - 1) * h, lda: t * h, wh, into: &z, m: m, accumulate: true, rowInvariant: invariant)
            }
            z.withUnsafeMutableBufferPointer { pz in
                let zp = pz.baseAddress!
                // σ(x) = ½(1 + tanh(x/2)) for i, f, o: one vectorised tanh over all four gates.
                for r in 0..<m {
                    let row = zp + r * g4
                    for j in 0..<(2 * h) { row[j] *= 0.5 }
                    for j in (3 * h)..<g4 { row[j] *= 0.5 }
                }
                Float.vectorMath(.tanh, UnsafePointer(zp), zp, m * g4)
                for r in 0..<m {
                    let row = zp + r * g4
                    for j in 0..<(2 * h) { row[j] = 0.5 * (1 + row[j]) }
                    for j in (3 * h)..<g4 { row[j] = 0.5 * (1 + row[j]) }
                    let at = (r0 + r) * t * h + step * h
                    let c = q.cells + at, tc = q.tanhCells + at
                    for j in 0..<h {
                        let old: Float = step > 0 ? c[j - h] : 0
                        c[j] = row[h + j] * old + row[j] * row[2 * h + j]
                    }
                    Float.vectorMath(.tanh, UnsafePointer(c), tc, h)
                    let hr = q.hs + at
                    for j in 0..<h { hr[j] = row[3 * h + j] * tc[j] }
                    (q.gates + (r0 + r) * t * g4 + step * g4).update(from: row, count: g4)
                }
            }
        }
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let s = p.startIndex, wx = p[s], wh = p[s + 1]
        let x = record.saved[0], gates = record.saved[1].storage, cells = record.saved[2].storage
        let hs = record.saved[3].storage, tanhCells = record.saved[4].storage
        let n = x.batch, t = x.shape[1], f = x.shape[2], h = units, g4 = 4 * h
        var dgates = Matrix<Float>(rows: n, columns: t * g4)  // pre-activation gradients, every step
        dgates.withUnsafeMutableBufferPointer { pdg in
            gates.withUnsafeBufferPointer { pg in
                cells.withUnsafeBufferPointer { pc in
                    tanhCells.withUnsafeBufferPointer { ptc in
                        dy.withUnsafeBufferPointer { pdy in
                            wh.withUnsafeBufferPointer { pwh in
                                let q = LSTMBackPointers(dgates: pdg.baseAddress!, gates: pg.baseAddress!, cells: pc.baseAddress!,
                                                         tanhCells: ptc.baseAddress!, dy: pdy.baseAddress!, wh: pwh.baseAddress!)
                                Parallel.withSingleThreadedBLAS {
                                    Parallel.forEachChunk(of: n, minimumChunk: 16) { rows in backwardRows(rows, q, steps: t) }
                                }
                            }
                        }
                    }
                }
            }
        }
        // dWh = Σₜ hₜ₋₁ᵀ dGₜ as one GEMM: row (n, t) of h against row (n, t + 1) of the gate
        // gradients, whose t = 0 rows are zeroed so no pair crosses from one sample to the next.
        var shifted = dgates
        shifted.withUnsafeMutableBufferPointer { ps in for r in 0..<n { (ps.baseAddress! + r * t * g4).update(repeating: 0, count: g4) } }
        var dwh = Matrix<Float>(rows: h, columns: g4)
        if n * t > 1 {
            dwh.withUnsafeMutableBufferPointer { pw in
                hs.withUnsafeBufferPointer { ph in
                    shifted.withUnsafeBufferPointer { ps in
                        Float.gemm(true, false, h, g4, n * t - 1, 1, ph.baseAddress!, h, ps.baseAddress! + g4, g4, 0, pw.baseAddress!, g4)
                    }
                }
            }
        }
        let dg2 = dgates.reshaped(rows: n * t, columns: g4)
        var dwx = Matrix<Float>(rows: f, columns: g4)
        dwx.gemm(x.storage.reshaped(rows: n * t, columns: f).transposed, dg2)
        let db = columnSums(dg2)
        var dx: Tensor? = nil
        if needsInputGradient {
            var m = Matrix<Float>(rows: n * t, columns: f)
            m.gemm(dg2, wx.transposed)
            dx = Tensor(shape: x.shape, storage: m)
        }
        return LayerGradients(input: dx, parameters: [dwx, dwh, db])
    }

    /// Backpropagation through time for samples `rows`: their gate gradients at every step.
    private func backwardRows(_ rows: Range<Int>, _ q: LSTMBackPointers, steps t: Int) {
        let h = units, g4 = 4 * h, m = rows.count, r0 = rows.lowerBound
        var dh = [Float](repeating: 0, count: m * h)  // from the step after
        var dc = [Float](repeating: 0, count: m * h)
        dh.withUnsafeMutableBufferPointer { pdh in
            for step in stride(from: t - 1, through: 0, by: -1) {
                for r in 0..<m {
                    let row = r0 + r
                    let gr = q.gates + row * t * g4 + step * g4, dgr = q.dgates + row * t * g4 + step * g4
                    let cr = q.cells + row * t * h + step * h, tcr = q.tanhCells + row * t * h + step * h
                    let dyr: UnsafePointer<Float>? = returnSequences
                        ? q.dy + row * t * h + step * h
                        : (step == t - 1 ? q.dy + row * h : nil)
                    for j in 0..<h {
                        let i = gr[j], fg = gr[h + j], g = gr[2 * h + j], o = gr[3 * h + j]
                        let cPrev: Float = step > 0 ? cr[j - h] : 0
                        let tcj = tcr[j]
                        let dhj = pdh[r * h + j] + (dyr?[j] ?? 0)
                        let dcj = dc[r * h + j] + dhj * o * (1 - tcj * tcj)
                        dgr[j] = dcj * g * i * (1 - i)
                        dgr[h + j] = dcj * cPrev * fg * (1 - fg)
                        dgr[2 * h + j] = dcj * i * (1 - g * g)
                        dgr[3 * h + j] = dhj * tcj * o * (1 - o)
                        dc[r * h + j] = dcj * fg
                    }
                }
                if step > 0 {  // dh = dGₜ · Whᵀ for these rows
                    Float.gemm(false, true, m, h, g4, 1, q.dgates + r0 * t * g4 + step * g4, t * g4, q.wh, g4, 0, pdh.baseAddress!, h)
                }
            }
        }
    }
}

/// The shared buffers of one LSTM forward pass; each chunk of samples writes only its rows.
private struct LSTMPointers: @unchecked Sendable {
    let gates: UnsafeMutablePointer<Float>, cells: UnsafeMutablePointer<Float>, tanhCells: UnsafeMutablePointer<Float>
    let hs: UnsafeMutablePointer<Float>, xw: UnsafePointer<Float>
}

/// The shared buffers of one LSTM backward pass.
private struct LSTMBackPointers: @unchecked Sendable {
    let dgates: UnsafeMutablePointer<Float>, gates: UnsafePointer<Float>, cells: UnsafePointer<Float>
    let tanhCells: UnsafePointer<Float>, dy: UnsafePointer<Float>, wh: UnsafePointer<Float>
}
