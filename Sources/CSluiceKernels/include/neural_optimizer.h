// The element-wise parameter updates of the network optimizers (SluiceNeural), vectorised.
// Each element is updated on its own, with no fused multiply-adds, so a caller may split the
// elements over cores and the result is the same bits whatever the split or the vector unit.
#ifndef SLUICE_NEURAL_OPTIMIZER_H
#define SLUICE_NEURAL_OPTIMIZER_H
#include <stddef.h>

/// One Adam step over `n` elements: `g' = g + l2 · p`, `m = b1 · m + c1 · g'`,
/// `v = b2 · v + c2 · g'²`, `p -= step · m / (√v · inv_sqrt_bc2 + eps)`, where the caller has
/// folded the bias corrections into `step = lr / (1 − b1ᵗ)` and `inv_sqrt_bc2 = 1 / √(1 − b2ᵗ)`.
void sluice_neural_adam_step(float *p, const float *g, float *m, float *v, size_t n, float l2, float b1, float c1,
                             float b2, float c2, float step, float inv_sqrt_bc2, float eps);

#endif
