// The weighted Gram matrix of a block of rows, augmented with a target column and a column
// of ones (learn_gram.c): the sufficient statistics of least squares and of the covariance,
// in one pass over the rows, without a scaled or centred copy. Vectorised for AVX-512 and
// AVX2, chosen at run time; every element is one fused multiply-add chain over the rows in
// order, so its bits are the same on every CPU.
#ifndef SLUICE_LEARN_GRAM_H
#define SLUICE_LEARN_GRAM_H
#include <stddef.h>

/// Adds into the `q × q` row-major `gram` (`q = p + (y ? 1 : 0) + 1`) the weighted products of
/// the augmented rows `z = [x[r·ldx …], y[r] (when y), 1]` of `m` rows:
/// `gram[a·q + b] += Σᵣ (w[r]·z[a])·z[b]` (`z[a]` when `w` is NULL), each element the chain
/// `g = fma(w[r]·z[a], z[b], g)` in row order, the product `w[r]·z[a]` rounded first. The upper
/// triangle is computed and copied to the lower one (the result is exactly symmetric). The
/// last column holds the weighted column sums, its last entry `Σ w`.
void sluice_gram_accumulate_f64(const double *x, size_t ldx, size_t m, size_t p, const double *y, const double *w,
                                double *gram);

#endif
