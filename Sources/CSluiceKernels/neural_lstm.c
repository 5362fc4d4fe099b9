#include "neural_lstm.h"
#include "sluice_kernels.h"
#include <immintrin.h>
#include <math.h>

// glibc libmvec's 8- and 16-lane tanhf (the functions sluice_tanh_f32 uses), for AVX2 + FMA
// and AVX-512.
#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f")))
AVX2 __m256 _ZGVdN8v_tanhf(__m256);
AVX512 __m512 _ZGVeN16v_tanhf(__m512);

static inline float sigmoid_scalar(float x) { return 0.5f * (1.0f + tanhf(0.5f * x)); }

static void forward_row_scalar(size_t from, size_t units, float *g, const float *b, const float *cp,
                               float *c, float *tc, float *h) {
    const size_t u = units;
    for (size_t j = from; j < u; j++) {
        float i = sigmoid_scalar(g[j] + b[j]);
        float f = sigmoid_scalar(g[u + j] + b[u + j]);
        float gg = tanhf(g[2 * u + j] + b[2 * u + j]);
        float o = sigmoid_scalar(g[3 * u + j] + b[3 * u + j]);
        g[j] = i; g[u + j] = f; g[2 * u + j] = gg; g[3 * u + j] = o;
        float cj = (cp ? f * cp[j] : 0.0f) + i * gg;
        float t = tanhf(cj);
        c[j] = cj; tc[j] = t; h[j] = o * t;
    }
}

/// One row's units from `j` on, eight at a time, then the scalar tail.
AVX2 static void forward_lanes_avx2(size_t j, size_t u, float *g, const float *bias, const float *cp, float *cr,
                                    float *tr, float *hr) {
    const __m256 half = _mm256_set1_ps(0.5f);
    for (; j + 8 <= u; j += 8) {
        __m256 zi = _mm256_add_ps(_mm256_loadu_ps(g + j), _mm256_loadu_ps(bias + j));
        __m256 zf = _mm256_add_ps(_mm256_loadu_ps(g + u + j), _mm256_loadu_ps(bias + u + j));
        __m256 zg = _mm256_add_ps(_mm256_loadu_ps(g + 2 * u + j), _mm256_loadu_ps(bias + 2 * u + j));
        __m256 zo = _mm256_add_ps(_mm256_loadu_ps(g + 3 * u + j), _mm256_loadu_ps(bias + 3 * u + j));
        __m256 i = _mm256_fmadd_ps(half, _ZGVdN8v_tanhf(_mm256_mul_ps(half, zi)), half);
        __m256 f = _mm256_fmadd_ps(half, _ZGVdN8v_tanhf(_mm256_mul_ps(half, zf)), half);
        __m256 gg = _ZGVdN8v_tanhf(zg);
        __m256 o = _mm256_fmadd_ps(half, _ZGVdN8v_tanhf(_mm256_mul_ps(half, zo)), half);
        _mm256_storeu_ps(g + j, i);
        _mm256_storeu_ps(g + u + j, f);
        _mm256_storeu_ps(g + 2 * u + j, gg);
        _mm256_storeu_ps(g + 3 * u + j, o);
        __m256 ig = _mm256_mul_ps(i, gg);
        __m256 cj = cp ? _mm256_fmadd_ps(f, _mm256_loadu_ps(cp + j), ig) : ig;
        __m256 t = _ZGVdN8v_tanhf(cj);
        _mm256_storeu_ps(cr + j, cj);
        _mm256_storeu_ps(tr + j, t);
        _mm256_storeu_ps(hr + j, _mm256_mul_ps(o, t));
    }
    forward_row_scalar(j, u, g, bias, cp, cr, tr, hr);
}

AVX2 static void forward_avx2(size_t rows, size_t units, float *gates, size_t ldg, const float *bias,
                              const float *c_prev, float *c, float *tc, float *h, size_t ldc) {
    for (size_t r = 0; r < rows; r++)
        forward_lanes_avx2(0, units, gates + r * ldg, bias, c_prev ? c_prev + r * ldc : NULL, c + r * ldc, tc + r * ldc,
                           h + r * ldc);
}

