#include "experiment/config.h"

#include <stdio.h>
#include <string.h>

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
    if (n < 1 || n > PRISM_MAX_VARIANTS) {
        return prism_error_set(err, "expected 1 to %d activations, found %zu", PRISM_MAX_VARIANTS,
                               n);
    }
    for (size_t i = 0; i < n; i++) {
        prism_variant *v = &config->variants[i];
        prism_activation_format(&acts[i], v->name, sizeof v->name);
        v->spec = prism_net_spec_article(acts[i]);
        v->spec.hidden[0].width = width;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(config->variants[j].name, v->name) == 0) {
                return prism_error_set(err, "activation '%s' is listed twice", v->name);
            }
        }
    }
    config->n_variants = n;
    return 0;
}

int prism_config_check(const prism_experiment_config *config, prism_error *err)
{
    if (config->runs < 1 || config->runs > PRISM_MAX_RUNS) {
        return prism_error_set(err, "runs: expected 1..%d, found %zu", PRISM_MAX_RUNS,
                               config->runs);
    }
    for (size_t v = 0; v < config->n_variants; v++) {
        const prism_net_spec *spec = &config->variants[v].spec;
        if (prism_net_spec_check(spec, err) != 0) {
            return prism_error_prefix(err, "model '%s'", config->variants[v].name);
        }
        if (config->site.layer >= spec->n_hidden) {
            return prism_error_set(err, "site: layer %zu does not exist in model '%s' (it has "
                                   "%zu hidden layers)", config->site.layer + 1,
                                   config->variants[v].name, spec->n_hidden);
        }
        size_t width = spec->hidden[config->site.layer].width;
        for (size_t t = 0; t < config->n_tests; t++) {
            if (config->tests[t].kind == PRISM_TEST_SPIKE && width < 2) {
                return prism_error_set(err, "spike: needs a layer of width >= 2, model '%s' has "
                                       "%zu", config->variants[v].name, width);
            }
        }
    }
    for (size_t t = 0; t < config->n_tests; t++) {
        const prism_test_plan *plan = &config->tests[t];
        for (size_t j = 0; j < plan->n_levels; j++) {
            if (prism_test_check_level(plan->kind, plan->levels[j], err) != 0) {
                return -1;
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
