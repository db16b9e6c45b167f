/* One implementation of the first-layer kernels, compiled once per instruction set with
 * PRISM_KERNEL_SUFFIX naming the variant (see CMakeLists.txt). The code is written on 16-lane
 * vectors; the compiler maps them to one AVX-512 register, two AVX registers or four SSE
 * registers. Results do not depend on the mapping because every lane is an independent chain of
 * fused multiply-adds and the lanes are reduced in one fixed order. Register blocks have fixed
 * sizes so that the compiler unrolls them completely and keeps every accumulator in a register.
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PRISM_CONCAT_(a, b) a##b
#define PRISM_CONCAT(a, b) PRISM_CONCAT_(a, b)
#define KERNEL(name) PRISM_CONCAT(name, PRISM_KERNEL_SUFFIX)

typedef float v16 __attribute__((vector_size(64), aligned(4)));

enum {
    LANES = 16,
    FWD_ROWS = 4,      /* forward block: rows x outputs accumulators */
    FWD_OUTS = 5,
    GRAD_WIDE_OUTS = 10, /* weight-gradient blocks, outputs x column vectors of accumulators: */
    GRAD_WIDE_VECS = 2,  /* 10 x 2 streams the rows once for 10 outputs (the article's H), */
    GRAD_OUTS = 5,       /* 5 x 4 serves the remaining outputs in fives */
    GRAD_VECS = 4,
    GRAD_PREFETCH_ROWS = 4,
};

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
    return (v16){s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
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
 * after the vector part, the same way in every variant; then the lanes are reduced. */
static inline float finish_dot(const float *x, const float *w, size_t d_vec, size_t d, v16 acc)
{
    for (size_t k = d_vec; k < d; k++) {
        acc[k % LANES] = fmaf(x[k], w[k], acc[k % LANES]);
    }
    return reduce16(acc);
}

/* z[r][o0 + o] for R rows and O outputs: each weight vector loaded once serves all R rows and
 * each input vector all O outputs. */
#define DEFINE_FORWARD_BLOCK(R, O)                                                               \
    static inline void forward_block_##R##x##O(const float *x, size_t d, const float *w,        \
                                               const float *b, size_t o0, size_t h, float *z)   \
    {                                                                                            \
        const size_t d_vec = d - d % LANES;                                                      \
        v16 acc[R][O];                                                                           \
        for (int r = 0; r < R; r++) {                                                            \
            for (int o = 0; o < O; o++) {                                                        \
                acc[r][o] = splat16(0.0f);                                                       \
            }                                                                                    \
        }                                                                                        \
        for (size_t k = 0; k < d_vec; k += LANES) {                                              \
            v16 xr[R];                                                                           \
            for (int r = 0; r < R; r++) {                                                        \
                xr[r] = load16(x + (size_t)r * d + k);                                           \
            }                                                                                    \
            for (int o = 0; o < O; o++) {                                                        \
                v16 wv = load16(w + (o0 + (size_t)o) * d + k);                                   \
                for (int r = 0; r < R; r++) {                                                    \
                    acc[r][o] = fma16(xr[r], wv, acc[r][o]);                                     \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        for (int r = 0; r < R; r++) {                                                            \
            for (int o = 0; o < O; o++) {                                                        \
                const float *wo = w + (o0 + (size_t)o) * d;                                      \
                float dot = finish_dot(x + (size_t)r * d, wo, d_vec, d, acc[r][o]);              \
                z[(size_t)r * h + o0 + (size_t)o] = dot + b[o0 + (size_t)o];                     \
            }                                                                                    \
        }                                                                                        \
    }

DEFINE_FORWARD_BLOCK(4, 5)
DEFINE_FORWARD_BLOCK(4, 1)
DEFINE_FORWARD_BLOCK(1, 1)

/* Loads the first `count` floats of p into a vector whose other lanes are 0. */
static inline v16 load_partial16(const float *p, size_t count)
{
    float buf[LANES] = {0};
    memcpy(buf, p, count * sizeof *buf);
    return load16(buf);
}

static inline void store_partial16(float *p, v16 v, size_t count)
{
    float buf[LANES];
    store16(buf, v);
    memcpy(p, buf, count * sizeof *buf);
}

/* Narrow inputs (d < 16, e.g. the output layer of a 10-wide network): outputs go in the lanes
 * instead, 16 at a time, each lane the in-order chain b + x0 w0 + x1 w1 + ... */
static void forward_narrow(const float *x, size_t n, size_t d, const float *w, const float *b,
                           size_t h, float *z)
{
    for (size_t o0 = 0; o0 < h; o0 += LANES) {
        size_t m = h - o0 < LANES ? h - o0 : LANES;
        v16 wt[LANES];
        for (size_t k = 0; k < d; k++) {
            float column[LANES] = {0};
            for (size_t l = 0; l < m; l++) {
                column[l] = w[(o0 + l) * d + k];
            }
            wt[k] = load16(column);
        }
        v16 bias = load_partial16(b + o0, m);

        for (size_t i = 0; i < n; i++) {
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
    for (; i + FWD_ROWS <= n; i += FWD_ROWS) {
        size_t o0 = 0;
        for (; o0 + FWD_OUTS <= h; o0 += FWD_OUTS) {
            forward_block_4x5(x + i * d, d, w, b, o0, h, z + i * h);
        }
        for (; o0 < h; o0++) {
            forward_block_4x1(x + i * d, d, w, b, o0, h, z + i * h);
        }
    }
    for (; i < n; i++) {
        for (size_t o0 = 0; o0 < h; o0++) {
            forward_block_1x1(x + i * d, d, w, b, o0, h, z + i * h);
        }
    }
}

/* dw[o0 + o][k + c * 16 ...] for O outputs and C column vectors, summed over all n rows in
 * order. */
#define DEFINE_GRAD_BLOCK(O, C)                                                                  \
    static inline void grad_block_##O##x##C(const float *x, const float *dz, size_t n,          \
                                            size_t d, size_t h, size_t o0, size_t k, float *dw) \
    {                                                                                            \
        v16 acc[O][C];                                                                           \
        for (int o = 0; o < O; o++) {                                                            \
            for (int c = 0; c < C; c++) {                                                        \
                acc[o][c] = splat16(0.0f);                                                       \
            }                                                                                    \
        }                                                                                        \
        for (size_t i = 0; i < n; i++) {                                                         \
            /* Rows lie 3 KB apart for MNIST: too far for the hardware prefetcher to follow. */  \
            const float *ahead = x + (i + GRAD_PREFETCH_ROWS < n ? i + GRAD_PREFETCH_ROWS : i) * d \
                                 + k;                                                            \
            for (int c = 0; c < C; c += 4) {                                                     \
                __builtin_prefetch(ahead + (size_t)c * LANES);                                   \
            }                                                                                    \
            v16 xv[C];                                                                           \
            for (int c = 0; c < C; c++) {                                                        \
                xv[c] = load16(x + i * d + k + (size_t)c * LANES);                               \
            }                                                                                    \
            for (int o = 0; o < O; o++) {                                                        \
                v16 g = splat16(dz[i * h + o0 + (size_t)o]);                                     \
                for (int c = 0; c < C; c++) {                                                    \
                    acc[o][c] = fma16(g, xv[c], acc[o][c]);                                      \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        for (int o = 0; o < O; o++) {                                                            \
            for (int c = 0; c < C; c++) {                                                        \
                store16(dw + (o0 + (size_t)o) * d + k + (size_t)c * LANES, acc[o][c]);           \
            }                                                                                    \
        }                                                                                        \
    }

DEFINE_GRAD_BLOCK(5, 4)
DEFINE_GRAD_BLOCK(10, 2)
DEFINE_GRAD_BLOCK(10, 1)
DEFINE_GRAD_BLOCK(1, 4)
DEFINE_GRAD_BLOCK(5, 1)
DEFINE_GRAD_BLOCK(1, 1)

/* Narrow inputs (d < 16): the columns of one output's gradient fill the lanes of one vector,
 * each lane the in-order chain over rows, like the wide path's. */
static void weight_grad_narrow(const float *x, const float *dz, size_t n, size_t d, size_t h,
                               float *dw)
{
    enum { OUTS = 8 };
    for (size_t o0 = 0; o0 < h; o0 += OUTS) {
        size_t m = h - o0 < OUTS ? h - o0 : OUTS;
        v16 acc[OUTS];
        for (size_t o = 0; o < OUTS; o++) {
            acc[o] = splat16(0.0f);
        }
        for (size_t i = 0; i < n; i++) {
            v16 xv = load_partial16(x + i * d, d);
            for (size_t o = 0; o < m; o++) {
                acc[o] = fma16(splat16(dz[i * h + o0 + o]), xv, acc[o]);
            }
        }
        for (size_t o = 0; o < m; o++) {
            store_partial16(dw + (o0 + o) * d, acc[o], d);
        }
    }
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

void KERNEL(prism_kernel_linear_weight_grad_)(const float *x, const float *dz, size_t n,
                                              size_t d, size_t h, float *dw, float *db)
{
    if (d < LANES) {
        weight_grad_narrow(x, dz, n, d, h, dw);
    }

    const size_t wide = (size_t)GRAD_VECS * LANES;
    const size_t d_wide = d - d % wide;
    const size_t d_vec = d - d % LANES;

    const size_t wide10 = (size_t)GRAD_WIDE_VECS * LANES;
    size_t o0 = 0;
    for (; o0 + GRAD_WIDE_OUTS <= h; o0 += GRAD_WIDE_OUTS) {
        size_t k = 0;
        for (; k + wide10 <= d; k += wide10) {
            grad_block_10x2(x, dz, n, d, h, o0, k, dw);
        }
        for (; k < d_vec; k += LANES) {
            grad_block_10x1(x, dz, n, d, h, o0, k, dw);
        }
    }
    for (; o0 + GRAD_OUTS <= h; o0 += GRAD_OUTS) {
        size_t k = 0;
        for (; k < d_wide; k += wide) {
            grad_block_5x4(x, dz, n, d, h, o0, k, dw);
        }
        for (; k < d_vec; k += LANES) {
            grad_block_5x1(x, dz, n, d, h, o0, k, dw);
        }
    }
    for (; o0 < h; o0++) {
        size_t k = 0;
        for (; k < d_wide; k += wide) {
            grad_block_1x4(x, dz, n, d, h, o0, k, dw);
        }
        for (; k < d_vec; k += LANES) {
            grad_block_1x1(x, dz, n, d, h, o0, k, dw);
        }
    }

    /* Columns past the last whole vector: plain sums over rows in order. */
    for (size_t o = 0; o < h && d >= LANES; o++) {
        for (size_t k = d_vec; k < d; k++) {
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

/* 16 bytes to 16 floats. The compiler widens a generic byte vector one lane at a time, so the
 * widening instructions are named where the instruction set has them. */
static inline v16 bytes_to_v16(const uint8_t *bytes)
{
#if defined(__AVX512F__)
    __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const void *)bytes)));
    return (v16)f;
#elif defined(__AVX2__)
    __m128i raw = _mm_loadu_si128((const void *)bytes);
    __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(raw));
    __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(raw, 8)));
    v16 v;
    memcpy(&v, &lo, sizeof lo);
    memcpy((char *)&v + sizeof lo, &hi, sizeof hi);
    return v;
#else
    v16 v;
    for (int l = 0; l < LANES; l++) {
        v[l] = (float)bytes[l];
    }
    return v;
#endif
}

/* (p / 255 - 0.5) / 0.5 in float32 without a division: q0 = p r with r = 1/255 rounded, then one
 * Newton step on the exact residual p - 255 q0 (an FMA computes it without rounding) gives the
 * correctly rounded quotient p / 255 for every byte, which tests check exhaustively; subtracting
 * 0.5 and doubling are then the same operations ToTensor + Normalize perform. */
static inline v16 normalise16(const uint8_t *bytes)
{
    v16 p = bytes_to_v16(bytes);
    v16 r = splat16(1.0f / 255.0f);
    v16 q0 = p * r;
    v16 residual = fma16(q0, splat16(-255.0f), p);
    v16 q = fma16(residual, r, q0);
    return (q - splat16(0.5f)) * splat16(2.0f);
}

void KERNEL(prism_kernel_normalise_pixels_)(const uint8_t *pixels, size_t n, float *out)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        store16(out + i, normalise16(pixels + i));
    }
    for (; i < n; i++) {
        float p = (float)pixels[i];
        float q0 = p * (1.0f / 255.0f);
        float q = fmaf(fmaf(q0, -255.0f, p), 1.0f / 255.0f, q0);
        out[i] = (q - 0.5f) * 2.0f;
    }
}

/* ---- Element-wise functions on float vectors ----
 * Written once on 16-lane vectors from multiplies, FMAs, one division and integer bit
 * operations, so every variant computes the same bits. Accuracy: exp and expm1 within about
 * 1 ulp; tanh within a few ulp; erfc within 1.2e-7 relative (the Chebyshev fit of Numerical
 * Recipes' erfcc). NaN inputs give NaN outputs. */

typedef int32_t i32x16 __attribute__((vector_size(64)));

/* Lane-wise mask ? a : b, where mask lanes are all ones or all zeros. */
static inline v16 select16(i32x16 mask, v16 a, v16 b)
{
    return (v16)(((i32x16)a & mask) | ((i32x16)b & ~mask));
}

/* Clamping written as compares so that NaN passes through unchanged. */
static inline v16 clamp16(v16 x, float lo, float hi)
{
    x = select16(x < splat16(lo), splat16(lo), x);
    return select16(x > splat16(hi), splat16(hi), x);
}

static inline v16 abs16(v16 x)
{
    return (v16)((i32x16)x & (i32x16){0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff,
                                      0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff,
                                      0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff,
                                      0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff});
}

/* x = n ln2 + r with n an integer and |r| <= ln2 / 2; returns r and sets *scale = 2^n. The
 * clamp keeps 2^n a normal float: exp saturates at about 1.6e38 above and 1.2e-38 below. */
static inline v16 reduce_ln2(v16 x, v16 *scale)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    x = clamp16(x, -87.3f, 88.0f);
    v16 shifted = fma16(x, splat16(1.44269504088896341f), splat16(magic));
    v16 n = shifted - splat16(magic);
    v16 r = fma16(n, splat16(-0.693145751953125f), x);     /* ln2, high bits: n * hi exact */
    r = fma16(n, splat16(-1.428606765330187045e-06f), r);  /* ln2, the rest */
    i32x16 n_int = (i32x16)shifted - (i32x16)splat16(magic);
    *scale = (v16)((n_int + 127) << 23);
    return r;
}

/* e^r - 1 for |r| <= ln2 / 2 by its Taylor series to r^8 (remainder below 2e-9 relative). */
static inline v16 expm1_reduced(v16 r)
{
    v16 p = splat16(1.0f / 40320.0f);
    p = fma16(p, r, splat16(1.0f / 5040.0f));
    p = fma16(p, r, splat16(1.0f / 720.0f));
    p = fma16(p, r, splat16(1.0f / 120.0f));
    p = fma16(p, r, splat16(1.0f / 24.0f));
    p = fma16(p, r, splat16(1.0f / 6.0f));
    p = fma16(p, r, splat16(0.5f));
    return fma16(p * r, r, r);
}

static inline v16 exp16(v16 x)
{
    v16 scale;
    v16 r = reduce_ln2(x, &scale);
    return fma16(expm1_reduced(r), scale, scale);
}

/* e^x - 1 = 2^n (e^r - 1) + (2^n - 1): no cancellation near 0, where n = 0. */
static inline v16 expm1_16(v16 x)
{
    v16 scale;
    v16 r = reduce_ln2(x, &scale);
    return fma16(expm1_reduced(r), scale, scale - splat16(1.0f));
}

/* tanh |x| = -u / (2 + u) with u = e^(-2|x|) - 1, then the sign of x. */
static inline v16 tanh16(v16 x)
{
    v16 u = expm1_16(splat16(-2.0f) * abs16(x));
    v16 t = -u / (splat16(2.0f) + u);
    i32x16 sign = (i32x16)x & (i32x16)splat16(-0.0f);
    return (v16)((i32x16)t | sign);
}

/* erfc(z) = t exp(-z^2 - 1.26551223 + t P(t)), t = 1 / (1 + |z| / 2), for z >= 0, and
 * 2 - erfc(-z) below. */
static inline v16 erfc16(v16 z)
{
    v16 a = abs16(z);
    v16 t = splat16(1.0f) / fma16(splat16(0.5f), a, splat16(1.0f));
    v16 p = splat16(0.17087277f);
    p = fma16(p, t, splat16(-0.82215223f));
    p = fma16(p, t, splat16(1.48851587f));
    p = fma16(p, t, splat16(-1.13520398f));
    p = fma16(p, t, splat16(0.27886807f));
    p = fma16(p, t, splat16(-0.18628806f));
    p = fma16(p, t, splat16(0.09678418f));
    p = fma16(p, t, splat16(0.37409196f));
    p = fma16(p, t, splat16(1.00002368f));
    p = fma16(p, t, splat16(-1.26551223f));
    v16 ans = t * exp16(p - a * a);
    return select16((i32x16)(z < splat16(0.0f)), splat16(2.0f) - ans, ans);
}

static inline v16 apply16(int function, v16 x)
{
    switch (function) {
    case 0:
        return exp16(x);
    case 1:
        return expm1_16(x);
    case 2:
        return tanh16(x);
    default:
        return erfc16(x);
    }
}

/* y[i] = f(x[i]) for the function numbered as prism_kernel_function; y may alias x. The tail
 * goes through a padded vector so that every element takes the same path. */
void KERNEL(prism_kernel_map_)(int function, const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        store16(y + i, apply16(function, load16(x + i)));
    }
    if (i < n) {
        float buf[LANES] = {0};
        memcpy(buf, x + i, (n - i) * sizeof *buf);
        v16 out = apply16(function, load16(buf));
        memcpy(buf, &out, sizeof buf);
        memcpy(y + i, buf, (n - i) * sizeof *buf);
    }
}

