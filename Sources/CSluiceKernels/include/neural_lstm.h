// Fused element-wise kernels of the LSTM layer (SluiceNeural): one call per step covers the
// gate activations, the cell update and the hidden state of a block of samples, so the step
// loop does no per-element work in Swift and allocates nothing.
#ifndef SLUICE_NEURAL_LSTM_H
#define SLUICE_NEURAL_LSTM_H
#include <stddef.h>

/// One forward step for `rows` samples of `units` cells, PyTorch's gate order i, f, g, o.
/// `gates` holds each sample's 4·units pre-activations without the bias (row stride `ldg`) and
/// receives the activations σ(i), σ(f), tanh(g), σ(o) in place. `c_prev` is the previous cell
/// state (NULL at the first step: zeros). Writes the cell `c`, `tc = tanh(c)` and `h = o · tc`.
/// `c_prev`, `c`, `tc` and `h` share the row stride `ldc`. σ(x) = ½(1 + tanh(x/2)).
void sluice_neural_lstm_forward(size_t rows, size_t units, float *gates, size_t ldg, const float *bias,
                                const float *c_prev, float *c, float *tc, float *h, size_t ldc);

/// One backward step for `rows` samples: from the activated `gates` (row stride `ldg`), the
/// previous cell `c_prev` (NULL at the first step), `tc = tanh(c)` (row stride `ldc`), the
/// gradient reaching h from the next step `dh` (rows × units, contiguous; NULL: zeros), the
/// gradient of the layer's output at this step `dy` (row stride `lddy`; NULL: zeros), and the
/// cell gradient from the next step `dc` (rows × units, contiguous), writes the pre-activation
/// gradients `dgates` (row stride `ldg`) and replaces `dc` with the gradient for the step before.
void sluice_neural_lstm_backward(size_t rows, size_t units, const float *gates, float *dgates, size_t ldg,
                                 const float *c_prev, const float *tc, size_t ldc, const float *dh,
                                 const float *dy, size_t lddy, float *dc);

#endif
