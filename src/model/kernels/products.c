/* The products of a Linear layer on float rows: forward, weight gradient, input gradient. */
#include "blocks.h"

DEFINE_FOLD_TAIL()
DEFINE_FORWARD_BLOCK(4, 5)
DEFINE_FORWARD_BLOCK(4, 1)
DEFINE_FORWARD_BLOCK(1, 1)
DEFINE_WEIGHT_GRAD()

/* Narrow inputs (d < 16, e.g. the output layer of a 10-wide network): outputs go in the lanes
 * instead, 16 at a time, each lane the in-order chain b + x0 w0 + x1 w1 + ... Four rows at a
 * time, so that four independent chains hide each other's latency. */
static void forward_narrow(const float *x, size_t n, size_t d, const float *w, const float *b,
                           size_t h, float *z)
{
    enum { ROWS = 4 };
    for (size_t o0 = 0; o0 < h; o0 += LANES) {
        size_t m = h - o0 < LANES ? h - o0 : LANES;
        v16 wt[LANES];
        for (size_t k = 0; k < d; k++) {
            wt[k] = splat16(0.0f);
            for (size_t l = 0; l < m; l++) {
                wt[k][l] = w[(o0 + l) * d + k];
            }
        }
        v16 bias = load_partial16(b + o0, m);

        size_t i = 0;
        for (; i + ROWS <= n; i += ROWS) {
            v16 acc[ROWS];
            for (int r = 0; r < ROWS; r++) {
                acc[r] = bias;
            }
            for (size_t k = 0; k < d; k++) {
                for (int r = 0; r < ROWS; r++) {
                    acc[r] = fma16(splat16(x[(i + (size_t)r) * d + k]), wt[k], acc[r]);
                }
            }
            for (int r = 0; r < ROWS; r++) {
                store_partial16(z + (i + (size_t)r) * h + o0, acc[r], m);
            }
        }
        for (; i < n; i++) {
            v16 acc = bias;
            for (size_t k = 0; k < d; k++) {
                acc = fma16(splat16(x[i * d + k]), wt[k], acc);
            }
            store_partial16(z + i * h + o0, acc, m);
        }
    }
}

void KERNEL(prism_kernel_linear_forward_)(const float *x, size_t n, size_t d, const float *w,
                                          const float *b, size_t h, float *z)
{
    if (d < LANES) {
        forward_narrow(x, n, d, w, b, h, z);
        return;
    }
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        size_t o0 = 0;
        for (; o0 + 5 <= h; o0 += 5) {
            forward_4x5(x, d, i, w, b, o0, h, z);
        }
        for (; o0 < h; o0++) {
            forward_4x1(x, d, i, w, b, o0, h, z);
        }
    }
    for (; i < n; i++) {
        for (size_t o0 = 0; o0 < h; o0++) {
            forward_1x1(x, d, i, w, b, o0, h, z);
        }
    }
}

/* Narrow inputs (d < 16): the columns of one output's gradient fill the lanes of one vector,
 * each lane the in-order chain over rows, like the wide path's. Outputs in blocks of O, fixed
 * so that the compiler keeps every accumulator in a register: 10 (the article's width), then
 * 5, then 1. */
#define DEFINE_GRAD_NARROW(O)                                                                      \
    static void grad_narrow_##O(const float *x, const float *dz, size_t n, size_t d, size_t h,     \
                                size_t o0, bool accumulate, float *dw)                             \
    {                                                                                              \
        v16 acc[O];                                                                                \
        for (int o = 0; o < O; o++) {                                                              \
            float *at = dw + (o0 + (size_t)o) * d;                                                 \
            acc[o] = accumulate ? load_partial16(at, d) : splat16(0.0f);                           \
        }                                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            v16 xv = load_partial16(x + i * d, d);                                                 \
            const float *g = dz + i * h + o0;                                                      \
            for (int o = 0; o < O; o++) {                                                          \
                acc[o] = fma16(splat16(g[o]), xv, acc[o]);                                         \
            }                                                                                      \
        }                                                                                          \
        for (int o = 0; o < O; o++) {                                                              \
            store_partial16(dw + (o0 + (size_t)o) * d, acc[o], d);                                 \
        }                                                                                          \
    }

DEFINE_GRAD_NARROW(10)
DEFINE_GRAD_NARROW(5)
DEFINE_GRAD_NARROW(1)

static void weight_grad_narrow(const float *x, const float *dz, size_t n, size_t d, size_t h,
                               bool accumulate, float *dw)
{
    size_t o0 = 0;
    for (; o0 + 10 <= h; o0 += 10) {
        grad_narrow_10(x, dz, n, d, h, o0, accumulate, dw);
    }
    for (; o0 + 5 <= h; o0 += 5) {
        grad_narrow_5(x, dz, n, d, h, o0, accumulate, dw);
    }
    for (; o0 < h; o0++) {
        grad_narrow_1(x, dz, n, d, h, o0, accumulate, dw);
    }
}

void KERNEL(prism_kernel_linear_weight_grad_)(const float *x, const float *dz, size_t n,
                                              size_t d, size_t h, bool accumulate, float *dw,
                                              float *db)
{
    if (d < LANES) {
        weight_grad_narrow(x, dz, n, d, h, accumulate, dw);
        bias_grad(dz, n, h, accumulate, db);
        return;
    }
    weight_grad_rows(x, d, dz, n, h, accumulate, dw, db);
}

/* dx[n][d] = dz[n][h] . w[h][d]: columns of dx in the lanes, each the in-order chain over
 * outputs. Blocks of 16 weight vectors stay in registers while the rows stream past; a row's
 * partial sums are carried from one block of outputs to the next through dx. */
void KERNEL(prism_kernel_linear_input_grad_)(const float *dz, size_t n, size_t d,
                                             const float *w, size_t h, float *dx)
{
    for (size_t k0 = 0; k0 < d; k0 += LANES) {
        size_t m = d - k0 < LANES ? d - k0 : LANES;
        for (size_t o0 = 0; o0 < h; o0 += LANES) {
            size_t outs = h - o0 < LANES ? h - o0 : LANES;
            v16 wv[LANES];
            for (size_t j = 0; j < outs; j++) {
                wv[j] = load_partial16(w + (o0 + j) * d + k0, m);
            }
            for (size_t i = 0; i < n; i++) {
                v16 acc = o0 == 0 ? splat16(0.0f) : load_partial16(dx + i * d + k0, m);
                for (size_t j = 0; j < outs; j++) {
                    acc = fma16(splat16(dz[i * h + o0 + j]), wv[j], acc);
                }
                store_partial16(dx + i * d + k0, acc, m);
            }
        }
    }
}
