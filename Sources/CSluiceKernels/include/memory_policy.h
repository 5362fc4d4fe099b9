// Sluice's malloc policy (memory_policy.c).
#ifndef SLUICE_MEMORY_POLICY_H
#define SLUICE_MEMORY_POLICY_H

/// Enters a phase that frees and reallocates the same large blocks over and over (a
/// network's batches): until the matching `sluice_memory_retain_end`, freed blocks up to
/// 32 MiB stay in the heap for the next request instead of going back to the system.
/// Calls nest, from any thread.
void sluice_memory_retain_begin(void);
/// Leaves the phase: the threshold returns to 1 MiB and the heap's free memory is released.
void sluice_memory_retain_end(void);

#endif
