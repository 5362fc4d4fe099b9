#include "sluice_kernels.h"
#include <immintrin.h>
#include <math.h>
#include <cpuid.h>

// libmvec's vector variants (x86_64 vector function ABI): e = AVX-512, d = AVX2.
#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma")))
#define DECLARE(fn)                                            \
    AVX512 __m512d _ZGVeN8v_##fn(__m512d);                     \
    AVX2 __m256d _ZGVdN4v_##fn(__m256d);                       \
    AVX512 __m512 _ZGVeN16v_##fn##f(__m512);                   \
    AVX2 __m256 _ZGVdN8v_##fn##f(__m256);
DECLARE(exp)
DECLARE(log)
DECLARE(tanh)
DECLARE(expm1)
DECLARE(log1p)

static int level = -1;  // 2 = AVX-512F, 1 = AVX2, 0 = scalar

static int detect_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1;
    if (!osxsave || __get_cpuid_max(0, 0) < 7) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    int os_avx = (lo & 0x6) == 0x6, os_avx512 = (lo & 0xe6) == 0xe6;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;
    if (avx512f && os_avx512) return 2;
    if (avx2 && fma && os_avx) return 1;
    return 0;
}

static int vector_level(void) {
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        l = detect_level();
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
}

int sluice_kernels_vector_bits(void) {
    static const int bits[] = {0, 256, 512};
    return bits[vector_level()];
}

#define KERNEL(fn)                                                                                  \
    AVX512 static void fn##_f64_512(const double *x, double *y, size_t n) { \
        size_t i = 0;                                                                              \
        for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_##fn(_mm512_loadu_pd(x + i)));  \
        for (; i < n; i++) y[i] = fn(x[i]);                                                         \
    }                                                                                              \
    AVX2 static void fn##_f64_256(const double *x, double *y, size_t n) { \
        size_t i = 0;                                                                              \
        for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_##fn(_mm256_loadu_pd(x + i)));  \
        for (; i < n; i++) y[i] = fn(x[i]);                                                         \
    }                                                                                              \
    AVX512 static void fn##_f32_512(const float *x, float *y, size_t n) { \
        size_t i = 0;                                                                              \
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_##fn##f(_mm512_loadu_ps(x + i))); \
        for (; i < n; i++) y[i] = fn##f(x[i]);                                                      \
    }                                                                                              \
    AVX2 static void fn##_f32_256(const float *x, float *y, size_t n) { \
        size_t i = 0;                                                                              \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_##fn##f(_mm256_loadu_ps(x + i))); \
        for (; i < n; i++) y[i] = fn##f(x[i]);                                                      \
    }                                                                                              \
    void sluice_##fn##_f64(const double *x, double *y, size_t n) {                                  \
        switch (vector_level()) {                                                                  \
        case 2: fn##_f64_512(x, y, n); return;                                                      \
        case 1: fn##_f64_256(x, y, n); return;                                                      \
        default: for (size_t i = 0; i < n; i++) y[i] = fn(x[i]);                                    \
        }                                                                                          \
    }                                                                                              \
    void sluice_##fn##_f32(const float *x, float *y, size_t n) {                                    \
        switch (vector_level()) {                                                                  \
        case 2: fn##_f32_512(x, y, n); return;                                                      \
        case 1: fn##_f32_256(x, y, n); return;                                                      \
        default: for (size_t i = 0; i < n; i++) y[i] = fn##f(x[i]);                                 \
        }                                                                                          \
    }

KERNEL(exp)
KERNEL(log)
KERNEL(tanh)
KERNEL(expm1)
KERNEL(log1p)

// max(x, 0) with NaN kept: written as a select the compiler turns into MAXPD/MAXPS.
__attribute__((target_clones("avx512f", "avx2", "default")))
void sluice_relu_f64(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 0.0 > x[i] ? 0.0 : x[i];
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void sluice_relu_f32(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 0.0f > x[i] ? 0.0f : x[i];
}
