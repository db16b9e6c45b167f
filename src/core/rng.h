/* All randomness in prism comes from this module. A stream is identified by the user's seed
 * and a tuple of coordinates (purpose, run, layer, test, level, ...); its state is derived by
 * hashing those coordinates, so two streams never share state by accident and a stream's
 * numbers do not depend on which thread draws them or in which order streams are opened.
 *
 * The generator is xoshiro256** (period 2^256 - 1). GSL's generators take 32- or 64-bit seeds
 * only, too narrow to key streams by several coordinates without collisions, so the stream
 * derivation and the core generator live here; distributions use the textbook transforms. */
#ifndef PRISM_CORE_RNG_H
#define PRISM_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct prism_rng {
    uint64_t state[4];
} prism_rng;

/* What a stream is used for; part of every stream's key. */
typedef enum prism_rng_purpose {
    PRISM_RNG_INIT = 1,     /* initial weights of one model */
    PRISM_RNG_SHUFFLE = 2,  /* training-set order of one model */
    PRISM_RNG_MASK = 3,     /* one stress mask */
    PRISM_RNG_TEST = 4,     /* unit tests and tools */
} prism_rng_purpose;

/* Opens the stream keyed by (seed, purpose, coords[0..n_coords)). */
void prism_rng_open(prism_rng *rng, uint64_t seed, prism_rng_purpose purpose,
                    const uint64_t *coords, size_t n_coords);

uint64_t prism_rng_next_u64(prism_rng *rng);

/* Uniform double in [0, 1) with 53 random bits. */
double prism_rng_uniform(prism_rng *rng);

/* Uniform integer in [0, n) without modulo bias; n must be > 0. */
uint64_t prism_rng_below(prism_rng *rng, uint64_t n);

/* Standard normal deviate (polar Box-Muller without caching, so a stream's k-th draw does not
 * depend on earlier calls' parity). */
double prism_rng_normal(prism_rng *rng);

/* Fisher-Yates shuffle of n 32-bit indices in place. */
void prism_rng_shuffle_u32(prism_rng *rng, uint32_t *items, size_t n);

#endif
