#include "stress/mask.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const TEST_NAMES[PRISM_TEST_COUNT] = {"lobotomy", "spike", "noise"};

const char *prism_test_name(prism_test_kind kind)
{
    return TEST_NAMES[kind];
}

int prism_test_parse(const char *text, prism_test_kind *kind, prism_error *err)
{
    for (int k = 0; k < PRISM_TEST_COUNT; k++) {
        if (strcmp(text, TEST_NAMES[k]) == 0) {
            *kind = (prism_test_kind)k;
            return 0;
        }
    }
    return prism_error_set(err, "unknown test '%s' (expected lobotomy, spike or noise)", text);
}

int prism_test_check_level(prism_test_kind kind, double level, prism_error *err)
{
    if (!isfinite(level) || level < 0.0) {
        return prism_error_set(err, "%s level %g: expected a finite number >= 0",
                               TEST_NAMES[kind], level);
    }
    if (kind == PRISM_TEST_LOBOTOMY && level >= 1.0) {
        return prism_error_set(err, "lobotomy level %g: expected a share in [0, 1)", level);
    }
    if (kind == PRISM_TEST_SPIKE && level > 1.0) {
        return prism_error_set(err, "spike level %g: expected an energy share in [0, 1]", level);
    }
    return 0;
}

size_t prism_lobotomy_kill_count(size_t width, double level)
{
    double product = (double)width * level;
    double whole = floor(product);
    if (product - whole > 1.0 - 1e-9) {
        whole += 1.0;
    }
    size_t killed = (size_t)whole;
    return killed >= width ? width - 1 : killed;
}

static void build_lobotomy(double level, size_t width, prism_rng *rng, double *m,
                           uint32_t *order)
{
    size_t killed = prism_lobotomy_kill_count(width, level);

    /* The first `killed` entries of a random permutation are the victims. */
    for (size_t i = 0; i < width; i++) {
        order[i] = (uint32_t)i;
    }
    for (size_t i = 0; i < killed; i++) {
        size_t j = i + (size_t)prism_rng_below(rng, width - i);
        uint32_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }

    double survivor = sqrt((double)width / (double)(width - killed));
    for (size_t i = 0; i < width; i++) {
        m[i] = survivor;
    }
    for (size_t i = 0; i < killed; i++) {
        m[order[i]] = 0.0;
    }
}

static void build_spike(double level, size_t width, prism_rng *rng, double *m)
{
    size_t victim = (size_t)prism_rng_below(rng, width);
    double rest = sqrt((1.0 - level) * (double)width / (double)(width - 1));
    for (size_t i = 0; i < width; i++) {
        m[i] = rest;
    }
    m[victim] = sqrt(level * (double)width);
}

static void build_noise(double level, size_t width, prism_rng *rng, double *m)
{
    double largest = -INFINITY;
    for (size_t i = 0; i < width; i++) {
        m[i] = prism_rng_normal(rng);
        largest = m[i] > largest ? m[i] : largest;
    }

    /* The draw is reduced by the largest before it is scaled: level * r_i itself overflows to
     * inf for levels near DBL_MAX, and inf - inf is NaN. level * (r_i - max) is <= 0, and
     * exactly 0 for the largest, so exp gives (0, 1] with the largest exactly 1 and the energy
     * is >= 1 for every finite level. */
    double energy = 0.0;
    for (size_t i = 0; i < width; i++) {
        m[i] = exp(level * (m[i] - largest));
        energy += m[i] * m[i];
    }
    double scale = sqrt((double)width / energy);
    for (size_t i = 0; i < width; i++) {
        m[i] *= scale;
    }
}

int prism_mask_build(prism_test_kind kind, double level, size_t width, prism_rng *rng,
                     float *mask, prism_error *err)
{
    if (prism_test_check_level(kind, level, err) != 0) {
        return -1;
    }
    if (width < 1 || (kind == PRISM_TEST_SPIKE && width < 2)) {
        return prism_error_set(err, "%s mask: a layer of width %zu is too narrow",
                               TEST_NAMES[kind], width);
    }

    double *m = malloc(width * sizeof *m);
    uint32_t *order = malloc(width * sizeof *order);
    if (m == NULL || order == NULL) {
        free(m);
        free(order);
        return prism_error_set(err, "out of memory for a mask of width %zu", width);
    }
    switch (kind) {
    case PRISM_TEST_LOBOTOMY:
        build_lobotomy(level, width, rng, m, order);
        break;
    case PRISM_TEST_SPIKE:
        build_spike(level, width, rng, m);
        break;
    default:
        build_noise(level, width, rng, m);
        break;
    }
    for (size_t i = 0; i < width; i++) {
        mask[i] = (float)m[i];
    }
    free(m);
    free(order);
    return 0;
}
