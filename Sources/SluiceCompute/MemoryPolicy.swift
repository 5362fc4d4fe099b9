import CSluiceKernels

/// Sluice's malloc policy (CSluiceKernels' `memory_policy.c`).
///
/// By default, a freed block of 1 MiB or more goes back to the system at once, so a nightly
/// run's RSS follows the data actually alive. A loop that frees and allocates the same
/// multi-megabyte buffers at every step (a network's batches) would then map them again and
/// fault every page in at each step; it runs its steps inside ``reusingFreedBlocks(_:)``.
/// Nothing changes when the user tunes malloc (`MALLOC_MMAP_THRESHOLD_`,
/// `MALLOC_TRIM_THRESHOLD_` or `GLIBC_TUNABLES` set).
public enum MemoryPolicy {
    /// Runs `body` with freed blocks of up to 32 MiB kept in the heap for the next request,
    /// and the heap untrimmed; afterwards the default policy returns and free heap memory is
    /// released. Calls nest, from any thread (the policy is the process's).
    public static func reusingFreedBlocks<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        sluice_memory_retain_begin()
        defer { sluice_memory_retain_end() }
        return try body()
    }
}
