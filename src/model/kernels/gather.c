/* The rows of a training batch, read where they lie in the byte dataset (in shuffled order) and
 * normalised into floats. */
#include "vec.h"

void KERNEL(prism_kernel_normalise_pixels_)(const uint8_t *pixels, size_t n, float *out);

void KERNEL(prism_kernel_gather_rows_)(const uint8_t *pixels, const uint32_t *indices, size_t n,
                                       size_t d, float *x)
{
    for (size_t i = 0; i < n; i++) {
        if (i + 2 < n) {
            const uint8_t *later = pixels + (size_t)indices[i + 2] * d;
            for (size_t offset = 0; offset < d; offset += 64) {
                __builtin_prefetch(later + offset);
            }
        }
        KERNEL(prism_kernel_normalise_pixels_)(pixels + (size_t)indices[i] * d, d, x + i * d);
    }
}
