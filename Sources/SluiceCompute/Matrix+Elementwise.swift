/// An element-wise function ``Matrix/apply(_:)`` computes over a whole buffer.
public enum ElementwiseFunction: Sendable, CaseIterable {
    /// `eˣ`.
    case exp
    /// Natural logarithm (`NaN` below zero, `-inf` at zero).
    case log
    /// Hyperbolic tangent.
    case tanh
    /// Logistic `1 / (1 + e⁻ˣ)`, computed without overflow for large `|x|`.
    case sigmoid
    /// `max(x, 0)`; `NaN` stays `NaN`.
    case relu
    /// `log(1 + x)`, accurate near zero.
    case log1p
    /// `eˣ - 1`, accurate near zero.
    case expm1
}

/// Elements per block when a kernel runs several passes: small enough to stay in L1/L2.
@usableFromInline let kernelBlockSize = 4096
/// Below this many elements a kernel runs on one thread.
@usableFromInline let parallelThreshold = 1 << 16

extension Matrix {
    /// Applies `f` to every element in place, vectorised and split over the cores.
    @inlinable public mutating func apply(_ f: ElementwiseFunction) {
        makeUnique()
        let p = UncheckedSendable(storage.pointer)
        Parallel.forEachChunk(of: count, minimumChunk: parallelThreshold) { range in
            Self.kernel(f, p.value + range.lowerBound, range.count)
        }
    }

    /// A new matrix with `f` applied to every element.
    @inlinable public func applying(_ f: ElementwiseFunction) -> Matrix {
        var copy = self
        copy.apply(f)
        return copy
    }

    @inlinable static func kernel(_ f: ElementwiseFunction, _ x: UnsafeMutablePointer<Scalar>, _ n: Int) {
        switch f {
        case .exp: Scalar.vectorMath(.exp, x, x, n)
        case .log: Scalar.vectorMath(.log, x, x, n)
        case .tanh: Scalar.vectorMath(.tanh, x, x, n)
        case .log1p: Scalar.vectorMath(.log1p, x, x, n)
        case .expm1: Scalar.vectorMath(.expm1, x, x, n)
        case .relu: Scalar.vectorMath(.relu, x, x, n)
        case .sigmoid:
            // σ(x) = 1/(1+e^-|x|) for x ≥ 0 and e^-|x|/(1+e^-|x|) below: never overflows.
            var start = 0
            let sign = UnsafeMutablePointer<Bool>.allocate(capacity: kernelBlockSize)
            defer { sign.deallocate() }
            while start < n {
                let len = Swift.min(kernelBlockSize, n - start), b = x + start
                for i in 0..<len {
                    sign[i] = b[i] >= 0
                    b[i] = -b[i].magnitude
                }
                Scalar.vectorMath(.exp, b, b, len)
                for i in 0..<len {
                    let e = b[i]
                    b[i] = (sign[i] ? 1 : e) / (1 + e)
                }
                start += len
            }
        }
    }

    /// The element-wise sum of two matrices of one shape.
    @inlinable public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        var out = lhs
        out += rhs
        return out
    }

    /// The element-wise difference of two matrices of one shape.
    @inlinable public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        var out = lhs
        out -= rhs
        return out
    }

    /// Adds `rhs`, a matrix of the same shape, element by element.
    @inlinable public static func += (lhs: inout Matrix, rhs: Matrix) { lhs.combine(rhs) { $0 + $1 } }

    /// Subtracts `rhs`, a matrix of the same shape, element by element.
    @inlinable public static func -= (lhs: inout Matrix, rhs: Matrix) { lhs.combine(rhs) { $0 - $1 } }

    /// Every element multiplied by `scalar`.
    public static func * (lhs: Matrix, scalar: Scalar) -> Matrix {
        var out = lhs
        out.scale(by: scalar)
        return out
    }

    /// Multiplies element by element with `other`, a matrix of the same shape (Hadamard product).
    @inlinable public mutating func multiply(elementwiseBy other: Matrix) { combine(other) { $0 * $1 } }

    /// The element-wise (Hadamard) product with `other`.
    @inlinable public func multiplied(elementwiseBy other: Matrix) -> Matrix {
        var out = self
        out.multiply(elementwiseBy: other)
        return out
    }

    @inlinable
    mutating func combine(_ other: Matrix, _ op: (Scalar, Scalar) -> Scalar) {
        precondition(other.rows == rows && other.columns == columns,
                     "element-wise: \(rows)×\(columns) with \(other.rows)×\(other.columns)")
        makeUnique()
        let y = storage.pointer, n = count
        other.withUnsafeBufferPointer { x in
            let x = x.baseAddress!
            for i in 0..<n { y[i] = op(y[i], x[i]) }
        }
    }

    /// Adds `vector` to every row (broadcast, as a bias is added to a layer's output).
    /// - Precondition: `vector.count == columns`.
    @inlinable public mutating func add(toEachRow vector: [Scalar]) {
        precondition(vector.count == columns, "add(toEachRow:) needs \(columns) values, got \(vector.count)")
        makeUnique()
        let p = storage.pointer, n = columns
        vector.withUnsafeBufferPointer { v in
            let v = v.baseAddress!
            for r in 0..<rows {
                let row = p + r * n
                for c in 0..<n { row[c] += v[c] }
            }
        }
    }
}
