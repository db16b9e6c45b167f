/* The kernels that carry almost all of the training arithmetic (files in model/kernels/):
 *   the Linear products:  z[n][h] = x[n][d] . w[h][d]^T + b[h],
 *                         dw[h][d] = dz[n][h]^T . x[n][d],  db[h] = sum_n dz[n][h],
 *                         dx[n][d] = dz[n][h] . w[h][d];
 *   the first layer of training fed straight from a dataset's bytes;
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

/* The first layer of training, fed straight from a byte dataset, with the normalisation folded
 * into the products. A pixel p stands for x = c p - 1 with c = PRISM_PIXEL_SCALE, so
 *     z = w x + b = c (w p) + (b - w 1),    dw = sum_i dz_i x_i = c (sum_i dz_i p_i) - db.
 * Pixels of 0, about 80 % of an MNIST image, then add nothing. The images are stored as groups
 * of 16 pixels in an order of the dataset's choosing (`order`, below), and a group whose pixels
 * are all 0 is neither stored nor read. Adding a product of 0 never changes a sum, so the bits
 * are those of the same sums taken over every group. The results differ from normalising first
 * (prism_kernel_normalise_pixels, then the Linear kernels) only by rounding, about 1e-6
 * relative. Needs d a multiple of 16 and at most 64 groups, n at most PRISM_PIXEL_ROWS_MAX. */
enum { PRISM_PIXEL_ROWS_MAX = 64, PRISM_PIXEL_GROUP_LANES = 16 };
#define PRISM_PIXEL_SCALE (2.0f / 255.0f)

/* Images kept as their non-zero groups (as prism_split packs them): image j's groups, 16 bytes
 * each in order, start at group first[j] of bytes; bit g of masks[j] is set for each group g
 * it holds. Byte l of group g is pixel order[16 g + l] of the image, for the order (a
 * permutation of 0..d-1) the weights were grouped with (prism_kernel_pixel_group). */
typedef struct prism_pixel_groups {
    const uint8_t *bytes;
    const uint32_t *first;
    const uint64_t *masks;
} prism_pixel_groups;

/* The kernels read the first layer's weights, and write their sums, in the grouped layout:
 * outputs in blocks of 10 (then 5, then 1, for what is left), block by block; within a block,
 * group by group, each group's 16 weights of every output of the block one after another. So
 * the weights that multiply one group of pixels lie together. The block of outputs o0..o0+m-1
 * (m = prism_pixel_block_width(o0, h)) starts at float o0 d; the weight of output o0 + o for
 * lane l of group g lies at o0 d + (g m + o) 16 + l. */
static inline size_t prism_pixel_block_width(size_t o0, size_t h)
{
    return h - o0 >= 10 ? 10 : h - o0 >= 5 ? 5 : 1;
}

/* grouped = w[h][d] (a row per output) in the grouped layout for `order`, and back. */
void prism_kernel_pixel_group(const float *w, const uint16_t *order, size_t d, size_t h,
                              float *grouped);
void prism_kernel_pixel_ungroup(const float *grouped, const uint16_t *order, size_t d, size_t h,
                                float *w);

/* fold_bias[o] = b[o] - the sum of output o's weights (grouped: 16 lane sums over the groups in
 * order, the fixed reduction). Once per batch, before its first part. */
void prism_kernel_pixel_fold_bias(const float *grouped, const float *b, size_t d, size_t h,
                                  float *fold_bias);

/* z[i][o] = fl(c S + fold_bias[o]), S the dot product of image indices[i]'s pixels (as floats)
 * with output o's weights (grouped), in 16 lane sums over the image's non-zero groups and the
 * fixed reduction. While row i is multiplied, image ahead[i] (for i < ahead_n; ahead may be
 * NULL) is requested from memory into L2: the shuffled order makes every image a fresh trip to
 * memory that the hardware cannot foresee. */
void prism_kernel_pixel_forward(const prism_pixel_groups *images, const uint32_t *indices,
                                size_t n, size_t d, const float *grouped,
                                const float *fold_bias, size_t h, const uint32_t *ahead,
                                size_t ahead_n, float *z);

/* Asks for the table entries (place and mask) of images indices[0..n-1] to be brought into the
 * core's cache, ahead of prism_kernel_pixel_forward's requests for the images themselves. */
void prism_kernel_pixel_request_entries(const prism_pixel_groups *images,
                                        const uint32_t *indices, size_t n);

/* sums (grouped) = for each weight, the in-order sum over the n rows i (image indices[i]) of
 * dz[i][o] times its pixel, and db[o] that of dz[i][o], each continued from its value when
 * `accumulate`, as prism_kernel_linear_weight_grad does for floats. */
void prism_kernel_pixel_weight_grad(const prism_pixel_groups *images, const uint32_t *indices,
                                    size_t n, size_t d, const float *dz, size_t h,
                                    bool accumulate, float *sums, float *db);

/* dw = fl(c sums - db[o]) for every weight of output o with one rounding, both grouped: the
 * weight gradient from the sums above and the bias gradient. */
void prism_kernel_pixel_unfold_grad(const float *sums, const float *db, size_t d, size_t h,
                                    float *dw);

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
