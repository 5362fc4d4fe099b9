// OpenBLAS core selection. Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not recognise
// recent Xeons (Sapphire/Emerald Rapids) and falls back to its generic "Prescott" SSE
// kernels, 5x slower than the AVX-512 ones. When that happens, and the user has not chosen
// a core with OPENBLAS_CORETYPE, pick the kernel set this CPU supports and re-initialise
// OpenBLAS's dispatch table, once, at load time, before any BLAS call or Swift code runs.
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

char *openblas_get_corename(void);
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);

static const char *best_core(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1) || __get_cpuid_max(0, 0) < 7) return NULL;
    int fma = (c >> 12) & 1;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 28) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
    if (avx512 && (lo & 0xe6) == 0xe6) return "SkylakeX";
    if (avx2 && fma && (lo & 0x6) == 0x6) return "Haswell";
    return NULL;
}

__attribute__((constructor)) static void sluice_select_openblas_core(void) {
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *current = openblas_get_corename();
    if (!current || strcmp(current, "Prescott") != 0) return;
    const char *core = best_core();
    if (!core) return;
    setenv("OPENBLAS_CORETYPE", core, 0);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
}
