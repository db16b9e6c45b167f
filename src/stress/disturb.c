#include "stress/disturb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void prism_site_signal_measure(const float *x, size_t rows, size_t width,
                               prism_site_signal *signal)
{
    double sum = 0.0;
    size_t count = rows * width;
    for (size_t i = 0; i < count; i++) {
        sum += (double)x[i] * (double)x[i];
    }
    signal->power = count > 0 ? sum / (double)count : 0.0;
}

size_t prism_stuck_at_count(size_t width, double level)
{
    size_t stuck = prism_lobotomy_kill_count(width, level);
    return level > 0.0 && stuck == 0 ? 1 : stuck;
}

int prism_disturbance_create(prism_disturbance *d, size_t width, prism_error *err)
{
    memset(d, 0, sizeof *d);
    d->width = width;
    d->clean = true;
    if (width == 0) {
        return prism_error_set(err, "disturbance: a layer of width 0");
    }
    d->mask = malloc(width * sizeof *d->mask);
    d->stuck = malloc(width * sizeof *d->stuck);
    d->stuck_value = malloc(width * sizeof *d->stuck_value);
    d->order = malloc(width * sizeof *d->order);
    if (d->mask == NULL || d->stuck == NULL || d->stuck_value == NULL || d->order == NULL) {
        prism_disturbance_destroy(d);
        return prism_error_set(err, "out of memory for a disturbance of width %zu", width);
    }
    return 0;
}

void prism_disturbance_destroy(prism_disturbance *d)
{
    free(d->mask);
    free(d->stuck);
    free(d->stuck_value);
    free(d->order);
    memset(d, 0, sizeof *d);
}

/* Chooses the stuck neurons as the lobotomy chooses its victims (a partial Fisher-Yates
 * shuffle), then draws their signs in the order they were chosen. */
static void build_stuck_at(prism_disturbance *d, double level, double power, prism_rng *rng)
{
    size_t width = d->width;
    size_t count = prism_stuck_at_count(width, level);
    float value = (float)(PRISM_STUCK_AT_RMS_FACTOR * sqrt(power));

    for (size_t i = 0; i < width; i++) {
        d->order[i] = (uint32_t)i;
        d->stuck[i] = 0;
        d->stuck_value[i] = 0.0f;
    }
    for (size_t i = 0; i < count; i++) {
        size_t j = i + (size_t)prism_rng_below(rng, width - i);
        uint32_t tmp = d->order[i];
        d->order[i] = d->order[j];
        d->order[j] = tmp;
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t neuron = d->order[i];
        d->stuck[neuron] = 1;
        d->stuck_value[neuron] = prism_rng_uniform(rng) < 0.5 ? -value : value;
    }
}

/* Names what a test needs that the caller did not give. */
static int check_inputs(prism_test_kind kind, const prism_site_signal *signal,
                        const uint32_t *ranking, prism_rng *rng, prism_error *err)
{
    const prism_test_info *info = prism_test_describe(kind);
    if (info->uses_signal_power && signal == NULL) {
        return prism_error_set(err, "%s: needs the clean signal's power at the site",
                               info->name);
    }
    if (info->targeted && ranking == NULL) {
        return prism_error_set(err, "%s: needs the neurons' importance ranking", info->name);
    }
    if (!info->targeted && rng == NULL) {
        return prism_error_set(err, "%s: needs a random stream", info->name);
    }
    return 0;
}

int prism_disturbance_build(prism_disturbance *d, prism_test_kind kind, double level,
                            const prism_site_signal *signal, const uint32_t *ranking,
                            prism_rng *rng, prism_error *err)
{
    d->kind = kind;
    d->clean = true;
    d->noise_sd = 0.0;
    if (prism_test_check_level(kind, level, err) != 0) {
        return -1;
    }
    if (d->width < prism_test_describe(kind)->min_width) {
        return prism_error_set(err, "%s: a layer of width %zu is too narrow",
                               prism_test_name(kind), d->width);
    }
    if (prism_test_level_is_clean(kind, level)) {
        return 0;
    }
    if (check_inputs(kind, signal, ranking, rng, err) != 0) {
        return -1;
    }

    int status = 0;
    switch (kind) {
    case PRISM_TEST_ADDITIVE_NOISE:
        /* sd = sqrt(P / 10^(L/10)), written so that P and the level's factor stay apart. */
        d->noise_sd = sqrt(signal->power) * pow(10.0, -level / 20.0);
        d->noise_rng = *rng;
        break;
    case PRISM_TEST_STUCK_AT:
        build_stuck_at(d, level, signal->power, rng);
        break;
    case PRISM_TEST_LOBOTOMY_TARGETED:
    case PRISM_TEST_SPIKE_TARGETED:
        status = prism_mask_build_targeted(kind, level, d->width, ranking, d->mask, err);
        break;
    default:
        status = prism_mask_build(kind, level, d->width, rng, d->mask, err);
        break;
    }
    if (status != 0) {
        return -1;
    }
    d->clean = false;
    return 0;
}

const float *prism_disturbance_mask(const prism_disturbance *d)
{
    if (d->clean || !prism_test_describe(d->kind)->is_mask) {
        return NULL;
    }
    return d->mask;
}

bool prism_disturbance_needs_apply(const prism_disturbance *d)
{
    return !d->clean && !prism_test_describe(d->kind)->is_mask;
}

void prism_disturbance_apply(prism_disturbance *d, const float *x, size_t rows, float *y)
{
    size_t width = d->width;
    size_t count = rows * width;
    const float *mask = prism_disturbance_mask(d);

    if (d->clean) {
        memmove(y, x, count * sizeof *y);
    } else if (mask != NULL) {
        for (size_t n = 0; n < rows; n++) {
            for (size_t i = 0; i < width; i++) {
                y[n * width + i] = x[n * width + i] * mask[i];
            }
        }
    } else if (d->kind == PRISM_TEST_ADDITIVE_NOISE) {
        for (size_t k = 0; k < count; k++) {
            y[k] = (float)((double)x[k] + d->noise_sd * prism_rng_normal(&d->noise_rng));
        }
    } else {
        for (size_t n = 0; n < rows; n++) {
            for (size_t i = 0; i < width; i++) {
                y[n * width + i] = d->stuck[i] ? d->stuck_value[i] : x[n * width + i];
            }
        }
    }
}
