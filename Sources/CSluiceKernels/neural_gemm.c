#include "neural_gemm.h"
#include "sluice_kernels.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define P SLUICE_NEURAL_PANEL

size_t sluice_neural_packed_size(size_t k, size_t n) { return k * P * ((n + P - 1) / P); }

void sluice_neural_pack_b(size_t k, size_t n, const float *w, size_t ldw, int transposed, float *packed) {
    const size_t panels = (n + P - 1) / P;
    for (size_t q = 0; q < panels; q++) {
        float *dst = packed + q * k * P;
        const size_t j0 = q * P, width = n - j0 < P ? n - j0 : P;
        for (size_t p = 0; p < k; p++) {
            float *row = dst + p * P;
            for (size_t j = 0; j < width; j++) row[j] = transposed ? w[(j0 + j) * ldw + p] : w[p * ldw + j0 + j];
            for (size_t j = width; j < P; j++) row[j] = 0;
        }
    }
}

/// R rows (R ≤ 6, a constant after inlining) of one full or partial panel: 2·R accumulators.
/// `c` points at the panel's first column; a partial panel (`width` < 16) goes through `tmp`.
AVX2 __attribute__((always_inline)) static inline void panel_avx2(const int R, size_t k, const float *a, size_t lda,
                                                                 const float *bp, float *c, size_t ldc, size_t width,
                                                                 int accumulate) {
    __m256 acc[6][2];
    float tmp[6][P];
    for (int r = 0; r < R; r++) {
        if (!accumulate) {
            acc[r][0] = _mm256_setzero_ps();
            acc[r][1] = _mm256_setzero_ps();
        } else if (width == P) {
            acc[r][0] = _mm256_loadu_ps(c + r * ldc);
            acc[r][1] = _mm256_loadu_ps(c + r * ldc + 8);
        } else {
            memset(tmp[r], 0, sizeof tmp[r]);
            memcpy(tmp[r], c + r * ldc, width * sizeof(float));
            acc[r][0] = _mm256_loadu_ps(tmp[r]);
            acc[r][1] = _mm256_loadu_ps(tmp[r] + 8);
        }
    }
    for (size_t p = 0; p < k; p++) {
        const __m256 b0 = _mm256_loadu_ps(bp + p * P), b1 = _mm256_loadu_ps(bp + p * P + 8);
        for (int r = 0; r < R; r++) {
            const __m256 v = _mm256_broadcast_ss(a + r * lda + p);
            acc[r][0] = _mm256_fmadd_ps(v, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(v, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < R; r++) {
        if (width == P) {
            _mm256_storeu_ps(c + r * ldc, acc[r][0]);
            _mm256_storeu_ps(c + r * ldc + 8, acc[r][1]);
        } else {
            _mm256_storeu_ps(tmp[r], acc[r][0]);
            _mm256_storeu_ps(tmp[r] + 8, acc[r][1]);
            memcpy(c + r * ldc, tmp[r], width * sizeof(float));
        }
    }
}

AVX2 static void gemm_avx2(size_t m, size_t k, size_t n, const float *a, size_t lda, const float *packed,
                           float *c, size_t ldc, int accumulate) {
    const size_t panels = (n + P - 1) / P;
    for (size_t i = 0; i < m; i += 6) {
        const size_t rows = m - i < 6 ? m - i : 6;
        const float *ai = a + i * lda;
        float *ci = c + i * ldc;
        for (size_t q = 0; q < panels; q++) {
            const float *bp = packed + q * k * P;
            const size_t width = n - q * P < P ? n - q * P : P;
            float *cq = ci + q * P;
            switch (rows) {
            case 6: panel_avx2(6, k, ai, lda, bp, cq, ldc, width, accumulate); break;
            case 5: panel_avx2(5, k, ai, lda, bp, cq, ldc, width, accumulate); break;
            case 4: panel_avx2(4, k, ai, lda, bp, cq, ldc, width, accumulate); break;
            case 3: panel_avx2(3, k, ai, lda, bp, cq, ldc, width, accumulate); break;
            case 2: panel_avx2(2, k, ai, lda, bp, cq, ldc, width, accumulate); break;
            default: panel_avx2(1, k, ai, lda, bp, cq, ldc, width, accumulate); break;
            }
        }
    }
}

#define AVX512 __attribute__((target("avx512f")))

/// One register tile of C: R rows (R ≤ 12, a constant after inlining) × NP (1 or 2) groups of
/// 16 columns, R·NP zmm accumulators, summed over p in [p0, p1). Element (r, p) of A is at
/// `a + r·ar + p·ap` (a row-major A: ar = lda, ap = 1; Aᵀ: ar = 1, ap = lda); row p of the 32
/// B columns at `b + p·bs`, the second 16 `b2` floats further (a packed panel: bs = 16, b2 = k·16;
/// a row-major B: bs = ldb, b2 = 16). `m0`, `m1` mask the columns each group holds (only a row's
/// last group can be partial). The accumulators start from C when `load`, else from zero, and
/// go back to C: each element stays one FMA chain in p order across calls over successive p ranges.
AVX512 __attribute__((always_inline)) static inline void tile_avx512(const int R, const int NP, size_t p0, size_t p1,
                                                                    const float *a, size_t ar, size_t ap,
                                                                    const float *b, size_t bs, size_t b2, float *c,
                                                                    size_t ldc, __mmask16 m0, __mmask16 m1, int load) {
    __m512 acc[12][2];
    for (int r = 0; r < R; r++) {
        acc[r][0] = load ? _mm512_maskz_loadu_ps(m0, c + r * ldc) : _mm512_setzero_ps();
        if (NP == 2) acc[r][1] = load ? _mm512_maskz_loadu_ps(m1, c + r * ldc + P) : _mm512_setzero_ps();
    }
    for (size_t p = p0; p < p1; p++) {
        const float *bp = b + p * bs, *apv = a + p * ap;
        const __m512 v0 = _mm512_maskz_loadu_ps(m0, bp);
        const __m512 v1 = NP == 2 ? _mm512_maskz_loadu_ps(m1, bp + b2) : v0;
        for (int r = 0; r < R; r++) {
            const __m512 v = _mm512_set1_ps(apv[r * ar]);
            acc[r][0] = _mm512_fmadd_ps(v, v0, acc[r][0]);
            if (NP == 2) acc[r][1] = _mm512_fmadd_ps(v, v1, acc[r][1]);
        }
    }
    for (int r = 0; r < R; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        if (NP == 2) _mm512_mask_storeu_ps(c + r * ldc + P, m1, acc[r][1]);
    }
}

/// `tile_avx512` for `rows` (1…12) and `np` known at run time: one case per constant shape.
#define TILE_CASE(R)                                                                                   \
    case R:                                                                                            \
        if (np == 2) tile_avx512(R, 2, p0, p1, a, ar, ap, b, bs, b2, c, ldc, m0, m1, load);            \
        else tile_avx512(R, 1, p0, p1, a, ar, ap, b, bs, b2, c, ldc, m0, m1, load);                    \
        break;

AVX512 static void tile_dispatch_avx512(size_t rows, size_t np, size_t p0, size_t p1, const float *a, size_t ar,
                                        size_t ap, const float *b, size_t bs, size_t b2, float *c, size_t ldc,
                                        __mmask16 m0, __mmask16 m1, int load) {
    switch (rows) {
        TILE_CASE(12) TILE_CASE(11) TILE_CASE(10) TILE_CASE(9) TILE_CASE(8) TILE_CASE(7)
        TILE_CASE(6) TILE_CASE(5) TILE_CASE(4) TILE_CASE(3) TILE_CASE(2) default: TILE_CASE(1)
    }
}

/// The column masks of the two 16-column groups starting at column j of n.
static inline void group_masks(size_t j, size_t n, size_t *np, __mmask16 *m0, __mmask16 *m1) {
    const size_t left = n - j;
    *np = left > P ? 2 : 1;
    *m0 = left >= P ? 0xFFFF : (__mmask16)((1u << left) - 1);
    *m1 = left >= 2 * P ? 0xFFFF : left > P ? (__mmask16)((1u << (left - P)) - 1) : 0;
}

AVX512 static void gemm_avx512(size_t m, size_t k, size_t n, const float *a, size_t lda, const float *packed,
                               float *c, size_t ldc, int accumulate) {
    for (size_t i = 0; i < m; i += 12) {
        const size_t rows = m - i < 12 ? m - i : 12;
        for (size_t j = 0; j < n; j += 2 * P) {
            size_t np;
            __mmask16 m0, m1;
            group_masks(j, n, &np, &m0, &m1);
            tile_dispatch_avx512(rows, np, 0, k, a + i * lda, lda, 1, packed + (j / P) * k * P, P, k * P,
                                 c + i * ldc + j, ldc, m0, m1, accumulate);
        }
    }
}

void sluice_neural_gemm_packed(size_t m, size_t k, size_t n, const float *a, size_t lda, const float *packed,
                               float *c, size_t ldc, int accumulate) {
    if (sluice_kernels_vector_bits() >= 512) {
        gemm_avx512(m, k, n, a, lda, packed, c, ldc, accumulate);
        return;
    }
    if (sluice_kernels_vector_bits() >= 256) {
        gemm_avx2(m, k, n, a, lda, packed, c, ldc, accumulate);
        return;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            const float *bp = packed + (j / P) * k * P + j % P;
            float s = accumulate ? c[i * ldc + j] : 0.0f;
            for (size_t p = 0; p < k; p++) s = fmaf(a[i * lda + p], bp[p * P], s);
            c[i * ldc + j] = s;
        }
    }
}

/// Rows of B per pass over the tiles: a chunk of B (k_chunk × n) stays in L2 while every tile reads it.
#define TN_K_CHUNK 256

AVX512 static void gemm_tn_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                                  float *c, size_t ldc) {
    for (size_t p0 = 0; p0 < k; p0 += TN_K_CHUNK) {
        const size_t p1 = k - p0 < TN_K_CHUNK ? k : p0 + TN_K_CHUNK;
        for (size_t i = 0; i < m; i += 12) {
            const size_t rows = m - i < 12 ? m - i : 12;
            for (size_t j = 0; j < n; j += 2 * P) {
                size_t np;
                __mmask16 m0, m1;
                group_masks(j, n, &np, &m0, &m1);
                tile_dispatch_avx512(rows, np, p0, p1, a + i, 1, lda, b + j, ldb, P, c + i * ldc + j, ldc, m0, m1,
                                     p0 > 0);
            }
        }
    }
}

void sluice_neural_gemm_tn(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                           float *c, size_t ldc) {
    if (sluice_kernels_vector_bits() >= 512 && k > 0) {
        gemm_tn_avx512(m, n, k, a, lda, b, ldb, c, ldc);
        return;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            float s = 0.0f;
            for (size_t p = 0; p < k; p++) s = fmaf(a[p * lda + i], b[p * ldb + j], s);
            c[i * ldc + j] = s;
        }
    }
}
