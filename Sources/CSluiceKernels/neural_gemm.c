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

/// R rows (R ≤ 12) of NP (1 or 2) adjacent panels: R·NP zmm accumulators, one per 16 columns.
/// Only the last panel of a row can be partial: `m0`, `m1` mask the columns each panel holds
/// (the packed panel is zero padded, so the padding lanes are computed and not stored).
AVX512 __attribute__((always_inline)) static inline void block_avx512(const int R, const int NP, size_t k, const float *a,
                                                                     size_t lda, const float *bp, float *c, size_t ldc,
                                                                     __mmask16 m0, __mmask16 m1, int accumulate) {
    __m512 acc[12][2];
    const float *bq = bp + k * P;  // the second panel
    for (int r = 0; r < R; r++) {
        acc[r][0] = accumulate ? _mm512_maskz_loadu_ps(m0, c + r * ldc) : _mm512_setzero_ps();
        if (NP == 2) acc[r][1] = accumulate ? _mm512_maskz_loadu_ps(m1, c + r * ldc + P) : _mm512_setzero_ps();
    }
    for (size_t p = 0; p < k; p++) {
        const __m512 b0 = _mm512_loadu_ps(bp + p * P);
        const __m512 b1 = NP == 2 ? _mm512_loadu_ps(bq + p * P) : b0;
        for (int r = 0; r < R; r++) {
            const __m512 v = _mm512_set1_ps(a[r * lda + p]);
            acc[r][0] = _mm512_fmadd_ps(v, b0, acc[r][0]);
            if (NP == 2) acc[r][1] = _mm512_fmadd_ps(v, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < R; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        if (NP == 2) _mm512_mask_storeu_ps(c + r * ldc + P, m1, acc[r][1]);
    }
}

#define BLOCK_CASE(R)                                                                                  \
    case R:                                                                                            \
        if (np == 2) block_avx512(R, 2, k, ai, lda, bp, cq, ldc, m0, m1, accumulate);                  \
        else block_avx512(R, 1, k, ai, lda, bp, cq, ldc, m0, m1, accumulate);                          \
        break;

AVX512 static void gemm_avx512(size_t m, size_t k, size_t n, const float *a, size_t lda, const float *packed,
                               float *c, size_t ldc, int accumulate) {
    const size_t panels = (n + P - 1) / P, tail = n % P;
    const __mmask16 full = 0xFFFF, last = tail ? (__mmask16)((1u << tail) - 1) : full;
    for (size_t i = 0; i < m; i += 12) {
        const size_t rows = m - i < 12 ? m - i : 12;
        const float *ai = a + i * lda;
        for (size_t q = 0; q < panels; q += 2) {
            const size_t np = panels - q < 2 ? 1 : 2;
            const __mmask16 m0 = q == panels - 1 ? last : full, m1 = q + 1 == panels - 1 ? last : full;
            const float *bp = packed + q * k * P;
            float *cq = c + i * ldc + q * P;
            switch (rows) {
                BLOCK_CASE(12) BLOCK_CASE(11) BLOCK_CASE(10) BLOCK_CASE(9) BLOCK_CASE(8) BLOCK_CASE(7)
                BLOCK_CASE(6) BLOCK_CASE(5) BLOCK_CASE(4) BLOCK_CASE(3) BLOCK_CASE(2) default: BLOCK_CASE(1)
            }
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

/// Rows [i, i + R) × NP panels of 16 columns of C += Aᵀ B over p in [p0, p1): R·NP accumulators,
/// loaded from C (or zero on the first chunk) and stored back, so each element stays one chain.
AVX512 __attribute__((always_inline)) static inline void tn_block_avx512(const int R, const int NP, size_t p0, size_t p1,
                                                                        const float *a, size_t lda, const float *b,
                                                                        size_t ldb, float *c, size_t ldc, __mmask16 m0,
                                                                        __mmask16 m1, int first) {
    __m512 acc[12][2];
    for (int r = 0; r < R; r++) {
        acc[r][0] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, c + r * ldc);
        if (NP == 2) acc[r][1] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, c + r * ldc + P);
    }
    for (size_t p = p0; p < p1; p++) {
        const float *bp = b + p * ldb, *ap = a + p * lda;
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, bp);
        const __m512 b1 = NP == 2 ? _mm512_maskz_loadu_ps(m1, bp + P) : b0;
        for (int r = 0; r < R; r++) {
            const __m512 v = _mm512_set1_ps(ap[r]);
            acc[r][0] = _mm512_fmadd_ps(v, b0, acc[r][0]);
            if (NP == 2) acc[r][1] = _mm512_fmadd_ps(v, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < R; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        if (NP == 2) _mm512_mask_storeu_ps(c + r * ldc + P, m1, acc[r][1]);
    }
}

#define TN_CASE(R)                                                                                     \
    case R:                                                                                            \
        if (np == 2) tn_block_avx512(R, 2, p0, p1, a + i, lda, b + j, ldb, cij, ldc, m0, m1, first);   \
        else tn_block_avx512(R, 1, p0, p1, a + i, lda, b + j, ldb, cij, ldc, m0, m1, first);           \
        break;

/// Rows of B per pass over the tiles: a chunk of B (k_chunk × n) stays in L2 while every tile reads it.
#define TN_K_CHUNK 256

AVX512 static void gemm_tn_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                                  float *c, size_t ldc) {
    for (size_t p0 = 0; p0 < k; p0 += TN_K_CHUNK) {
        const size_t p1 = k - p0 < TN_K_CHUNK ? k : p0 + TN_K_CHUNK;
        const int first = p0 == 0;
        for (size_t i = 0; i < m; i += 12) {
            const size_t rows = m - i < 12 ? m - i : 12;
            for (size_t j = 0; j < n; j += 2 * P) {
                const size_t left = n - j;
                const size_t np = left > P ? 2 : 1;
                const __mmask16 m0 = left >= P ? 0xFFFF : (__mmask16)((1u << left) - 1);
                const __mmask16 m1 = left >= 2 * P ? 0xFFFF : left > P ? (__mmask16)((1u << (left - P)) - 1) : 0;
                float *cij = c + i * ldc + j;
                switch (rows) {
                    TN_CASE(12) TN_CASE(11) TN_CASE(10) TN_CASE(9) TN_CASE(8) TN_CASE(7)
                    TN_CASE(6) TN_CASE(5) TN_CASE(4) TN_CASE(3) TN_CASE(2) default: TN_CASE(1)
                }
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
