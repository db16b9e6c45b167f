/* Stress masks: H non-negative factors that multiply a hidden layer's signal at test time, the
 * same factors for every test image. Level 0 means no mask at all.
 *
 * The article's masks keep the layer's energy, sum m_i^2 = H, so a test changes how the signal
 * is distributed over neurons, not how much of it there is:
 *
 *   lobotomy s in [0, 1):  k = floor(H s) random neurons (at most H - 1) get 0, the others
 *                          sqrt(H / (H - k)).
 *   spike s in [0, 1]:     one random neuron gets sqrt(s H), the others sqrt((1 - s) H / (H - 1)).
 *   noise sigma >= 0:      m_i proportional to exp(sigma r_i), r_i ~ N(0, 1), scaled to energy H.
 *
 * Dropout is the one mask that does not keep the energy, on purpose (it is test-time dropout
 * without the training-time 1 / (1 - p) rescale):
 *
 *   dropout p in [0, 1):   m_i = 0 when u_i < p, else 1, with u_i uniform in [0, 1) drawn for
 *                          i = 0..H-1 in order. The count of zeros is Binomial(H, p); all H may
 *                          be zero. Expected energy (1 - p) H.
 *
 * The targeted masks are lobotomy and spike with the victims taken from a ranking of the
 * neurons by importance (most important first) instead of from the stream:
 *
 *   lobotomy_targeted s:   the k = floor(H s) (at most H - 1) top-ranked neurons get 0, the
 *                          others sqrt(H / (H - k)).
 *   spike_targeted s:      the top-ranked neuron gets sqrt(s H), the others
 *                          sqrt((1 - s) H / (H - 1)).
 *
 * stress/disturb.h defines the importance and the tests that are not masks. */
#ifndef PRISM_STRESS_MASK_H
#define PRISM_STRESS_MASK_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "stress/test.h"

/* Neurons a lobotomy of `level` kills in a layer of `width`: floor(width * level), where a
 * product that lands within 1e-9 below an integer counts as that integer (10 x 0.7 is
 * 7.000000000000001 but 100 x 0.29 is 28.999999999999996), capped at width - 1. */
size_t prism_lobotomy_kill_count(size_t width, double level);

/* Writes mask[width] for a random mask test (lobotomy, spike, noise, dropout) at `level`,
 * drawing from rng. Noise is formed in the log domain (each exponent reduced by the largest
 * before exp), so no level, however large, overflows: factors that underflow become 0, the
 * largest is always positive, and the energy is exactly rescaled to width. A spike needs
 * width >= 2. Any other test fails with a message naming it: it needs more than a stream
 * (prism_disturbance_build does them all). On failure mask is untouched. */
int prism_mask_build(prism_test_kind kind, double level, size_t width, prism_rng *rng,
                     float *mask, prism_error *err);

/* Writes mask[width] for lobotomy_targeted or spike_targeted at `level`, with the victims
 * taken from ranking[width] (neuron indices, most important first; a permutation of
 * 0..width-1). Any other test fails with a message naming it; mask is then untouched. */
int prism_mask_build_targeted(prism_test_kind kind, double level, size_t width,
                              const uint32_t *ranking, float *mask, prism_error *err);

/* Writes ranking[width]: the neuron indices ordered by importance[width], largest first, ties
 * broken by the lower index. NaN importances rank last. */
void prism_rank_by_importance(const double *importance, size_t width, uint32_t *ranking);

#endif
