// Vectorised element-wise math for the compute core: glibc's libmvec (AVX-512, AVX2)
// chosen at run time, with a scalar libm fallback. `y` may equal `x` (in place).
#ifndef SLUICE_KERNELS_H
#define SLUICE_KERNELS_H
#include <stddef.h>

void sluice_exp_f64(const double *x, double *y, size_t n);
void sluice_log_f64(const double *x, double *y, size_t n);
void sluice_tanh_f64(const double *x, double *y, size_t n);
void sluice_expm1_f64(const double *x, double *y, size_t n);
void sluice_log1p_f64(const double *x, double *y, size_t n);
void sluice_exp_f32(const float *x, float *y, size_t n);
void sluice_log_f32(const float *x, float *y, size_t n);
void sluice_tanh_f32(const float *x, float *y, size_t n);
void sluice_expm1_f32(const float *x, float *y, size_t n);
void sluice_log1p_f32(const float *x, float *y, size_t n);
void sluice_relu_f64(const double *x, double *y, size_t n);
void sluice_relu_f32(const float *x, float *y, size_t n);

/// The widest vector unit the kernels use on this CPU: 512, 256 or 0 (scalar).
int sluice_kernels_vector_bits(void);

// The classic learners' Gram and SMO kernels (learn_gram.c, learn_smo.c).
#include "learn_gram.h"
#include "learn_smo.h"

// The neural network kernels (neural_lstm.c); included here so that a module cache built
// before that header existed is rebuilt (clang does not notice a new header in an umbrella folder).
#include "neural_lstm.h"
#include "neural_conv.h"
#include "neural_optimizer.h"
#include "neural_activation.h"
#include "neural_gemm.h"
#include "boosting_histogram.h"
#include "learn_distances.h"
#include "learn_kdtree.h"
#include "memory_policy.h"

#endif
