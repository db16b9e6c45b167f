/* Register blocks of the Linear products on rows of a matrix x[n][d].
 * Block sizes are fixed so that the compiler unrolls them completely and keeps every
 * accumulator in a register; the DEFINE_ macros instantiate a block only in the files that use
 * it. */
#ifndef PRISM_MODEL_KERNELS_BLOCKS_H
#define PRISM_MODEL_KERNELS_BLOCKS_H                                                               \

#include <stdbool.h>

#include "model/kernels.h"
#include "vec.h"

/* Columns d_vec..d-1 of a dot product folded into lane column % 16 one by one. Kept out of line:
 * indexing lanes by a variable would otherwise make the compiler keep every accumulator of a
 * block in memory. */
#define DEFINE_FOLD_TAIL()                                                                         \
    static __attribute__((noinline)) v16 fold_tail(v16 lanes, const float *row, const float *w,    \
                                                   size_t d_vec, size_t d)                         \
    {                                                                                              \
        for (size_t k = d_vec; k < d; k++) {                                                       \
            lanes[k % LANES] = fmaf(row[k], w[k], lanes[k % LANES]);                               \
        }                                                                                          \
        return lanes;                                                                              \
    }

/* z[i0 + r][o0 + o] for R rows and O outputs: each weight vector loaded once serves all R rows
 * and each input vector all O outputs. Each dot product is 16 lane sums over the whole vectors
 * in order, then the columns past them folded into lane column % 16 one by one, then a fixed
 * reduction of the lanes, then the bias. */
