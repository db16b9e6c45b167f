/* The first layer of training read straight from the packed byte dataset, with the
 * normalisation folded into the products (see prism_kernel_pixel_forward in model/kernels.h).
 * An image is read as its groups of 16 pixels (the dataset's 4 x 4 tiles) that are not all 0;
 * the others add nothing. The weights and their sums are kept in the grouped layout, so that the
 * weights that meet one group of pixels lie together and are reached from one address. */
#include <assert.h>

#include "blocks.h"
#include "data/dataset.h"

static_assert((int)PRISM_PIXEL_GROUP == (int)LANES, "a group of pixels is one vector");
static_assert(PRISM_PIXEL_ROWS_MAX <= 64, "a part's rows fit one 64-bit mask");

/* z[i][o0 + o] for O outputs of a row whose non-zero groups lie one after another at `packed`:
 * each group's 16 pixels, widened to floats once, serve all O outputs, whose weights for that
 * group lie together at block + g O 16. */
#define DEFINE_PIXEL_FORWARD(O)                                                                   \
    static inline void pixel_forward_##O(const uint8_t *packed, uint64_t mask,                    \
                                         const float *block, const float *fold_bias, float *z)    \
    {                                                                                             \
        v16 acc[LANES];                                                                           \
        for (int o = 0; o < LANES; o++) {                                                         \
            acc[o] = splat16(0.0f);                                                               \
        }                                                                                         \
        for (uint64_t left = mask; left != 0; left &= left - 1) {                                 \
            const float *weights = block + (size_t)__builtin_ctzll(left) * (O * LANES);           \
            v16 p = bytes_to_v16(packed);                                                         \
            packed += LANES;                                                                      \
            for (int o = 0; o < O; o++) {                                                         \
                acc[o] = fma16(p, load16(weights + o * LANES), acc[o]);                           \
            }                                                                                     \
        }                                                                                         \
        v16 sums = reduce16_many(acc);                                                            \
        v16 bias = load_partial16(fold_bias, O);                                                  \
        store_partial16(z, fma16(splat16(PRISM_PIXEL_SCALE), sums, bias), O);                    \
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

/* Every line of an image's packed groups, into L2: about 5 requests for MNIST, made together. */
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
                                       size_t n, const float *block, const float *fold_bias,      \
                                       size_t o0, size_t h, const uint32_t *ahead,                \
                                       size_t ahead_n, float *z)                                  \
    {                                                                                             \
        for (size_t i = 0; i < n; i++) {                                                          \
            if (o0 == 0 && i < ahead_n) {                                                         \
                request_image(images, ahead[i]);                                                  \
            }                                                                                     \
            pixel_forward_##O(rows->packed[i], rows->mask[i], block, fold_bias + o0,              \
                              z + i * h + o0);                                                    \
        }                                                                                         \
    }

/* The sums of group g for O outputs (16 lanes each, at `at`): each lane's in-order chain over
 * the rows in `which` (a bit per row), continued from its value when `resume`. A row's group g
 * lies after its non-zero groups below g. */
#define DEFINE_PIXEL_GRAD(O)                                                                      \
    static inline void pixel_grad_##O(const part_rows *rows, uint64_t which, size_t g,            \
                                      const float *dz, size_t h, size_t o0, bool resume,          \
                                      float *at)                                                  \
    {                                                                                             \
        const uint64_t below = ((uint64_t)1 << g) - 1u;                                           \
        v16 acc[O];                                                                               \
        for (int o = 0; o < O; o++) {                                                             \
            acc[o] = resume ? load16(at + o * LANES) : splat16(0.0f);                             \
        }                                                                                         \
        for (uint64_t left = which; left != 0; left &= left - 1) {                                \
            size_t i = (size_t)__builtin_ctzll(left);                                             \
            size_t before = (size_t)__builtin_popcountll(rows->mask[i] & below);                  \
            v16 p = bytes_to_v16(rows->packed[i] + before * LANES);                               \
            const float *dz_row = dz + i * h + o0;                                                \
            for (int o = 0; o < O; o++) {                                                         \
                acc[o] = fma16(splat16(dz_row[o]), p, acc[o]);                                    \
            }                                                                                     \
        }                                                                                         \
        for (int o = 0; o < O; o++) {                                                             \
            store16(at + o * LANES, acc[o]);                                                      \
        }                                                                                         \
    }

/* Transposes a 64 x 64 matrix of bits, row r in m[r] (bit c is column c): afterwards bit c of
 * m[r] is what bit r of m[c] was. Blocks of half the size swap places across the diagonal, six
 * times: about 1,100 word operations for a part. Collecting each row's set bits one at a time
 * (some 1,200 in a part of MNIST) instead made the weight gradient 92 ns a row against 75,
 * measured with the kernels alone on MNIST. */
