#include "neural_activation.h"

__attribute__((target_clones("avx512f", "avx2", "default")))
void sluice_neural_relu_backward(const float *dy, const float *y, float *dx, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
