#include "learn_gram.h"
#include "sluice_kernels.h"
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

// The rows go through in tiles of TILE: each tile's augmented rows are copied, zero-padded,
// into `z` (width `qb`, a multiple of two vectors) and their weighted values into `wz` (width
// `qa`, a multiple of 4). An accumulator block of 4 gram rows × 2 vectors stays in registers
// for the whole tile: per row, two loads of z, four broadcasts of wz and eight FMAs. The padded
// `acc` (qa × qb) holds the running sums; blocks wholly below the diagonal are skipped.
#define TILE 32

static void fill_tile(const double *x, size_t ldx, size_t rows, size_t p, const double *y, const double *w, size_t q,
                      size_t qa, size_t qb, double *z, double *wz) {
    for (size_t r = 0; r < rows; r++) {
        double *zr = z + r * qb, *wr = wz + r * qa;
        memcpy(zr, x + r * ldx, p * sizeof(double));
        size_t t = p;
        if (y) zr[t++] = y[r];
        zr[t++] = 1;
        for (; t < qb; t++) zr[t] = 0;
        if (w) {
            const double weight = w[r];
            for (size_t a = 0; a < q; a++) wr[a] = weight * zr[a];
        } else {
            for (size_t a = 0; a < q; a++) wr[a] = zr[a];
        }
        for (size_t a = q; a < qa; a++) wr[a] = 0;
    }
}

#define GRAM_TILE(NAME, ATTR, VEC, W, LOAD, STORE, BCAST, FMA)                                           \
    ATTR static void NAME(const double *z, const double *wz, size_t rows, size_t qa, size_t qb, double *acc) { \
        for (size_t a = 0; a < qa; a += 4) {                                                          \
            for (size_t b = 0; b < qb; b += 2 * W) {                                                  \
                if (b + 2 * W <= a) continue;                                                         \
                double *c0 = acc + a * qb + b, *c1 = c0 + qb, *c2 = c1 + qb, *c3 = c2 + qb;           \
                VEC s00 = LOAD(c0), s01 = LOAD(c0 + W), s10 = LOAD(c1), s11 = LOAD(c1 + W);           \
                VEC s20 = LOAD(c2), s21 = LOAD(c2 + W), s30 = LOAD(c3), s31 = LOAD(c3 + W);           \
                for (size_t r = 0; r < rows; r++) {                                                   \
                    const double *zr = z + r * qb + b, *wr = wz + r * qa + a;                         \
                    const VEC z0 = LOAD(zr), z1 = LOAD(zr + W);                                       \
                    VEC v = BCAST(wr[0]);                                                             \
                    s00 = FMA(v, z0, s00);                                                            \
                    s01 = FMA(v, z1, s01);                                                            \
                    v = BCAST(wr[1]);                                                                 \
                    s10 = FMA(v, z0, s10);                                                            \
                    s11 = FMA(v, z1, s11);                                                            \
                    v = BCAST(wr[2]);                                                                 \
                    s20 = FMA(v, z0, s20);                                                            \
                    s21 = FMA(v, z1, s21);                                                            \
                    v = BCAST(wr[3]);                                                                 \
                    s30 = FMA(v, z0, s30);                                                            \
                    s31 = FMA(v, z1, s31);                                                            \
                }                                                                                     \
                STORE(c0, s00); STORE(c0 + W, s01); STORE(c1, s10); STORE(c1 + W, s11);               \
                STORE(c2, s20); STORE(c2 + W, s21); STORE(c3, s30); STORE(c3 + W, s31);               \
            }                                                                                         \
        }                                                                                             \
    }

GRAM_TILE(tile_512, __attribute__((target("avx512f"))), __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_set1_pd,
          _mm512_fmadd_pd)
GRAM_TILE(tile_256, __attribute__((target("avx2,fma"))), __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd,
          _mm256_fmadd_pd)
#define SCALAR_LOAD(p) (*(p))
#define SCALAR_STORE(p, v) (*(p) = (v))
#define SCALAR_BCAST(v) (v)
GRAM_TILE(tile_scalar, , double, 1, SCALAR_LOAD, SCALAR_STORE, SCALAR_BCAST, fma)

void sluice_gram_accumulate_f64(const double *x, size_t ldx, size_t m, size_t p, const double *y, const double *w,
                                double *gram) {
    const int bits = sluice_kernels_vector_bits();
    const size_t lanes = bits == 512 ? 16 : bits == 256 ? 8 : 2;  // two vectors per accumulator row
    const size_t q = p + (y ? 1 : 0) + 1, qa = (q + 3) / 4 * 4, qb = (q + lanes - 1) / lanes * lanes;
    const size_t width = qa > qb ? qa : qb;
    double *acc = calloc(qa * width + TILE * (width + qa), sizeof(double));
    if (!acc) abort();
    double *z = acc + qa * width, *wz = z + TILE * width;
    for (size_t a = 0; a < q; a++)
        for (size_t b = a; b < q; b++) acc[a * width + b] = gram[a * q + b];
    for (size_t r0 = 0; r0 < m; r0 += TILE) {
        const size_t rows = m - r0 < TILE ? m - r0 : TILE;
        fill_tile(x + r0 * ldx, ldx, rows, p, y ? y + r0 : NULL, w ? w + r0 : NULL, q, qa, width, z, wz);
        switch (bits) {
        case 512: tile_512(z, wz, rows, qa, width, acc); break;
        case 256: tile_256(z, wz, rows, qa, width, acc); break;
        default: tile_scalar(z, wz, rows, qa, width, acc);
        }
    }
    for (size_t a = 0; a < q; a++)
        for (size_t b = a; b < q; b++) gram[a * q + b] = gram[b * q + a] = acc[a * width + b];
    free(acc);
}
