#include "experiment/config.h"

#include <stdio.h>
#include <string.h>

#include "experiment/experiment.h"

static const char *const DESIGN_NAMES[] = {"independent", "paired"};

const char *prism_design_name(prism_design design)
{
    return DESIGN_NAMES[design];
}

int prism_design_parse(const char *text, prism_design *design, prism_error *err)
{
    for (int d = 0; d < 2; d++) {
        if (strcmp(text, DESIGN_NAMES[d]) == 0) {
            *design = (prism_design)d;
            return 0;
        }
    }
    return prism_error_set(err, "unknown design '%s' (expected independent or paired)", text);
}

static void set_plan(prism_test_plan *plan, prism_test_kind kind, const double *levels,
                     size_t n)
{
    plan->kind = kind;
    plan->n_levels = n;
    memcpy(plan->levels, levels, n * sizeof *levels);
}

void prism_config_article(prism_experiment_config *config)
{
    memset(config, 0, sizeof *config);
    snprintf(config->preset, sizeof config->preset, "article");
    snprintf(config->dataset, sizeof config->dataset, "mnist");
    config->runs = 20;
    config->masks = 1;
    config->train = (prism_train_config){.epochs = 12, .batch = 512, .lr = 0.003};

    const prism_activation acts[] = {
        {PRISM_ACT_RELU, 0.0f}, {PRISM_ACT_TANH, 0.0f}, {PRISM_ACT_GELU, 0.0f}};
    prism_config_set_activations(config, acts, 3, 10, NULL);

    const double shares[] = {0.0, 0.3, 0.5, 0.7, 0.9};
    const double sigmas[] = {0.0, 0.5, 1.0, 2.0, 3.0};
    config->n_tests = 3;
    set_plan(&config->tests[0], PRISM_TEST_LOBOTOMY, shares, 5);
    set_plan(&config->tests[1], PRISM_TEST_SPIKE, shares, 5);
    set_plan(&config->tests[2], PRISM_TEST_NOISE, sigmas, 5);

    config->site = (prism_site){.layer = 0, .kind = PRISM_SITE_PRE_NORM};
    config->design = PRISM_DESIGN_INDEPENDENT;
    config->seed = 1;
    config->threads = 0; /* 0: one per online processor */
    config->confidence = 0.95;
}

int prism_config_set_activations(prism_experiment_config *config, const prism_activation *acts,
                                 size_t n, size_t width, prism_error *err)
{
    if (n < 1) {
        return prism_error_set(err, "expected 1 to %d activations, found none",
                               PRISM_MAX_VARIANTS);
    }
    prism_net_spec shape = prism_net_spec_article(acts[0]);
    shape.hidden[0].width = width;
    return prism_config_set_shape_activations(config, &shape, acts, n, err);
}

int prism_config_set_shape_activations(prism_experiment_config *config,
                                       const prism_net_spec *shape, const prism_activation *acts,
                                       size_t n, prism_error *err)
{
    if (n < 1 || n > PRISM_MAX_VARIANTS) {
        return prism_error_set(err, "expected 1 to %d activations, found %zu", PRISM_MAX_VARIANTS,
                               n);
    }
    /* Built aside so that a duplicate leaves config as it was. */
    prism_variant variants[PRISM_MAX_VARIANTS];
    for (size_t i = 0; i < n; i++) {
        prism_variant *v = &variants[i];
        prism_activation_format(&acts[i], v->name, sizeof v->name);
        v->spec = *shape;
        for (size_t l = 0; l < shape->n_hidden; l++) {
            v->spec.hidden[l].act = acts[i];
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(variants[j].name, v->name) == 0) {
                return prism_error_set(err, "activation '%s' is listed twice", v->name);
            }
        }
    }
    memcpy(config->variants, variants, n * sizeof variants[0]);
    config->n_variants = n;
    return 0;
}

static bool same_shape(const prism_net_spec *a, const prism_net_spec *b)
{
    if (a->n_hidden != b->n_hidden || a->inputs != b->inputs || a->classes != b->classes) {
        return false;
    }
    for (size_t l = 0; l < a->n_hidden; l++) {
        if (a->hidden[l].width != b->hidden[l].width || a->hidden[l].norm != b->hidden[l].norm) {
            return false;
        }
    }
    return true;
}

