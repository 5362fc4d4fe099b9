#include "boosting_histogram.h"

typedef double entry4 __attribute__((vector_size(32), aligned(8)));

__attribute__((target_clones("avx2", "default")))
void sluice_boost_histogram(const float *gh, const uint8_t *bins, size_t stride, size_t rows, size_t columns,
                            double *hist) {
    for (size_t k = 0; k < rows; k++) {
        const entry4 add = {(double)gh[2 * k], (double)gh[2 * k + 1], 1.0, 0.0};
        const uint8_t *row = bins + k * stride;
        double *o = hist;
        for (size_t j = 0; j < columns; j++) {
            entry4 *e = (entry4 *)(o + (size_t)row[j] * 4);
            *e += add;
            o += 256 * 4;
        }
    }
}
