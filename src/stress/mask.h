/* Stress masks: H non-negative factors that multiply a hidden layer's signal at test time.
 * Every mask keeps the layer's energy, sum m_i^2 = H, so a test changes how the signal is
 * distributed over neurons, not how much of it there is. Level 0 means no mask at all.
 *
 *   lobotomy s in [0, 1):  k = floor(H s) random neurons (at most H - 1) get 0, the others
 *                          sqrt(H / (H - k)).
 *   spike s in [0, 1]:     one random neuron gets sqrt(s H), the others sqrt((1 - s) H / (H - 1)).
 *   noise sigma >= 0:      m_i proportional to exp(sigma r_i), r_i ~ N(0, 1), scaled to energy H.
 */
#ifndef PRISM_STRESS_MASK_H
#define PRISM_STRESS_MASK_H

#include <stddef.h>

#include "core/error.h"
#include "core/rng.h"

typedef enum prism_test_kind {
    PRISM_TEST_LOBOTOMY,
    PRISM_TEST_SPIKE,
    PRISM_TEST_NOISE,
    PRISM_TEST_COUNT
} prism_test_kind;

const char *prism_test_name(prism_test_kind kind);
int prism_test_parse(const char *text, prism_test_kind *kind, prism_error *err);

/* Checks that level is valid for the test (finite and in the test's range). */
int prism_test_check_level(prism_test_kind kind, double level, prism_error *err);

/* Neurons a lobotomy of `level` kills in a layer of `width`: floor(width * level), where a
 * product that lands within 1e-9 below an integer counts as that integer (10 x 0.7 is
 * 7.000000000000001 but 100 x 0.29 is 28.999999999999996), capped at width - 1. */
size_t prism_lobotomy_kill_count(size_t width, double level);

/* Writes mask[width] for the test at `level` (> 0), drawing from rng. Noise is formed in the
 * log domain (each exponent reduced by the largest before exp), so no level, however large,
 * overflows: factors that underflow become 0, the largest is always positive, and the energy is
 * exactly rescaled to width. A spike needs width >= 2. */
int prism_mask_build(prism_test_kind kind, double level, size_t width, prism_rng *rng,
                     float *mask, prism_error *err);

#endif
