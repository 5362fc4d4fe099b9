// Element-wise activation derivatives of the network layers (SluiceNeural), vectorised.
#ifndef SLUICE_NEURAL_ACTIVATION_H
#define SLUICE_NEURAL_ACTIVATION_H
#include <stddef.h>

/// `dx[i] = y[i] > 0 ? dy[i] : 0` (ReLU's derivative from its output); `dx` may equal `dy`.
void sluice_neural_relu_backward(const float *dy, const float *y, float *dx, size_t n);

#endif
