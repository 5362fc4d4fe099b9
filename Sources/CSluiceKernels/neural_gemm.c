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

void sluice_neural_gemm_packed(size_t m, size_t k, size_t n, const float *a, size_t lda, const float *packed,
                               float *c, size_t ldc, int accumulate) {
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
