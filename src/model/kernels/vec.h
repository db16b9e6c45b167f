/* The 16-lane vector type and helpers shared by the kernel files in this folder. Each of those
 * files is compiled once per instruction set with PRISM_KERNEL_SUFFIX naming the variant (see
 * CMakeLists.txt). The code is written on 16-lane vectors; the compiler maps them to one AVX-512
 * register, two AVX registers or four SSE registers. Results do not depend on the mapping because
 * every lane is an independent chain of fused multiply-adds and lanes are reduced in one fixed
 * order. */
#ifndef PRISM_MODEL_KERNELS_VEC_H
#define PRISM_MODEL_KERNELS_VEC_H

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PRISM_CONCAT_(a, b) a##b
#define PRISM_CONCAT(a, b) PRISM_CONCAT_(a, b)
#define KERNEL(name) PRISM_CONCAT(name, PRISM_KERNEL_SUFFIX)

enum { LANES = 16 };

typedef float v16 __attribute__((vector_size(64), aligned(4)));

/* a * b + c with one rounding: the fused instruction named where the instruction set has it,
 * else fmaf in each lane, which is exact by definition. Left to contraction, GCC fused a * b + c
 * on AVX2 halves in most places but not all (the first layer's c * sums + bias stayed a multiply
 * and an add), and the variants disagreed. */
static inline v16 fma16(v16 a, v16 b, v16 c)
{
#if defined(__AVX512F__)
    return (v16)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__FMA__)
    __m256 ha[2];
    __m256 hb[2];
    __m256 hc[2];
    memcpy(ha, &a, sizeof ha);
    memcpy(hb, &b, sizeof hb);
    memcpy(hc, &c, sizeof hc);
    for (int i = 0; i < 2; i++) {
        hc[i] = _mm256_fmadd_ps(ha[i], hb[i], hc[i]);
    }
    v16 r;
    memcpy(&r, hc, sizeof r);
    return r;
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

typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef float v4 __attribute__((vector_size(16), aligned(4)));
typedef float v2 __attribute__((vector_size(8), aligned(4)));

/* Fixed pairwise reduction of the 16 lanes: lane l + 8 onto lane l, then l + 4 onto l, then
 * l + 2 onto l, then lane 1 onto lane 0. Written as halves of the vector so that each step is
 * one vector addition (written lane by lane, the compiler made it 15 scalar ones). */
static inline float reduce16(v16 v)
{
    v8 t8 = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
            __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    v4 t4 = __builtin_shufflevector(t8, t8, 0, 1, 2, 3) +
            __builtin_shufflevector(t8, t8, 4, 5, 6, 7);
    v2 t2 = __builtin_shufflevector(t4, t4, 0, 1) + __builtin_shufflevector(t4, t4, 2, 3);
    return t2[0] + t2[1];
}

/* Asks for the cache line holding p to be brought into L2. Written as an instruction because GCC
 * deletes a loop whose only work is __builtin_prefetch. */
static inline void request_line(const void *p)
{
    __asm__ volatile("prefetcht1 %0" : : "m"(*(const char *)p));
}

/* reduce16 of 16 vectors at once: lane o of the result is reduce16(v[o]) bit for bit, the same
 * pairwise additions made for several vectors in each instruction (15 additions and 30
 * shuffles instead of 60 additions and as many extractions). */
