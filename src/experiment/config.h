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
#define PRISM_MAX_MASKS 1000
#define PRISM_MAX_EPOCHS 100000
#define PRISM_MAX_BATCH 60000
#define PRISM_MAX_THREADS 1024
#define PRISM_MIN_LR 1e-12
#define PRISM_MAX_LR 10.0

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
    char preset[64];          /* the preset's name, or the config file's name without .ini */
    char source[PATH_MAX];    /* the config file applied; "" for the built-in article */
    char dataset[PATH_MAX];
    size_t runs;
    size_t masks; /* masks drawn per trained model and (test, level > 0) */
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

/* Replaces the variants by copies of `shape` (widths and norms), one per activation, with every
 * hidden layer's activation set to it; each is named by its activation. */
int prism_config_set_shape_activations(prism_experiment_config *config,
                                       const prism_net_spec *shape, const prism_activation *acts,
                                       size_t n, prism_error *err);

/* The shape (widths and norms) that all variants share, for replacing their activations; fails
 * naming two variants that differ. */
int prism_config_common_shape(const prism_experiment_config *config, prism_net_spec *shape,
                              prism_error *err);

/* Checks that the site's layer exists in every variant; the message names the first variant
 * without it. */
int prism_config_check_site(const prism_experiment_config *config, prism_error *err);

/* Cross-field checks: every level valid for its test, the site inside every variant, widths
 * that every test can use, distinct variant names, masks in range. */
int prism_config_check(const prism_experiment_config *config, prism_error *err);

/* What an experiment costs, estimated from its configuration alone (no data read). FLOPs here
 * are effective ones: multiply-adds weighted by how fast prism runs them (config.c). */
typedef struct prism_config_cost {
    size_t models;      /* runs x variants, each trained once */
    size_t evaluations; /* passes over the test set: per model, one per (test, level) that
                           draws nothing (clean, targeted) and `masks` per other one */
    double train_flops; /* sum over models of 6 x work per image x n_train x epochs */
    double eval_flops;  /* sum over models of 2 x n_test x (work up to the site + evaluations
                           x work after it) */
    size_t threads;     /* threads the run would use */
    double seconds;     /* (train_flops + eval_flops) / (threads x calibrated rate) */
} prism_config_cost;

/* Multiply-adds of one sample's forward pass through every Linear layer of spec. */
size_t prism_net_spec_macs(const prism_net_spec *spec);

/* Estimates the cost for a dataset of n_train and n_test images; see config.c for the rate. */
void prism_config_estimate(const prism_experiment_config *config, size_t n_train,
                           size_t n_test, prism_config_cost *cost);

/* Total (test, level) slots, and the slot's test and level. */
size_t prism_config_slot_count(const prism_experiment_config *config);
void prism_config_slot(const prism_experiment_config *config, size_t slot, size_t *test,
                       size_t *level);

#endif
