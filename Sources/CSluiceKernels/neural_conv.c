#include "neural_conv.h"
#include <string.h>

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

static inline long lmax(long a, long b) { return a > b ? a : b; }
static inline long lmin(long a, long b) { return a < b ? a : b; }

// One output position of the single-channel direct convolution, for a filter count known at
// compile time (NF): the NF sums stay in registers across the kernel taps (4 ymm for 32
// filters) instead of being loaded and stored at every tap. The same sums in the same order
// as the general loop below.
#define C1_POSITION(NF)                                                                                 \
    static inline __attribute__((always_inline)) void c1_position_##NF(                                \
        const float *xs, long W, long kw, long h0, long w0, long ki0, long ki1, long kj0, long kj1,     \
        const float *restrict w, const float *restrict b, int relu, float *restrict out) {              \
        float acc[NF];                                                                                  \
        for (int f = 0; f < NF; f++) acc[f] = b[f];                                                     \
        for (long ki = ki0; ki < ki1; ki++) {                                                           \
            const float *row = xs + (h0 + ki) * W + w0;                                                 \
            for (long kj = kj0; kj < kj1; kj++) {                                                       \
                const float v = row[kj];                                                                \
                const float *restrict wk = w + (size_t)(ki * kw + kj) * NF;                             \
                for (int f = 0; f < NF; f++) acc[f] += v * wk[f];                                       \
            }                                                                                           \
        }                                                                                               \
        if (relu)                                                                                       \
            for (int f = 0; f < NF; f++) out[f] = acc[f] > 0 ? acc[f] : 0;                              \
        else                                                                                            \
            for (int f = 0; f < NF; f++) out[f] = acc[f];                                               \
    }
C1_POSITION(16)
C1_POSITION(32)
C1_POSITION(64)

CLONES
void sluice_neural_conv_c1_forward(const sluice_neural_window *g, size_t first, size_t last, const float *x,
                                   const float *w, const float *b, size_t filters, int relu, float *y) {
    const long H = g->height, W = g->width, kh = g->kernel_h, kw = g->kernel_w;
    const size_t F = filters, positions = (size_t)(g->out_h * g->out_w);
    for (size_t n = first; n < last; n++) {
        const float *xs = x + n * (size_t)(H * W);
        float *ys = y + n * positions * F;
        for (long oh = 0; oh < g->out_h; oh++) {
            const long h0 = oh * g->stride_h - g->pad_top;
            const long ki0 = lmax(0, -h0), ki1 = lmin(kh, H - h0);
            for (long ow = 0; ow < g->out_w; ow++) {
                const long w0 = ow * g->stride_w - g->pad_left;
                const long kj0 = lmax(0, -w0), kj1 = lmin(kw, W - w0);
                float *restrict out = ys + (size_t)(oh * g->out_w + ow) * F;
                switch (F) {
                case 16: c1_position_16(xs, W, kw, h0, w0, ki0, ki1, kj0, kj1, w, b, relu, out); continue;
                case 32: c1_position_32(xs, W, kw, h0, w0, ki0, ki1, kj0, kj1, w, b, relu, out); continue;
                case 64: c1_position_64(xs, W, kw, h0, w0, ki0, ki1, kj0, kj1, w, b, relu, out); continue;
                default: break;
                }
                for (size_t f = 0; f < F; f++) out[f] = b[f];
                for (long ki = ki0; ki < ki1; ki++) {
                    const float *row = xs + (h0 + ki) * W + w0;
                    for (long kj = kj0; kj < kj1; kj++) {
                        const float v = row[kj];
                        const float *restrict wk = w + (size_t)(ki * kw + kj) * F;
                        for (size_t f = 0; f < F; f++) out[f] += v * wk[f];
                    }
                }
                if (relu)
                    for (size_t f = 0; f < F; f++) out[f] = out[f] > 0 ? out[f] : 0;
            }
        }
    }
}

