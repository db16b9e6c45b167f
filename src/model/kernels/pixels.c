/* The first layer of training read straight from the packed byte dataset, with the
 * normalisation folded into the products (see prism_kernel_pixel_forward in model/kernels.h).
 * An image is read as its groups of 16 pixels that are not all 0; the others add nothing. */
#include <assert.h>

#include "blocks.h"
#include "data/dataset.h"

static_assert((int)PRISM_PIXEL_GROUP == (int)LANES, "a group of pixels is one vector");

/* z[i][o0 + o] for O outputs of a row whose non-zero groups lie one after another at `packed`:
 * each group's 16 pixels, widened to floats once, serve all O outputs. */
#define DEFINE_PIXEL_FORWARD(O)                                                                   \
    static inline void pixel_forward_##O(const uint8_t *packed, uint64_t mask, size_t i,          \
                                         size_t d, const float *w, const float *fold_bias,        \
                                         size_t o0, size_t h, float *z)                           \
    {                                                                                             \
        v16 acc[LANES];                                                                           \
        for (int o = 0; o < LANES; o++) {                                                         \
            acc[o] = splat16(0.0f);                                                               \
        }                                                                                         \
        for (uint64_t left = mask; left != 0; left &= left - 1) {                                 \
            size_t k = (size_t)__builtin_ctzll(left) * LANES;                                     \
            v16 p = bytes_to_v16(packed);                                                         \
            packed += LANES;                                                                      \
            for (int o = 0; o < O; o++) {                                                         \
                acc[o] = fma16(p, load16(w + (o0 + (size_t)o) * d + k), acc[o]);                 \
            }                                                                                     \
        }                                                                                         \
        v16 sums = reduce16_many(acc);                                                            \
        v16 bias = load_partial16(fold_bias + o0, O);                                             \
        store_partial16(z + i * h + o0, fma16(splat16(PRISM_PIXEL_SCALE), sums, bias), O);       \
    }

/* A part's rows: where each one's packed groups start and which groups they are. */
typedef struct part_rows {
    const uint8_t *packed[PRISM_PIXEL_ROWS_MAX];
    uint64_t mask[PRISM_PIXEL_ROWS_MAX];
} part_rows;

static void find_rows(const prism_pixel_groups *images, const uint32_t *indices, size_t n,
                      part_rows *rows)
{
    for (size_t i = 0; i < n; i++) {
        rows->packed[i] = images->bytes + (size_t)images->first[indices[i]] * LANES;
        rows->mask[i] = images->masks[indices[i]];
    }
}

/* Every line of an image's packed groups, into L2: about 8 requests, made together. */
static inline void request_image(const prism_pixel_groups *images, uint32_t index)
{
    const uint8_t *start = images->bytes + (size_t)images->first[index] * LANES;
    size_t bytes = (size_t)__builtin_popcountll(images->masks[index]) * LANES;
    for (size_t k = 0; k < bytes; k += 64) {
        request_line(start + k);
    }
    if (bytes > 0) {
        request_line(start + bytes - 1);
    }
}

/* A block of O outputs for every row; the first block (o0 = 0) requests the images ahead. */
#define DEFINE_PIXEL_FORWARD_ROWS(O)                                                              \
    static void pixel_forward_rows_##O(const prism_pixel_groups *images, const part_rows *rows,   \
                                       size_t n, size_t d, const float *w,                        \
                                       const float *fold_bias, size_t o0, size_t h,               \
                                       const uint32_t *ahead, size_t ahead_n, float *z)           \
    {                                                                                             \
        for (size_t i = 0; i < n; i++) {                                                          \
            if (o0 == 0 && i < ahead_n) {                                                         \
                request_image(images, ahead[i]);                                                  \
            }                                                                                     \
            pixel_forward_##O(rows->packed[i], rows->mask[i], i, d, w, fold_bias, o0, h, z);      \
        }                                                                                         \
    }

/* sums[o0 + o][k..k+15] for O outputs, group g = k / 16: each lane's in-order chain over the
 * rows in `which` (a bit per row), continued from sums when `resume`. A row's group lies after
 * its non-zero groups below g. */
