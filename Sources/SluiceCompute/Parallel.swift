import COpenBLAS
import Dispatch
import Foundation

/// Data-parallel loops over the machine's cores, and the thread policy shared with OpenBLAS.
///
/// **Policy.** OpenBLAS and Sluice's own loops never run threads at the same time. OpenBLAS
/// gets every core for the BLAS and LAPACK calls made outside a parallel loop (or the number
/// in `OPENBLAS_NUM_THREADS` / `SLUICE_THREADS` when set). While a ``forEachChunk(of:minimumChunk:_:)``
/// runs on more than one thread, OpenBLAS is switched to one thread, so a BLAS call made
/// inside a loop body runs on the core of that body instead of spawning more threads than
/// there are cores. Nested parallel loops run their inner loop serially.
///
/// **Idle BLAS threads.** OpenBLAS's workers sleep almost as soon as a call ends
/// (`OPENBLAS_THREAD_TIMEOUT=4`, set at load time by CSluiceKernels' `openblas_core.c` unless
/// the user set it), instead of spinning in `sched_yield` for ~0.1 s and taking the core the
/// next parallel loop needs. Set `OPENBLAS_THREAD_TIMEOUT` yourself to choose another value.
public enum Parallel {
    /// The number of threads Sluice uses: `SLUICE_THREADS` if set, else the active cores.
    public static let threadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["SLUICE_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// The number of threads OpenBLAS uses outside parallel loops.
    public static let blasThreadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let n = Int(s), n > 0 { return n }
        return threadCount
    }()

    private static let state = BLASThreadState()

    /// Applies the thread policy to OpenBLAS; called on first use of a parallel loop, and
    /// safe to call again.
    public static func configureBLAS() { state.configure() }

    /// Splits `0..<count` into contiguous chunks of at least `minimumChunk` elements and
    /// runs `body` on each, on up to ``threadCount`` threads; returns when all are done.
    ///
    /// Chunks are contiguous and in order, so a body that writes only its own range of an
    /// output gives the same result whatever the thread count.
    public static func forEachChunk(of count: Int, minimumChunk: Int = 4096,
                                    _ body: (Range<Int>) -> Void) {
        let chunks = min(threadCount, max(1, count / max(1, minimumChunk)))
        if chunks <= 1 || Thread.current.threadDictionary[nestedKey] != nil {
            if count > 0 { body(0..<count) }
            return
        }
        state.enterParallel()
        defer { state.leaveParallel() }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let lo = count * i / chunks, hi = count * (i + 1) / chunks
                Thread.current.threadDictionary[nestedKey] = true
                box.value(lo..<hi)
                Thread.current.threadDictionary[nestedKey] = nil
            }
        }
    }

    /// Runs `body` with OpenBLAS single-threaded, as inside a parallel loop. LAPACK
    /// factorisations and BLAS reductions (`dot`, `nrm2`) split their work by the thread
    /// count, so their last bits depend on it: they always run this way, so that their results
    /// do not depend on what else the process is doing (another fit's parallel loop switching
    /// OpenBLAS to one thread). Level-3 and matrix-vector products keep every core: each output
    /// element is reduced by one thread whatever the count, so their results do not change.
    public static func withSingleThreadedBLAS<R>(_ body: () -> R) -> R {
        state.enterParallel()
        defer { state.leaveParallel() }
        return body()
    }

    private static let nestedKey = "sluice.parallel.nested"
}

/// Wraps a value the caller promises is used safely across threads.
@usableFromInline struct UncheckedSendable<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @inlinable init(_ value: T) { self.value = value }
}

/// Counts parallel loops in flight; OpenBLAS runs single-threaded while any is.
private final class BLASThreadState: @unchecked Sendable {
    private let lock = NSLock()
    private var active = 0
    private var configured = false

    func configure() {
        lock.lock()
        defer { lock.unlock() }
        if !configured {
            configured = true
            if active == 0 { openblas_set_num_threads(Int32(Parallel.blasThreadCount)) }
        }
    }

    func enterParallel() {
        configure()
        lock.lock()
        defer { lock.unlock() }
        if active == 0 { openblas_set_num_threads(1) }
        active += 1
    }

    func leaveParallel() {
        lock.lock()
        defer { lock.unlock() }
        active -= 1
        if active == 0 { openblas_set_num_threads(Int32(Parallel.blasThreadCount)) }
    }
}
