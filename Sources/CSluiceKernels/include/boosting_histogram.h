// Histogram gradient boosting's inner loop: gradient histograms of rows of 8-bit bins.
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

#endif
