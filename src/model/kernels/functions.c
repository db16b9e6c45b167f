/* Element-wise kernels: pixel normalisation and the functions on float vectors. */
#include "vec.h"

void KERNEL(prism_kernel_normalise_pixels_)(const uint8_t *pixels, size_t n, float *out)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        store16(out + i, normalise16(pixels + i));
    }
    for (; i < n; i++) {
        out[i] = normalise1(pixels[i]);
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
