/* The two products that carry almost all of the training arithmetic, for the first layer:
 *   forward:  z[n][h] = x[n][d] . w[h][d]^T + b[h]
 *   backward: dw[h][d] = dz[n][h]^T . x[n][d],  db[h] = sum_n dz[n][h]
 * Each is compiled for several instruction sets and chosen once at run time. Every variant
 * sums in the same order (16 fixed partial sums per dot product, fused multiply-adds, a fixed
 * reduction tree), so all machines with FMA get bit-identical results, and machines without it
 * emulate the fused operation exactly. */
#ifndef PRISM_MODEL_KERNELS_H
#define PRISM_MODEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Below this many inputs per row the blocked kernels do little but remainder work. */
#define PRISM_KERNEL_MIN_INPUTS 16

/* z may not alias x or w. Any n, d, h. */
void prism_kernel_linear_forward(const float *x, size_t n, size_t d, const float *w,
                                 const float *b, size_t h, float *z);

/* Overwrites dw and db. */
void prism_kernel_linear_weight_grad(const float *x, const float *dz, size_t n, size_t d,
                                     size_t h, float *dw, float *db);

/* out[i] = (pixels[i] / 255 - 0.5) / 0.5 in float32, bit-identical to prism_pixel_normalise
 * (torchvision's ToTensor + Normalize((0.5,), (0.5,))) for every byte. */
void prism_kernel_normalise_pixels(const uint8_t *pixels, size_t n, float *out);

/* Name of the variant in use ("avx512", "avx2-fma", "generic"), for reports. */
const char *prism_kernel_variant(void);

#endif
