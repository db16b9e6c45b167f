/* The kernel variants: the kernels of model/kernels/ compiled once per instruction set, and a
 * table of each variant's functions. model/kernels.c runs the best one the CPU has; the tests
 * run every one it can and hold them to the same bits. */
#ifndef PRISM_MODEL_KERNEL_VARIANTS_H
#define PRISM_MODEL_KERNEL_VARIANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/kernels.h"

#define DECLARE_VARIANT(suffix)                                                                  \
    void prism_kernel_linear_forward_##suffix(const float *x, size_t n, size_t d,               \
                                              const float *w, const float *b, size_t h,         \
                                              float *z);                                        \
    void prism_kernel_linear_weight_grad_##suffix(const float *x, const float *dz, size_t n,    \
                                                  size_t d, size_t h, bool accumulate,         \
                                                  float *dw, float *db);                       \
    void prism_kernel_normalise_pixels_##suffix(const uint8_t *pixels, size_t n, float *out); \
    void prism_kernel_map_##suffix(int function, const float *x, float *y, size_t n);         \
    void prism_kernel_linear_input_grad_##suffix(const float *dz, size_t n, size_t d,          \
                                                 const float *w, size_t h, float *dx);         \
    void prism_kernel_pixel_forward_##suffix(const prism_pixel_groups *images,                \
                                             const uint32_t *indices, size_t n, size_t d,      \
                                             const float *w, const float *fold_bias, size_t h, \
                                             const uint32_t *ahead, size_t ahead_n, float *z); \
    void prism_kernel_pixel_weight_grad_##suffix(const prism_pixel_groups *images,             \
                                                 const uint32_t *indices, size_t n, size_t d,  \
                                                 const float *dz, size_t h, bool accumulate,   \
                                                 float *sums, float *db);                      \
    void prism_kernel_pixel_fold_bias_##suffix(const float *grouped, const float *b, size_t d, \
                                               size_t h, float *fold_bias);                    \
    void prism_kernel_pixel_unfold_grad_##suffix(const float *sums, const float *db, size_t d, \
                                                 size_t h, float *dw);                         \
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

typedef struct prism_kernel_table {
    const char *name;
    void (*forward)(const float *, size_t, size_t, const float *, const float *, size_t,
                    float *);
    void (*weight_grad)(const float *, const float *, size_t, size_t, size_t, bool, float *,
                        float *);
    void (*normalise)(const uint8_t *, size_t, float *);
    void (*map)(int, const float *, float *, size_t);
    void (*input_grad)(const float *, size_t, size_t, const float *, size_t, float *);
    void (*pixel_forward)(const prism_pixel_groups *, const uint32_t *, size_t, size_t,
                          const float *, const float *, size_t, const uint32_t *, size_t,
                          float *);
    void (*pixel_weight_grad)(const prism_pixel_groups *, const uint32_t *, size_t, size_t,
                              const float *, size_t, bool, float *, float *);
    void (*pixel_fold_bias)(const float *, const float *, size_t, size_t, float *);
    void (*pixel_unfold_grad)(const float *, const float *, size_t, size_t, float *);
    void (*layernorm_forward)(const float *, size_t, size_t, const float *, const float *, float,
                              float *, float *, float *);
    void (*layernorm_backward)(const float *, const float *, const float *, size_t, size_t,
                               const float *, bool, float *, float *, float *);
    void (*softmax_xent)(const float *, const uint8_t *, size_t, size_t, size_t, float *,
                         double *);
} prism_kernel_table;

/* From the plainest to the widest: generic x86-64, AVX2 with FMA, AVX-512 (F and VL). */
enum { PRISM_KERNEL_VARIANTS = 3 };
extern const prism_kernel_table prism_kernel_tables[PRISM_KERNEL_VARIANTS];

/* Whether this CPU can run variant i. */
bool prism_kernel_variant_usable(size_t i);

#endif