static inline v16 reduce16_many(const v16 v[16])
{
    v16 t8[8];
    for (int j = 0; j < 8; j++) {
        t8[j] = __builtin_shufflevector(v[2 * j], v[2 * j + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17,
                                        18, 19, 20, 21, 22, 23) +
                __builtin_shufflevector(v[2 * j], v[2 * j + 1], 8, 9, 10, 11, 12, 13, 14, 15,
                                        24, 25, 26, 27, 28, 29, 30, 31);
    }
    v16 t4[4];
    for (int j = 0; j < 4; j++) {
        t4[j] = __builtin_shufflevector(t8[2 * j], t8[2 * j + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16,
                                        17, 18, 19, 24, 25, 26, 27) +
                __builtin_shufflevector(t8[2 * j], t8[2 * j + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20,
                                        21, 22, 23, 28, 29, 30, 31);
    }
    v16 t2[2];
    for (int j = 0; j < 2; j++) {
        t2[j] = __builtin_shufflevector(t4[2 * j], t4[2 * j + 1], 0, 1, 4, 5, 8, 9, 12, 13, 16,
                                        17, 20, 21, 24, 25, 28, 29) +
                __builtin_shufflevector(t4[2 * j], t4[2 * j + 1], 2, 3, 6, 7, 10, 11, 14, 15, 18,
                                        19, 22, 23, 26, 27, 30, 31);
    }
    return __builtin_shufflevector(t2[0], t2[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24,
                                   26, 28, 30) +
           __builtin_shufflevector(t2[0], t2[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25,
                                   27, 29, 31);
}

/* Loads the first `count` (at most 16) floats of p into a vector whose other lanes are 0;
 * nothing past them is read. */
static inline v16 load_partial16(const float *p, size_t count)
{
#if defined(__AVX512F__)
    return (v16)_mm512_maskz_loadu_ps((__mmask16)((1u << count) - 1u), p);
#else
    v16 v = splat16(0.0f);
    for (size_t l = 0; l < count; l++) {
        v[l] = p[l];
    }
    return v;
#endif
}

/* Stores the first `count` lanes of v to p. */
static inline void store_partial16(float *p, v16 v, size_t count)
{
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << count) - 1u), (__m512)v);
#else
    for (size_t l = 0; l < count; l++) {
        p[l] = v[l];
    }
#endif
}

/* Transposes a 16 x 16 block held as 16 row vectors: afterwards m[c] holds column c. */
static inline void transpose16(v16 m[16])
{
#if defined(__AVX512F__)
    /* Pairs of rows interleaved, then pairs of pairs: u[4g + c] holds, in its 128-bit lane L,
     * column 4L + c of rows 4g..4g+3; a 4 x 4 exchange of 128-bit lanes finishes the job. */
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps((__m512)m[2 * i], (__m512)m[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps((__m512)m[2 * i], (__m512)m[2 * i + 1]);
    }
    __m512 u[16];
    for (int g = 0; g < 4; g++) {
        __m512d a = (__m512d)t[4 * g];
        __m512d b = (__m512d)t[4 * g + 1];
        __m512d c = (__m512d)t[4 * g + 2];
        __m512d d = (__m512d)t[4 * g + 3];
        u[4 * g] = (__m512)_mm512_unpacklo_pd(a, c);
        u[4 * g + 1] = (__m512)_mm512_unpackhi_pd(a, c);
        u[4 * g + 2] = (__m512)_mm512_unpacklo_pd(b, d);
        u[4 * g + 3] = (__m512)_mm512_unpackhi_pd(b, d);
    }
    for (int c = 0; c < 4; c++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
        __m512 v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xee);
        __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
        __m512 v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xee);
        m[c] = (v16)_mm512_shuffle_f32x4(v0, v2, 0x88);
        m[4 + c] = (v16)_mm512_shuffle_f32x4(v0, v2, 0xdd);
        m[8 + c] = (v16)_mm512_shuffle_f32x4(v1, v3, 0x88);
        m[12 + c] = (v16)_mm512_shuffle_f32x4(v1, v3, 0xdd);
    }
#else
    for (int r = 0; r < LANES; r++) {
        for (int c = r + 1; c < LANES; c++) {
            float swap = m[r][c];
            m[r][c] = m[c][r];
            m[c][r] = swap;
        }
    }
#endif
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

/* (p / 255 - 0.5) / 0.5 in float32 without a division. Doubling is exact, so the result is
 * fl(fl(2p / 255) - 1). 2 / 255 split into a float and the float nearest the rest (together
 * about 48 bits) gives 2p / 255 to far better than half an ulp, and p / 255 never lies near a
 * rounding boundary (its binary expansion repeats every 8 bits), so one fused multiply-add
 * rounds to the correctly rounded quotient; the subtraction then rounds as ToTensor +
 * Normalize do. Tests check every byte. */
#define TWO_OVER_255_HI 0x1.010102p-7f
#define TWO_OVER_255_LO (-0x1.fdfdfep-32f)

/* p hi + p lo with p hi unrounded: the product p lo is rounded, p hi is not. fma16 names the
 * fused instruction, so the compiler cannot fuse the other product instead. */
static inline v16 fma_hi_lo16(v16 p)
{
    return fma16(p, splat16(TWO_OVER_255_HI), p * splat16(TWO_OVER_255_LO));
}

static inline v16 normalise16(const uint8_t *bytes)
{
    return fma_hi_lo16(bytes_to_v16(bytes)) - splat16(1.0f);
}


/* The same value for one byte, for columns past the last whole vector. */
static inline float normalise1(uint8_t byte)
{
    float p = (float)byte;
    return fmaf(p, TWO_OVER_255_HI, p * TWO_OVER_255_LO) - 1.0f;
}

#endif
