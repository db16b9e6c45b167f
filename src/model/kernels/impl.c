/* One implementation of the first-layer kernels, compiled once per instruction set with
 * PRISM_KERNEL_SUFFIX naming the variant (see CMakeLists.txt). The code is written on 16-lane
 * vectors; the compiler maps them to one AVX-512 register, two AVX registers or four SSE
 * registers. Results do not depend on the mapping because every lane is an independent chain of
 * fused multiply-adds and the lanes are reduced in one fixed order. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#define PRISM_CONCAT_(a, b) a##b
#define PRISM_CONCAT(a, b) PRISM_CONCAT_(a, b)
#define KERNEL(name) PRISM_CONCAT(name, PRISM_KERNEL_SUFFIX)

typedef float v16 __attribute__((vector_size(64), aligned(4)));

enum { LANES = 16, ROW_BLOCK = 4, OUT_BLOCK = 5, GRAD_OUT_BLOCK = 10, GRAD_COL_VECS = 2 };

/* a * b + c with one rounding. With hardware FMA and -ffp-contract=fast the expression compiles
 * to the fused instruction; without it each lane calls fmaf, which is exact by definition. */
static inline v16 fma16(v16 a, v16 b, v16 c)
{
#if defined(__FMA__)
    return a * b + c;
#else
    v16 r;
    for (int l = 0; l < LANES; l++) {
        r[l] = fmaf(a[l], b[l], c[l]);
    }
    return r;
#endif
}

static inline v16 load16(const float *p)
{
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store16(float *p, v16 v)
{
    memcpy(p, &v, sizeof v);
}

static inline v16 splat16(float s)
{
    v16 v = {0};
    return v + s;
}

/* Fixed pairwise reduction of the 16 lanes. */
static inline float reduce16(v16 v)
{
    float t8[8];
    for (int l = 0; l < 8; l++) {
        t8[l] = v[l] + v[l + 8];
    }
    float t4[4];
    for (int l = 0; l < 4; l++) {
        t4[l] = t8[l] + t8[l + 4];
    }
    return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

/* Columns past the last whole vector are folded into the lanes one by one, lane = column % 16,
 * after the vector part, the same way in every variant. */
static inline float dot_tail(const float *x, const float *w, size_t d_vec, size_t d, v16 acc)
{
    for (size_t k = d_vec; k < d; k++) {
        acc[k % LANES] = fmaf(x[k], w[k], acc[k % LANES]);
    }
    return reduce16(acc);
}

/* z[r][o] for ROW_BLOCK rows and up to OUT_BLOCK outputs starting at o0: each weight vector
 * loaded once serves all rows of the block. */
static void forward_block(const float *x, size_t d, const float *w, const float *b, size_t o0,
                          size_t n_out, size_t h, float *z)
{
    const size_t d_vec = d - d % LANES;
    v16 acc[ROW_BLOCK][OUT_BLOCK] = {{{0}}};

    for (size_t k = 0; k < d_vec; k += LANES) {
        v16 xr[ROW_BLOCK];
        for (int r = 0; r < ROW_BLOCK; r++) {
            xr[r] = load16(x + (size_t)r * d + k);
        }
        for (size_t o = 0; o < OUT_BLOCK; o++) {
            if (o < n_out) {
                v16 wv = load16(w + (o0 + o) * d + k);
                for (int r = 0; r < ROW_BLOCK; r++) {
                    acc[r][o] = fma16(xr[r], wv, acc[r][o]);
                }
            }
        }
    }

    for (int r = 0; r < ROW_BLOCK; r++) {
        for (size_t o = 0; o < n_out; o++) {
            float dot = dot_tail(x + (size_t)r * d, w + (o0 + o) * d, d_vec, d, acc[r][o]);
            z[(size_t)r * h + o0 + o] = dot + b[o0 + o];
        }
    }
}

/* One row at a time, for the rows left over after the blocks of ROW_BLOCK. */
static void forward_row(const float *x, size_t d, const float *w, const float *b, size_t h,
                        float *z)
{
    const size_t d_vec = d - d % LANES;
    for (size_t o = 0; o < h; o++) {
        v16 acc = {0};
        for (size_t k = 0; k < d_vec; k += LANES) {
            acc = fma16(load16(x + k), load16(w + o * d + k), acc);
        }
        z[o] = dot_tail(x, w + o * d, d_vec, d, acc) + b[o];
    }
}

void KERNEL(prism_kernel_linear_forward_)(const float *x, size_t n, size_t d, const float *w,
                                          const float *b, size_t h, float *z)
{
    size_t i = 0;
    for (; i + ROW_BLOCK <= n; i += ROW_BLOCK) {
        for (size_t o0 = 0; o0 < h; o0 += OUT_BLOCK) {
            size_t n_out = h - o0 < OUT_BLOCK ? h - o0 : OUT_BLOCK;
            forward_block(x + i * d, d, w, b, o0, n_out, h, z + i * h);
        }
    }
    for (; i < n; i++) {
        forward_row(x + i * d, d, w, b, h, z + i * h);
    }
}

/* dw[o][k..k+32) for up to GRAD_OUT_BLOCK outputs from o0, summed over all n rows in order. */
static void weight_grad_block(const float *x, const float *dz, size_t n, size_t d, size_t h,
                              size_t o0, size_t n_out, size_t k, float *dw)
{
    v16 acc[GRAD_OUT_BLOCK][GRAD_COL_VECS] = {{{0}}};

    for (size_t i = 0; i < n; i++) {
        v16 xv[GRAD_COL_VECS];
        for (int c = 0; c < GRAD_COL_VECS; c++) {
            xv[c] = load16(x + i * d + k + (size_t)c * LANES);
        }
        for (size_t o = 0; o < GRAD_OUT_BLOCK; o++) {
            if (o < n_out) {
                v16 g = splat16(dz[i * h + o0 + o]);
                for (int c = 0; c < GRAD_COL_VECS; c++) {
                    acc[o][c] = fma16(g, xv[c], acc[o][c]);
                }
            }
        }
    }

    for (size_t o = 0; o < n_out; o++) {
        for (int c = 0; c < GRAD_COL_VECS; c++) {
            store16(dw + (o0 + o) * d + k + (size_t)c * LANES, acc[o][c]);
        }
    }
}

void KERNEL(prism_kernel_linear_weight_grad_)(const float *x, const float *dz, size_t n,
                                              size_t d, size_t h, float *dw, float *db)
{
    const size_t block_cols = (size_t)GRAD_COL_VECS * LANES;
    const size_t d_blocks = d - d % block_cols;

    for (size_t o0 = 0; o0 < h; o0 += GRAD_OUT_BLOCK) {
        size_t n_out = h - o0 < GRAD_OUT_BLOCK ? h - o0 : GRAD_OUT_BLOCK;
        for (size_t k = 0; k < d_blocks; k += block_cols) {
            weight_grad_block(x, dz, n, d, h, o0, n_out, k, dw);
        }
    }

    /* Columns past the last whole block: plain sums over rows in order. */
    for (size_t o = 0; o < h; o++) {
        for (size_t k = d_blocks; k < d; k++) {
            float sum = 0.0f;
            for (size_t i = 0; i < n; i++) {
                sum = fmaf(dz[i * h + o], x[i * d + k], sum);
            }
            dw[o * d + k] = sum;
        }
    }

    for (size_t o = 0; o < h; o++) {
        float sum = 0.0f;
        for (size_t i = 0; i < n; i++) {
            sum += dz[i * h + o];
        }
        db[o] = sum;
    }
}
