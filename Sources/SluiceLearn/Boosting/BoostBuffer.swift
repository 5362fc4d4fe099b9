/// A fixed-size buffer of trivial values owned by a class, so that parallel loop bodies can
/// each write their own disjoint part of it without copying.
final class BoostBuffer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    let count: Int

    init(count: Int, repeating value: T) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: value, count: count)
    }

    deinit { pointer.deallocate() }

    var buffer: UnsafeMutableBufferPointer<T> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    subscript(i: Int) -> T {
        @inline(__always) get { pointer[i] }
        @inline(__always) set { pointer[i] = newValue }
    }
}

/// Wraps a value the caller promises is used safely across threads (read-only buffers).
struct BoostUnchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
