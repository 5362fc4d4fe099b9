import Foundation
import SluiceCompute

/// A gated recurrent unit over `[time, features]` samples, PyTorch's formulation and gate order `r, z, n`:
/// `r = σ(x Wxᵣ + bxᵣ + h Whᵣ + bhᵣ)`, `z = σ(…)`, `n = tanh(x Wxₙ + bxₙ + r ⊙ (h Whₙ + bhₙ))`,
/// `h′ = (1 − z) n + z h`.
///
/// One GEMM projects every step's input; each step adds `h Wh` for the three gates in one
/// GEMM. Parameters: `Wx` (`features × 3·units`), `Wh` (`units × 3·units`), `bx`, `bh` (`1 × 3·units`).
public struct GRU: Layer {
    public static let kind = "gru"
    public var units: Int
    public var returnSequences: Bool

    public init(_ units: Int, returnSequences: Bool = false) {
        self.units = units
        self.returnSequences = returnSequences
    }

    public var parameterCount: Int { 4 }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard units > 0 else { throw NeuralError.invalidConfiguration(component: "GRU", name: "units", reason: "must be > 0") }
        try requireRank(input, 2, layer: "GRU", meaning: "[time, features] samples")
        guard input[0] > 0, input[1] > 0 else { throw NeuralError.shape(layer: "GRU", reason: "expects at least one step and one feature, got shape \(describe(input))") }
        return returnSequences ? [input[0], units] : [units]
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] {
        [(input.last ?? 0, 3 * units), (units, 3 * units), (1, 3 * units), (1, 3 * units)]
    }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        let f = input.last ?? 0, h = units
        let wx = Initializer.glorotUniform.make(rows: f, columns: 3 * h, fanIn: f, fanOut: 3 * h, rng: &rng)
        var wh = Matrix<Float>(rows: h, columns: 3 * h)
        for gate in 0..<3 {
            let q = Initializer.orthogonal.make(rows: h, columns: h, fanIn: h, fanOut: h, rng: &rng)
            for r in 0..<h { for c in 0..<h { wh[r, gate * h + c] = q[r, c] } }
        }
        return [wx, wh, Matrix(rows: 1, columns: 3 * h), Matrix(rows: 1, columns: 3 * h)]
    }

    public func forward(_ x: Tensor, parameters p: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape)
        let s = p.startIndex, wx = p[s], wh = p[s + 1], bx = p[s + 2].elements, bh = p[s + 3]
        let n = x.batch, t = x.shape[1], f = x.shape[2], h = units, g3 = 3 * h
        guard wx.rows == f else { throw NeuralError.shape(layer: "GRU", reason: "expects \(wx.rows) features per step, got \(f)") }
        var xw = Matrix<Float>(rows: n * t, columns: g3)
        multiply(x.storage.reshaped(rows: n * t, columns: f), wx, into: &xw, accumulate: false, rowInvariant: context.rowInvariant)
        // Per step: r, z, n after activation and hn = h Whₙ + bhₙ, as [r | z | n | hn].
        var saved = Matrix<Float>(rows: n, columns: t * 4 * h)
        var hs = Matrix<Float>(rows: n, columns: t * h)
        var hw = Matrix<Float>(rows: n, columns: g3)
        for step in 0..<t {
            hw.withUnsafeMutableBufferPointer { ph in
                bh.withUnsafeBufferPointer { pb in for r in 0..<n { (ph.baseAddress! + r * g3).update(from: pb.baseAddress!, count: g3) } }
            }
            if step > 0 {
                hs.withUnsafeBufferPointer { ph in
                    multiply(ph.baseAddress! + (step - 1) * h, lda: t * h, wh, into: &hw, m: n, accumulate: true, rowInvariant: context.rowInvariant)
                }
            }
            hw.withUnsafeBufferPointer { phw in
                xw.withUnsafeBufferPointer { px in
                    saved.withUnsafeMutableBufferPointer { psv in
                        hs.withUnsafeMutableBufferPointer { phs in
                            for r in 0..<n {
                                let a = px.baseAddress! + (r * t + step) * g3, b = phw.baseAddress! + r * g3
                                let sv = psv.baseAddress! + r * t * 4 * h + step * 4 * h
                                let hr = phs.baseAddress! + r * t * h + step * h
                                for j in 0..<h {
                                    let rg = sigmoid(a[j] + bx[j] + b[j])
                                    let zg = sigmoid(a[h + j] + bx[h + j] + b[h + j])
                                    let hn = b[2 * h + j]
                                    let ng = tanhf(a[2 * h + j] + bx[2 * h + j] + rg * hn)
                                    let prev: Float = step > 0 ? hr[j - h] : 0
                                    hr[j] = (1 - zg) * ng + zg * prev
                                    sv[j] = rg; sv[h + j] = zg; sv[2 * h + j] = ng; sv[3 * h + j] = hn
                                }
                            }
                        }
                    }
                }
            }
        }
        let output = returnSequences ? hs : hs.columns((t - 1) * h..<t * h).copy()
        return LayerRecord(output: Tensor(shape: [n] + out, storage: output), saved: [x, Tensor(saved), Tensor(hs)])
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let s = p.startIndex, wx = p[s], wh = p[s + 1]
        let x = record.saved[0], saved = record.saved[1].storage, hs = record.saved[2].storage
        let n = x.batch, t = x.shape[1], f = x.shape[2], h = units, g3 = 3 * h
        var da = Matrix<Float>(rows: n, columns: t * g3)   // input-side pre-activation gradients
        var db = Matrix<Float>(rows: n, columns: t * g3)   // recurrent-side gradients (of h Wh + bh)
        var dwh = Matrix<Float>(rows: h, columns: g3)
        var dh = Matrix<Float>(rows: n, columns: h)
        for step in stride(from: t - 1, through: 0, by: -1) {
            var dhPrev = Matrix<Float>(rows: n, columns: h)
            da.withUnsafeMutableBufferPointer { pda in
                db.withUnsafeMutableBufferPointer { pdb in
                    dhPrev.withUnsafeMutableBufferPointer { pdp in
                        dh.withUnsafeBufferPointer { pdh in
                            dy.withUnsafeBufferPointer { pdy in
                                saved.withUnsafeBufferPointer { psv in
                                    hs.withUnsafeBufferPointer { phs in
                                        for r in 0..<n {
                                            let sv = psv.baseAddress! + r * t * 4 * h + step * 4 * h
                                            let hr = phs.baseAddress! + r * t * h + step * h
                                            let a = pda.baseAddress! + r * t * g3 + step * g3, b = pdb.baseAddress! + r * t * g3 + step * g3
                                            let dyr: UnsafePointer<Float>? = returnSequences
                                                ? pdy.baseAddress! + r * t * h + step * h
                                                : (step == t - 1 ? pdy.baseAddress! + r * h : nil)
                                            for j in 0..<h {
                                                let rg = sv[j], zg = sv[h + j], ng = sv[2 * h + j], hn = sv[3 * h + j]
                                                let prev: Float = step > 0 ? hr[j - h] : 0
                                                let d = pdh[r * h + j] + (dyr?[j] ?? 0)
                                                let dn = d * (1 - zg) * (1 - ng * ng)
                                                let dz = d * (prev - ng) * zg * (1 - zg)
                                                let dr = dn * hn * rg * (1 - rg)
                                                a[j] = dr; a[h + j] = dz; a[2 * h + j] = dn
                                                b[j] = dr; b[h + j] = dz; b[2 * h + j] = dn * rg
                                                pdp[r * h + j] = d * zg
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let dbStep = db.columns(step * g3..<(step + 1) * g3)
            if step > 0 {
                dwh.gemm(hs.columns((step - 1) * h..<step * h).transposed, dbStep, beta: 1)
                dhPrev.gemm(dbStep, wh.transposed, beta: 1)
            }
            dh = dhPrev
        }
        let da2 = da.reshaped(rows: n * t, columns: g3), db2 = db.reshaped(rows: n * t, columns: g3)
        var dwx = Matrix<Float>(rows: f, columns: g3)
        dwx.gemm(x.storage.reshaped(rows: n * t, columns: f).transposed, da2)
        var dx: Tensor? = nil
        if needsInputGradient {
            var m = Matrix<Float>(rows: n * t, columns: f)
            m.gemm(da2, wx.transposed)
            dx = Tensor(shape: x.shape, storage: m)
        }
        return LayerGradients(input: dx, parameters: [dwx, dwh, columnSums(da2), columnSums(db2)])
    }
}

/// An Elman recurrent layer over `[time, features]` samples: `h′ = tanh(x Wx + h Wh + b)`.
public struct SimpleRNN: Layer {
    public static let kind = "simple_rnn"
    public var units: Int
    public var returnSequences: Bool

    public init(_ units: Int, returnSequences: Bool = false) {
        self.units = units
        self.returnSequences = returnSequences
    }

    public var parameterCount: Int { 3 }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard units > 0 else { throw NeuralError.invalidConfiguration(component: "SimpleRNN", name: "units", reason: "must be > 0") }
        try requireRank(input, 2, layer: "SimpleRNN", meaning: "[time, features] samples")
        guard input[0] > 0, input[1] > 0 else { throw NeuralError.shape(layer: "SimpleRNN", reason: "expects at least one step and one feature, got shape \(describe(input))") }
        return returnSequences ? [input[0], units] : [units]
    }

    public func parameterShapes(for input: [Int]) -> [(rows: Int, columns: Int)] {
        [(input.last ?? 0, units), (units, units), (1, units)]
    }

    public func initialParameters(for input: [Int], rng: inout SeededGenerator) -> [Matrix<Float>] {
        let f = input.last ?? 0
        return [Initializer.glorotUniform.make(rows: f, columns: units, fanIn: f, fanOut: units, rng: &rng),
                Initializer.orthogonal.make(rows: units, columns: units, fanIn: units, fanOut: units, rng: &rng),
                Matrix(rows: 1, columns: units)]
    }

    public func forward(_ x: Tensor, parameters p: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let out = try outputShape(for: x.sampleShape)
        let s = p.startIndex, wx = p[s], wh = p[s + 1], b = p[s + 2]
        let n = x.batch, t = x.shape[1], f = x.shape[2], h = units
        guard wx.rows == f else { throw NeuralError.shape(layer: "SimpleRNN", reason: "expects \(wx.rows) features per step, got \(f)") }
        var xw = Matrix<Float>(rows: n * t, columns: h)
        multiply(x.storage.reshaped(rows: n * t, columns: f), wx, into: &xw, accumulate: false, rowInvariant: context.rowInvariant)
        var hs = Matrix<Float>(rows: n, columns: t * h)
        var z = Matrix<Float>(rows: n, columns: h)
        for step in 0..<t {
            z.withUnsafeMutableBufferPointer { pz in
                xw.withUnsafeBufferPointer { px in
                    b.withUnsafeBufferPointer { pb in
                        for r in 0..<n { for j in 0..<h { pz[r * h + j] = px[(r * t + step) * h + j] + pb[j] } }
                    }
                }
            }
            if step > 0 {
                hs.withUnsafeBufferPointer { ph in
                    multiply(ph.baseAddress! + (step - 1) * h, lda: t * h, wh, into: &z, m: n, accumulate: true, rowInvariant: context.rowInvariant)
                }
            }
            z.withUnsafeMutableBufferPointer { pz in
                Float.vectorMath(.tanh, UnsafePointer(pz.baseAddress!), pz.baseAddress!, n * h)
                hs.withUnsafeMutableBufferPointer { ph in
                    for r in 0..<n { (ph.baseAddress! + r * t * h + step * h).update(from: pz.baseAddress! + r * h, count: h) }
                }
            }
        }
        let output = returnSequences ? hs : hs.columns((t - 1) * h..<t * h).copy()
        return LayerRecord(output: Tensor(shape: [n] + out, storage: output), saved: [x, Tensor(hs)])
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters p: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        let s = p.startIndex, wx = p[s], wh = p[s + 1]
        let x = record.saved[0], hs = record.saved[1].storage
        let n = x.batch, t = x.shape[1], f = x.shape[2], h = units
        var dz = Matrix<Float>(rows: n, columns: t * h)
        var dwh = Matrix<Float>(rows: h, columns: h)
        var dh = Matrix<Float>(rows: n, columns: h)
        for step in stride(from: t - 1, through: 0, by: -1) {
            dz.withUnsafeMutableBufferPointer { pdz in
                dh.withUnsafeBufferPointer { pdh in
                    dy.withUnsafeBufferPointer { pdy in
                        hs.withUnsafeBufferPointer { phs in
                            for r in 0..<n {
                                let dyr: UnsafePointer<Float>? = returnSequences
                                    ? pdy.baseAddress! + r * t * h + step * h
                                    : (step == t - 1 ? pdy.baseAddress! + r * h : nil)
                                for j in 0..<h {
                                    let y = phs[r * t * h + step * h + j]
                                    pdz[r * t * h + step * h + j] = (pdh[r * h + j] + (dyr?[j] ?? 0)) * (1 - y * y)
                                }
                            }
                        }
                    }
                }
            }
            let dzStep = dz.columns(step * h..<(step + 1) * h)
            if step > 0 {
                dwh.gemm(hs.columns((step - 1) * h..<step * h).transposed, dzStep, beta: 1)
                dh.gemm(dzStep, wh.transposed)
            }
        }
        let dz2 = dz.reshaped(rows: n * t, columns: h)
        var dwx = Matrix<Float>(rows: f, columns: h)
        dwx.gemm(x.storage.reshaped(rows: n * t, columns: f).transposed, dz2)
        var dx: Tensor? = nil
        if needsInputGradient {
            var m = Matrix<Float>(rows: n * t, columns: f)
            m.gemm(dz2, wx.transposed)
            dx = Tensor(shape: x.shape, storage: m)
        }
        return LayerGradients(input: dx, parameters: [dwx, dwh, columnSums(dz2)])
    }
}

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