int prism_config_common_shape(const prism_experiment_config *config, prism_net_spec *shape,
                              prism_error *err)
{
    if (config->n_variants == 0) {
        return prism_error_set(err, "no model defined to take the shape from");
    }
    for (size_t v = 1; v < config->n_variants; v++) {
        if (!same_shape(&config->variants[0].spec, &config->variants[v].spec)) {
            return prism_error_set(err, "models '%s' and '%s' differ in widths or norms, so "
                                   "there is no one shape to give each activation",
                                   config->variants[0].name, config->variants[v].name);
        }
    }
    *shape = config->variants[0].spec;
    return 0;
}

int prism_config_check_site(const prism_experiment_config *config, prism_error *err)
{
    for (size_t v = 0; v < config->n_variants; v++) {
        const prism_net_spec *spec = &config->variants[v].spec;
        if (config->site.layer >= spec->n_hidden) {
            return prism_error_set(err, "layer %zu does not exist in model '%s' (it has "
                                   "%zu hidden layer%s)", config->site.layer + 1,
                                   config->variants[v].name, spec->n_hidden,
                                   spec->n_hidden == 1 ? "" : "s");
        }
    }
    return 0;
}

int prism_config_check(const prism_experiment_config *config, prism_error *err)
{
    if (config->runs < 1 || config->runs > PRISM_MAX_RUNS) {
        return prism_error_set(err, "runs: expected 1..%d, found %zu", PRISM_MAX_RUNS,
                               config->runs);
    }
    if (config->masks < 1 || config->masks > PRISM_MAX_MASKS) {
        return prism_error_set(err, "masks: expected 1..%d, found %zu", PRISM_MAX_MASKS,
                               config->masks);
    }
    if (config->n_variants < 1 || config->n_variants > PRISM_MAX_VARIANTS) {
        return prism_error_set(err, "models: expected 1 to %d, found %zu", PRISM_MAX_VARIANTS,
                               config->n_variants);
    }
    if (prism_config_check_site(config, err) != 0) {
        return prism_error_prefix(err, "site");
    }
    for (size_t v = 0; v < config->n_variants; v++) {
        const prism_net_spec *spec = &config->variants[v].spec;
        if (prism_net_spec_check(spec, err) != 0) {
            return prism_error_prefix(err, "model '%s'", config->variants[v].name);
        }
        for (size_t u = 0; u < v; u++) {
            if (strcmp(config->variants[u].name, config->variants[v].name) == 0) {
                return prism_error_set(err, "model name '%s' is used twice",
                                       config->variants[v].name);
            }
        }
        size_t width = spec->hidden[config->site.layer].width;
        for (size_t t = 0; t < config->n_tests; t++) {
            const prism_test_info *info = prism_test_describe(config->tests[t].kind);
            if (width < info->min_width) {
                return prism_error_set(err, "%s: needs a layer of width >= %zu at the site, "
                                       "model '%s' has %zu", info->name, info->min_width,
                                       config->variants[v].name, width);
            }
        }
    }
    for (size_t t = 0; t < config->n_tests; t++) {
        const prism_test_plan *plan = &config->tests[t];
        for (size_t j = 0; j < plan->n_levels; j++) {
            if (prism_test_check_level(plan->kind, plan->levels[j], err) != 0) {
                return -1;
            }
            /* Degradation curves (plots, areas) need the levels in increasing order. */
            if (j > 0 && !(plan->levels[j] > plan->levels[j - 1])) {
                return prism_error_set(err, "%s levels: expected strictly increasing values, "
                                       "found %g after %g", prism_test_name(plan->kind),
                                       plan->levels[j], plan->levels[j - 1]);
            }
        }
    }
    if (!(config->confidence > 0.0 && config->confidence < 1.0)) {
        return prism_error_set(err, "confidence: expected a level in (0, 1), found %g",
                               config->confidence);
    }
    return 0;
}

size_t prism_config_slot_count(const prism_experiment_config *config)
{
    size_t count = 0;
    for (size_t t = 0; t < config->n_tests; t++) {
        count += config->tests[t].n_levels;
    }
    return count;
}