/// The same cell sixteen units at a time (libmvec's 16-lane tanhf), the rest as forward_avx2.
AVX512 static void forward_avx512(size_t rows, size_t units, float *gates, size_t ldg, const float *bias,
                                  const float *c_prev, float *c, float *tc, float *h, size_t ldc) {
    const size_t u = units;
    const __m512 half = _mm512_set1_ps(0.5f);
    for (size_t r = 0; r < rows; r++) {
        float *g = gates + r * ldg;
        const float *cp = c_prev ? c_prev + r * ldc : NULL;
        float *cr = c + r * ldc, *tr = tc + r * ldc, *hr = h + r * ldc;
        size_t j = 0;
        for (; j + 16 <= u; j += 16) {
            __m512 zi = _mm512_add_ps(_mm512_loadu_ps(g + j), _mm512_loadu_ps(bias + j));
            __m512 zf = _mm512_add_ps(_mm512_loadu_ps(g + u + j), _mm512_loadu_ps(bias + u + j));
            __m512 zg = _mm512_add_ps(_mm512_loadu_ps(g + 2 * u + j), _mm512_loadu_ps(bias + 2 * u + j));
            __m512 zo = _mm512_add_ps(_mm512_loadu_ps(g + 3 * u + j), _mm512_loadu_ps(bias + 3 * u + j));
            __m512 i = _mm512_fmadd_ps(half, _ZGVeN16v_tanhf(_mm512_mul_ps(half, zi)), half);
            __m512 f = _mm512_fmadd_ps(half, _ZGVeN16v_tanhf(_mm512_mul_ps(half, zf)), half);
            __m512 gg = _ZGVeN16v_tanhf(zg);
            __m512 o = _mm512_fmadd_ps(half, _ZGVeN16v_tanhf(_mm512_mul_ps(half, zo)), half);
            _mm512_storeu_ps(g + j, i);
            _mm512_storeu_ps(g + u + j, f);
            _mm512_storeu_ps(g + 2 * u + j, gg);
            _mm512_storeu_ps(g + 3 * u + j, o);
            __m512 ig = _mm512_mul_ps(i, gg);
            __m512 cj = cp ? _mm512_fmadd_ps(f, _mm512_loadu_ps(cp + j), ig) : ig;
            __m512 t = _ZGVeN16v_tanhf(cj);
            _mm512_storeu_ps(cr + j, cj);
            _mm512_storeu_ps(tr + j, t);
            _mm512_storeu_ps(hr + j, _mm512_mul_ps(o, t));
        }
        forward_lanes_avx2(j, u, g, bias, cp, cr, tr, hr);
    }
}

void sluice_neural_lstm_forward(size_t rows, size_t units, float *gates, size_t ldg, const float *bias,
                                const float *c_prev, float *c, float *tc, float *h, size_t ldc) {
    if (sluice_kernels_vector_bits() >= 512) {
        forward_avx512(rows, units, gates, ldg, bias, c_prev, c, tc, h, ldc);
        return;
    }
    if (sluice_kernels_vector_bits() >= 256) {
        forward_avx2(rows, units, gates, ldg, bias, c_prev, c, tc, h, ldc);
        return;
    }
    for (size_t r = 0; r < rows; r++)
        forward_row_scalar(0, units, gates + r * ldg, bias, c_prev ? c_prev + r * ldc : NULL,
                           c + r * ldc, tc + r * ldc, h + r * ldc);
}

