import Foundation
import SluiceCompute

/// What a network is trained against: class codes or continuous values, one row per sample.
public enum Targets: Sendable, Equatable {
    /// One class code per sample (`0..<classes`).
    case classes([Int32])
    /// `samples × outputs` values.
    case values(Matrix<Float>)

    /// The number of samples.
    public var count: Int {
        switch self {
        case .classes(let c): return c.count
        case .values(let v): return v.rows
        }
    }

    /// The targets of samples `indices`.
    func gathering(_ indices: ArraySlice<Int>) -> Targets {
        switch self {
        case .classes(let c): return .classes(indices.map { c[$0] })
        case .values(let v): return .values(Tensor(v).gathering(indices).storage)
        }
    }
}

/// A training loss over a batch of outputs, weighted mean over samples (PyTorch's
/// `reduction="mean"` with per-sample weights: `Σ wᵢ lᵢ / Σ wᵢ`).
///
/// | loss | per sample `lᵢ` | gradient `∂lᵢ/∂z` |
/// |---|---|---|
/// | meanSquaredError | `mean_k (z_k − y_k)²` | `2 (z − y) / outputs` |
/// | binaryCrossEntropyWithLogits | `max(z, 0) − z·y + log(1 + e^−|z|)` | `σ(z) − y` |
/// | crossEntropyWithLogits | `logsumexp(z) − z_y` | `softmax(z) − onehot(y)` |
public enum Loss: String, Sendable, Codable, Equatable {
    case meanSquaredError
    case binaryCrossEntropyWithLogits
    case crossEntropyWithLogits

    /// The loss of `output` (`batch × outputs`) against `targets` and its gradient with respect
    /// to `output`; `weights` are per-sample (nil: all 1).
    public func evaluate(_ output: Tensor, _ targets: Targets, weights: [Float]?) throws -> (loss: Double, gradient: Tensor) {
        let n = output.batch, k = output.sampleSize
        guard targets.count == n else {
            throw NeuralError.shape(layer: "\(self)", reason: "expects one target per output row, got \(targets.count) targets for \(n) rows")
        }
        let totalWeight = weights.map { Double($0.reduce(0, +)) } ?? Double(n)
        let scale = totalWeight > 0 ? 1 / totalWeight : 0
        var grad = Matrix<Float>(rows: n, columns: k)
        var loss = 0.0
        try output.withUnsafeBufferPointer { z in
            try grad.withUnsafeMutableBufferPointer { g in
                switch (self, targets) {
                case (.meanSquaredError, .values(let y)):
                    guard y.columns == k else {
                        throw NeuralError.shape(layer: "meanSquaredError", reason: "expects \(k) target values per row, got \(y.columns)")
                    }
                    y.withUnsafeBufferPointer { y in
                        for i in 0..<n {
                            let w = Double(weights?[i] ?? 1)
                            var li = 0.0
                            let gs = Float(w * scale * 2 / Double(k))
                            for j in 0..<k {
                                let d = z[i * k + j] - y[i * k + j]
                                li += Double(d * d)
                                g[i * k + j] = gs * d
                            }
                            loss += w * li / Double(k)
                        }
                    }
                case (.binaryCrossEntropyWithLogits, .classes(let y)):
                    guard k == 1 else {
                        throw NeuralError.shape(layer: "binaryCrossEntropyWithLogits", reason: "expects 1 output (the positive class's logit), got \(k)")
                    }
                    for i in 0..<n {
                        let w = Double(weights?[i] ?? 1), zi = Double(z[i]), yi = Double(y[i])
                        loss += w * (Swift.max(zi, 0) - zi * yi + Foundation.log1p(Foundation.exp(-Swift.abs(zi))))
                        let s = 1 / (1 + Foundation.exp(-zi))
                        g[i] = Float(w * scale * (s - yi))
                    }
                case (.binaryCrossEntropyWithLogits, .values(let y)):
                    guard y.columns == k else {
                        throw NeuralError.shape(layer: "binaryCrossEntropyWithLogits", reason: "expects \(k) targets per row, got \(y.columns)")
                    }
                    y.withUnsafeBufferPointer { y in
                        for i in 0..<n {
                            let w = Double(weights?[i] ?? 1)
                            for j in 0..<k {
                                let zi = Double(z[i * k + j]), yi = Double(y[i * k + j])
                                loss += w * (Swift.max(zi, 0) - zi * yi + Foundation.log1p(Foundation.exp(-Swift.abs(zi)))) / Double(k)
                                g[i * k + j] = Float(w * scale * (1 / (1 + Foundation.exp(-zi)) - yi) / Double(k))
                            }
                        }
                    }
                case (.crossEntropyWithLogits, .classes(let y)):
                    for i in 0..<n {
                        let c = Int(y[i])
                        guard c >= 0 && c < k else {
                            throw NeuralError.invalidInput(layer: "crossEntropyWithLogits", reason: "class \(c) at row \(i) but the network has \(k) outputs")
                        }
                        let row = z.baseAddress! + i * k
                        var m = -Float.infinity
                        for j in 0..<k { m = Swift.max(m, row[j]) }
                        var s = 0.0
                        for j in 0..<k { let e = Foundation.exp(Double(row[j] - m)); g[i * k + j] = Float(e); s += e }
                        let w = Double(weights?[i] ?? 1)
                        loss += w * (Double(m) + Foundation.log(s) - Double(row[c]))
                        let f = Float(w * scale / s)
                        for j in 0..<k { g[i * k + j] *= f }
                        g[i * k + c] -= Float(w * scale)
                    }
                default:
                    throw NeuralError.invalidConfiguration(component: "\(self)", name: "targets",
                                                           reason: "do not fit this loss (class codes for cross-entropy, values for mean squared error)")
                }
            }
        }
        return (loss * scale, Tensor(shape: output.shape, storage: grad))
    }
}
