/* The stress tests: what each disturbs, what its level means and which levels are valid. The
 * disturbances themselves are built in stress/mask.h (multiplicative masks) and
 * stress/disturb.h (every test, masks included), where each one's formula is written out.
 *
 * A test's name is what the command line, config files and every output use. New kinds are
 * appended, never inserted: a kind's number is part of its random streams' keys, so results of
 * the first three tests stay what they were. */
#ifndef PRISM_STRESS_TEST_H
#define PRISM_STRESS_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef enum prism_test_kind {
    PRISM_TEST_LOBOTOMY,          /* random neurons zeroed, survivors rescaled */
    PRISM_TEST_SPIKE,             /* one random neuron holds a share of the energy */
    PRISM_TEST_NOISE,             /* log-normal multiplicative noise */
    PRISM_TEST_DROPOUT,           /* each neuron zeroed with probability p, no rescale */
    PRISM_TEST_ADDITIVE_NOISE,    /* Gaussian noise added at a signal-to-noise ratio in dB */
    PRISM_TEST_STUCK_AT,          /* a share of neurons stuck at +-V */
    PRISM_TEST_LOBOTOMY_TARGETED, /* lobotomy of the most important neurons */
    PRISM_TEST_SPIKE_TARGETED,    /* spike in the most important neuron */
    PRISM_TEST_COUNT
} prism_test_kind;

/* Static facts about one test, for parsing, checks and reports. */
typedef struct prism_test_info {
    const char *name;        /* lower case with underscores, as in every output */
    const char *caption;     /* one line for a table heading: what the level means */
    bool is_mask;            /* one factor per neuron, the same for every test image */
    bool energy_preserving;  /* a mask with sum m_i^2 = H */
    bool targeted;           /* victims are the most important neurons, not random ones */
    bool uses_signal_power;  /* scaled to the clean signal's power at the site */
    bool zero_is_clean;      /* level 0 means no disturbance at all (false: 0 is a real level) */
    size_t min_width;        /* narrowest layer the test can disturb */
} prism_test_info;

const prism_test_info *prism_test_describe(prism_test_kind kind);
const char *prism_test_name(prism_test_kind kind);

/* Parses a test's name; the message lists every valid name. */
int prism_test_parse(const char *text, prism_test_kind *kind, prism_error *err);

/* Checks that level is valid for the test: finite, and inside the test's range. */
int prism_test_check_level(prism_test_kind kind, double level, prism_error *err);

/* True when the level leaves the layer untouched, so that the clean accuracy applies. */
bool prism_test_level_is_clean(prism_test_kind kind, double level);

/* True when the disturbance at this level draws nothing from its stream (clean levels and the
 * targeted tests), so that every mask index gives the same result. */
bool prism_test_level_is_deterministic(prism_test_kind kind, double level);

#endif
