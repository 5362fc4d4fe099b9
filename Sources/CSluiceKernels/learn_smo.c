#include "learn_smo.h"
#include "sluice_kernels.h"
#include <immintrin.h>
#include <math.h>

#pragma STDC FP_CONTRACT OFF

#define AVX512 __attribute__((target("avx512f,avx2")))

// Flips the sign of the lanes of `v` in `mask` (an integer xor: AVX-512F has no masked double xor).
#define NEGATE_LANES(v, mask) \
    _mm512_castsi512_pd(_mm512_mask_xor_epi64(_mm512_castpd_si512(v), mask, _mm512_castpd_si512(v), _mm512_set1_epi64(INT64_MIN)))

// Reads one float per cache line of a kernel row, in order, before the scans gather from it: a
// row taken from the cache is usually in memory only, and the gathers' scattered addresses
// defeat the hardware prefetcher, so each one waited for memory (80 % of the scans' time);
// a sequential pass streams the row into L2 at full bandwidth.
static void touch_row(const float *row, size_t length) {
    float sum = 0;
    for (size_t i = 0; i < length; i += 16) sum += row[i];
    volatile float sink = sum;
    (void)sink;
}

// The scalar rules of the two scans for positions [t, n), continuing from `best`/`at` (a later
// position wins ties): the scalar paths, and the tails of the vector ones.
static inline void first_from(size_t t, const double *g, const double *y, const uint8_t *status, size_t n,
                              double *best, ptrdiff_t *at) {
    for (; t < n; t++) {
        if (y[t] > 0) {
            if (status[t] != 1 && -g[t] >= *best) { *best = -g[t]; *at = (ptrdiff_t)t; }
        } else if (status[t] != 0 && g[t] >= *best) { *best = g[t]; *at = (ptrdiff_t)t; }
    }
}

static inline void second_from(size_t t, const double *g, const double *y, const uint8_t *status, const double *qd,
                               const float *q, const int32_t *order, size_t n, double gmax, double qdi, double yi,
                               double tau, double *best2, double *low, ptrdiff_t *at) {
    const double twice = 2 * yi;
    for (; t < n; t++) {
        const int up = y[t] > 0;
        if (up ? status[t] == 0 : status[t] == 1) continue;
        const double v = up ? g[t] : -g[t];
        if (v >= *best2) *best2 = v;
        const double diff = gmax + v;
        if (diff > 0) {
            const double quad = qdi + qd[t] - (twice * y[t]) * (double)q[order[t]];
            const double obj = -(diff * diff) / (quad > 0 ? quad : tau);
            if (obj <= *low) { *low = obj; *at = (ptrdiff_t)t; }
        }
    }
}

static ptrdiff_t first_scalar(const double *g, const double *y, const uint8_t *status, size_t n, double *gmax) {
    double best = -INFINITY;
    ptrdiff_t at = -1;
    first_from(0, g, y, status, n, &best, &at);
    *gmax = best;
    return at;
}

static ptrdiff_t second_scalar(const double *g, const double *y, const uint8_t *status, const double *qd, const float *q,
                               const int32_t *order, size_t n, double gmax, double qdi, double yi, double tau,
                               double *gmax2, double *objmin) {
    double best2 = -INFINITY, low = INFINITY;
    ptrdiff_t at = -1;
    second_from(0, g, y, status, qd, q, order, n, gmax, qdi, yi, tau, &best2, &low, &at);
    *gmax2 = best2;
    *objmin = low;
    return at;
}

static void update_scalar(double *g, const float *qi, const float *qj, const int32_t *order, size_t n, double di,
                          double dj) {
    for (size_t t = 0; t < n; t++) {
        const int32_t k = order[t];
        g[t] += (double)qi[k] * di + (double)qj[k] * dj;
    }
}

// The masks of one block of 8 positions: y > 0, status ≠ 0, status ≠ 1.
#define BLOCK_MASKS(t, live)                                                                            \
    const __m512d yv = _mm512_maskz_loadu_pd(live, y + t);                                            \
    const __m512i sv = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(status + t)));          \
    const __mmask8 up = _mm512_mask_cmp_pd_mask(live, yv, _mm512_setzero_pd(), _CMP_GT_OQ);           \
    const __mmask8 notLower = _mm512_mask_cmpneq_epi64_mask(live, sv, _mm512_setzero_si512());        \
    const __mmask8 notUpper = _mm512_mask_cmpneq_epi64_mask(live, sv, _mm512_set1_epi64(1))

// Blocks of 8 positions (8 status bytes read at once), lanes tracking their own best and its
// last position; the lanes' best reduced with the last position among ties; the tail scalar.
AVX512 static ptrdiff_t first_512(const double *g, const double *y, const uint8_t *status, size_t n, double *gmax) {
    __m512d best = _mm512_set1_pd(-INFINITY);
    __m512i at = _mm512_set1_epi64(-1), index = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    size_t t = 0;
    for (; t + 8 <= n; t += 8) {
        const __mmask8 live = 0xff;
        BLOCK_MASKS(t, live);
        const __m512d gv = _mm512_loadu_pd(g + t);
        const __m512d v = NEGATE_LANES(gv, up);  // −g where y > 0
        const __mmask8 ok = (up & notUpper) | (~up & live & notLower);
        const __mmask8 take = _mm512_mask_cmp_pd_mask(ok, v, best, _CMP_GE_OQ);
        best = _mm512_mask_mov_pd(best, take, v);
        at = _mm512_mask_mov_epi64(at, take, index);
        index = _mm512_add_epi64(index, _mm512_set1_epi64(8));
    }
    const double m = _mm512_reduce_max_pd(best);
    const __mmask8 tied = _mm512_cmp_pd_mask(best, _mm512_set1_pd(m), _CMP_EQ_OQ);
    ptrdiff_t found = (ptrdiff_t)_mm512_mask_reduce_max_epi64(tied, at);
    double value = found >= 0 ? m : -INFINITY;
    first_from(t, g, y, status, n, &value, &found);  // the tail, by the scalar rule
    *gmax = value;
    return found;
}

