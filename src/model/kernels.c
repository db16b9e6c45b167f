#include "model/kernels.h"

#include "model/layers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Variants built from kernels/impl.c with different instruction sets. */
#define DECLARE_VARIANT(suffix)                                                                  \
    void prism_kernel_linear_forward_##suffix(const float *x, size_t n, size_t d,               \
                                              const float *w, const float *b, size_t h,         \
                                              prism_prefetch_stream *stream, float *z);         \
    void prism_kernel_linear_weight_grad_##suffix(const float *x, const float *dz, size_t n,    \
                                                  size_t d, size_t h, bool accumulate,         \
                                                  float *dw, float *db);                       \
    void prism_kernel_normalise_pixels_##suffix(const uint8_t *pixels, size_t n, float *out); \
    void prism_kernel_map_##suffix(int function, const float *x, float *y, size_t n);         \
    void prism_kernel_linear_input_grad_##suffix(const float *dz, size_t n, size_t d,          \
                                                 const float *w, size_t h, float *dx);         \
    void prism_kernel_gather_forward_##suffix(const uint8_t *pixels, const uint32_t *indices,  \
                                              size_t n, size_t d, const float *w,              \
                                              const float *b, size_t h,                        \
                                              prism_prefetch_stream *stream, float *x,         \
                                              float *z);                      \
    void prism_kernel_layernorm_forward_##suffix(const float *x, size_t n, size_t h,           \
                                                 const float *gain, const float *shift,        \
                                                 float eps, float *y, float *xhat,             \
                                                 float *rstd);                                 \
    void prism_kernel_layernorm_backward_##suffix(const float *dy, const float *xhat,          \
                                                  const float *rstd, size_t n, size_t h,       \
                                                  const float *gain, bool accumulate,          \
                                                  float *dx, float *dgain, float *dshift);     \
    void prism_kernel_softmax_xent_##suffix(const float *logits, const uint8_t *labels,        \
                                            size_t n, size_t classes, size_t batch_rows,       \
                                            float *dlogits, double *loss_sum);
DECLARE_VARIANT(avx512)
DECLARE_VARIANT(avx2)
DECLARE_VARIANT(generic)

typedef struct kernel_table {
    const char *name;
    void (*forward)(const float *, size_t, size_t, const float *, const float *, size_t,
                    prism_prefetch_stream *, float *);
    void (*weight_grad)(const float *, const float *, size_t, size_t, size_t, bool, float *,
                        float *);
    void (*normalise)(const uint8_t *, size_t, float *);
    void (*map)(int, const float *, float *, size_t);
    void (*input_grad)(const float *, size_t, size_t, const float *, size_t, float *);
    void (*gather_forward)(const uint8_t *, const uint32_t *, size_t, size_t, const float *,
                           const float *, size_t, prism_prefetch_stream *, float *, float *);
    void (*layernorm_forward)(const float *, size_t, size_t, const float *, const float *, float,
                              float *, float *, float *);
    void (*layernorm_backward)(const float *, const float *, const float *, size_t, size_t,
                               const float *, bool, float *, float *, float *);
    void (*softmax_xent)(const float *, const uint8_t *, size_t, size_t, size_t, float *,
                         double *);
} kernel_table;

static kernel_table chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static void choose_variant(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
        chosen = (kernel_table){"avx512", prism_kernel_linear_forward_avx512,
                                prism_kernel_linear_weight_grad_avx512,
                                prism_kernel_normalise_pixels_avx512,
                                prism_kernel_map_avx512,
                                prism_kernel_linear_input_grad_avx512,
                                prism_kernel_gather_forward_avx512,
                                prism_kernel_layernorm_forward_avx512,
                                prism_kernel_layernorm_backward_avx512,
                                prism_kernel_softmax_xent_avx512};
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        chosen = (kernel_table){"avx2-fma", prism_kernel_linear_forward_avx2,
                                prism_kernel_linear_weight_grad_avx2,
                                prism_kernel_normalise_pixels_avx2,
                                prism_kernel_map_avx2,
                                prism_kernel_linear_input_grad_avx2,
                                prism_kernel_gather_forward_avx2,
                                prism_kernel_layernorm_forward_avx2,
                                prism_kernel_layernorm_backward_avx2,
                                prism_kernel_softmax_xent_avx2};
    } else {
        chosen = (kernel_table){"generic", prism_kernel_linear_forward_generic,
                                prism_kernel_linear_weight_grad_generic,
                                prism_kernel_normalise_pixels_generic,
                                prism_kernel_map_generic,
                                prism_kernel_linear_input_grad_generic,
                                prism_kernel_gather_forward_generic,
                                prism_kernel_layernorm_forward_generic,
                                prism_kernel_layernorm_backward_generic,
                                prism_kernel_softmax_xent_generic};
    }
}

void prism_kernel_linear_forward(const float *x, size_t n, size_t d, const float *w,
                                 const float *b, size_t h, float *z)
{
    pthread_once(&chosen_once, choose_variant);
    chosen.forward(x, n, d, w, b, h, NULL, z);
}

void prism_kernel_linear_weight_grad(const float *x, const float *dz, size_t n, size_t d,
                                     size_t h, bool accumulate, float *dw, float *db)
{
    pthread_once(&chosen_once, choose_variant);
    chosen.weight_grad(x, dz, n, d, h, accumulate, dw, db);
}

void prism_kernel_normalise_pixels(const uint8_t *pixels, size_t n, float *out)
{
    pthread_once(&chosen_once, choose_variant);
    chosen.normalise(pixels, n, out);
}

void prism_kernel_linear_input_grad(const float *dz, size_t n, size_t d, const float *w,
                                    size_t h, float *dx)
{
    pthread_once(&chosen_once, choose_variant);
    chosen.input_grad(dz, n, d, w, h, dx);
}

void prism_kernel_gather_forward(const uint8_t *pixels, const uint32_t *indices, size_t n,
                                 size_t d, const float *w, const float *b, size_t h,
                                 prism_prefetch_stream *stream, float *x, float *z)
{
    pthread_once(&chosen_once, choose_variant);
    chosen.gather_forward(pixels, indices, n, d, w, b, h, stream, x, z);
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
    chosen.layernorm_forward(x, n, h, gain, shift, eps, y, xhat, rstd);
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
    chosen.layernorm_backward(dy, xhat, rstd, n, h, gain, accumulate, dx, dgain, dshift);
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
    chosen.softmax_xent(logits, labels, n, classes, batch_rows, dlogits, loss_sum);
}

void prism_kernel_map(prism_kernel_function function, const float *x, float *y, size_t n)
{
    pthread_once(&chosen_once, choose_variant);
    chosen.map((int)function, x, y, n);
}

const char *prism_kernel_variant(void)
{
    pthread_once(&chosen_once, choose_variant);
    return chosen.name;
}
