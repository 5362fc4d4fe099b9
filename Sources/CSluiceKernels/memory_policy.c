// Memory policy: large blocks go back to the system when freed, except while a phase reuses them.
//
// glibc serves a request above its mmap threshold (128 KiB at start) by mmap and unmaps it
// on free, but it raises that threshold to the size of each mmapped block freed, up to
// 32 MiB. After the first multi-megabyte column is freed, every later column comes from the
// heap, and freed heap memory stays resident: a nightly run that freed its training frame
// kept the whole frame in its RSS while it fitted and scored. Fixing the threshold at 1 MiB
// (which also stops the adjustment) returns each freed column and matrix at once, so RSS
// follows the data actually alive. Blocks under 1 MiB (batch-sized buffers reused from one
// batch to the next) stay in the heap. Users who tune malloc themselves keep their choice:
// nothing is changed when MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES is set.
//
// The exception is a phase that frees and allocates the same multi-megabyte buffers at
// every step: a network's forward and backward pass per batch (an im2col matrix of 18 MB,
// activations of 11 MB). Unmapped on each free, every one is mapped again and faulted in
// page by page, zeroed by the kernel: half of a CNN's training time went to page faults.
// Between sluice_memory_retain_begin and _end the threshold is 32 MiB (glibc's maximum) and
// the heap is not trimmed, so each batch reuses the previous one's blocks; RSS stays at the
// peak of one batch, which it reaches anyway. At the end the policy returns and the free
// heap memory is released (malloc_trim).
#include "memory_policy.h"
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

#define SLUICE_MMAP_THRESHOLD (1 << 20)
#define SLUICE_RETAIN_MMAP_THRESHOLD (32 << 20)
#define GLIBC_DEFAULT_TRIM_THRESHOLD (128 << 10)

static int user_tuned;
static atomic_int retain_depth;

__attribute__((constructor)) static void sluice_memory_policy(void) {
    user_tuned = getenv("MALLOC_MMAP_THRESHOLD_") || getenv("GLIBC_TUNABLES") || getenv("MALLOC_TRIM_THRESHOLD_");
    if (user_tuned) return;
    mallopt(M_MMAP_THRESHOLD, SLUICE_MMAP_THRESHOLD);
}

void sluice_memory_retain_begin(void) {
    if (user_tuned) return;
    if (atomic_fetch_add(&retain_depth, 1) == 0) {
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_MMAP_THRESHOLD, SLUICE_RETAIN_MMAP_THRESHOLD);
    }
}

void sluice_memory_retain_end(void) {
    if (user_tuned) return;
    if (atomic_fetch_sub(&retain_depth, 1) == 1) {
        mallopt(M_MMAP_THRESHOLD, SLUICE_MMAP_THRESHOLD);
        mallopt(M_TRIM_THRESHOLD, GLIBC_DEFAULT_TRIM_THRESHOLD);
        malloc_trim(0);
    }
}