// The filter gradient of one kernel tap (ki, kj) over samples [first, last), for NF filters known
// at compile time: the NF sums over every position stay in registers, then are stored once.
#define C1_TAP_GRADIENT(NF)                                                                             \
    static inline __attribute__((always_inline)) void c1_tap_gradient_##NF(                            \
        const sluice_neural_window *g, size_t first, size_t last, const float *x, const float *dz,     \
        long ki, long kj, float *restrict dk) {                                                         \
        const long H = g->height, W = g->width;                                                         \
        const size_t positions = (size_t)(g->out_h * g->out_w);                                         \
        float acc[NF];                                                                                  \
        for (int f = 0; f < NF; f++) acc[f] = 0;                                                        \
        for (size_t n = first; n < last; n++) {                                                         \
            const float *xs = x + n * (size_t)(H * W);                                                  \
            const float *dzs = dz + n * positions * NF;                                                 \
            for (long oh = 0; oh < g->out_h; oh++) {                                                    \
                const long ih = oh * g->stride_h - g->pad_top + ki;                                     \
                if (ih < 0 || ih >= H) continue;                                                        \
                for (long ow = 0; ow < g->out_w; ow++) {                                                \
                    const long iw = ow * g->stride_w - g->pad_left + kj;                                \
                    if (iw < 0 || iw >= W) continue;                                                    \
                    const float v = xs[ih * W + iw];                                                    \
                    const float *restrict d = dzs + (size_t)(oh * g->out_w + ow) * NF;                  \
                    for (int f = 0; f < NF; f++) acc[f] += v * d[f];                                    \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int f = 0; f < NF; f++) dk[f] = acc[f];                                                    \
    }
C1_TAP_GRADIENT(16)
C1_TAP_GRADIENT(32)
C1_TAP_GRADIENT(64)

CLONES
void sluice_neural_conv_c1_filter_gradient(const sluice_neural_window *g, size_t first, size_t last, const float *x,
                                           const float *dz, size_t filters, float *dw) {
    const long H = g->height, W = g->width, kh = g->kernel_h, kw = g->kernel_w;
    const size_t F = filters, positions = (size_t)(g->out_h * g->out_w);
    if (F == 16 || F == 32 || F == 64) {  // tap by tap, each tap's sums in registers
        for (long ki = 0; ki < kh; ki++) {
            for (long kj = 0; kj < kw; kj++) {
                float *dk = dw + (size_t)(ki * kw + kj) * F;
                if (F == 16) c1_tap_gradient_16(g, first, last, x, dz, ki, kj, dk);
                else if (F == 32) c1_tap_gradient_32(g, first, last, x, dz, ki, kj, dk);
                else c1_tap_gradient_64(g, first, last, x, dz, ki, kj, dk);
            }
        }
        return;
    }
    memset(dw, 0, sizeof(float) * (size_t)(kh * kw) * F);
    for (size_t n = first; n < last; n++) {
        const float *xs = x + n * (size_t)(H * W);
        const float *dzs = dz + n * positions * F;
        for (long oh = 0; oh < g->out_h; oh++) {
            const long h0 = oh * g->stride_h - g->pad_top;
            const long ki0 = lmax(0, -h0), ki1 = lmin(kh, H - h0);
            for (long ow = 0; ow < g->out_w; ow++) {
                const long w0 = ow * g->stride_w - g->pad_left;
                const long kj0 = lmax(0, -w0), kj1 = lmin(kw, W - w0);
                const float *restrict d = dzs + (size_t)(oh * g->out_w + ow) * F;
                for (long ki = ki0; ki < ki1; ki++) {
                    const float *row = xs + (h0 + ki) * W + w0;
                    for (long kj = kj0; kj < kj1; kj++) {
                        const float v = row[kj];
                        float *restrict dk = dw + (size_t)(ki * kw + kj) * F;
                        for (size_t f = 0; f < F; f++) dk[f] += v * d[f];
                    }
                }
            }
        }
    }
}

void sluice_neural_im2col(const sluice_neural_window *g, size_t first, size_t last, const float *x, float *cols) {
    const long H = g->height, W = g->width, C = g->channels, kh = g->kernel_h, kw = g->kernel_w;
    const size_t rowLength = (size_t)(kh * kw * C), inputSize = (size_t)(H * W * C);
    const size_t positions = (size_t)(g->out_h * g->out_w);
    for (size_t n = first; n < last; n++) {
        const float *xs = x + n * inputSize;
        float *rows = cols + n * positions * rowLength;
        for (long oh = 0; oh < g->out_h; oh++) {
            const long h0 = oh * g->stride_h - g->pad_top;
            for (long ow = 0; ow < g->out_w; ow++) {
                const long w0 = ow * g->stride_w - g->pad_left;
                const long kj0 = lmax(0, -w0), kj1 = lmax(kj0, lmin(kw, W - w0));
                float *row = rows + (size_t)(oh * g->out_w + ow) * rowLength;
                for (long ki = 0; ki < kh; ki++) {
                    float *dst = row + ki * kw * C;
                    const long ih = h0 + ki;
                    if (ih < 0 || ih >= H) { memset(dst, 0, sizeof(float) * (size_t)(kw * C)); continue; }
                    if (kj0 > 0) memset(dst, 0, sizeof(float) * (size_t)(kj0 * C));
                    memcpy(dst + kj0 * C, xs + (ih * W + w0 + kj0) * C, sizeof(float) * (size_t)((kj1 - kj0) * C));
                    if (kj1 < kw) memset(dst + kj1 * C, 0, sizeof(float) * (size_t)((kw - kj1) * C));
                }
            }
        }
    }
}

CLONES
void sluice_neural_col2im(const sluice_neural_window *g, size_t first, size_t last, const float *cols, float *dx) {
    const long H = g->height, W = g->width, C = g->channels, kh = g->kernel_h, kw = g->kernel_w;
    const size_t rowLength = (size_t)(kh * kw * C), inputSize = (size_t)(H * W * C);
    const size_t positions = (size_t)(g->out_h * g->out_w);
    for (size_t n = first; n < last; n++) {
        float *xs = dx + n * inputSize;
        memset(xs, 0, sizeof(float) * inputSize);
        const float *rows = cols + n * positions * rowLength;
        for (long oh = 0; oh < g->out_h; oh++) {
            const long h0 = oh * g->stride_h - g->pad_top;
            const long ki0 = lmax(0, -h0), ki1 = lmin(kh, H - h0);
            for (long ow = 0; ow < g->out_w; ow++) {
                const long w0 = ow * g->stride_w - g->pad_left;
                const long kj0 = lmax(0, -w0), kj1 = lmin(kw, W - w0);
                if (kj1 <= kj0) continue;
                const float *row = rows + (size_t)(oh * g->out_w + ow) * rowLength;
                const size_t span = (size_t)((kj1 - kj0) * C);
                for (long ki = ki0; ki < ki1; ki++) {
                    const float *restrict src = row + (ki * kw + kj0) * C;
                    float *restrict dst = xs + ((h0 + ki) * W + w0 + kj0) * C;
                    for (size_t j = 0; j < span; j++) dst[j] += src[j];
                }
            }
        }
    }
}

CLONES
void sluice_neural_max_pool_forward(const sluice_neural_window *g, size_t first, size_t last, const float *x,
                                    float *y, int32_t *at) {
    const long H = g->height, W = g->width, C = g->channels;
    const size_t inputSize = (size_t)(H * W * C), outSize = (size_t)(g->out_h * g->out_w * C);
    for (size_t n = first; n < last; n++) {
        const float *xs = x + n * inputSize;
        for (long oh = 0; oh < g->out_h; oh++) {
            const long h0 = lmax(oh * g->stride_h - g->pad_top, 0);
            const long h1 = lmin(oh * g->stride_h - g->pad_top + g->kernel_h, H);
            for (long ow = 0; ow < g->out_w; ow++) {
                const long w0 = lmax(ow * g->stride_w - g->pad_left, 0);
                const long w1 = lmin(ow * g->stride_w - g->pad_left + g->kernel_w, W);
                const size_t o = n * outSize + (size_t)((oh * g->out_w + ow) * C);
                float *restrict best = y + o;
                int32_t *restrict win = at + o;
                const int32_t i0 = (int32_t)((h0 * W + w0) * C);
                for (long c = 0; c < C; c++) { best[c] = xs[i0 + c]; win[c] = i0 + (int32_t)c; }
                for (long ih = h0; ih < h1; ih++) {
                    for (long iw = (ih == h0 ? w0 + 1 : w0); iw < w1; iw++) {
                        const int32_t i = (int32_t)((ih * W + iw) * C);
                        const float *restrict v = xs + i;
                        for (long c = 0; c < C; c++) {
                            const int larger = v[c] > best[c];
                            best[c] = larger ? v[c] : best[c];
                            win[c] = larger ? i + (int32_t)c : win[c];
                        }
                    }
                }
            }
        }
    }
}

void sluice_neural_max_pool_backward(const sluice_neural_window *g, size_t first, size_t last, const float *dy,
                                     const int32_t *at, float *dx) {
    const size_t inputSize = (size_t)(g->height * g->width * g->channels);
    const size_t outSize = (size_t)(g->out_h * g->out_w * g->channels);
    for (size_t n = first; n < last; n++) {
        float *xs = dx + n * inputSize;
        memset(xs, 0, sizeof(float) * inputSize);
        const float *d = dy + n * outSize;
        const int32_t *a = at + n * outSize;
        for (size_t j = 0; j < outSize; j++) xs[a[j]] += d[j];
    }
}