static void backward_row_scalar(size_t from, size_t u, const float *g, float *dg, const float *cp,
                                const float *t, const float *dh, const float *dy, float *dc) {
    for (size_t j = from; j < u; j++) {
        float i = g[j], f = g[u + j], gg = g[2 * u + j], o = g[3 * u + j];
        float c0 = cp ? cp[j] : 0.0f, tj = t[j];
        float dhj = (dh ? dh[j] : 0.0f) + (dy ? dy[j] : 0.0f);
        float dcj = dc[j] + dhj * o * (1.0f - tj * tj);
        dg[j] = dcj * gg * i * (1.0f - i);
        dg[u + j] = dcj * c0 * f * (1.0f - f);
        dg[2 * u + j] = dcj * i * (1.0f - gg * gg);
        dg[3 * u + j] = dhj * tj * o * (1.0f - o);
        dc[j] = dcj * f;
    }
}

AVX2 static void backward_avx2(size_t rows, size_t u, const float *gates, float *dgates, size_t ldg,
                               const float *c_prev, const float *tc, size_t ldc, const float *dh,
                               const float *dy, size_t lddy, float *dc) {
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    for (size_t r = 0; r < rows; r++) {
        const float *g = gates + r * ldg, *cp = c_prev ? c_prev + r * ldc : NULL, *t = tc + r * ldc;
        const float *dhr = dh ? dh + r * u : NULL, *dyr = dy ? dy + r * lddy : NULL;
        float *dg = dgates + r * ldg, *dcr = dc + r * u;
        size_t j = 0;
        for (; j + 8 <= u; j += 8) {
            __m256 i = _mm256_loadu_ps(g + j), f = _mm256_loadu_ps(g + u + j);
            __m256 gg = _mm256_loadu_ps(g + 2 * u + j), o = _mm256_loadu_ps(g + 3 * u + j);
            __m256 c0 = cp ? _mm256_loadu_ps(cp + j) : zero, tj = _mm256_loadu_ps(t + j);
            __m256 dhj = dhr ? _mm256_loadu_ps(dhr + j) : zero;
            if (dyr) dhj = _mm256_add_ps(dhj, _mm256_loadu_ps(dyr + j));
            __m256 dcj = _mm256_fmadd_ps(_mm256_mul_ps(dhj, o), _mm256_fnmadd_ps(tj, tj, one), _mm256_loadu_ps(dcr + j));
            _mm256_storeu_ps(dg + j, _mm256_mul_ps(_mm256_mul_ps(dcj, gg), _mm256_mul_ps(i, _mm256_sub_ps(one, i))));
            _mm256_storeu_ps(dg + u + j, _mm256_mul_ps(_mm256_mul_ps(dcj, c0), _mm256_mul_ps(f, _mm256_sub_ps(one, f))));
            _mm256_storeu_ps(dg + 2 * u + j, _mm256_mul_ps(_mm256_mul_ps(dcj, i), _mm256_fnmadd_ps(gg, gg, one)));
            _mm256_storeu_ps(dg + 3 * u + j, _mm256_mul_ps(_mm256_mul_ps(dhj, tj), _mm256_mul_ps(o, _mm256_sub_ps(one, o))));
            _mm256_storeu_ps(dcr + j, _mm256_mul_ps(dcj, f));
        }
        backward_row_scalar(j, u, g, dg, cp, t, dhr, dyr, dcr);
    }
}

void sluice_neural_lstm_backward(size_t rows, size_t units, const float *gates, float *dgates, size_t ldg,
                                 const float *c_prev, const float *tc, size_t ldc, const float *dh,
                                 const float *dy, size_t lddy, float *dc) {
    if (sluice_kernels_vector_bits() >= 256) {
        backward_avx2(rows, units, gates, dgates, ldg, c_prev, tc, ldc, dh, dy, lddy, dc);
        return;
    }
    for (size_t r = 0; r < rows; r++)
        backward_row_scalar(0, units, gates + r * ldg, dgates + r * ldg, c_prev ? c_prev + r * ldc : NULL,
                            tc + r * ldc, dh ? dh + r * units : NULL, dy ? dy + r * lddy : NULL, dc + r * units);
}
