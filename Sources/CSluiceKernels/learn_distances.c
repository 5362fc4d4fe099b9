#include "learn_distances.h"
#include "sluice_kernels.h"
#include <immintrin.h>
#include <math.h>

#pragma STDC FP_CONTRACT OFF

#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma")))

// Four rows at a time against up to 8 (AVX-512) or 4 (AVX2) centres per vector: four
// independent FMA chains hide the latency; each x value is broadcast, the centres' feature
// row loaded once for the four rows.
AVX512 static void sqdist_512(const double *x, size_t ldx, size_t m, size_t p, const double *ct, size_t k, double *out) {
    for (size_t j0 = 0; j0 < k; j0 += 8) {
        const size_t lanes = k - j0 < 8 ? k - j0 : 8;
        const __mmask8 mask = (__mmask8)((1u << lanes) - 1);
        size_t r = 0;
        for (; r + 4 <= m; r += 4) {
            const double *x0 = x + r * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
            __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
            for (size_t t = 0; t < p; t++) {
                const __m512d c = _mm512_maskz_loadu_pd(mask, ct + t * k + j0);
                const __m512d d0 = _mm512_sub_pd(_mm512_set1_pd(x0[t]), c), d1 = _mm512_sub_pd(_mm512_set1_pd(x1[t]), c);
                const __m512d d2 = _mm512_sub_pd(_mm512_set1_pd(x2[t]), c), d3 = _mm512_sub_pd(_mm512_set1_pd(x3[t]), c);
                a0 = _mm512_fmadd_pd(d0, d0, a0);
                a1 = _mm512_fmadd_pd(d1, d1, a1);
                a2 = _mm512_fmadd_pd(d2, d2, a2);
                a3 = _mm512_fmadd_pd(d3, d3, a3);
            }
            _mm512_mask_storeu_pd(out + r * k + j0, mask, a0);
            _mm512_mask_storeu_pd(out + (r + 1) * k + j0, mask, a1);
            _mm512_mask_storeu_pd(out + (r + 2) * k + j0, mask, a2);
            _mm512_mask_storeu_pd(out + (r + 3) * k + j0, mask, a3);
        }
        for (; r < m; r++) {
            const double *x0 = x + r * ldx;
            __m512d a0 = _mm512_setzero_pd();
            for (size_t t = 0; t < p; t++) {
                const __m512d d0 = _mm512_sub_pd(_mm512_set1_pd(x0[t]), _mm512_maskz_loadu_pd(mask, ct + t * k + j0));
                a0 = _mm512_fmadd_pd(d0, d0, a0);
            }
            _mm512_mask_storeu_pd(out + r * k + j0, mask, a0);
        }
    }
}

AVX2 static void sqdist_256(const double *x, size_t ldx, size_t m, size_t p, const double *ct, size_t k, double *out) {
    for (size_t j0 = 0; j0 < k; j0 += 4) {
        const size_t lanes = k - j0 < 4 ? k - j0 : 4;
        const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)lanes), _mm256_setr_epi64x(0, 1, 2, 3));
        size_t r = 0;
        for (; r + 4 <= m; r += 4) {
            const double *x0 = x + r * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
            __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
            for (size_t t = 0; t < p; t++) {
                const __m256d c = _mm256_maskload_pd(ct + t * k + j0, mask);
                const __m256d d0 = _mm256_sub_pd(_mm256_set1_pd(x0[t]), c), d1 = _mm256_sub_pd(_mm256_set1_pd(x1[t]), c);
                const __m256d d2 = _mm256_sub_pd(_mm256_set1_pd(x2[t]), c), d3 = _mm256_sub_pd(_mm256_set1_pd(x3[t]), c);
                a0 = _mm256_fmadd_pd(d0, d0, a0);
                a1 = _mm256_fmadd_pd(d1, d1, a1);
                a2 = _mm256_fmadd_pd(d2, d2, a2);
                a3 = _mm256_fmadd_pd(d3, d3, a3);
            }
            _mm256_maskstore_pd(out + r * k + j0, mask, a0);
            _mm256_maskstore_pd(out + (r + 1) * k + j0, mask, a1);
            _mm256_maskstore_pd(out + (r + 2) * k + j0, mask, a2);
            _mm256_maskstore_pd(out + (r + 3) * k + j0, mask, a3);
        }
        for (; r < m; r++) {
            const double *x0 = x + r * ldx;
            __m256d a0 = _mm256_setzero_pd();
            for (size_t t = 0; t < p; t++) {
                const __m256d d0 = _mm256_sub_pd(_mm256_set1_pd(x0[t]), _mm256_maskload_pd(ct + t * k + j0, mask));
                a0 = _mm256_fmadd_pd(d0, d0, a0);
            }
            _mm256_maskstore_pd(out + r * k + j0, mask, a0);
        }
    }
}

static void sqdist_scalar(const double *x, size_t ldx, size_t m, size_t p, const double *ct, size_t k, double *out) {
    for (size_t r = 0; r < m; r++) {
        for (size_t j = 0; j < k; j++) {
            double s = 0;
            for (size_t t = 0; t < p; t++) {
                const double d = x[r * ldx + t] - ct[t * k + j];
                s = fma(d, d, s);
            }
            out[r * k + j] = s;
        }
    }
}