#define DEFINE_PIXEL_GRAD(O)                                                                      \
    static inline void pixel_grad_##O(const part_rows *rows, uint32_t which, size_t d, size_t k,  \
                                      const float *dz, size_t h, size_t o0, bool resume,          \
                                      float *sums)                                                \
    {                                                                                             \
        const uint64_t below = ((uint64_t)1 << (k / LANES)) - 1u;                                 \
        v16 acc[O];                                                                               \
        for (int o = 0; o < O; o++) {                                                             \
            float *at = sums + (o0 + (size_t)o) * d + k;                                          \
            acc[o] = resume ? load16(at) : splat16(0.0f);                                         \
        }                                                                                         \
        for (uint32_t left = which; left != 0; left &= left - 1) {                                \
            size_t i = (size_t)__builtin_ctz(left);                                               \
            size_t before = (size_t)__builtin_popcountll(rows->mask[i] & below);                  \
            v16 p = bytes_to_v16(rows->packed[i] + before * LANES);                               \
            for (int o = 0; o < O; o++) {                                                         \
                acc[o] = fma16(splat16(dz[i * h + o0 + (size_t)o]), p, acc[o]);                   \
            }                                                                                     \
        }                                                                                         \
        for (int o = 0; o < O; o++) {                                                             \
            store16(sums + (o0 + (size_t)o) * d + k, acc[o]);                                     \
        }                                                                                         \
    }

DEFINE_PIXEL_FORWARD(10)
DEFINE_PIXEL_FORWARD(5)
DEFINE_PIXEL_FORWARD(1)
DEFINE_PIXEL_FORWARD_ROWS(10)
DEFINE_PIXEL_FORWARD_ROWS(5)
DEFINE_PIXEL_FORWARD_ROWS(1)
DEFINE_PIXEL_GRAD(10)
DEFINE_PIXEL_GRAD(5)
DEFINE_PIXEL_GRAD(1)

void KERNEL(prism_kernel_pixel_forward_)(const prism_pixel_groups *images,
                                         const uint32_t *indices, size_t n, size_t d,
                                         const float *w, const float *fold_bias, size_t h,
                                         const uint32_t *ahead, size_t ahead_n, float *z)
{
    part_rows rows;
    find_rows(images, indices, n, &rows);

    /* Outputs in blocks outside, rows inside: a block's weights (31 KB for 10 outputs of 784
     * pixels) stay in L1 while the part's rows pass through. */
    size_t o0 = 0;
    for (; o0 + 10 <= h; o0 += 10) {
        pixel_forward_rows_10(images, &rows, n, d, w, fold_bias, o0, h, ahead, ahead_n, z);
    }
    for (; o0 + 5 <= h; o0 += 5) {
        pixel_forward_rows_5(images, &rows, n, d, w, fold_bias, o0, h, ahead, ahead_n, z);
    }
    for (; o0 < h; o0++) {
        pixel_forward_rows_1(images, &rows, n, d, w, fold_bias, o0, h, ahead, ahead_n, z);
    }
}

void KERNEL(prism_kernel_pixel_weight_grad_)(const prism_pixel_groups *images,
                                             const uint32_t *indices, size_t n, size_t d,
                                             const float *dz, size_t h, bool accumulate,
                                             float *sums, float *db)
{
    part_rows rows;
    find_rows(images, indices, n, &rows);
    for (size_t g = 0; g < d / LANES; g++) {
        size_t k = g * LANES;

        /* The rows that hold group g, bit i for row i: a column of the part's masks. */
        uint32_t which = 0;
        for (size_t i = 0; i < n; i++) {
            which |= (uint32_t)((rows.mask[i] >> g) & 1u) << i;
        }

        size_t o0 = 0;
        for (; o0 + 10 <= h; o0 += 10) {
            pixel_grad_10(&rows, which, d, k, dz, h, o0, accumulate, sums);
        }
        for (; o0 + 5 <= h; o0 += 5) {
            pixel_grad_5(&rows, which, d, k, dz, h, o0, accumulate, sums);
        }
        for (; o0 < h; o0++) {
            pixel_grad_1(&rows, which, d, k, dz, h, o0, accumulate, sums);
        }
    }
    bias_grad(dz, n, h, accumulate, db);
}

void KERNEL(prism_kernel_pixel_fold_bias_)(const float *w, const float *b, size_t d, size_t h,
                                           float *fold_bias)
{
    for (size_t o = 0; o < h; o++) {
        v16 sum = splat16(0.0f);
        for (size_t k = 0; k < d; k += LANES) {
            sum += load16(w + o * d + k);
        }
        fold_bias[o] = b[o] - reduce16(sum);
    }
}

void KERNEL(prism_kernel_pixel_unfold_grad_)(const float *sums, const float *db, size_t d,
                                             size_t h, float *dw)
{
    for (size_t o = 0; o < h; o++) {
        v16 minus_db = splat16(-db[o]);
        size_t k = 0;
        for (; k + LANES <= d; k += LANES) {
            store16(dw + o * d + k,
                    fma16(splat16(PRISM_PIXEL_SCALE), load16(sums + o * d + k), minus_db));
        }
        for (; k < d; k++) {
            dw[o * d + k] = fmaf(PRISM_PIXEL_SCALE, sums[o * d + k], -db[o]);
        }
    }
}
