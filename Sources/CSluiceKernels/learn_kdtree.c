#include "learn_kdtree.h"
#include "sluice_kernels.h"
#include <immintrin.h>
#include <math.h>

#pragma STDC FP_CONTRACT OFF

#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma")))

// The most points whose distances one call of a leaf kernel computes.
#define BLOCK 64

// out[i] = Σⱼ (cols[j·n + start + i] − q[j])² (or |·|), j in order, for i < count ≤ BLOCK.
static inline void leaf_scalar(const double *cols, size_t n, size_t d, size_t start, size_t count, const double *q,
                        int manhattan, double *out) {
    for (size_t i = 0; i < count; i++) {
        double s = 0;
        for (size_t j = 0; j < d; j++) {
            const double t = cols[j * n + start + i] - q[j];
            s += manhattan ? fabs(t) : t * t;
        }
        out[i] = s;
    }
}

AVX512 static inline void leaf_512(const double *cols, size_t n, size_t d, size_t start, size_t count, const double *q,
                            int manhattan, double *out) {
    for (size_t i = 0; i < count; i += 8) {
        const size_t lanes = count - i < 8 ? count - i : 8;
        const __mmask8 mask = (__mmask8)((1u << lanes) - 1);
        __m512d s = _mm512_setzero_pd();
        for (size_t j = 0; j < d; j++) {
            const __m512d t = _mm512_sub_pd(_mm512_maskz_loadu_pd(mask, cols + j * n + start + i), _mm512_set1_pd(q[j]));
            s = _mm512_add_pd(s, manhattan ? _mm512_abs_pd(t) : _mm512_mul_pd(t, t));
        }
        _mm512_mask_storeu_pd(out + i, mask, s);
    }
}

AVX2 static inline void leaf_256(const double *cols, size_t n, size_t d, size_t start, size_t count, const double *q,
                          int manhattan, double *out) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        __m256d s = _mm256_setzero_pd();
        for (size_t j = 0; j < d; j++) {
            const __m256d t = _mm256_sub_pd(_mm256_loadu_pd(cols + j * n + start + i), _mm256_set1_pd(q[j]));
            s = _mm256_add_pd(s, manhattan ? _mm256_andnot_pd(sign, t) : _mm256_mul_pd(t, t));
        }
        _mm256_storeu_pd(out + i, s);
    }
    if (i < count) leaf_scalar(cols, n, d, start + i, count - i, q, manhattan, out + i);
}

// Σⱼ gapⱼ² (or gapⱼ) in order, gapⱼ = max(lo[j] − q[j], q[j] − hi[j], 0): the distance from q
// to the box (0 for a NaN coordinate). The vector paths compute the gaps a vector at a time
// (the same values: max picks the one positive difference or 0) and sum them in order.
static inline double box_scalar(const double *lo, const double *hi, size_t d, const double *q, int manhattan) {
    double s = 0;
    for (size_t j = 0; j < d; j++) {
        const double v = q[j];
        const double gap = v < lo[j] ? lo[j] - v : (v > hi[j] ? v - hi[j] : 0);
        s += manhattan ? gap : gap * gap;
    }
    return s;
}

AVX512 static inline double box_512(const double *lo, const double *hi, size_t d, const double *q, int manhattan) {
    double g[8], s = 0;
    for (size_t j0 = 0; j0 < d; j0 += 8) {
        const size_t lanes = d - j0 < 8 ? d - j0 : 8;
        const __mmask8 mask = (__mmask8)((1u << lanes) - 1);
        const __m512d v = _mm512_maskz_loadu_pd(mask, q + j0);
        const __m512d a = _mm512_sub_pd(_mm512_maskz_loadu_pd(mask, lo + j0), v);
        const __m512d b = _mm512_sub_pd(v, _mm512_maskz_loadu_pd(mask, hi + j0));
        // max(x, y) is y when either is NaN: a NaN gap becomes the 0.
        const __m512d gap = _mm512_max_pd(_mm512_max_pd(a, b), _mm512_setzero_pd());
        _mm512_storeu_pd(g, manhattan ? gap : _mm512_mul_pd(gap, gap));
        for (size_t j = 0; j < lanes; j++) s += g[j];
    }
    return s;
}

AVX2 static inline double box_256(const double *lo, const double *hi, size_t d, const double *q, int manhattan) {
    double g[4], s = 0;
    size_t j0 = 0;
    for (; j0 + 4 <= d; j0 += 4) {
        const __m256d v = _mm256_loadu_pd(q + j0);
        const __m256d a = _mm256_sub_pd(_mm256_loadu_pd(lo + j0), v), b = _mm256_sub_pd(v, _mm256_loadu_pd(hi + j0));
        const __m256d gap = _mm256_max_pd(_mm256_max_pd(a, b), _mm256_setzero_pd());
        _mm256_storeu_pd(g, manhattan ? gap : _mm256_mul_pd(gap, gap));
        for (size_t j = 0; j < 4; j++) s += g[j];
    }
    // The tail continues the same ordered sum.
    for (; j0 < d; j0++) {
        const double v = q[j0];
        const double gap = v < lo[j0] ? lo[j0] - v : (v > hi[j0] ? v - hi[j0] : 0);
        s += manhattan ? gap : gap * gap;
    }
    return s;
}

