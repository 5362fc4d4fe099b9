import SluiceCompute

/// Whether `a` and `b` agree within `absolute + relative · max(|a|, |b|)`; two NaNs agree,
/// and equal infinities agree.
public func isApproximatelyEqual<T: BinaryFloatingPoint>(_ a: T, _ b: T, absolute: T = 0, relative: T = 1e-9) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a == b { return true }
    return abs(a - b) <= absolute + relative * max(abs(a), abs(b))
}

/// Whether two sequences have the same length and agree element by element.
public func isApproximatelyEqual<S: Sequence, T: BinaryFloatingPoint>(
    _ a: S, _ b: S, absolute: T = 0, relative: T = 1e-9
) -> Bool where S.Element == T {
    let a = Array(a), b = Array(b)
    return a.count == b.count && zip(a, b).allSatisfy { isApproximatelyEqual($0, $1, absolute: absolute, relative: relative) }
}

/// Whether two matrices have the same shape and agree element by element.
public func isApproximatelyEqual<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>, absolute: T = 0, relative: T = 1e-9) -> Bool {
    a.rows == b.rows && a.columns == b.columns
        && isApproximatelyEqual(a.elements, b.elements, absolute: absolute, relative: relative)
}

/// The largest absolute element-wise difference between two matrices of one shape.
public func maxAbsDifference<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>) -> T {
    zip(a.elements, b.elements).map { abs($0 - $1) }.max() ?? 0
}
