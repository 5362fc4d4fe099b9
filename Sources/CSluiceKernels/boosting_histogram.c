#include "boosting_histogram.h"

#include <string.h>

typedef double entry4 __attribute__((vector_size(32), aligned(8)));

__attribute__((target_clones("avx2", "default")))
void sluice_boost_histogram(const float *gh, const uint8_t *bins, size_t stride, size_t rows, size_t columns,
                            double *hist) {
    for (size_t k = 0; k < rows; k++) {
        const entry4 add = {(double)gh[2 * k], (double)gh[2 * k + 1], 1.0, 0.0};
        const uint8_t *row = bins + k * stride;
        double *o = hist;
        for (size_t j = 0; j < columns; j++) {
            entry4 *e = (entry4 *)(o + (size_t)row[j] * 4);
            *e += add;
            o += 256 * 4;
        }
    }
}

/// One row's `stride` bins (≥ 8 bytes): 8-byte words, the last ending at the row's end
/// (overlapping the one before when `stride` is not a multiple of 8).
static inline void copy_row(uint8_t *to, const uint8_t *from, size_t stride) {
    uint64_t a, b;
    if (stride <= 16) {
        memcpy(&a, from, 8);
        memcpy(&b, from + stride - 8, 8);
        memcpy(to, &a, 8);
        memcpy(to + stride - 8, &b, 8);
        return;
    }
    size_t w = 0;
    for (; w + 8 < stride; w += 8) {
        memcpy(&a, from + w, 8);
        memcpy(to + w, &a, 8);
    }
    memcpy(&b, from + stride - 8, 8);
    memcpy(to + stride - 8, &b, 8);
}

size_t sluice_boost_count_left(const uint8_t *side, const uint8_t *bins, size_t stride, size_t column, size_t lo,
                               size_t hi) {
    size_t left = 0;
    const uint8_t *b = bins + column;
    for (size_t s = lo; s < hi; s++) left += side[b[s * stride]];
    return left;
}

size_t sluice_boost_partition(const uint8_t *side, size_t column, const uint8_t *bins, const int32_t *indices,
                              const uint64_t *gradients, size_t stride, size_t lo, size_t hi, int backward,
                              size_t left, size_t right, uint8_t *out_bins, int32_t *out_indices,
                              uint64_t *out_gradients) {
    size_t l = left, r = right;
    if (!backward) {
        for (size_t s = lo; s < hi; s++) {
            const uint8_t *row = bins + s * stride;
            // Branch-free: the side is a coin flip the predictor cannot learn.
            const size_t is_left = side[row[column]];
            const size_t target = r + (l - r) * is_left;
            l += is_left;
            r += 1 - is_left;
            copy_row(out_bins + target * stride, row, stride);
            out_indices[target] = indices[s];
            out_gradients[target] = gradients[s];
        }
    } else {
        for (size_t s = hi; s-- > lo;) {
            const uint8_t *row = bins + s * stride;
            const size_t is_left = side[row[column]];
            l -= is_left;
            r -= 1 - is_left;
            const size_t target = r + (l - r) * is_left;
            copy_row(out_bins + target * stride, row, stride);
            out_indices[target] = indices[s];
            out_gradients[target] = gradients[s];
        }
    }
    return l;
}

size_t sluice_boost_bin_numeric(const double *values, size_t step, const intptr_t *rows, size_t first, size_t end,
                                const double *edges, size_t m, uint8_t *out, int *any_missing) {
    size_t nonzero = 0;
    int missing = 0;
    for (size_t i = first; i < end; i++) {
        const double v = values[(size_t)rows[i] * step];
        size_t b = 0;
        if (v != v) {
            b = 255;
            missing = 1;
        } else if (m > 0) {
            // The first edge not below v, branch-free (the comparisons are coin flips).
            const double *base = edges;
            size_t n = m;
            while (n > 1) {
                const size_t half = n / 2;
                base = base[half] < v ? base + half : base;
                n -= half;
            }
            b = (size_t)(base - edges) + (*base < v);
        }
        out[i] = (uint8_t)b;
        nonzero += b != 0;
    }
    if (missing) *any_missing = 1;
    return nonzero;
}
