#include "neural_optimizer.h"
#include <math.h>

// No contraction into FMAs: every vector unit (and the scalar loop) rounds each operation the
// same way, so the update does not depend on the CPU the process runs on.
#pragma STDC FP_CONTRACT OFF

__attribute__((target_clones("avx512f", "avx2", "default")))
void sluice_neural_adam_step(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t n,
                             float l2, float b1, float c1, float b2, float c2, float step, float inv_sqrt_bc2, float eps) {
    for (size_t j = 0; j < n; j++) {
        const float gj = g[j] + l2 * p[j];
        const float mj = b1 * m[j] + c1 * gj;
        const float vj = b2 * v[j] + c2 * gj * gj;
        m[j] = mj;
        v[j] = vj;
        p[j] -= step * mj / (__builtin_elementwise_sqrt(vj) * inv_sqrt_bc2 + eps);
    }
}