#define DEFINE_FORWARD_BLOCK(R, O)                                                                 \
    static inline void forward_##R##x##O(const float *x, size_t d, size_t i0, const float *w,      \
                                         const float *b, size_t o0, size_t h, float *z)            \
    {                                                                                              \
        const size_t d_vec = d - d % LANES;                                                        \
        const float *rows[R];                                                                      \
        v16 acc[R][O];                                                                             \
        for (int r = 0; r < R; r++) {                                                              \
            rows[r] = x + (i0 + (size_t)r) * d;                                                    \
            for (int o = 0; o < O; o++) {                                                          \
                acc[r][o] = splat16(0.0f);                                                         \
            }                                                                                      \
        }                                                                                          \
        for (size_t k = 0; k < d_vec; k += LANES) {                                                \
            v16 xr[R];                                                                             \
            for (int r = 0; r < R; r++) {                                                          \
                xr[r] = load16(rows[r] + k);                                                       \
            }                                                                                      \
            for (int o = 0; o < O; o++) {                                                          \
                v16 wv = load16(w + (o0 + (size_t)o) * d + k);                                     \
                for (int r = 0; r < R; r++) {                                                      \
                    acc[r][o] = fma16(xr[r], wv, acc[r][o]);                                       \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int r = 0; r < R; r++) {                                                              \
            for (int o = 0; o < O; o++) {                                                          \
                v16 lanes = acc[r][o];                                                             \
                if (d_vec < d) {                                                                   \
                    const float *wo = w + (o0 + (size_t)o) * d;                                    \
                    lanes = fold_tail(lanes, rows[r], wo, d_vec, d);                               \
                }                                                                                  \
                z[(i0 + (size_t)r) * h + o0 + (size_t)o] = reduce16(lanes) + b[o0 + (size_t)o];    \
            }                                                                                      \
        }                                                                                          \
    }

/* dw[o0 + o][k + 16 c ...] for O outputs and C column vectors: each lane's in-order chain of
 * fused multiply-adds over the n rows, continued from the value in dw when `resume`, else
 * started from 0. Rows lie far apart (3 KB for MNIST): too far for the hardware prefetcher to
 * follow, so the columns of the row 4 ahead are requested on the way. */
#define DEFINE_GRAD_BLOCK(O, C)                                                                    \
    static inline void grad_##O##x##C(const float *x, size_t d, const float *dz, size_t n,         \
                                               size_t h, size_t o0, size_t k, bool resume,         \
                                               float *dw)                                          \
    {                                                                                              \
        enum { PREFETCH_ROWS = 4 };                                                                \
        v16 acc[O][C];                                                                             \
        for (int o = 0; o < O; o++) {                                                              \
            for (int c = 0; c < C; c++) {                                                          \
                float *at = dw + (o0 + (size_t)o) * d + k + (size_t)c * LANES;                     \
                acc[o][c] = resume ? load16(at) : splat16(0.0f);                                   \
            }                                                                                      \
        }                                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            if (i + PREFETCH_ROWS < n) {                                                           \
                __builtin_prefetch(x + (i + PREFETCH_ROWS) * d + k);                               \
            }                                                                                      \
            const float *row = x + i * d;                                                          \
            v16 xv[C];                                                                             \
            for (int c = 0; c < C; c++) {                                                          \
                xv[c] = load16(row + k + (size_t)c * LANES);                                       \
            }                                                                                      \
            for (int o = 0; o < O; o++) {                                                          \
                v16 g = splat16(dz[i * h + o0 + (size_t)o]);                                       \
                for (int c = 0; c < C; c++) {                                                      \
                    acc[o][c] = fma16(g, xv[c], acc[o][c]);                                        \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int o = 0; o < O; o++) {                                                              \
            for (int c = 0; c < C; c++) {                                                          \
                store16(dw + (o0 + (size_t)o) * d + k + (size_t)c * LANES, acc[o][c]);             \
            }                                                                                      \
        }                                                                                          \
    }

/* db[o] = the in-order sum of dz[.][o] over the rows, continued from db's value when
 * `accumulate`; 16 outputs in the lanes of one vector. */
static inline void bias_grad(const float *dz, size_t n, size_t h, bool accumulate, float *db)
{
    for (size_t o0 = 0; o0 < h; o0 += LANES) {
        size_t m = h - o0 < LANES ? h - o0 : LANES;
        v16 sum = accumulate ? load_partial16(db + o0, m) : splat16(0.0f);
        for (size_t i = 0; i < n; i++) {
            sum += load_partial16(dz + i * h + o0, m);
        }
        store_partial16(db + o0, sum, m);
    }
}

/* The whole weight and bias gradient from rows of x, added to dw and db (each in-order sum
 * continued) when `accumulate`: 10 outputs x 2 vectors stream the rows once for 10 outputs (the
 * article's width), 5 x 4 and 1 x 4 serve the rest; columns past the last whole vector are
 * plain in-order sums. Needs d >= 16 (float rows narrower than a vector have their own
 * kernel). */
#define DEFINE_WEIGHT_GRAD()                                                                       \
    DEFINE_GRAD_BLOCK(10, 2)                                                                       \
    DEFINE_GRAD_BLOCK(10, 1)                                                                       \
    DEFINE_GRAD_BLOCK(5, 4)                                                                        \
    DEFINE_GRAD_BLOCK(5, 1)                                                                        \
    DEFINE_GRAD_BLOCK(1, 4)                                                                        \
    DEFINE_GRAD_BLOCK(1, 1)                                                                        \
    static void weight_grad_rows(const float *x, size_t d, const float *dz, size_t n, size_t h,    \
                                   bool accumulate, float *dw, float *db)                          \
    {                                                                                              \
        const size_t d_vec = d - d % LANES;                                                        \
        size_t o0 = 0;                                                                             \
        for (; o0 + 10 <= h; o0 += 10) {                                                           \
            size_t k = 0;                                                                          \
            for (; k + 2 * LANES <= d; k += 2 * LANES) {                                           \
                grad_10x2(x, d, dz, n, h, o0, k, accumulate, dw);                                  \
            }                                                                                      \
            for (; k < d_vec; k += LANES) {                                                        \
                grad_10x1(x, d, dz, n, h, o0, k, accumulate, dw);                                  \
            }                                                                                      \
        }                                                                                          \
        for (; o0 + 5 <= h; o0 += 5) {                                                             \
            size_t k = 0;                                                                          \
            for (; k + 4 * LANES <= d; k += 4 * LANES) {                                           \
                grad_5x4(x, d, dz, n, h, o0, k, accumulate, dw);                                   \
            }                                                                                      \
            for (; k < d_vec; k += LANES) {                                                        \
                grad_5x1(x, d, dz, n, h, o0, k, accumulate, dw);                                   \
            }                                                                                      \
        }                                                                                          \
        for (; o0 < h; o0++) {                                                                     \
            size_t k = 0;                                                                          \
            for (; k + 4 * LANES <= d; k += 4 * LANES) {                                           \
                grad_1x4(x, d, dz, n, h, o0, k, accumulate, dw);                                   \
            }                                                                                      \
            for (; k < d_vec; k += LANES) {                                                        \
                grad_1x1(x, d, dz, n, h, o0, k, accumulate, dw);                                   \
            }                                                                                      \
        }                                                                                          \
                                                                                                   \
        for (size_t o = 0; o < h; o++) {                                                           \
            for (size_t k = d_vec; k < d; k++) {                                                   \
                float sum = accumulate ? dw[o * d + k] : 0.0f;                                     \
                for (size_t i = 0; i < n; i++) {                                                   \
                    sum = fmaf(dz[i * h + o], x[i * d + k], sum);                             \
                }                                                                                  \
                dw[o * d + k] = sum;                                                               \
            }                                                                                      \
        }                                                                                          \
        bias_grad(dz, n, h, accumulate, db);                                                       \
    }

#endif
