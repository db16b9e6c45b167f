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
    GRAD_OUTS = 5,     /* weight-gradient block: outputs x column vectors accumulators */
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

void KERNEL(prism_kernel_linear_forward_)(const float *x, size_t n, size_t d, const float *w,
                                          const float *b, size_t h, float *z)
{
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
DEFINE_GRAD_BLOCK(1, 4)
DEFINE_GRAD_BLOCK(5, 1)
DEFINE_GRAD_BLOCK(1, 1)

void KERNEL(prism_kernel_linear_weight_grad_)(const float *x, const float *dz, size_t n,
                                              size_t d, size_t h, float *dw, float *db)
{
    const size_t wide = (size_t)GRAD_VECS * LANES;
    const size_t d_wide = d - d % wide;
    const size_t d_vec = d - d % LANES;

    size_t o0 = 0;
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
    for (size_t o = 0; o < h; o++) {
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
void KERNEL(prism_kernel_normalise_pixels_)(const uint8_t *pixels, size_t n, float *out)
{
    const v16 r = splat16(1.0f / 255.0f);
    const v16 neg255 = splat16(-255.0f);
    const v16 half = splat16(0.5f);
    const v16 two = splat16(2.0f);

    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        v16 p = bytes_to_v16(pixels + i);
        v16 q0 = p * r;
        v16 residual = fma16(q0, neg255, p);
        v16 q = fma16(residual, r, q0);
        store16(out + i, (q - half) * two);
    }
    for (; i < n; i++) {
        float p = (float)pixels[i];
        float q0 = p * (1.0f / 255.0f);
        float q = fmaf(fmaf(q0, -255.0f, p), 1.0f / 255.0f, q0);
        out[i] = (q - 0.5f) * 2.0f;
    }
}