void prism_config_slot(const prism_experiment_config *config, size_t slot, size_t *test,
                       size_t *level)
{
    for (size_t t = 0; t < config->n_tests; t++) {
        if (slot < config->tests[t].n_levels) {
            *test = t;
            *level = slot;
            return;
        }
        slot -= config->tests[t].n_levels;
    }
    *test = config->n_tests;
    *level = 0;
}

size_t prism_net_spec_macs(const prism_net_spec *spec)
{
    size_t macs = 0;
    size_t in = spec->inputs;
    for (size_t l = 0; l < spec->n_hidden; l++) {
        macs += in * spec->hidden[l].width;
        in = spec->hidden[l].width;
    }
    return macs + in * spec->classes;
}

/* The cost model, fitted to user CPU time per model (12 epochs, one thread, Release build with
 * AVX-512 kernels) of eight shapes from 784-10-10 to 784-256-10 and three hidden layers of 32 and
 * of 64, each within 10 %. Work is counted in multiply-adds of the first Linear layer, whose
 * kernel is the fastest: a multiply-add of a later layer costs about 7 of them, and each image
 * carries a fixed cost (pixel normalisation, norms, activations, softmax, Adam's share) of about
 * 4700. Evaluation computes the network up to the site once per model and, per (test, level,
 * mask), only the part after it, plus about 2000 for the mask, argmax and counting. A FLOP is 2
 * per multiply-add forward and 6 forward and backward, so the rates below are "effective" FLOPs.
 */
#define PRISM_COST_LATER_LAYER_FACTOR 7.0
#define PRISM_COST_TRAIN_OVERHEAD 4700.0
#define PRISM_COST_EVAL_OVERHEAD 2000.0
#define PRISM_COST_FLOPS_PER_THREAD_S 9.4e10

/* Effective multiply-adds per image of the Linear layers first..last-1 (the output is layer
 * n_hidden). */
static double effective_macs(const prism_net_spec *spec, size_t first, size_t last)
{
    double macs = 0.0;
    size_t in = first == 0 ? spec->inputs : spec->hidden[first - 1].width;
    for (size_t l = first; l < last; l++) {
        size_t out = l < spec->n_hidden ? spec->hidden[l].width : spec->classes;
        macs += (double)(in * out) * (l == 0 ? 1.0 : PRISM_COST_LATER_LAYER_FACTOR);
        in = out;
    }
    return macs;
}

void prism_config_estimate(const prism_experiment_config *config, size_t n_train,
                           size_t n_test, prism_config_cost *cost)
{
    memset(cost, 0, sizeof *cost);
    /* A level that draws nothing (clean, or a targeted test) is evaluated once for all masks. */
    size_t evals_per_model = 0;
    for (size_t t = 0; t < config->n_tests; t++) {
        const prism_test_plan *plan = &config->tests[t];
        for (size_t j = 0; j < plan->n_levels; j++) {
            bool once = prism_test_level_is_deterministic(plan->kind, plan->levels[j]);
            evals_per_model += once ? 1 : config->masks;
        }
    }

    cost->models = config->runs * config->n_variants;
    cost->evaluations = cost->models * evals_per_model;
    for (size_t v = 0; v < config->n_variants; v++) {
        const prism_net_spec *spec = &config->variants[v].spec;
        size_t split = config->site.layer + 1; /* Linear layers up to the site's own */
        double all = effective_macs(spec, 0, spec->n_hidden + 1);
        double prefix = effective_macs(spec, 0, split);
        double suffix = effective_macs(spec, split, spec->n_hidden + 1);

        cost->train_flops += (double)config->runs * 6.0 * (all + PRISM_COST_TRAIN_OVERHEAD) *
                             (double)n_train * (double)config->train.epochs;
        cost->eval_flops += (double)config->runs * 2.0 * (double)n_test *
                            (prefix + PRISM_COST_TRAIN_OVERHEAD +
                             (double)evals_per_model * (suffix + PRISM_COST_EVAL_OVERHEAD));
    }
    cost->threads = prism_thread_count(config->threads, cost->models);
    cost->seconds = (cost->train_flops + cost->eval_flops) /
                    ((double)cost->threads * PRISM_COST_FLOPS_PER_THREAD_S);
}
