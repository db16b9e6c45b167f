/* Disturbances: every stress test as one object that turns the clean tensor at a site,
 * x[n][H] (n test images, H neurons), into the disturbed tensor y[n][H] that the rest of the
 * network sees. Masks (stress/mask.h) are the tests with y = x m, the same m for every image;
 * the others are written out here.
 *
 * Two statistics of the clean signal, taken at the site over the whole test set, set the scale
 * of the tests that are not masks:
 *
 *   P   = mean over n and i of x[n][i]^2     (the mean signal power per neuron)
 *   RMS = sqrt(P)
 *
 *   additive_noise, level L (dB, -100 to 100): y[n][i] = x[n][i] + sd z[n][i], with
 *       sd^2 = P / 10^(L / 10), the same sd for every neuron, and z[n][i] ~ N(0, 1) drawn fresh
 *       for every image and neuron, in row-major order (image by image, neurons in order) from
 *       the test's stream. So the ratio of signal power to noise power over the layer is L dB.
 *       Not a mask and not energy-preserving by construction: the noise adds about sd^2 to
 *       every neuron's power. Level 0 is a real level (noise as strong as the signal); this
 *       test has no clean level, so its baseline is the other tests' level 0. Levels so low
 *       that the noise overflows float32 give inf or NaN downstream, which count as wrong.
 *   stuck_at, level s in [0, 1): k = floor(H s) (the lobotomy count, at most H - 1), but at
 *       least 1 when s > 0, neurons are stuck: y[n][i] = +V or -V for every image, where
 *       V = 10 RMS, ten times the clean signal's RMS at the site, so a stuck neuron sits far
 *       outside the values it normally takes (RMS = 0, a dead site, gives V = 0). The stuck
 *       neurons are the first k of a random permutation drawn as the lobotomy's; then each gets
 *       its sign from one uniform draw u (-V when u < 0.5), in the order they were chosen.
 *       The other neurons pass unchanged. Not energy-preserving.
 *
 * The targeted tests take their victims from the neurons' importance:
 *
 *   importance[i] = clean accuracy - accuracy with neuron i alone zeroed at the site
 *                   (y[n][i] = 0 for every image, the other neurons unchanged, no rescale),
 *
 * in percentage points on the test set, computed once per trained model; neurons are ranked by
 * prism_rank_by_importance (largest first, ties to the lower index). This is an adversary that
 * knows the test labels, and the victims differ from one model to the next: the models of a
 * run do not share a targeted mask, and every mask index of a targeted test is the same mask. */
#ifndef PRISM_STRESS_DISTURB_H
#define PRISM_STRESS_DISTURB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "stress/mask.h"
#include "stress/test.h"

/* Stuck neurons sit at this many RMS of the clean signal. */
#define PRISM_STUCK_AT_RMS_FACTOR 10.0

/* The clean signal at the site, measured over the whole test set. */
typedef struct prism_site_signal {
    double power; /* P, mean of x^2 over images and neurons */
} prism_site_signal;

/* Measures P over x[rows][width], summed in double. */
void prism_site_signal_measure(const float *x, size_t rows, size_t width,
                               prism_site_signal *signal);

/* Neurons stuck by a stuck_at test of `level`: the lobotomy count, at least 1 when level > 0. */
size_t prism_stuck_at_count(size_t width, double level);

/* One built disturbance. Its arrays belong to it; create once, build for each level. */
typedef struct prism_disturbance {
    prism_test_kind kind;
    size_t width;
    bool clean;          /* the level leaves the layer untouched */
    float *mask;         /* [width]: the factors of a mask test */
    uint8_t *stuck;      /* [width]: 1 where a stuck_at neuron is stuck */
    float *stuck_value;  /* [width]: +V or -V where stuck */
    uint32_t *order;     /* [width]: scratch permutation for choosing stuck neurons */
    double noise_sd;     /* additive_noise: sd of the added noise */
    prism_rng noise_rng; /* additive_noise: where the next row's noise comes from */
} prism_disturbance;

int prism_disturbance_create(prism_disturbance *d, size_t width, prism_error *err);
void prism_disturbance_destroy(prism_disturbance *d);

/* Builds the disturbance of `kind` at `level` for a layer of d->width. signal is needed by
 * additive_noise and stuck_at, ranking[width] (from prism_rank_by_importance) by the targeted
 * tests, rng by the random ones; each may be NULL where it is not needed. The additive noise
 * keeps its own copy of rng's state, so the caller's rng is not advanced by it. A clean level
 * builds a disturbance that changes nothing. Fails on an invalid level, a layer too narrow for
 * the test, or a missing input; d then holds no valid disturbance. */
int prism_disturbance_build(prism_disturbance *d, prism_test_kind kind, double level,
                            const prism_site_signal *signal, const uint32_t *ranking,
                            prism_rng *rng, prism_error *err);

/* The mask to multiply the site by, when the disturbance is one; NULL for a clean level and for
 * the tests that are not masks. */
const float *prism_disturbance_mask(const prism_disturbance *d);

/* True when y must be formed by prism_disturbance_apply (additive_noise, stuck_at). */
bool prism_disturbance_needs_apply(const prism_disturbance *d);

/* Forms y[rows][width] from x[rows][width] (y may be x). The additive noise of each row comes
 * from the disturbance's stream in order, so applying the test set chunk after chunk gives the
 * same numbers as one call over all of it. */
void prism_disturbance_apply(prism_disturbance *d, const float *x, size_t rows, float *y);

#endif