void sluice_sqdist_f64(const double *x, size_t ldx, size_t m, size_t p, const double *ct, size_t k, double *out) {
    switch (sluice_kernels_vector_bits()) {
    case 512: sqdist_512(x, ldx, m, p, ct, k, out); return;
    case 256: sqdist_256(x, ldx, m, p, ct, k, out); return;
    default: sqdist_scalar(x, ldx, m, p, ct, k, out);
    }
}

// Four rows' chains side by side (scalar FMAs: the centres differ by row).
#define LABELLED_SUM(NAME, ATTR)                                                                       \
    ATTR static double NAME(const double *x, size_t m, size_t p, const double *c, const ptrdiff_t *labels, \
                            const double *w) {                                                         \
        double total = 0;                                                                              \
        size_t r = 0;                                                                                  \
        for (; r + 4 <= m; r += 4) {                                                                   \
            const double *x0 = x + r * p, *x1 = x0 + p, *x2 = x1 + p, *x3 = x2 + p;                    \
            const double *c0 = c + labels[r] * p, *c1 = c + labels[r + 1] * p;                         \
            const double *c2 = c + labels[r + 2] * p, *c3 = c + labels[r + 3] * p;                     \
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                     \
            for (size_t t = 0; t < p; t++) {                                                           \
                const double d0 = x0[t] - c0[t], d1 = x1[t] - c1[t], d2 = x2[t] - c2[t], d3 = x3[t] - c3[t]; \
                s0 = fma(d0, d0, s0);                                                                  \
                s1 = fma(d1, d1, s1);                                                                  \
                s2 = fma(d2, d2, s2);                                                                  \
                s3 = fma(d3, d3, s3);                                                                  \
            }                                                                                          \
            if (w) {                                                                                   \
                s0 = w[r] * s0;                                                                        \
                s1 = w[r + 1] * s1;                                                                    \
                s2 = w[r + 2] * s2;                                                                    \
                s3 = w[r + 3] * s3;                                                                    \
            }                                                                                          \
            total += s0;                                                                               \
            total += s1;                                                                               \
            total += s2;                                                                               \
            total += s3;                                                                               \
        }                                                                                              \
        for (; r < m; r++) {                                                                           \
            const double *x0 = x + r * p, *c0 = c + labels[r] * p;                                     \
            double s0 = 0;                                                                             \
            for (size_t t = 0; t < p; t++) {                                                           \
                const double d0 = x0[t] - c0[t];                                                       \
                s0 = fma(d0, d0, s0);                                                                  \
            }                                                                                          \
            total += w ? w[r] * s0 : s0;                                                               \
        }                                                                                              \
        return total;                                                                                  \
    }
LABELLED_SUM(labelled_avx2, AVX2)
LABELLED_SUM(labelled_scalar, )

double sluice_labelled_sqdist_sum_f64(const double *x, size_t m, size_t p, const double *c, const ptrdiff_t *labels,
                                      const double *w) {
    return sluice_kernels_vector_bits() >= 256 ? labelled_avx2(x, m, p, c, labels, w)
                                               : labelled_scalar(x, m, p, c, labels, w);
}

#define NEAREST(NAME, ATTR)                                                                              \
    ATTR static void NAME(const double *dist, size_t m, size_t k, const double *x, size_t p, const double *w, \
                          ptrdiff_t *labels, double *sums, double *mass) {                                  \
        for (size_t r = 0; r < m; r++) {                                                                  \
            const double *d = dist + r * k;                                                               \
            size_t best = 0;                                                                              \
            double value = d[0];                                                                          \
            for (size_t j = 1; j < k; j++) {                                                              \
                if (d[j] < value) {                                                                       \
                    value = d[j];                                                                         \
                    best = j;                                                                             \
                }                                                                                         \
            }                                                                                             \
            labels[r] = (ptrdiff_t)best;                                                                    \
            if (!sums) continue;                                                                          \
            const double *a = x + r * p;                                                                  \
            double *s = sums + best * p;                                                                  \
            if (w) {                                                                                      \
                const double weight = w[r];                                                               \
                mass[best] += weight;                                                                     \
                for (size_t t = 0; t < p; t++) {                                                          \
                    const double v = weight * a[t];                                                       \
                    s[t] += v;                                                                            \
                }                                                                                         \
            } else {                                                                                      \
                mass[best] += 1;                                                                          \
                for (size_t t = 0; t < p; t++) s[t] += a[t];                                              \
            }                                                                                             \
        }                                                                                                 \
    }
NEAREST(nearest_512, AVX512)
NEAREST(nearest_256, AVX2)
NEAREST(nearest_scalar, )

void sluice_nearest_accumulate_f64(const double *dist, size_t m, size_t k, const double *x, size_t p, const double *w,
                                   ptrdiff_t *labels, double *sums, double *mass) {
    switch (sluice_kernels_vector_bits()) {
    case 512: nearest_512(dist, m, k, x, p, w, labels, sums, mass); return;
    case 256: nearest_256(dist, m, k, x, p, w, labels, sums, mass); return;
    default: nearest_scalar(dist, m, k, x, p, w, labels, sums, mass);
    }
}