AVX512 static ptrdiff_t second_512(const double *g, const double *y, const uint8_t *status, const double *qd,
                                   const float *q, const int32_t *order, size_t n, double gmax, double qdi, double yi,
                                   double tau, double *gmax2, double *objmin) {
    __m512d best2 = _mm512_set1_pd(-INFINITY), low = _mm512_set1_pd(INFINITY);
    __m512i at = _mm512_set1_epi64(-1), index = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512d zero = _mm512_setzero_pd(), gm = _mm512_set1_pd(gmax);
    const __m512d diag = _mm512_set1_pd(qdi), twice = _mm512_set1_pd(2 * yi), tauv = _mm512_set1_pd(tau);
    size_t t = 0;
    for (; t + 8 <= n; t += 8) {
        const __mmask8 live = 0xff;
        BLOCK_MASKS(t, live);
        const __mmask8 ok = (up & notLower) | (~up & live & notUpper);
        const __m512d gv = _mm512_loadu_pd(g + t);
        const __m512d v = NEGATE_LANES(gv, (__mmask8)(~up));  // −g where y < 0
        best2 = _mm512_mask_max_pd(best2, ok, best2, v);
        const __m512d diff = _mm512_add_pd(gm, v);
        const __mmask8 moving = _mm512_mask_cmp_pd_mask(ok, diff, zero, _CMP_GT_OQ);
        if (!moving) {
            index = _mm512_add_epi64(index, _mm512_set1_epi64(8));
            continue;
        }
        const __m256i k = _mm256_loadu_si256((const __m256i *)(order + t));
        const __m512d qv = _mm512_cvtps_pd(_mm256_i32gather_ps(q, k, 4));
        const __m512d quad = _mm512_sub_pd(_mm512_add_pd(diag, _mm512_loadu_pd(qd + t)),
                                           _mm512_mul_pd(_mm512_mul_pd(twice, yv), qv));
        const __m512d safe = _mm512_mask_mov_pd(tauv, _mm512_cmp_pd_mask(quad, zero, _CMP_GT_OQ), quad);
        const __m512d obj = _mm512_div_pd(NEGATE_LANES(_mm512_mul_pd(diff, diff), 0xff), safe);
        const __mmask8 take = _mm512_mask_cmp_pd_mask(moving, obj, low, _CMP_LE_OQ);
        low = _mm512_mask_mov_pd(low, take, obj);
        at = _mm512_mask_mov_epi64(at, take, index);
        index = _mm512_add_epi64(index, _mm512_set1_epi64(8));
    }
    double value2 = _mm512_reduce_max_pd(best2);
    const double m = _mm512_reduce_min_pd(low);
    const __mmask8 tied = _mm512_cmp_pd_mask(low, _mm512_set1_pd(m), _CMP_EQ_OQ);
    ptrdiff_t found = (ptrdiff_t)_mm512_mask_reduce_max_epi64(tied, at);
    double value = found >= 0 ? m : INFINITY;
    second_from(t, g, y, status, qd, q, order, n, gmax, qdi, yi, tau, &value2, &value, &found);  // the tail
    *gmax2 = value2;
    *objmin = value;
    return found;
}

AVX512 static void update_512(double *g, const float *qi, const float *qj, const int32_t *order, size_t n, double di,
                              double dj) {
    const __m512d a = _mm512_set1_pd(di), b = _mm512_set1_pd(dj);
    size_t t = 0;
    for (; t + 8 <= n; t += 8) {
        const __m256i k = _mm256_loadu_si256((const __m256i *)(order + t));
        const __m512d vi = _mm512_cvtps_pd(_mm256_i32gather_ps(qi, k, 4));
        const __m512d vj = _mm512_cvtps_pd(_mm256_i32gather_ps(qj, k, 4));
        const __m512d step = _mm512_add_pd(_mm512_mul_pd(vi, a), _mm512_mul_pd(vj, b));
        _mm512_storeu_pd(g + t, _mm512_add_pd(_mm512_loadu_pd(g + t), step));
    }
    update_scalar(g + t, qi, qj, order + t, n - t, di, dj);
}

ptrdiff_t sluice_smo_select_first(const double *g, const double *y, const uint8_t *status, size_t n, double *gmax) {
    return sluice_kernels_vector_bits() == 512 ? first_512(g, y, status, n, gmax) : first_scalar(g, y, status, n, gmax);
}

ptrdiff_t sluice_smo_select_second(const double *g, const double *y, const uint8_t *status, const double *qd,
                                   const float *q, size_t length, const int32_t *order, size_t n, double gmax,
                                   double qdi, double yi, double tau, double *gmax2, double *objmin) {
    touch_row(q, length);
    return sluice_kernels_vector_bits() == 512
               ? second_512(g, y, status, qd, q, order, n, gmax, qdi, yi, tau, gmax2, objmin)
               : second_scalar(g, y, status, qd, q, order, n, gmax, qdi, yi, tau, gmax2, objmin);
}

void sluice_smo_update_gradient(double *g, const float *qi, const float *qj, size_t length, const int32_t *order,
                                size_t n, double di, double dj) {
    touch_row(qj, length);
    if (sluice_kernels_vector_bits() == 512) update_512(g, qi, qj, order, n, di, dj);
    else update_scalar(g, qi, qj, order, n, di, dj);
}
