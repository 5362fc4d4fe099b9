import Glibc

/// A growable buffer of plain values (`Double`, `Int64`, `Int32`, `Bool`) in `malloc`
/// memory: appending is a compare and a store, with no uniqueness check, and growing uses
/// `realloc` (which moves large blocks by remapping pages, not copying).
///
/// It is a plain struct with no deinit: its owner calls ``release()`` exactly once
/// (``ColumnBuilder/release()``, called by ``PartBuilders``' deinit).
struct RawColumn<T: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<T>?
    private(set) var count = 0
    private(set) var capacity = 0

    @inline(__always)
    mutating func append(_ v: T) {
        if count == capacity { grow(to: Swift.max(64, capacity &* 2)) }
        base.unsafelyUnwrapped[count] = v
        count &+= 1
    }

    mutating func append(repeating v: T, count n: Int) {
        guard n > 0 else { return }
        if count + n > capacity { grow(to: Swift.max(count + n, capacity * 2)) }
        (base.unsafelyUnwrapped + count).initialize(repeating: v, count: n)
        count += n
    }

    mutating func append(contentsOf other: RawColumn<T>) {
        guard other.count > 0, let src = other.base else { return }
        if count + other.count > capacity { grow(to: count + other.count) }
        (base.unsafelyUnwrapped + count).update(from: src, count: other.count)
        count += other.count
    }

    mutating func reserve(_ n: Int) {
        if n > capacity { grow(to: n) }
    }

    private mutating func grow(to n: Int) {
        let bytes = n * MemoryLayout<T>.stride
        guard let p = realloc(base, bytes) else {
            // Out of memory: nothing sensible to do but stop, as Swift's own arrays do.
            preconditionFailure("out of memory growing a column to \(bytes) bytes")
        }
        base = p.assumingMemoryBound(to: T.self)
        capacity = n
    }

    @inline(__always) subscript(i: Int) -> T { base.unsafelyUnwrapped[i] }

    mutating func removeLast(_ k: Int) { count -= Swift.min(k, count) }

    /// The values as a Swift array (one copy).
    func array() -> [T] {
        guard count > 0, let base else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// Frees the memory; the buffer is empty afterwards.
    mutating func release() {
        free(base)
        base = nil
        count = 0
        capacity = 0
    }
}
