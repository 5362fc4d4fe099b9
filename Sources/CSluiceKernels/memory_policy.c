// Memory policy: large blocks go back to the system when freed.
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
#include <malloc.h>
#include <stdlib.h>

__attribute__((constructor)) static void sluice_memory_policy(void) {
    if (getenv("MALLOC_MMAP_THRESHOLD_") || getenv("GLIBC_TUNABLES")) return;
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
}
