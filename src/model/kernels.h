/* The two products that carry almost all of the training arithmetic, for the first layer:
 *   forward:  z[n][h] = x[n][d] . w[h][d]^T + b[h]
 *   backward: dw[h][d] = dz[n][h]^T . x[n][d],  db[h] = sum_n dz[n][h]
 * Each is compiled for several instruction sets and chosen once at run time. Every variant
 * sums in the same order (16 fixed partial sums per dot product, fused multiply-adds, a fixed
 * reduction tree), so all machines with FMA get bit-identical results, and machines without it
 * emulate the fused operation exactly. */
#ifndef PRISM_MODEL_KERNELS_H
#define PRISM_MODEL_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* z may not alias x or w. Any n, d, h. */
void prism_kernel_linear_forward(const float *x, size_t n, size_t d, const float *w,
                                 const float *b, size_t h, float *z);

/* Overwrites dw and db, or, when `accumulate`, adds to them: each element's in-order sum over
 * rows continues from its value, so a batch taken in parts in order gives the bits of the whole
 * batch at once. */
void prism_kernel_linear_weight_grad(const float *x, const float *dz, size_t n, size_t d,
                                     size_t h, bool accumulate, float *dw, float *db);

/* dx[n][d] = dz[n][h] . w[h][d], the input gradient of a Linear layer. Overwrites dx. */
void prism_kernel_linear_input_grad(const float *dz, size_t n, size_t d, const float *w,
                                    size_t h, float *dx);

/* out[i] = (pixels[i] / 255 - 0.5) / 0.5 in float32, bit-identical to prism_pixel_normalise
 * (torchvision's ToTensor + Normalize((0.5,), (0.5,))) for every byte. */
void prism_kernel_normalise_pixels(const uint8_t *pixels, size_t n, float *out);

/* The first layer on a batch read straight from a byte dataset: row i of x is the normalised
 * pixels of image indices[i] (each image d bytes at pixels + indices[i] * d). Both give the
 * results of normalising the rows into x and calling the float kernel, bit for bit, without
 * writing x: z[n][h] = x . w^T + b, and dw, db as prism_kernel_linear_weight_grad. */
void prism_kernel_gather_forward(const uint8_t *pixels, const uint32_t *indices, size_t n,
                                 size_t d, const float *w, const float *b, size_t h, float *z);
void prism_kernel_gather_weight_grad(const uint8_t *pixels, const uint32_t *indices,
                                     const float *dz, size_t n, size_t d, size_t h,
                                     bool accumulate, float *dw, float *db);

/* x[i] = the normalised pixels of image indices[i] for n rows, as prism_kernel_normalise_pixels.
 * The images of the next part of a batch (next, next_n; next may be NULL) are requested from
 * memory on the way, so that they have arrived when their turn comes. */
void prism_kernel_gather_rows(const uint8_t *pixels, const uint32_t *indices, size_t n, size_t d,
                              const uint32_t *next, size_t next_n, float *x);

/* Element-wise functions evaluated on vectors, identical in every variant. Accuracy: exp and
 * expm1 about 1 ulp, tanh a few ulp, erfc 1.2e-7 relative. Inputs beyond float's range
 * saturate (exp of a large negative number is about 1e-38, not 0). */
typedef enum prism_kernel_function {
    PRISM_FN_EXP = 0,
    PRISM_FN_EXPM1 = 1,
    PRISM_FN_TANH = 2,
    PRISM_FN_ERFC = 3,
} prism_kernel_function;

/* y[i] = f(x[i]); y may alias x. */
void prism_kernel_map(prism_kernel_function function, const float *x, float *y, size_t n);

/* Name of the variant in use ("avx512", "avx2-fma", "generic"), for reports. */
const char *prism_kernel_variant(void);

#endif