static void transpose_bits(uint64_t m[64])
{
    static const uint64_t keep[6] = {0x00000000ffffffffull, 0x0000ffff0000ffffull,
                                     0x00ff00ff00ff00ffull, 0x0f0f0f0f0f0f0f0full,
                                     0x3333333333333333ull, 0x5555555555555555ull};
    size_t level = 0;
    for (size_t half = 32; half != 0; half >>= 1, level++) {
        /* Every row r whose bit `half` is clear pairs with row r + half. */
        for (size_t r = 0; r < 64; r = ((r | half) + 1) & ~half) {
            uint64_t swap = ((m[r] >> half) ^ m[r + half]) & keep[level];
            m[r + half] ^= swap;
            m[r] ^= swap << half;
        }
    }
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
                                         const float *grouped, const float *fold_bias, size_t h,
                                         const uint32_t *ahead, size_t ahead_n, float *z)
{
    part_rows rows;
    find_rows(images, indices, n, &rows);

    /* Blocks of outputs outside, rows inside: a block's weights (31 KB for 10 outputs of 784
     * pixels) stay in L1 while the part's rows pass through. */
    for (size_t o0 = 0; o0 < h; o0 += prism_pixel_block_width(o0, h)) {
        const float *block = grouped + o0 * d;
        switch (prism_pixel_block_width(o0, h)) {
        case 10:
            pixel_forward_rows_10(images, &rows, n, block, fold_bias, o0, h, ahead, ahead_n, z);
            break;
        case 5:
            pixel_forward_rows_5(images, &rows, n, block, fold_bias, o0, h, ahead, ahead_n, z);
            break;
        default:
            pixel_forward_rows_1(images, &rows, n, block, fold_bias, o0, h, ahead, ahead_n, z);
            break;
        }
    }
}

void KERNEL(prism_kernel_pixel_weight_grad_)(const prism_pixel_groups *images,
                                             const uint32_t *indices, size_t n, size_t d,
                                             const float *dz, size_t h, bool accumulate,
                                             float *sums, float *db)
{
    part_rows rows;
    find_rows(images, indices, n, &rows);

    /* The rows that hold each group, bit i for row i: the part's masks transposed. */
    uint64_t which[PRISM_PIXEL_GROUPS_MAX];
    for (size_t i = 0; i < PRISM_PIXEL_GROUPS_MAX; i++) {
        which[i] = i < n ? rows.mask[i] : 0;
    }
    transpose_bits(which);

    for (size_t g = 0; g < d / LANES; g++) {
        for (size_t o0 = 0; o0 < h; o0 += prism_pixel_block_width(o0, h)) {
            size_t width = prism_pixel_block_width(o0, h);
            float *at = sums + o0 * d + g * width * LANES;
            switch (width) {
            case 10:
                pixel_grad_10(&rows, which[g], g, dz, h, o0, accumulate, at);
                break;
            case 5:
                pixel_grad_5(&rows, which[g], g, dz, h, o0, accumulate, at);
                break;
            default:
                pixel_grad_1(&rows, which[g], g, dz, h, o0, accumulate, at);
                break;
            }
        }
    }
    bias_grad(dz, n, h, accumulate, db);
}

void KERNEL(prism_kernel_pixel_fold_bias_)(const float *grouped, const float *b, size_t d,
                                           size_t h, float *fold_bias)
{
    for (size_t o0 = 0; o0 < h; o0 += prism_pixel_block_width(o0, h)) {
        size_t width = prism_pixel_block_width(o0, h);
        const float *block = grouped + o0 * d;
        for (size_t o = 0; o < width; o++) {
            v16 sum = splat16(0.0f);
            for (size_t g = 0; g < d / LANES; g++) {
                sum += load16(block + (g * width + o) * LANES);
            }
            fold_bias[o0 + o] = b[o0 + o] - reduce16(sum);
        }
    }
}

void KERNEL(prism_kernel_pixel_unfold_grad_)(const float *sums, const float *db, size_t d,
                                             size_t h, float *dw)
{
    for (size_t o0 = 0; o0 < h; o0 += prism_pixel_block_width(o0, h)) {
        size_t width = prism_pixel_block_width(o0, h);
        for (size_t g = 0; g < d / LANES; g++) {
            for (size_t o = 0; o < width; o++) {
                size_t at = o0 * d + (g * width + o) * LANES;
                v16 minus_db = splat16(-db[o0 + o]);
                store16(dw + at, fma16(splat16(PRISM_PIXEL_SCALE), load16(sums + at), minus_db));
            }
        }
    }
}
