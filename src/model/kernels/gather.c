/* The rows of a training batch, read where they lie in the byte dataset (in shuffled order),
 * normalised into floats, and, in the same pass, multiplied by the first layer's weights. */
#include "blocks.h"

void KERNEL(prism_kernel_normalise_pixels_)(const uint8_t *pixels, size_t n, float *out);
void KERNEL(prism_kernel_linear_forward_)(const float *x, size_t n, size_t d, const float *w,
                                          const float *b, size_t h,
                                          prism_prefetch_stream *stream, float *z);

DEFINE_FOLD_TAIL()
DEFINE_FORWARD_BLOCK(4, 5)
DEFINE_FORWARD_BLOCK(4, 1)
DEFINE_FORWARD_BLOCK(1, 1)

enum { GATHER_ROWS = 4, GATHER_OUTS = 5 };

/* Rows i0..i0+3 of the batch: their bytes normalised into x and, while they are in registers,
 * multiplied for outputs 0..4, with the sums of forward_4x5 (d a multiple of 16). */
static void gather_block_4x5(const uint8_t *pixels, const uint32_t *indices, size_t i0,
                             size_t d, const float *w, const float *b, size_t h,
                             prism_prefetch_stream *stream, float *x, float *z)
{
    const uint8_t *rows[GATHER_ROWS];
    v16 acc[GATHER_ROWS][GATHER_OUTS];
    for (int r = 0; r < GATHER_ROWS; r++) {
        rows[r] = pixels + (size_t)indices[i0 + (size_t)r] * d;
        for (int o = 0; o < GATHER_OUTS; o++) {
            acc[r][o] = splat16(0.0f);
        }
    }
    for (size_t k = 0; k < d; k += LANES) {
        if (stream != NULL && k % (2 * LANES) == 0) {
            stream_request(stream);
        }
        v16 xr[GATHER_ROWS];
        for (int r = 0; r < GATHER_ROWS; r++) {
            xr[r] = normalise16(rows[r] + k);
            store16(x + (i0 + (size_t)r) * d + k, xr[r]);
        }
        for (int o = 0; o < GATHER_OUTS; o++) {
            v16 wv = load16(w + (size_t)o * d + k);
            for (int r = 0; r < GATHER_ROWS; r++) {
                acc[r][o] = fma16(xr[r], wv, acc[r][o]);
            }
        }
    }
    for (int r = 0; r < GATHER_ROWS; r++) {
        for (int o = 0; o < GATHER_OUTS; o++) {
            z[(i0 + (size_t)r) * h + (size_t)o] = reduce16(acc[r][o]) + b[o];
        }
    }
}

void KERNEL(prism_kernel_gather_forward_)(const uint8_t *pixels, const uint32_t *indices,
                                          size_t n, size_t d, const float *w, const float *b,
                                          size_t h, prism_prefetch_stream *stream, float *x,
                                          float *z)
{
    if (d % LANES != 0 || h < GATHER_OUTS) {
        for (size_t i = 0; i < n; i++) {
            KERNEL(prism_kernel_normalise_pixels_)(pixels + (size_t)indices[i] * d, d,
                                                   x + i * d);
        }
        KERNEL(prism_kernel_linear_forward_)(x, n, d, w, b, h, stream, z);
        return;
    }

    size_t i = 0;
    for (; i + GATHER_ROWS <= n; i += GATHER_ROWS) {
        gather_block_4x5(pixels, indices, i, d, w, b, h, stream, x, z);
        size_t o0 = GATHER_OUTS;
        for (; o0 + GATHER_OUTS <= h; o0 += GATHER_OUTS) {
            forward_4x5(x, d, i, w, b, o0, h, stream, z);
        }
        for (; o0 < h; o0++) {
            forward_4x1(x, d, i, w, b, o0, h, stream, z);
        }
    }
    for (; i < n; i++) {
        KERNEL(prism_kernel_normalise_pixels_)(pixels + (size_t)indices[i] * d, d, x + i * d);
        for (size_t o0 = 0; o0 < h; o0++) {
            forward_1x1(x, d, i, w, b, o0, h, stream, z);
        }
    }
}
