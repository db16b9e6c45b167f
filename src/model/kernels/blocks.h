/* Register blocks of the Linear products. Blocks are written for a kind of row source: a kind
 * provides KIND_rows (the source), KIND_row (a pointer to one row), row_of_KIND (row i),
 * vec_of_KIND (16 inputs of a row as floats) and scalar_of_KIND (one input). The one kind in use
 * is float rows of a matrix x[n][d]; a source that produces the same floats gives the same bits.
 * Block sizes are fixed so that the compiler unrolls them completely and keeps every accumulator
 * in a register. */
#ifndef PRISM_MODEL_KERNELS_BLOCKS_H
#define PRISM_MODEL_KERNELS_BLOCKS_H

#include <stdbool.h>

#include "model/kernels.h"
#include "vec.h"

typedef struct float_rows {
    const float *x;
    size_t d;
} float_rows;
typedef const float *float_row;

static inline float_row row_of_float(float_rows src, size_t i)
{
    return src.x + i * src.d;
}

static inline v16 vec_of_float(float_row row, size_t k)
{
    return load16(row + k);
}

static inline float scalar_of_float(float_row row, size_t k)
{
    return row[k];
}

/* One cache line of the stream, if any is left. */
static inline void stream_request(prism_prefetch_stream *s)
{
    if (s->lines_left == 0) {
        if (s->next_row >= s->rows || s->row_bytes == 0) {
            return;
        }
        /* Every line the row touches, from the one holding its first byte. */
        uintptr_t first = (uintptr_t)(s->pixels + (size_t)s->indices[s->next_row] * s->row_bytes);
        uintptr_t last = first + s->row_bytes - 1;
        s->line = (const uint8_t *)(first & ~(uintptr_t)63);
        s->lines_left = (size_t)((last >> 6) - (first >> 6) + 1);
        s->next_row++;
    }
    __builtin_prefetch(s->line, 0, 2);
    s->line += 64;
    s->lines_left--;
}

static inline void stream_finish(prism_prefetch_stream *s)
{
    while (s->next_row < s->rows || s->lines_left > 0) {
        stream_request(s);
    }
}

/* Columns d_vec..d-1 of a dot product folded into lane column % 16 one by one. Kept out of line:
 * indexing lanes by a variable would otherwise make the compiler keep every accumulator of a
 * block in memory. */
#define DEFINE_FOLD_TAIL(KIND)                                                                     \
    static __attribute__((noinline)) v16 fold_tail_##KIND(v16 lanes, KIND##_row row,               \
                                                          const float *w, size_t d_vec,            \
                                                          size_t d)                                \
    {                                                                                              \
        for (size_t k = d_vec; k < d; k++) {                                                       \
            lanes[k % LANES] = fmaf(scalar_of_##KIND(row, k), w[k], lanes[k % LANES]);             \
        }                                                                                          \
        return lanes;                                                                              \
    }

/* z[i0 + r][o0 + o] for R rows and O outputs: each weight vector loaded once serves all R rows
 * and each input vector all O outputs. Each dot product is 16 lane sums over the whole vectors
 * in order, then the columns past them folded into lane column % 16 one by one, then a fixed
 * reduction of the lanes, then the bias. Every other step requests a line of `stream` (may be
 * NULL). */
#define DEFINE_FORWARD_BLOCK(KIND, R, O)                                                           \
    static inline void forward_##KIND##_##R##x##O(KIND##_rows src, size_t i0, const float *w,      \
                                                  const float *b, size_t o0, size_t h,             \
                                                  prism_prefetch_stream *stream, float *z)         \
    {                                                                                              \
        const size_t d = src.d;                                                                    \
        const size_t d_vec = d - d % LANES;                                                        \
        KIND##_row rows[R];                                                                        \
        v16 acc[R][O];                                                                             \
        for (int r = 0; r < R; r++) {                                                              \
            rows[r] = row_of_##KIND(src, i0 + (size_t)r);                                          \
            for (int o = 0; o < O; o++) {                                                          \
                acc[r][o] = splat16(0.0f);                                                         \
            }                                                                                      \
        }                                                                                          \
        for (size_t k = 0; k < d_vec; k += LANES) {                                                \
            if (stream != NULL && k % (2 * LANES) == 0) {                                          \
                stream_request(stream);                                                            \
            }                                                                                      \
            v16 xr[R];                                                                             \
            for (int r = 0; r < R; r++) {                                                          \
                xr[r] = vec_of_##KIND(rows[r], k);                                                 \
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
                    lanes = fold_tail_##KIND(lanes, rows[r], wo, d_vec, d);                        \
                }                                                                                  \
                z[(i0 + (size_t)r) * h + o0 + (size_t)o] = reduce16(lanes) + b[o0 + (size_t)o];    \
            }                                                                                      \
        }                                                                                          \
    }

/* dw[o0 + o][k + 16 c ...] for O outputs and C column vectors: each lane's in-order chain of
 * fused multiply-adds over the n rows, continued from the value in dw when `resume`, else
 * started from 0. Rows lie far apart (3 KB for MNIST): too far for the hardware prefetcher to
 * follow, so the columns of the row 4 ahead are requested on the way. */