/* ---- The first layer straight from shuffled images ----
 * Images are read where they lie in the training set, normalised in registers, written to x
 * (the backward pass needs them) and multiplied in the same pass, so that the cache misses of
 * a shuffled batch overlap with arithmetic instead of stalling a separate copy. The sums are
 * those of prism_kernel_linear_forward on the normalised rows, bit for bit. */

enum { GATHER_AHEAD_BLOCKS = 2, LINE_BYTES = 64 };

static void prefetch_rows(const uint8_t *pixels, const uint32_t *indices, size_t count,
                          size_t d)
{
    for (size_t r = 0; r < count; r++) {
        const uint8_t *row = pixels + (size_t)indices[r] * d;
        for (size_t offset = 0; offset < d; offset += LINE_BYTES) {
            __builtin_prefetch(row + offset);
        }
    }
}

/* Rows i..i+3: outputs o0..o0+4 computed while the rows are normalised into x. The rows of a
 * later block (`ahead`, NULL for none) are requested a cache line at a time between the
 * multiply-adds, where the requests do not stall the loop. */
static void gather_block_4x5(const uint8_t *pixels, const uint32_t *indices,
                             const uint32_t *ahead, size_t d, const float *w, const float *b,
                             size_t h, float *x, float *z)
{
    const uint8_t *rows[FWD_ROWS];
    for (int r = 0; r < FWD_ROWS; r++) {
        rows[r] = pixels + (size_t)indices[r] * d;
    }
    v16 acc[FWD_ROWS][FWD_OUTS];
    for (int r = 0; r < FWD_ROWS; r++) {
        for (int o = 0; o < FWD_OUTS; o++) {
            acc[r][o] = splat16(0.0f);
        }
    }
    for (size_t k = 0; k < d; k += LANES) {
        if (ahead != NULL && k % LINE_BYTES == 0) {
            for (int r = 0; r < FWD_ROWS; r++) {
                __builtin_prefetch(pixels + (size_t)ahead[r] * d + k);
            }
        }
        v16 xr[FWD_ROWS];
        for (int r = 0; r < FWD_ROWS; r++) {
            xr[r] = normalise16(rows[r] + k);
            store16(x + (size_t)r * d + k, xr[r]);
        }
        for (int o = 0; o < FWD_OUTS; o++) {
            v16 wv = load16(w + (size_t)o * d + k);
            for (int r = 0; r < FWD_ROWS; r++) {
                acc[r][o] = fma16(xr[r], wv, acc[r][o]);
            }
        }
    }
    for (int r = 0; r < FWD_ROWS; r++) {
        for (int o = 0; o < FWD_OUTS; o++) {
            z[(size_t)r * h + (size_t)o] = reduce16(acc[r][o]) + b[o];
        }
    }
}

