// Histogram gradient boosting's inner loops: gradient histograms of rows of 8-bit bins, and the
// stable partition of a node's rows.
#ifndef SLUICE_BOOSTING_HISTOGRAM_H
#define SLUICE_BOOSTING_HISTOGRAM_H
#include <stddef.h>
#include <stdint.h>

/// Adds `rows` rows to `hist`: row `k`'s gradient pair `gh[2k], gh[2k+1]` (floats) and a count
/// of 1 go to entry `(j · 256 + bins[k · stride + j]) · 4` of each column `j < columns`, as the
/// four doubles (gradient, hessian, count, 0). `hist` holds `columns × 256 × 4` doubles; the
/// sums are the same, in the same order, on every CPU (one vector add of 4 doubles per entry
/// with AVX2, two of 2 without).
void sluice_boost_histogram(const float *gh, const uint8_t *bins, size_t stride, size_t rows, size_t columns,
                            double *hist);

/// The number of rows `s` in `lo ..< hi` with `side[bins[s · stride + column]] == 1` (each
/// entry of `side` is 0 or 1).
size_t sluice_boost_count_left(const uint8_t *side, const uint8_t *bins, size_t stride, size_t column, size_t lo,
                               size_t hi);

/// Moves rows `lo ..< hi` (their `stride` bins, index and 8-byte gradient pair) to the `out_`
/// arrays, each row to the left or the right part by `side[bins[s · stride + column]]` (1 left),
/// keeping the rows' order within each part. Forward (`backward == 0`): the rows are read in
/// order, the left ones written from position `left` up and the right ones from `right` up.
/// Backward: read from `hi - 1` down, written from just below `left` and just below `right`
/// down, so that they too keep their order. Returns where the left cursor ended (forward: one
/// past the last left row written; backward: the first).
size_t sluice_boost_partition(const uint8_t *side, size_t column, const uint8_t *bins, const int32_t *indices,
                              const uint64_t *gradients, size_t stride, size_t lo, size_t hi, int backward,
                              size_t left, size_t right, uint8_t *out_bins, int32_t *out_indices,
                              uint64_t *out_gradients);

/// The bins of numeric values `values[rows[i] · step]` for `i` in `first ..< end`, into
/// `out[i]`: 255 for NaN (and `*any_missing` set to 1), else the number of the `m` sorted
/// `edges` below the value (so `v ≤ edges[b]` for bin `b`). Returns how many bins are not 0.
size_t sluice_boost_bin_numeric(const double *values, size_t step, const intptr_t *rows, size_t first, size_t end,
                                const double *edges, size_t m, uint8_t *out, int *any_missing);

#endif
