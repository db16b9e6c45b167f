/* The full description of an experiment: data, the model variants to compare, training,
 * the stress tests with their levels and site, repetitions, seed and threads. Every output
 * echoes it. */
#ifndef PRISM_EXPERIMENT_CONFIG_H
#define PRISM_EXPERIMENT_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/net.h"
#include "stress/mask.h"
#include "train/train.h"

#define PRISM_MAX_VARIANTS 32
#define PRISM_MAX_LEVELS 32
#define PRISM_MAX_RUNS 100000
#define PRISM_VARIANT_NAME_BYTES 128

/* How the variants of one run relate. */
typedef enum prism_design {
    PRISM_DESIGN_INDEPENDENT, /* each variant: its own initial weights and data order */
    PRISM_DESIGN_PAIRED,      /* all variants of a run: same initial weights (where shapes
                                 allow) and the same data order */
} prism_design;

/* One network being compared, named by its activation for the article's single layer. */
typedef struct prism_variant {
    char name[PRISM_VARIANT_NAME_BYTES];
    prism_net_spec spec;
} prism_variant;

/* One stress test and its levels; level 0 is the clean baseline (no mask). */
typedef struct prism_test_plan {
    prism_test_kind kind;
    size_t n_levels;
    double levels[PRISM_MAX_LEVELS];
} prism_test_plan;

typedef struct prism_experiment_config {
    char preset[64];
    char dataset[PATH_MAX];
    size_t runs;
    prism_train_config train;
    size_t n_variants;
    prism_variant variants[PRISM_MAX_VARIANTS];
    size_t n_tests;
    prism_test_plan tests[PRISM_TEST_COUNT];
    prism_site site;
    prism_design design;
    uint64_t seed;
    size_t threads;
    double confidence; /* of every interval, e.g. 0.95 */
} prism_experiment_config;

const char *prism_design_name(prism_design design);
int prism_design_parse(const char *text, prism_design *design, prism_error *err);

/* The article's experiment: relu, tanh, gelu; 20 runs of 12 epochs, batch 512, lr 0.003;
 * lobotomy and spike at 0.3 0.5 0.7 0.9 and noise at 0.5 1 2 3, each with a clean 0; masks
 * before LayerNorm; independent design. */
void prism_config_article(prism_experiment_config *config);

/* Replaces the variants by article networks of the given width, one per activation. */
int prism_config_set_activations(prism_experiment_config *config, const prism_activation *acts,
                                 size_t n, size_t width, prism_error *err);

/* Cross-field checks: every level valid for its test, the site inside every variant, widths
 * that every test can use. */
int prism_config_check(const prism_experiment_config *config, prism_error *err);

/* Total (test, level) slots, and the slot's test and level. */
size_t prism_config_slot_count(const prism_experiment_config *config);
void prism_config_slot(const prism_experiment_config *config, size_t slot, size_t *test,
                       size_t *level);

#endif
