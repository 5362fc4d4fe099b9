import CSluiceKernels
import Foundation
import SluiceCompute

/// The elementwise activations and their derivatives, in one table.
///
/// | function | forward `y = f(x)` | backward `dx = dy · f′` |
/// |---|---|---|
/// | relu | `max(x, 0)` | `dy · [y > 0]` (the same as `x > 0`) |
/// | leakyReLU(a) | `x > 0 ? x : a·x` | `dy · (x > 0 ? 1 : a)` |
/// | gelu | `x · Φ(x)` (exact, erf) | `dy · (Φ(x) + x · φ(x))` |
/// | sigmoid | `1 / (1 + e⁻ˣ)` | `dy · y · (1 − y)` |
/// | tanh | `tanh x` | `dy · (1 − y²)` |
/// | softmax (last axis) | `eˣ / Σ eˣ` | `y · (dy − Σ dy·y)` |
public enum ActivationFunction: Sendable, Codable, Equatable {
    case relu
    case leakyReLU(slope: Float)
    case gelu
    case sigmoid
    case tanh
    case softmax

    /// `y = f(x)` over `n` elements; softmax over consecutive groups of `rowLength`.
    /// `y` may equal `x` except for gelu's backward needs (the layer keeps `x`).
    public func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, rowLength: Int) {
        switch self {
        case .relu: Float.vectorMath(.relu, x, y, n)
        case .leakyReLU(let a): for i in 0..<n { let v = x[i]; y[i] = v > 0 ? v : a * v }
        case .gelu:
            for i in 0..<n { let v = x[i]; y[i] = 0.5 * v * (1 + Foundation.erf(v * 0.70710678118654752)) }
        case .sigmoid:  // σ(x) = ½(1 + tanh(x/2)): one vectorised tanh, no overflow
            for i in 0..<n { y[i] = 0.5 * x[i] }
            Float.vectorMath(.tanh, UnsafePointer(y), y, n)
            for i in 0..<n { y[i] = 0.5 * (1 + y[i]) }
        case .tanh: Float.vectorMath(.tanh, x, y, n)
        case .softmax:
            let rows = rowLength > 0 ? n / rowLength : 0
            for r in 0..<rows {
                let xr = x + r * rowLength, yr = y + r * rowLength
                var m = -Float.infinity
                for j in 0..<rowLength { m = Swift.max(m, xr[j]) }
                for j in 0..<rowLength { yr[j] = xr[j] - m }
                Float.vectorMath(.exp, UnsafePointer(yr), yr, rowLength)
                var s: Float = 0
                for j in 0..<rowLength { s += yr[j] }
                let inv = 1 / s
                for j in 0..<rowLength { yr[j] *= inv }
            }
        }
    }

    /// `dx = dy · f′` from the forward input `x` and output `y`; `dx` may equal `dy`.
    public func derivative(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
                           dx: UnsafeMutablePointer<Float>, count n: Int, rowLength: Int) {
        switch self {
        case .relu: sluice_neural_relu_backward(dy, y, dx, n)
        case .leakyReLU(let a): for i in 0..<n { dx[i] = x[i] > 0 ? dy[i] : a * dy[i] }
        case .gelu:
            for i in 0..<n {
                let v = x[i]
                let cdf = 0.5 * (1 + Foundation.erf(v * 0.70710678118654752))
                let pdf = Foundation.exp(-0.5 * v * v) * 0.39894228040143268
                dx[i] = dy[i] * (cdf + v * pdf)
            }
        case .sigmoid: for i in 0..<n { dx[i] = dy[i] * y[i] * (1 - y[i]) }
        case .tanh: for i in 0..<n { dx[i] = dy[i] * (1 - y[i] * y[i]) }
        case .softmax:
            let rows = rowLength > 0 ? n / rowLength : 0
            for r in 0..<rows {
                let o = r * rowLength
                var s: Float = 0
                for j in 0..<rowLength { s += dy[o + j] * y[o + j] }
                for j in 0..<rowLength { dx[o + j] = y[o + j] * (dy[o + j] - s) }
            }
        }
    }

    /// Whether the derivative reads the input `x` (the others read only `y`).
    var needsInput: Bool {
        switch self {
        case .leakyReLU, .gelu: return true
        case .relu, .sigmoid, .tanh, .softmax: return false
        }
    }
}

/// A layer applying one ``ActivationFunction`` elementwise (softmax: over the last axis).
public protocol ActivationLayer: Layer {
    var function: ActivationFunction { get }
}

extension ActivationLayer {
    public func outputShape(for input: [Int]) throws -> [Int] { input }

    public func forward(_ x: Tensor, parameters: ArraySlice<Matrix<Float>>, context: inout ForwardContext) throws -> LayerRecord {
        let rowLength = x.shape.last ?? 1
        var y = Matrix<Float>(rows: x.batch, columns: x.sampleSize)
        y.withUnsafeMutableBufferPointer { py in
            x.withUnsafeBufferPointer { px in
                function.apply(px.baseAddress!, py.baseAddress!, count: px.count, rowLength: rowLength)
            }
        }
        let out = Tensor(shape: x.shape, storage: y)
        return LayerRecord(output: out, saved: function.needsInput ? [x] : [out])
    }

    public func backward(_ dy: Tensor, record: LayerRecord, parameters: ArraySlice<Matrix<Float>>,
                         needsInputGradient: Bool) -> LayerGradients {
        guard needsInputGradient else { return LayerGradients(input: nil) }
        let saved = record.saved[0], rowLength = dy.shape.last ?? 1
        var dx = Matrix<Float>(rows: dy.batch, columns: dy.sampleSize)
        dx.withUnsafeMutableBufferPointer { pdx in
            dy.withUnsafeBufferPointer { pdy in
                saved.withUnsafeBufferPointer { ps in
                    function.derivative(dy: pdy.baseAddress!, x: ps.baseAddress!, y: ps.baseAddress!, dx: pdx.baseAddress!,
                                        count: pdy.count, rowLength: rowLength)
                }
            }
        }
        return LayerGradients(input: Tensor(shape: dy.shape, storage: dx))
    }
}

/// `max(x, 0)`.
public struct ReLU: ActivationLayer {
    public static let kind = "relu"
    public init() {}
    public var function: ActivationFunction { .relu }
}

/// `x` for positive `x`, `slope · x` otherwise.
public struct LeakyReLU: ActivationLayer {
    public static let kind = "leaky_relu"
    public var slope: Float
    public init(slope: Float = 0.01) { self.slope = slope }
    public var function: ActivationFunction { .leakyReLU(slope: slope) }
}

/// `x · Φ(x)` (the exact form, PyTorch's default).
public struct GELU: ActivationLayer {
    public static let kind = "gelu"
    public init() {}
    public var function: ActivationFunction { .gelu }
}

/// The logistic function.
public struct Sigmoid: ActivationLayer {
    public static let kind = "sigmoid"
    public init() {}
    public var function: ActivationFunction { .sigmoid }
}

/// The hyperbolic tangent.
public struct Tanh: ActivationLayer {
    public static let kind = "tanh"
    public init() {}
    public var function: ActivationFunction { .tanh }
}

/// Softmax over the last axis. A classifier's network ends in logits instead: the loss
/// applies softmax itself, more accurately.
public struct Softmax: ActivationLayer {
    public static let kind = "softmax"
    public init() {}
    public var function: ActivationFunction { .softmax }
}