// The descent, written once and compiled for each instruction set (`isa`: 2 AVX-512, 1 AVX2,
// 0 scalar) so that the leaf and box kernels inline. A child holding the query's own tree
// position `self` (≥ 0 for a member query) contains the query: its box distance is 0 without
// computing it (the computed sum would be 0 too).
static inline __attribute__((always_inline)) void nearest_body(
    const int isa, const sluice_kdtree *t, const double *q, size_t k, ptrdiff_t self, ptrdiff_t exclude,
    int manhattan, const int32_t *codes, size_t ncodes, size_t rows, ptrdiff_t member, double penalty2,
    double *bd, ptrdiff_t *bi, ptrdiff_t *sn, double *sb) {
    const size_t d = t->d;
#define BOX(node)                                                                                        \
    (self >= t->nodes[node].start && self < t->nodes[node].end                                            \
         ? 0.0                                                                                            \
         : (isa == 2 ? box_512 : isa == 1 ? box_256 : box_scalar)(t->bounds + 2 * (size_t)(node) * d,     \
                                                                  t->bounds + (2 * (size_t)(node) + 1) * d, d, q, manhattan))
    double dist[BLOCK];
    double worst = INFINITY;
    size_t top = 1;
    sn[0] = 0;
    sb[0] = BOX(0);
    while (top > 0) {
        top--;
        const ptrdiff_t id = sn[top];
        if (sb[top] > worst) continue;
        const sluice_kdnode node = t->nodes[id];
        if (node.left >= 0) {
            const double bl = BOX(node.left), br = BOX(node.right);
            const int left_near = bl <= br;
            const ptrdiff_t near = left_near ? node.left : node.right, far = left_near ? node.right : node.left;
            const double bn = left_near ? bl : br, bf = left_near ? br : bl;
            if (bf <= worst) {
                sn[top] = far;
                sb[top] = bf;
                top++;
            }
            if (bn <= worst) {
                sn[top] = near;
                sb[top] = bn;
                top++;
            }
            continue;
        }
        for (size_t start = (size_t)node.start; start < (size_t)node.end; start += BLOCK) {
            const size_t count = (size_t)node.end - start < BLOCK ? (size_t)node.end - start : BLOCK;
            (isa == 2 ? leaf_512 : isa == 1 ? leaf_256 : leaf_scalar)(t->columns, t->n, d, start, count, q, manhattan, dist);
            for (size_t i = 0; i < count; i++) {
                double s = dist[i];
                if (!(s <= worst)) continue;
                const ptrdiff_t index = t->order[start + i];
                if (index == exclude) continue;
                if (ncodes > 0) {
                    size_t differ = 0;
                    for (size_t c = 0; c < ncodes; c++) differ += codes[c * rows + (size_t)member] != codes[c * rows + (size_t)index];
                    s += penalty2 * (double)differ;
                    if (s > worst) continue;
                }
                // Insert (s, index) if it beats the k-th by (distance, index).
                if (!(s < bd[k - 1] || (s == bd[k - 1] && index < bi[k - 1]))) continue;
                size_t slot = k - 1;
                while (slot > 0 && (bd[slot - 1] > s || (bd[slot - 1] == s && bi[slot - 1] > index))) {
                    bd[slot] = bd[slot - 1];
                    bi[slot] = bi[slot - 1];
                    slot--;
                }
                bd[slot] = s;
                bi[slot] = index;
                worst = bd[k - 1];
            }
        }
    }
#undef BOX
}

#define NEAREST_ARGS                                                                                          \
    const sluice_kdtree *t, const double *q, size_t k, ptrdiff_t self, ptrdiff_t exclude, int manhattan,     \
        const int32_t *codes, size_t ncodes, size_t rows, ptrdiff_t member, double penalty2, double *bd,     \
        ptrdiff_t *bi, ptrdiff_t *sn, double *sb
#define NEAREST_CALL(isa) nearest_body(isa, t, q, k, self, exclude, manhattan, codes, ncodes, rows, member, penalty2, bd, bi, sn, sb)
AVX512 static void nearest_512(NEAREST_ARGS) { NEAREST_CALL(2); }
AVX2 static void nearest_256(NEAREST_ARGS) { NEAREST_CALL(1); }
static void nearest_scalar(NEAREST_ARGS) { NEAREST_CALL(0); }

void sluice_kdtree_nearest(NEAREST_ARGS) {
    for (size_t s = 0; s < k; s++) {
        bd[s] = INFINITY;
        bi[s] = PTRDIFF_MAX;
    }
    if (t->n == 0 || k == 0) return;
    switch (sluice_kernels_vector_bits()) {
    case 512: nearest_512(t, q, k, self, exclude, manhattan, codes, ncodes, rows, member, penalty2, bd, bi, sn, sb); break;
    case 256: nearest_256(t, q, k, self, exclude, manhattan, codes, ncodes, rows, member, penalty2, bd, bi, sn, sb); break;
    default: nearest_scalar(t, q, k, self, exclude, manhattan, codes, ncodes, rows, member, penalty2, bd, bi, sn, sb);
    }
}
