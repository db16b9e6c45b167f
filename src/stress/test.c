#include "stress/test.h"

#include <math.h>
#include <string.h>

/* Valid levels of a test: finite, from lower (inclusive) to upper (exclusive when upper_open). */
typedef struct level_range {
    double lower; /* inclusive */
    double upper;
    bool upper_open;
    const char *meaning;
} level_range;

static const prism_test_info TESTS[PRISM_TEST_COUNT] = {
    [PRISM_TEST_LOBOTOMY] = {"lobotomy", "lobotomy: share of neurons removed, survivors rescaled",
                             true, true, false, false, true, 1},
    [PRISM_TEST_SPIKE] = {"spike", "spike: share of the layer's energy in one neuron", true, true,
                          false, false, true, 2},
    [PRISM_TEST_NOISE] = {"noise", "noise: sigma of the log-normal multiplicative noise", true,
                          true, false, false, true, 1},
    [PRISM_TEST_DROPOUT] = {"dropout",
                            "dropout: probability that each neuron is zeroed, no rescale", true,
                            false, false, false, true, 1},
    [PRISM_TEST_ADDITIVE_NOISE] = {"additive_noise",
                                   "additive_noise: signal-to-noise ratio in dB of added "
                                   "Gaussian noise (0 dB is noise as strong as the signal)",
                                   false, false, false, true, false, 1},
    [PRISM_TEST_STUCK_AT] = {"stuck_at",
                             "stuck_at: share of neurons stuck at +-10 x the signal's RMS", false,
                             false, false, true, true, 1},
    [PRISM_TEST_LOBOTOMY_TARGETED] = {"lobotomy_targeted",
                                      "lobotomy_targeted: share of the most important neurons "
                                      "removed, survivors rescaled",
                                      true, true, true, false, true, 1},
    [PRISM_TEST_SPIKE_TARGETED] = {"spike_targeted",
                                   "spike_targeted: share of the layer's energy in its most "
                                   "important neuron",
                                   true, true, true, false, true, 2},
};

static const level_range RANGES[PRISM_TEST_COUNT] = {
    [PRISM_TEST_LOBOTOMY] = {0.0, 1.0, true, "a share in [0, 1)"},
    [PRISM_TEST_SPIKE] = {0.0, 1.0, false, "an energy share in [0, 1]"},
    [PRISM_TEST_NOISE] = {0.0, INFINITY, false, "a finite number >= 0"},
    [PRISM_TEST_DROPOUT] = {0.0, 1.0, true, "a probability in [0, 1)"},
    /* Beyond +-100 dB the noise either vanishes in float or overflows it. */
    [PRISM_TEST_ADDITIVE_NOISE] = {-100.0, 100.0, false,
                                   "a signal-to-noise ratio in [-100, 100] dB"},
    [PRISM_TEST_STUCK_AT] = {0.0, 1.0, true, "a share in [0, 1)"},
    [PRISM_TEST_LOBOTOMY_TARGETED] = {0.0, 1.0, true, "a share in [0, 1)"},
    [PRISM_TEST_SPIKE_TARGETED] = {0.0, 1.0, false, "an energy share in [0, 1]"},
};

const prism_test_info *prism_test_describe(prism_test_kind kind)
{
    return &TESTS[kind];
}

const char *prism_test_name(prism_test_kind kind)
{
    return TESTS[kind].name;
}

int prism_test_parse(const char *text, prism_test_kind *kind, prism_error *err)
{
    for (int k = 0; k < PRISM_TEST_COUNT; k++) {
        if (strcmp(text, TESTS[k].name) == 0) {
            *kind = (prism_test_kind)k;
            return 0;
        }
    }
    return prism_error_set(err, "unknown test '%s' (expected lobotomy, spike, noise, dropout, "
                           "additive_noise, stuck_at, lobotomy_targeted or spike_targeted)",
                           text);
}

int prism_test_check_level(prism_test_kind kind, double level, prism_error *err)
{
    const level_range *r = &RANGES[kind];
    bool valid = isfinite(level) && level >= r->lower &&
                 (r->upper_open ? level < r->upper : level <= r->upper);
    if (!valid) {
        return prism_error_set(err, "%s level %g: expected %s", TESTS[kind].name, level,
                               r->meaning);
    }
    return 0;
}

bool prism_test_level_is_clean(prism_test_kind kind, double level)
{
    return TESTS[kind].zero_is_clean && level == 0.0;
}

bool prism_test_level_is_deterministic(prism_test_kind kind, double level)
{
    return TESTS[kind].targeted || prism_test_level_is_clean(kind, level);
}
