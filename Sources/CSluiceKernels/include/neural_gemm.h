// A small matrix product with a pre-packed right-hand side, for the per-step products of the
// recurrent layers (SluiceNeural): `h · Wh` (a block of 32 samples × units → 4·units) runs
// once per time step with the same `Wh`, so packing it once per pass, instead of letting BLAS
// repack it at every call, removes the packing from the step loop.
#ifndef SLUICE_NEURAL_GEMM_H
#define SLUICE_NEURAL_GEMM_H
#include <stddef.h>

/// The panel width of the packed layout: B is stored as ⌈n / 16⌉ panels of k rows × 16 columns.
#define SLUICE_NEURAL_PANEL 16

/// The number of floats `sluice_neural_pack_b` writes for a k × n right-hand side.
size_t sluice_neural_packed_size(size_t k, size_t n);

/// Packs the k × n matrix B into panels of 16 columns (the last zero padded). Without
/// `transposed`, B[p][j] = w[p · ldw + j]; with it, B = Wᵀ: B[p][j] = w[j · ldw + p].
void sluice_neural_pack_b(size_t k, size_t n, const float *w, size_t ldw, int transposed, float *packed);

/// c[i][j] = (accumulate ? c[i][j] : 0) + Σₚ a[i][p] · B[p][j] for i < m, j < n, with B packed
/// by `sluice_neural_pack_b`. Each element is one fused multiply-add chain in p order, so a
/// row's result does not depend on m, on the other rows or on the vector width (the scalar
/// path uses fmaf in the same order).
void sluice_neural_gemm_packed(size_t m, size_t k, size_t n, const float *a, size_t lda, const float *packed,
                               float *c, size_t ldc, int accumulate);

/// c[i][j] = Σₚ a[p][i] · b[p][j] for i < m, j < n (C = Aᵀ B with A k × m and B k × n, row
/// strides lda and ldb), each element one fused multiply-add chain in p order: the weight
/// gradient of a layer over many rows (an LSTM block's `Xᵀ dG` and `Hᵀ dG`). With AVX-512,
/// register tiles of up to 12 × 32 over chunks of 256 rows of B; elsewhere a scalar loop in the
/// same order (callers without AVX-512 may prefer BLAS).
void sluice_neural_gemm_tn(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                           float *c, size_t ldc);

#endif
