#include "core/rng.h"

#include <math.h>

/* splitmix64 finaliser: a bijective mix, used to spread the key into the generator state. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void prism_rng_open(prism_rng *rng, uint64_t seed, prism_rng_purpose purpose,
                    const uint64_t *coords, size_t n_coords)
{
    /* Absorb the key one word at a time; every word passes through the mix, so (1, 2) and
     * (2, 1) or (12) and (1, 2) give unrelated hashes. The count is absorbed too. */
    uint64_t h = mix64(seed ^ 0x243f6a8885a308d3ULL);
    h = mix64(h ^ (uint64_t)purpose);
    for (size_t i = 0; i < n_coords; i++) {
        h = mix64(h ^ coords[i]);
    }
    h = mix64(h ^ (uint64_t)n_coords);

    for (int i = 0; i < 4; i++) {
        h = mix64(h);
        rng->state[i] = h;
    }
    if ((rng->state[0] | rng->state[1] | rng->state[2] | rng->state[3]) == 0) {
        rng->state[0] = 1; /* the all-zero state is the generator's only fixed point */
    }
}

uint64_t prism_rng_next_u64(prism_rng *rng)
{
    uint64_t *s = rng->state;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double prism_rng_uniform(prism_rng *rng)
{
    return (double)(prism_rng_next_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t prism_rng_below(prism_rng *rng, uint64_t n)
{
    /* Rejection keeps every residue equally likely: values in the last, incomplete block of
     * size n are redrawn. That block starts above UINT64_MAX - n, so a value below that is kept
     * without working out where exactly (a division, half the cost of a shuffle's step). */
    uint64_t x = prism_rng_next_u64(rng);
    if (x > UINT64_MAX - n) {
        uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
        while (x >= limit) {
            x = prism_rng_next_u64(rng);
        }
    }
    return x % n;
}

double prism_rng_normal(prism_rng *rng)
{
    double u;
    double v;
    double s;
    do {
        u = 2.0 * prism_rng_uniform(rng) - 1.0;
        v = 2.0 * prism_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

void prism_rng_shuffle_u32(prism_rng *rng, uint32_t *items, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)prism_rng_below(rng, i);
        uint32_t tmp = items[i - 1];
        items[i - 1] = items[j];
        items[j] = tmp;
    }
}
