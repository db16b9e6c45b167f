#include "model/kernels.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/kernel_variants.h"
#include "model/layers.h"

#define TABLE(label, suffix)                                                                     \
    {                                                                                            \
        label, prism_kernel_linear_forward_##suffix, prism_kernel_linear_weight_grad_##suffix,  \
            prism_kernel_normalise_pixels_##suffix, prism_kernel_map_##suffix,                   \
            prism_kernel_linear_input_grad_##suffix, prism_kernel_pixel_forward_##suffix,        \
            prism_kernel_pixel_weight_grad_##suffix, prism_kernel_pixel_fold_bias_##suffix,      \
            prism_kernel_pixel_unfold_grad_##suffix,                                             \
            prism_kernel_layernorm_forward_##suffix, prism_kernel_layernorm_backward_##suffix,   \
            prism_kernel_softmax_xent_##suffix                                                   \
    }

const prism_kernel_table prism_kernel_tables[PRISM_KERNEL_VARIANTS] = {
    TABLE("generic", generic),
    TABLE("avx2-fma", avx2),
    TABLE("avx512", avx512),
};

bool prism_kernel_variant_usable(size_t i)
{
    __builtin_cpu_init();
    switch (i) {
    case 0:
        return true;
    case 1:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case 2:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    default:
        return false;
    }
}

static const prism_kernel_table *chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose_variant(void)
{
    size_t best = 0;
    for (size_t i = 1; i < PRISM_KERNEL_VARIANTS; i++) {
        best = prism_kernel_variant_usable(i) ? i : best;
    }
    chosen = &prism_kernel_tables[best];
}

void prism_kernel_linear_forward(const float *x, size_t n, size_t d, const float *w,
                                 const float *b, size_t h, float *z)
{
    pthread_once(&chosen_once, choose_variant);
    chosen->forward(x, n, d, w, b, h, z);
}

void prism_kernel_linear_weight_grad(const float *x, const float *dz, size_t n, size_t d,
                                     size_t h, bool accumulate, float *dw, float *db)
{
    pthread_once(&chosen_once, choose_variant);
    chosen->weight_grad(x, dz, n, d, h, accumulate, dw, db);
}

void prism_kernel_normalise_pixels(const uint8_t *pixels, size_t n, float *out)
{
    pthread_once(&chosen_once, choose_variant);
    chosen->normalise(pixels, n, out);
}

void prism_kernel_linear_input_grad(const float *dz, size_t n, size_t d, const float *w,
                                    size_t h, float *dx)
{
    pthread_once(&chosen_once, choose_variant);
    chosen->input_grad(dz, n, d, w, h, dx);
}

void prism_kernel_pixel_forward(const prism_pixel_groups *images, const uint32_t *indices,
                                size_t n, size_t d, const float *grouped,
                                const float *fold_bias, size_t h, const uint32_t *ahead,
                                size_t ahead_n, float *z)
{
    assert(d % 16 == 0 && d / 16 <= 64 && n <= PRISM_PIXEL_ROWS_MAX);
    pthread_once(&chosen_once, choose_variant);
    chosen->pixel_forward(images, indices, n, d, grouped, fold_bias, h, ahead, ahead_n, z);
}

void prism_kernel_pixel_weight_grad(const prism_pixel_groups *images, const uint32_t *indices,
                                    size_t n, size_t d, const float *dz, size_t h,
                                    bool accumulate, float *sums, float *db)
{
    assert(d % 16 == 0 && d / 16 <= 64 && n <= PRISM_PIXEL_ROWS_MAX);
    pthread_once(&chosen_once, choose_variant);
    chosen->pixel_weight_grad(images, indices, n, d, dz, h, accumulate, sums, db);
}

/* Where, within its block of m outputs, the grouped layout keeps output o's weight for the pixel
 * at packed position j (lane j % 16 of group j / 16). */
static size_t grouped_offset(size_t j, size_t o, size_t m)
{
    return (j / PRISM_PIXEL_GROUP_LANES * m + o) * PRISM_PIXEL_GROUP_LANES
           + j % PRISM_PIXEL_GROUP_LANES;
}