#define DEFINE_GRAD_BLOCK(KIND, O, C)                                                              \
    static inline void grad_##KIND##_##O##x##C(KIND##_rows src, const float *dz, size_t n,         \
                                               size_t h, size_t o0, size_t k, bool resume,         \
                                               float *dw)                                          \
    {                                                                                              \
        enum { PREFETCH_ROWS = 4 };                                                                \
        v16 acc[O][C];                                                                             \
        for (int o = 0; o < O; o++) {                                                              \
            for (int c = 0; c < C; c++) {                                                          \
                float *at = dw + (o0 + (size_t)o) * src.d + k + (size_t)c * LANES;                 \
                acc[o][c] = resume ? load16(at) : splat16(0.0f);                                   \
            }                                                                                      \
        }                                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            if (i + PREFETCH_ROWS < n) {                                                           \
                __builtin_prefetch(row_of_##KIND(src, i + PREFETCH_ROWS) + k);                     \
            }                                                                                      \
            KIND##_row row = row_of_##KIND(src, i);                                                \
            v16 xv[C];                                                                             \
            for (int c = 0; c < C; c++) {                                                          \
                xv[c] = vec_of_##KIND(row, k + (size_t)c * LANES);                                 \
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
                store16(dw + (o0 + (size_t)o) * src.d + k + (size_t)c * LANES, acc[o][c]);         \
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

/* The whole weight and bias gradient from KIND rows, added to dw and db (each in-order sum
 * continued) when `accumulate`: 10 outputs x 2 vectors stream the rows once for 10 outputs (the
 * article's width), 5 x 4 and 1 x 4 serve the rest; columns past the last whole vector are
 * plain in-order sums. Needs d >= 16 (float rows narrower than a vector have their own
 * kernel). */
#define DEFINE_WEIGHT_GRAD(KIND)                                                                   \
    DEFINE_GRAD_BLOCK(KIND, 10, 2)                                                                 \
    DEFINE_GRAD_BLOCK(KIND, 10, 1)                                                                 \
    DEFINE_GRAD_BLOCK(KIND, 5, 4)                                                                  \
    DEFINE_GRAD_BLOCK(KIND, 5, 1)                                                                  \
    DEFINE_GRAD_BLOCK(KIND, 1, 4)                                                                  \
    DEFINE_GRAD_BLOCK(KIND, 1, 1)                                                                  \
    static void weight_grad_##KIND(KIND##_rows src, const float *dz, size_t n, size_t h,           \
                                   bool accumulate, float *dw, float *db)                          \
    {                                                                                              \
        const size_t d = src.d;                                                                    \
        const size_t d_vec = d - d % LANES;                                                        \
        size_t o0 = 0;                                                                             \
        for (; o0 + 10 <= h; o0 += 10) {                                                           \
            size_t k = 0;                                                                          \
            for (; k + 2 * LANES <= d; k += 2 * LANES) {                                           \
                grad_##KIND##_10x2(src, dz, n, h, o0, k, accumulate, dw);                          \
            }                                                                                      \
            for (; k < d_vec; k += LANES) {                                                        \
                grad_##KIND##_10x1(src, dz, n, h, o0, k, accumulate, dw);                          \
            }                                                                                      \
        }                                                                                          \
        for (; o0 + 5 <= h; o0 += 5) {                                                             \
            size_t k = 0;                                                                          \
            for (; k + 4 * LANES <= d; k += 4 * LANES) {                                           \
                grad_##KIND##_5x4(src, dz, n, h, o0, k, accumulate, dw);                           \
            }                                                                                      \
            for (; k < d_vec; k += LANES) {                                                        \
                grad_##KIND##_5x1(src, dz, n, h, o0, k, accumulate, dw);                           \
            }                                                                                      \
        }                                                                                          \
        for (; o0 < h; o0++) {                                                                     \
            size_t k = 0;                                                                          \
            for (; k + 4 * LANES <= d; k += 4 * LANES) {                                           \
                grad_##KIND##_1x4(src, dz, n, h, o0, k, accumulate, dw);                           \
            }                                                                                      \
            for (; k < d_vec; k += LANES) {                                                        \
                grad_##KIND##_1x1(src, dz, n, h, o0, k, accumulate, dw);                           \
            }                                                                                      \
        }                                                                                          \
                                                                                                   \
        for (size_t o = 0; o < h; o++) {                                                           \
            for (size_t k = d_vec; k < d; k++) {                                                   \
                float sum = accumulate ? dw[o * d + k] : 0.0f;                                     \
                for (size_t i = 0; i < n; i++) {                                                   \
                    sum = fmaf(dz[i * h + o], scalar_of_##KIND(row_of_##KIND(src, i), k), sum);    \
                }                                                                                  \
                dw[o * d + k] = sum;                                                               \
            }                                                                                      \
        }                                                                                          \
        bias_grad(dz, n, h, accumulate, db);                                                       \
    }

#endif
