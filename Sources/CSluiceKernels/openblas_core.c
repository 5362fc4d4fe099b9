// OpenBLAS set-up, done once at load time, before any BLAS call or Swift code runs.
//
// 1. Core selection. Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not recognise
// recent Xeons (Sapphire/Emerald Rapids) and falls back to its generic "Prescott" SSE
// kernels, 5x slower than the AVX-512 ones; on AMD's AVX-512 CPUs (Zen 4, Zen 5) it picks
// its AVX2 "Haswell" or "Zen" kernels, which on a Zen 5 run sgemm at 0.4-0.5x and dgemm at
// 0.5-0.7x the speed of its AVX-512 "SkylakeX" ones (measured at 15488x64x288 and 2000^3).
// When the CPU (and the OS, per XCR0) supports AVX-512 F/DQ/CD/BW/VL but OpenBLAS chose a
// kernel set without it, or chose "Prescott" on an AVX2 CPU, and the user has not chosen a
// core with OPENBLAS_CORETYPE, pick the best kernel set this CPU supports and re-initialise
// OpenBLAS's dispatch table.
//
// 2. Idle-thread timeout. After each threaded BLAS call, OpenBLAS's worker threads spin in
// sched_yield for 2^28 cycles (~0.1 s) before they sleep. Sluice alternates short BLAS calls
// with its own loops (a network's per-batch element-wise work, a boosting histogram pass), so
// the spinning workers steal the core the next loop needs: 18-25% of a training profile. Unless
// the user has set OPENBLAS_THREAD_TIMEOUT (or GOTO_THREAD_TIMEOUT), Sluice sets it to 4, the
// smallest value OpenBLAS accepts (2^4 cycles: workers sleep almost at once and are woken by
// a condition variable). OpenBLAS reads the variable when it starts its thread pool, which its
// own constructor has already done, so the pool is shut down and started again with the new
// setting (blas_thread_init re-reads the environment).
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

char *openblas_get_corename(void);
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);
void openblas_read_env(void);
int blas_thread_init(void);
int blas_thread_shutdown_(void);

/// The idle timeout Sluice gives OpenBLAS's worker threads unless the user chose one.
#define SLUICE_OPENBLAS_THREAD_TIMEOUT "4"

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

/// Whether OpenBLAS's core `name` already uses AVX-512 kernels.
static int has_avx512_kernels(const char *name) {
    return !strcmp(name, "SkylakeX") || !strcmp(name, "Cooperlake") || !strcmp(name, "SapphireRapids");
}

static void sluice_select_openblas_core(void) {
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *current = openblas_get_corename();
    const char *core = best_core();
    if (!current || !core) return;
    const int upgrade = strcmp(current, "Prescott") == 0 || (strcmp(core, "SkylakeX") == 0 && !has_avx512_kernels(current));
    if (!upgrade) return;
    setenv("OPENBLAS_CORETYPE", core, 0);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
}

static void sluice_set_openblas_thread_timeout(void) {
    if (getenv("OPENBLAS_THREAD_TIMEOUT") || getenv("GOTO_THREAD_TIMEOUT")) return;
    setenv("OPENBLAS_THREAD_TIMEOUT", SLUICE_OPENBLAS_THREAD_TIMEOUT, 0);
    openblas_read_env();
    blas_thread_shutdown_();
    blas_thread_init();
}

__attribute__((constructor)) static void sluice_configure_openblas(void) {
    sluice_select_openblas_core();
    sluice_set_openblas_thread_timeout();
}
