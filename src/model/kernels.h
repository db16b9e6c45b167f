/* The kernels that carry almost all of the training arithmetic (files in model/kernels/):
 *   the Linear products:  z[n][h] = x[n][d] . w[h][d]^T + b[h],
 *                         dw[h][d] = dz[n][h]^T . x[n][d],  db[h] = sum_n dz[n][h],
 *                         dx[n][d] = dz[n][h] . w[h][d];
 *   the first layer fed straight from a dataset's bytes;
 *   LayerNorm and softmax cross-entropy 16 rows at a time;
 *   element-wise exp, expm1, tanh, erfc.
 * Each is compiled for several instruction sets and chosen once at run time. Every variant
 * computes in the same order (16 fixed partial sums per dot product, fused multiply-adds, a
 * fixed reduction tree; row-wise layers operation for operation as model/layers.c), so all
 * machines with FMA get bit-identical results, and machines without it emulate the fused
 * operation exactly. */
#ifndef PRISM_MODEL_KERNELS_H
#define PRISM_MODEL_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Cache lines of images wanted soon (the rows `indices` of a byte dataset, row_bytes each),
 * requested from memory into L2 a line at a time from inside a product's loop. A burst of
 * requests stalls the core once its few miss buffers are full; a trickle between the
 * multiply-adds goes out while the arithmetic goes on. The last three fields say where the
 * requests have got to; start them at 0 and NULL. */
typedef struct prism_prefetch_stream {
    const uint8_t *pixels;
    const uint32_t *indices;
    size_t rows;
    size_t row_bytes;
    size_t next_row;      /* the next row to start */
    const uint8_t *line;  /* the next line of the row under way */
    size_t lines_left;    /* lines of that row still to request */
} prism_prefetch_stream;

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

/* A first layer fed straight from a byte dataset: x[i] = the normalised pixels of image
 * indices[i] (d bytes at pixels + indices[i] * d), as prism_kernel_normalise_pixels computes
 * them, and z = x . w^T + b as prism_kernel_linear_forward computes it, bit for bit, the rows
 * multiplied while they are in registers. Requests the lines of `stream` on the way. */
void prism_kernel_gather_forward(const uint8_t *pixels, const uint32_t *indices, size_t n,
                                 size_t d, const float *w, const float *b, size_t h,
                                 prism_prefetch_stream *stream, float *x, float *z);

/* The row-wise layers of model/layers.c with the same results bit for bit, 16 rows at a time
 * (each row's arithmetic in its own vector lane) for rows of at most PRISM_KERNEL_ROW_MAX
 * values; wider rows go to the layers.c loops. Arguments as prism_layernorm_forward,
 * prism_layernorm_backward and prism_softmax_xent_part. */
enum { PRISM_KERNEL_ROW_MAX = 16 };

void prism_kernel_layernorm_forward(const float *x, size_t n, size_t h, const float *gain,
                                    const float *shift, float eps, float *y, float *xhat,
                                    float *rstd);
void prism_kernel_layernorm_backward(const float *dy, const float *xhat, const float *rstd,
                                     size_t n, size_t h, const float *gain, bool accumulate,
                                     float *dx, float *dgain, float *dshift);
void prism_kernel_softmax_xent(const float *logits, const uint8_t *labels, size_t n,
                               size_t classes, size_t batch_rows, float *dlogits,
                               double *loss_sum);

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
