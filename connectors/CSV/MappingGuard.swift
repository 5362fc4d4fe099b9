import Glibc
import Synchronization

/// Keeps a file mapping from killing the process when the file shrinks under it.
///
/// Reading a page of a mapping past the end of a file that was truncated after it was
/// mapped raises SIGBUS. While a ``FileBytes`` mapping is registered here, a SIGBUS handler
/// (installed once, `SA_SIGINFO`) checks the faulting address: inside a registered mapping,
/// it maps anonymous zero pages over the rest of that mapping (so the read goes on, seeing
/// zeros), marks the mapping faulted and returns; the reader then reports the file as
/// truncated (``CSVError/Kind/truncated``, exit 74) instead of any value it parsed. Any other
/// SIGBUS gets the default action back and is raised again: a real bug still crashes.
///
/// The handler only reads preallocated atomic slots and calls `mmap(2)` (a system call),
/// so it is safe in a signal context; the mapping stays registered until it is unmapped.
enum MappingGuard {
    static let slotCount = 64

    /// Per slot: 0 free, 1 filling, 2 live; base address; length; faulted (0 / 1).
    nonisolated(unsafe) static let states = make()
    nonisolated(unsafe) static let bases = make()
    nonisolated(unsafe) static let lengths = make()
    nonisolated(unsafe) static let faults = make()

    private static func make() -> UnsafeMutablePointer<Atomic<Int>> {
        let p = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: slotCount)
        for i in 0..<slotCount { (p + i).initialize(to: Atomic(0)) }
        return p
    }

    static let installed: Bool = {
        _ = (states, bases, lengths, faults)
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = mappingGuardHandler
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_SIGINFO | SA_NODEFER
        return sigaction(SIGBUS, &action, nil) == 0
    }()

    /// Registers the mapping at `base` of `length` bytes; returns its slot (`nil`: unguarded,
    /// when 64 mappings are live at once).
    static func register(_ base: UnsafeMutableRawPointer, length: Int) -> Int? {
        guard installed else { return nil }
        for i in 0..<slotCount where states[i].compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
            bases[i].store(Int(bitPattern: base), ordering: .relaxed)
            lengths[i].store(length, ordering: .relaxed)
            faults[i].store(0, ordering: .relaxed)
            states[i].store(2, ordering: .releasing)
            return i
        }
        return nil
    }

    /// Whether a read of the mapping in `slot` faulted (the file shrank).
    static func faulted(_ slot: Int) -> Bool { faults[slot].load(ordering: .acquiring) != 0 }

    /// Forgets `slot`; call before unmapping.
    static func unregister(_ slot: Int) { states[slot].store(0, ordering: .releasing) }

    /// The handler's work: `true` when the fault was inside a guarded mapping and is fixed.
    static func repair(_ address: Int) -> Bool {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        for i in 0..<slotCount where states[i].load(ordering: .acquiring) == 2 {
            let base = bases[i].load(ordering: .relaxed), length = lengths[i].load(ordering: .relaxed)
            guard address >= base && address < base + length else { continue }
            let from = address / page * page
            let end = (base + length + page - 1) / page * page
            guard let at = UnsafeMutableRawPointer(bitPattern: from) else { return false }
            let m = mmap(at, end - from, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
            if m == MAP_FAILED { return false }
            faults[i].store(1, ordering: .releasing)
            return true
        }
        return false
    }
}

private func mappingGuardHandler(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    let saved = errno
    defer { errno = saved }
    if let address = info?.pointee._sifields._sigfault.si_addr, MappingGuard.repair(Int(bitPattern: address)) { return }
    // Not ours: the default action, taken when the faulting instruction runs again.
    var action = sigaction()
    action.__sigaction_handler.sa_handler = nil
    sigemptyset(&action.sa_mask)
    _ = sigaction(SIGBUS, &action, nil)
}