void KERNEL(prism_kernel_gather_forward_)(const uint8_t *pixels, const uint32_t *indices,
                                          size_t n, size_t d, const float *w, const float *b,
                                          size_t h, float *x, float *z)
{
    /* The fused block needs whole vectors and at least one full block of outputs. */
    if (d % LANES != 0 || h < FWD_OUTS) {
        for (size_t i = 0; i < n; i++) {
            KERNEL(prism_kernel_normalise_pixels_)(pixels + (size_t)indices[i] * d, d,
                                                   x + i * d);
        }
        KERNEL(prism_kernel_linear_forward_)(x, n, d, w, b, h, z);
        return;
    }

    size_t ahead = (size_t)GATHER_AHEAD_BLOCKS * FWD_ROWS;
    prefetch_rows(pixels, indices, n < ahead ? n : ahead, d);
    size_t i = 0;
    for (; i + FWD_ROWS <= n; i += FWD_ROWS) {
        const uint32_t *later = i + ahead + FWD_ROWS <= n ? indices + i + ahead : NULL;
        float *xr = x + i * d;
        float *zr = z + i * h;
        gather_block_4x5(pixels, indices + i, later, d, w, b, h, xr, zr);
        size_t o0 = FWD_OUTS;
        for (; o0 + FWD_OUTS <= h; o0 += FWD_OUTS) {
            forward_block_4x5(xr, d, w, b, o0, h, zr);
        }
        for (; o0 < h; o0++) {
            forward_block_4x1(xr, d, w, b, o0, h, zr);
        }
    }
    for (; i < n; i++) {
        KERNEL(prism_kernel_normalise_pixels_)(pixels + (size_t)indices[i] * d, d, x + i * d);
        for (size_t o0 = 0; o0 < h; o0++) {
            forward_block_1x1(x + i * d, d, w, b, o0, h, z + i * h);
        }
    }
}
