// Distance kernels of the classic learners (k-means in SluiceCompute), vectorised for
// AVX-512 and AVX2 and chosen at run time. Every squared distance is one fused multiply-add
// chain over the features in order, `s = fma(x − c, x − c, s)` from 0, so a value has the
// same bits on every CPU and in every lane.
#ifndef SLUICE_LEARN_DISTANCES_H
#define SLUICE_LEARN_DISTANCES_H
#include <stddef.h>
#include <stddef.h>

/// `out[r·k + j] = Σₜ (x[r·ldx + t] − ct[t·k + j])²` for `m` rows of `p` features and `k`
/// centres given transposed (`ct` is `p × k`: feature `t` of every centre is a row).
void sluice_sqdist_f64(const double *x, size_t ldx, size_t m, size_t p, const double *ct, size_t k, double *out);

/// `Σₜ (x[r·p + t] − c[label[r]·p + t])²` for each of `m` rows, times `w[r]` (1 when `w` is
/// NULL), summed in row order; `c` is `k × p`, row-major. The chain per row is the one of
/// ``sluice_sqdist_f64``.
double sluice_labelled_sqdist_sum_f64(const double *x, size_t m, size_t p, const double *c, const ptrdiff_t *labels,
                                      const double *w);

/// For each of `m` rows the first `j` of least `dist[r·k + j]` goes to `labels[r]`; when
/// `sums` is not NULL, `w[r]·x[r]` (`x[r]` when `w` is NULL) is added to `sums[j·p …]` and
/// `w[r]` (or 1) to `mass[j]`, in row order (the product rounded before the sum).
void sluice_nearest_accumulate_f64(const double *dist, size_t m, size_t k, const double *x, size_t p, const double *w,
                                   ptrdiff_t *labels, double *sums, double *mass);

#endif