/* Copies every weight between w's layout (a row of d per output) and the grouped one, in the
 * direction `into_grouped` says. */
static void regroup(const float *from, float *to, const uint16_t *order, size_t d, size_t h,
                    bool into_grouped)
{
    for (size_t o0 = 0; o0 < h; o0 += prism_pixel_block_width(o0, h)) {
        size_t m = prism_pixel_block_width(o0, h);
        for (size_t o = 0; o < m; o++) {
            for (size_t j = 0; j < d; j++) {
                size_t row_at = (o0 + o) * d + order[j];
                size_t grouped_at = o0 * d + grouped_offset(j, o, m);
                if (into_grouped) {
                    to[grouped_at] = from[row_at];
                } else {
                    to[row_at] = from[grouped_at];
                }
            }
        }
    }
}

void prism_kernel_pixel_group(const float *w, const uint16_t *order, size_t d, size_t h,
                              float *grouped)
{
    regroup(w, grouped, order, d, h, true);
}

void prism_kernel_pixel_ungroup(const float *grouped, const uint16_t *order, size_t d, size_t h,
                                float *w)
{
    regroup(grouped, w, order, d, h, false);
}

void prism_kernel_pixel_request_entries(const prism_pixel_groups *images,
                                        const uint32_t *indices, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        __builtin_prefetch(images->first + indices[i]);
        __builtin_prefetch(images->masks + indices[i]);
    }
}

void prism_kernel_pixel_fold_bias(const float *grouped, const float *b, size_t d, size_t h,
                                  float *fold_bias)
{
    assert(d % 16 == 0 && d / 16 <= 64);
    pthread_once(&chosen_once, choose_variant);
    chosen->pixel_fold_bias(grouped, b, d, h, fold_bias);
}

void prism_kernel_pixel_unfold_grad(const float *sums, const float *db, size_t d, size_t h,
                                    float *dw)
{
    assert(d % 16 == 0 && d / 16 <= 64);
    pthread_once(&chosen_once, choose_variant);
    chosen->pixel_unfold_grad(sums, db, d, h, dw);
}

void prism_kernel_layernorm_forward(const float *x, size_t n, size_t h, const float *gain,
                                    const float *shift, float eps, float *y, float *xhat,
                                    float *rstd)
{
    if (h > PRISM_KERNEL_ROW_MAX) {
        prism_layernorm_forward(x, n, h, gain, shift, eps, y, xhat, rstd);
        return;
    }
    pthread_once(&chosen_once, choose_variant);
    chosen->layernorm_forward(x, n, h, gain, shift, eps, y, xhat, rstd);
}

void prism_kernel_layernorm_backward(const float *dy, const float *xhat, const float *rstd,
                                     size_t n, size_t h, const float *gain, bool accumulate,
                                     float *dx, float *dgain, float *dshift)
{
    if (h > PRISM_KERNEL_ROW_MAX) {
        prism_layernorm_backward(dy, xhat, rstd, n, h, gain, accumulate, dx, dgain, dshift);
        return;
    }
    pthread_once(&chosen_once, choose_variant);
    chosen->layernorm_backward(dy, xhat, rstd, n, h, gain, accumulate, dx, dgain, dshift);
}

void prism_kernel_softmax_xent(const float *logits, const uint8_t *labels, size_t n,
                               size_t classes, size_t batch_rows, float *dlogits,
                               double *loss_sum)
{
    if (classes > PRISM_KERNEL_ROW_MAX) {
        prism_softmax_xent_part(logits, labels, n, classes, batch_rows, dlogits, loss_sum);
        return;
    }
    pthread_once(&chosen_once, choose_variant);
    chosen->softmax_xent(logits, labels, n, classes, batch_rows, dlogits, loss_sum);
}

void prism_kernel_map(prism_kernel_function function, const float *x, float *y, size_t n)
{
    pthread_once(&chosen_once, choose_variant);
    chosen->map((int)function, x, y, n);
}

const char *prism_kernel_variant(void)
{
    pthread_once(&chosen_once, choose_variant);
    return chosen->name;
}
