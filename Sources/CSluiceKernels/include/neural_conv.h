// Kernels of the 2-D convolution and pooling layers (SluiceNeural), over NHWC samples
// (channels last). Each call covers samples [first, last) of a batch, so a caller splits a
// batch over cores by sample and every output element is computed by one thread in a fixed
// order: results do not depend on the thread count.
#ifndef SLUICE_NEURAL_CONV_H
#define SLUICE_NEURAL_CONV_H
#include <stddef.h>
#include <stdint.h>

/// The geometry of a window sliding over `height × width × channels` samples: kernel
/// `kernel_h × kernel_w`, strides, output size and the leading (top, left) zero padding.
typedef struct {
    long height, width, channels;
    long kernel_h, kernel_w, stride_h, stride_w;
    long out_h, out_w, pad_top, pad_left;
} sluice_neural_window;

/// A direct convolution of single-channel samples: `y[n, oh, ow, f] = b[f] + Σ x[n, ih, iw] ·
/// w[ki · kernel_w + kj, f]` over the window's positions inside the input (zeros outside),
/// summed in kernel order. `w` is `(kernel_h · kernel_w) × filters`, `y` is
/// `out_h · out_w · filters` per sample. With `relu`, each output is `max(y, 0)` (fused: no
/// second pass). 16, 32 and 64 filters keep a position's sums in registers across the taps.
void sluice_neural_conv_c1_forward(const sluice_neural_window *g, size_t first, size_t last, const float *x,
                                   const float *w, const float *b, size_t filters, int relu, float *y);

/// The weight gradient of ``sluice_neural_conv_c1_forward`` over samples [first, last):
/// `dw[k, f] = Σ x[n, ih(k), iw(k)] · dz[n, oh, ow, f]` (over samples, then positions, in
/// order), written (not accumulated) to `dw`. 16, 32 and 64 filters run tap by tap, each
/// tap's sums in registers.
void sluice_neural_conv_c1_filter_gradient(const sluice_neural_window *g, size_t first, size_t last, const float *x,
                                           const float *dz, size_t filters, float *dw);

/// Copies every window of samples [first, last) into rows of `cols` (`out_h · out_w` rows per
/// sample, `kernel_h · kernel_w · channels` columns ordered kernel row, kernel column,
/// channel), zeros outside the input. Each kernel row's in-bounds span is one copy.
void sluice_neural_im2col(const sluice_neural_window *g, size_t first, size_t last, const float *x, float *cols);

/// Adds each row of `cols` back into the input positions its window read, for samples
/// [first, last); `dx` is written whole (zeros where no window reads).
void sluice_neural_col2im(const sluice_neural_window *g, size_t first, size_t last, const float *cols, float *dx);

/// Max pooling of samples [first, last): `y` gets each window's largest value per channel
/// (the first one on ties), `at` its index within the sample.
void sluice_neural_max_pool_forward(const sluice_neural_window *g, size_t first, size_t last, const float *x,
                                    float *y, int32_t *at);

/// The input gradient of max pooling for samples [first, last): `dx` (written whole) gets
/// each `dy` at the index its window's winner came from.
void sluice_neural_max_pool_backward(const sluice_neural_window *g, size_t first, size_t last, const float *dy,
                                     const int32_t *at, float *dx);

#endif
