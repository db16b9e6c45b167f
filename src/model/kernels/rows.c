/* The row-wise layers, LayerNorm and softmax cross-entropy, 16 rows at a time, for rows of at
 * most 16 values (the article's width is 10). Each row's sums are chains of dependent additions;
 * one row at a time, the core mostly waits on them. Here a block of 16 rows is transposed in
 * registers so that each vector holds one column, and every row's arithmetic runs in its own
 * lane, operation for operation the same as model/layers.c: this file is compiled without
 * fusing multiplies into adds, as layers.c is, so the bits are the same. */
#include <math.h>
#include <stdbool.h>

#include "model/kernels.h"
#include "vec.h"

void KERNEL(prism_kernel_map_)(int function, const float *x, float *y, size_t n);

/* Rows first..first+count-1 of x[.][w] (count, w <= 16), one vector each; lanes past w and
 * rows past count are 0. */
static void load_rows(const float *x, size_t first, size_t count, size_t w, v16 row[16])
{
    for (size_t r = 0; r < LANES; r++) {
        row[r] = r < count ? load_partial16(x + (first + r) * w, w) : splat16(0.0f);
    }
}

/* The same rows as columns: col[j] lane r = row r's value j. */
static void load_columns(const float *x, size_t first, size_t count, size_t w, v16 col[16])
{
    load_rows(x, first, count, w, col);
    transpose16(col);
}

/* The inverse: writes columns col[0..w-1] of `count` rows back to y[.][w]. */
static void store_columns(float *y, size_t first, size_t count, size_t w, v16 col[16])
{
    transpose16(col);
    for (size_t r = 0; r < count; r++) {
        store_partial16(y + (first + r) * w, col[r], w);
    }
}

static inline v16 sqrt16(v16 x)
{
#if defined(__AVX512F__)
    return (v16)_mm512_sqrt_ps((__m512)x);
#else
    for (int l = 0; l < LANES; l++) {
        x[l] = sqrtf(x[l]);
    }
    return x;
#endif
}

void KERNEL(prism_kernel_layernorm_forward_)(const float *x, size_t n, size_t h,
                                             const float *gain, const float *shift, float eps,
                                             float *y, float *xhat, float *rstd)
{
    for (size_t first = 0; first < n; first += LANES) {
        size_t count = n - first < LANES ? n - first : LANES;
        v16 col[LANES];
        load_columns(x, first, count, h, col);

        v16 sum = splat16(0.0f);
        for (size_t j = 0; j < h; j++) {
            sum = sum + col[j];
        }
        v16 mean = sum / splat16((float)h);

        v16 sq = splat16(0.0f);
        for (size_t j = 0; j < h; j++) {
            v16 dev = col[j] - mean;
            sq = sq + dev * dev;
        }
        v16 r = splat16(1.0f) / sqrt16(sq / splat16((float)h) + splat16(eps));
        store_partial16(rstd + first, r, count);

        v16 xh[LANES];
        v16 out[LANES];
        for (size_t j = 0; j < LANES; j++) {
            xh[j] = j < h ? (col[j] - mean) * r : splat16(0.0f);
            out[j] = j < h ? xh[j] * splat16(gain[j]) + splat16(shift[j]) : splat16(0.0f);
        }
        store_columns(xhat, first, count, h, xh);
        store_columns(y, first, count, h, out);
    }
}

void KERNEL(prism_kernel_layernorm_backward_)(const float *dy, const float *xhat,
                                              const float *rstd, size_t n, size_t h,
                                              const float *gain, bool accumulate, float *dx,
                                              float *dgain, float *dshift)
{
    /* The parameter gradients are sums over rows, value j in lane j, each continued in row
     * order while the rows are still rows. */
    v16 gain_sum = accumulate ? load_partial16(dgain, h) : splat16(0.0f);
    v16 shift_sum = accumulate ? load_partial16(dshift, h) : splat16(0.0f);
    for (size_t first = 0; first < n; first += LANES) {
        size_t count = n - first < LANES ? n - first : LANES;
        v16 dyc[LANES];
        v16 xc[LANES];
        load_rows(dy, first, count, h, dyc);
        load_rows(xhat, first, count, h, xc);
        for (size_t r = 0; r < count; r++) {
            gain_sum = gain_sum + dyc[r] * xc[r];
            shift_sum = shift_sum + dyc[r];
        }
        transpose16(dyc);
        transpose16(xc);

        v16 mean_g = splat16(0.0f);
        v16 mean_gx = splat16(0.0f);
        for (size_t j = 0; j < h; j++) {
            v16 g = dyc[j] * splat16(gain[j]);
            mean_g = mean_g + g;
            mean_gx = mean_gx + g * xc[j];
        }
        mean_g = mean_g / splat16((float)h);
        mean_gx = mean_gx / splat16((float)h);

        v16 r = load_partial16(rstd + first, count);
        v16 out[LANES];
        for (size_t j = 0; j < LANES; j++) {
            v16 g = dyc[j] * splat16(j < h ? gain[j] : 0.0f);
            out[j] = j < h ? r * (g - mean_g - xc[j] * mean_gx) : splat16(0.0f);
        }
        store_columns(dx, first, count, h, out);
    }
    store_partial16(dgain, gain_sum, h);
    store_partial16(dshift, shift_sum, h);
}

typedef int32_t i32x16 __attribute__((vector_size(64)));

void KERNEL(prism_kernel_softmax_xent_)(const float *logits, const uint8_t *labels, size_t n,
                                        size_t classes, size_t batch_rows, float *dlogits,
                                        double *loss_sum)
{
    float inv_rows = 1.0f / (float)batch_rows;
    double total = *loss_sum;
    for (size_t first = 0; first < n; first += LANES) {
        size_t count = n - first < LANES ? n - first : LANES;
        v16 z[LANES];
        load_columns(logits, first, count, classes, z);

        /* The row maximum subtracted first: every exponent <= 0, no overflow. A NaN logit
         * never wins the comparison, as in the scalar loop. */
        v16 max = z[0];
        for (size_t c = 1; c < classes; c++) {
            i32x16 greater = z[c] > max;
            max = (v16)((greater & (i32x16)z[c]) | (~greater & (i32x16)max));
        }
        float shifted[LANES][LANES];
        float e[LANES][LANES];
        for (size_t c = 0; c < classes; c++) {
            store16(shifted[c], z[c] - max);
        }
        KERNEL(prism_kernel_map_)(PRISM_FN_EXP, shifted[0], e[0], classes * LANES);

        v16 sum = splat16(0.0f);
        for (size_t c = 0; c < classes; c++) {
            sum = sum + load16(e[c]);
        }
        for (size_t r = 0; r < count; r++) {
            total += (double)(logf(sum[r]) - shifted[labels[first + r]][r]);
        }

        if (dlogits != NULL) {
            i32x16 label = {0};
            for (size_t r = 0; r < LANES; r++) {
                label[r] = r < count ? labels[first + r] : -1;
            }
            v16 d[LANES];
            for (size_t c = 0; c < LANES; c++) {
                i32x16 hit = label == (i32x16){0} + (int32_t)c;
                v16 onehot = (v16)(hit & (i32x16)splat16(1.0f));
                d[c] = c < classes ? (load16(e[c]) / sum - onehot) * splat16(inv_rows)
                                   : splat16(0.0f);
            }
            store_columns(dlogits, first, count, classes, d);
        }
    }
    *loss_sum = total;
}
