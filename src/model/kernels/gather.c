/* The first layer straight from the bytes of shuffled images: forward product and weight
 * gradient. Rows are read where they lie in the training set and normalised in registers, so no
 * float copy of the batch is written or read back (for MNIST's 512-row batches it would be 1.6 MB,
 * as large as the core's cache). Results equal normalising the rows first and calling the float
 * kernels, bit for bit. */
#include "blocks.h"

void KERNEL(prism_kernel_normalise_pixels_)(const uint8_t *pixels, size_t n, float *out);

enum {
    AHEAD_ROWS = 16, /* rows requested before they are multiplied, two blocks of two ahead */
    LINE_BYTES = 64,
    GRAD_TILE_ROWS = 16, /* 12.5 KB of MNIST images: with the next tile, well inside L1 */
};

DEFINE_FORWARD_BLOCK(pixel, 2, 10)
DEFINE_FORWARD_BLOCK(pixel, 2, 1)
DEFINE_FORWARD_BLOCK(pixel, 1, 1)
DEFINE_WEIGHT_GRAD(pixel)

void KERNEL(prism_kernel_gather_forward_)(const uint8_t *pixels, const uint32_t *indices,
                                          size_t n, size_t d, const float *w, const float *b,
                                          size_t h, float *z)
{
    pixel_rows src = {pixels, indices, d};
    for (size_t i = 0; i < n && i < AHEAD_ROWS; i++) {
        for (size_t offset = 0; offset < d; offset += LINE_BYTES) {
            __builtin_prefetch(row_of_pixel(src, i) + offset);
        }
    }

    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        pixel_row later[2];
        const pixel_row *ahead = NULL;
        if (i + AHEAD_ROWS + 2 <= n) {
            later[0] = row_of_pixel(src, i + AHEAD_ROWS);
            later[1] = row_of_pixel(src, i + AHEAD_ROWS + 1);
            ahead = later;
        }
        size_t o0 = 0;
        for (; o0 + 10 <= h; o0 += 10) {
            forward_pixel_2x10(src, i, w, b, o0, h, o0 == 0 ? ahead : NULL, z);
        }
        for (; o0 < h; o0++) {
            forward_pixel_2x1(src, i, w, b, o0, h, o0 == 0 ? ahead : NULL, z);
        }
    }
    for (; i < n; i++) {
        for (size_t o0 = 0; o0 < h; o0++) {
            forward_pixel_1x1(src, i, w, b, o0, h, NULL, z);
        }
    }
}

void KERNEL(prism_kernel_gather_weight_grad_)(const uint8_t *pixels, const uint32_t *indices,
                                              const float *dz, size_t n, size_t d, size_t h,
                                              bool accumulate, float *dw, float *db)
{
    weight_grad_pixel((pixel_rows){pixels, indices, d}, dz, n, GRAD_TILE_ROWS, h, accumulate, dw,
                      db);
}

void KERNEL(prism_kernel_gather_rows_)(const uint8_t *pixels, const uint32_t *indices, size_t n,
                                       size_t d, const uint32_t *next, size_t next_n, float *x)
{
    /* The next rows' cache lines, spread evenly over this part's rows. */
    size_t lines_per_row = (d + LINE_BYTES - 1) / LINE_BYTES;
    size_t lines = next != NULL ? next_n * lines_per_row : 0;
    size_t line = 0;
    for (size_t i = 0; i < n; i++) {
        size_t until = n > 0 ? (i + 1) * lines / n : 0;
        for (; line < until; line++) {
            const uint8_t *row = pixels + (size_t)next[line / lines_per_row] * d;
            __builtin_prefetch(row + line % lines_per_row * LINE_BYTES);
        }
        KERNEL(prism_kernel_normalise_pixels_)(pixels + (size_t)indices[i] * d, d, x + i * d);
    }
}
