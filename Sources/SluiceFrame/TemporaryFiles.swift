import Glibc
import Synchronization

/// The process-wide registry of live temporary files (those of ``AtomicFile``s not yet
/// committed or discarded), and the SIGINT / SIGTERM / SIGHUP handler that removes them.
///
/// The handler is async-signal-safe: it only reads fixed, preallocated slots (an atomic state
/// word and a NUL-terminated path buffer each), calls `unlink(2)`, restores the default
/// disposition and re-raises the signal, so the process still dies of it. It is installed
/// once, and only for signals whose disposition is the default: a program that handles a
/// signal itself (a graceful shutdown) keeps its handler, and its writers clean up through
/// their error paths instead.
///
/// A slot's state is 0 (free), 1 (being filled), 2 (live) or 3 (claimed by the handler,
/// which is unlinking it; never reused). Paths longer than ``pathCapacity`` bytes, and files
/// beyond ``slotCount`` live at once, are not registered: a signal then leaves their
/// temporary file behind, which the next write to the same target removes (see
/// ``AtomicFile``).
enum TemporaryFiles {
    static let slotCount = 64
    static let pathCapacity = 4096

    nonisolated(unsafe) static let states: UnsafeMutablePointer<Atomic<Int>> = {
        let p = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: slotCount)
        for i in 0..<slotCount { (p + i).initialize(to: Atomic(0)) }
        return p
    }()

    nonisolated(unsafe) static let paths: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: slotCount * pathCapacity)
        p.initialize(repeating: 0, count: slotCount * pathCapacity)
        return p
    }()

    /// Installs the handler on first use (thread-safe: a lazy static).
    static let installed: Bool = {
        _ = states
        _ = paths
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil else { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = temporaryFilesSignalHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            _ = sigaction(signal, &action, nil)
        }
        return true
    }()

    /// Registers `path` as live; returns its slot, or `nil` when it cannot be registered.
    static func register(_ path: String) -> Int? {
        _ = installed
        let bytes = Array(path.utf8)
        guard bytes.count < pathCapacity, !bytes.contains(0) else { return nil }
        for i in 0..<slotCount {
            guard states[i].compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged else { continue }
            let target = paths + i * pathCapacity
            bytes.withUnsafeBufferPointer { b in
                b.baseAddress.map { UnsafeMutableRawPointer(target).copyMemory(from: $0, byteCount: b.count) }
            }
            target[bytes.count] = 0
            states[i].store(2, ordering: .releasing)
            return i
        }
        return nil
    }

    /// Forgets the file of `slot` (it was renamed into place or removed).
    static func unregister(_ slot: Int) {
        _ = states[slot].compareExchange(expected: 2, desired: 0, ordering: .releasing)
    }

    /// Whether `path` is the live temporary file of some writer of this process.
    static func isLive(_ path: String) -> Bool {
        for i in 0..<slotCount where states[i].load(ordering: .acquiring) == 2 {
            if String(cString: paths + i * pathCapacity) == path { return true }
        }
        return false
    }

    /// Unlinks every live temporary file. Async-signal-safe.
    static func removeAll() {
        for i in 0..<slotCount where states[i].compareExchange(expected: 2, desired: 3, ordering: .acquiring).exchanged {
            _ = unlink(paths + i * pathCapacity)
        }
    }
}

/// Removes the live temporary files, then dies of `signal` as if it had not been caught.
private func temporaryFilesSignalHandler(_ signal: Int32) {
    let saved = errno
    TemporaryFiles.removeAll()
    var action = sigaction()
    action.__sigaction_handler.sa_handler = nil  // SIG_DFL
    sigemptyset(&action.sa_mask)
    _ = sigaction(signal, &action, nil)
    errno = saved
    _ = raise(signal)
}
