// The per-iteration scans of the kernel SVM's SMO solver (learn_smo.c), over the active
// variables in their (shrinking-permuted) positions: contiguous `g`, `y`, `status` and `qd`, the
// kernel row `q` in variable order read through `order`. AVX-512 when the CPU has it, else scalar;
// both give the same result (selection by comparisons, no reassociated sums).
#ifndef SLUICE_LEARN_SMO_H
#define SLUICE_LEARN_SMO_H
#include <stddef.h>
#include <stdint.h>

/// libsvm's first choice: the last position `t < n` maximising `−y[t]·g[t]` over the positions
/// that may move up (`y > 0` and `status ≠ 1`, or `y < 0` and `status ≠ 0`; status 0 is the lower
/// bound, 1 the upper). Returns −1 when there is none; the maximum goes to `gmax`.
ptrdiff_t sluice_smo_select_first(const double *g, const double *y, const uint8_t *status, size_t n, double *gmax);

/// libsvm's second-order choice of the partner of `i` (WSS3): over the positions that may move
/// down, `gmax2` gets the largest `y[t]·g[t]`; among those with `diff = gmax + y[t]·g[t] > 0`, the
/// last position minimising `−diff² / quad`, `quad = qdi + qd[t] − 2·yi·y[t]·q[order[t]]` (`tau`
/// when not positive). `q` (of `length` entries, every variable's) is read through once in order
/// first, so that the gathers find it in cache. Returns −1 when there is none; the minimum goes to `objmin`.
ptrdiff_t sluice_smo_select_second(const double *g, const double *y, const uint8_t *status, const double *qd,
                                   const float *q, size_t length, const int32_t *order, size_t n, double gmax,
                                   double qdi, double yi, double tau, double *gmax2, double *objmin);

/// `g[t] += qi[order[t]]·di + qj[order[t]]·dj` for `t < n` (`qj`, of `length` entries, read
/// through in order first).
void sluice_smo_update_gradient(double *g, const float *qi, const float *qj, size_t length, const int32_t *order,
                                size_t n, double di, double dj);

#endif
