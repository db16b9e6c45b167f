#include "cli/args.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "experiment/config_file.h"
#include "experiment/config_text.h"

int prism_parse_size(const char *flag, const char *text, size_t min, size_t max, size_t *out,
                     prism_error *err)
{
    return prism_text_parse_size(flag, text, min, max, out, err);
}

int prism_parse_double(const char *flag, const char *text, double min, double max, double *out,
                       prism_error *err)
{
    return prism_text_parse_double(flag, text, min, max, out, err);
}

int prism_parse_u64(const char *flag, const char *text, uint64_t *out, prism_error *err)
{
    return prism_text_parse_u64(flag, text, out, err);
}

/* The flags that take a value, in the order their values are applied (files first). */
typedef enum run_flag {
    FLAG_PRESET,
    FLAG_CONFIG,
    FLAG_DATASET,
    FLAG_RUNS,
    FLAG_EPOCHS,
    FLAG_BATCH,
    FLAG_LR,
    FLAG_SEED,
    FLAG_THREADS,
    FLAG_DESIGN,
    FLAG_MASKS,
    FLAG_OUT,
    FLAG_LAYERS,
    FLAG_HIDDEN,
    FLAG_ACTIVATIONS,
    FLAG_SITE,
    FLAG_COUNT
} run_flag;

static const char *const FLAG_NAMES[FLAG_COUNT] = {
    "--preset", "--config", "--dataset", "--runs",   "--epochs", "--batch",
    "--lr",     "--seed",   "--threads", "--design", "--masks",  "--out",
    "--layers", "--hidden", "--activations", "--site"};

/* The value of a flag given as "--flag value" or "--flag=value". */
static const char *flag_value(int argc, char **argv, int *i, const char *flag, prism_error *err)
{
    const char *arg = argv[*i];
    size_t len = strlen(flag);
    if (arg[len] == '=') {
        return arg + len + 1;
    }
    if (*i + 1 >= argc) {
        prism_error_set(err, "%s: expected a value after the flag", flag);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

static bool flag_is(const char *arg, const char *flag)
{
    size_t len = strlen(flag);
    return strncmp(arg, flag, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

/* First pass: records each flag's value (the last one wins) without applying any, so that the
 * config file can be applied before the flags that override it. */
static int collect_flags(int argc, char **argv, int first, prism_run_options *options,
                         const char **given, prism_error *err)
{
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            options->help = true;
            return 0;
        } else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
            options->quiet = true;
            continue;
        } else if (strcmp(arg, "--dry-run") == 0) {
            options->dry_run = true;
            continue;
        }

        int flag = -1;
        for (int f = 0; f < FLAG_COUNT; f++) {
            if (flag_is(arg, FLAG_NAMES[f])) {
                flag = f;
            }
        }
        if (flag < 0) {
            return prism_error_set(err, "unknown option '%s' (see 'prism run --help')", arg);
        }
        const char *value = flag_value(argc, argv, &i, FLAG_NAMES[flag], err);
        if (value == NULL) {
            return -1;
        }
        given[flag] = value;
    }
    return 0;
}

/* Applies --preset or --config: the file's values replace the article's. */
static int apply_file(const char **given, prism_experiment_config *config, prism_error *err)
{
    if (given[FLAG_PRESET] != NULL && given[FLAG_CONFIG] != NULL) {
        return prism_error_set(err, "--config and --preset: give one of them (a config file is "
                               "a preset of your own)");
    }
    if (given[FLAG_PRESET] != NULL) {
        char path[PATH_MAX];
        if (prism_preset_path(prism_preset_dir(), given[FLAG_PRESET], path, sizeof path, err) !=
                0 ||
            prism_config_file_apply(path, config, err) != 0) {
            return prism_error_prefix(err, "--preset");
        }
    } else if (given[FLAG_CONFIG] != NULL) {
        if (given[FLAG_CONFIG][0] == '\0') {
            return prism_error_set(err, "--config: expected the path of an INI file, found ''");
        }
        if (prism_config_file_apply(given[FLAG_CONFIG], config, err) != 0) {
            return prism_error_prefix(err, "--config");
        }
    }
    return 0;
}

/* Applies the flags that each set one value. */
static int apply_scalars(const char **given, prism_run_options *options, prism_error *err)
{
    prism_experiment_config *config = &options->config;
    const char *value;
    if ((value = given[FLAG_DATASET]) != NULL) {
        if (value[0] == '\0' || strlen(value) >= sizeof config->dataset) {
            return prism_error_set(err, "--dataset: expected a dataset name or folder");
        }
        snprintf(config->dataset, sizeof config->dataset, "%s", value);
    }
    if ((value = given[FLAG_OUT]) != NULL) {
        if (value[0] == '\0' || strlen(value) >= sizeof options->out_dir) {
            return prism_error_set(err, "--out: expected a folder path");
        }
        snprintf(options->out_dir, sizeof options->out_dir, "%s", value);
    }
    if ((value = given[FLAG_DESIGN]) != NULL &&
        prism_design_parse(value, &config->design, err) != 0) {
        return prism_error_prefix(err, "--design");
    }

    static const struct {
        run_flag flag;
        size_t min;
        size_t max;
        size_t offset;
    } sizes[] = {
        {FLAG_RUNS, 1, PRISM_MAX_RUNS, offsetof(prism_experiment_config, runs)},
        {FLAG_EPOCHS, 1, PRISM_MAX_EPOCHS, offsetof(prism_experiment_config, train.epochs)},
        {FLAG_BATCH, 1, PRISM_MAX_BATCH, offsetof(prism_experiment_config, train.batch)},
        {FLAG_THREADS, 0, PRISM_MAX_THREADS, offsetof(prism_experiment_config, threads)},
        {FLAG_MASKS, 1, PRISM_MAX_MASKS, offsetof(prism_experiment_config, masks)},
    };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        value = given[sizes[s].flag];
        size_t *field = (size_t *)((char *)config + sizes[s].offset);
        if (value != NULL && prism_parse_size(FLAG_NAMES[sizes[s].flag], value, sizes[s].min,
                                              sizes[s].max, field, err) != 0) {
            return -1;
        }
    }
    if ((value = given[FLAG_LR]) != NULL &&
        prism_parse_double("--lr", value, PRISM_MIN_LR, PRISM_MAX_LR, &config->train.lr, err) !=
            0) {
        return -1;
    }
    if ((value = given[FLAG_SEED]) != NULL && prism_parse_u64("--seed", value, &config->seed,
                                                              err) != 0) {
        return -1;
    }
    return 0;
}

/* Sets the width of every model, each of which must have exactly one hidden layer. */
static int apply_hidden(prism_experiment_config *config, size_t width, prism_error *err)
{
    for (size_t v = 0; v < config->n_variants; v++) {
        prism_net_spec *spec = &config->variants[v].spec;
        if (spec->n_hidden != 1) {
            return prism_error_set(err, "--hidden: sets the width of a network with one hidden "
                                   "layer, but model '%s' has %zu; use --layers",
                                   config->variants[v].name, spec->n_hidden);
        }
        spec->hidden[0].width = width;
    }
    return 0;
}

/* --layers, --hidden and --activations. --layers alone: one model of that shape. With
 * --activations: one model per activation, each the shape (--layers, else the shape all current
 * models share) with every hidden layer's activation replaced. --hidden N: the width of a
 * one-hidden-layer shape. */
static int apply_models(const char **given, prism_experiment_config *config, prism_error *err)
{
    const char *layers = given[FLAG_LAYERS];
    const char *activations = given[FLAG_ACTIVATIONS];
    size_t hidden = 0;
    if (given[FLAG_HIDDEN] != NULL) {
        if (layers != NULL) {
            return prism_error_set(err, "--hidden: cannot be combined with --layers; give the "
                                   "widths in --layers");
        }
        if (prism_parse_size("--hidden", given[FLAG_HIDDEN], 1, PRISM_MAX_WIDTH, &hidden, err) !=
            0) {
            return -1;
        }
    }

    prism_net_spec shape;
    if (layers != NULL && prism_layers_parse(layers, &shape, err) != 0) {
        return prism_error_prefix(err, "--layers");
    }
    if (activations != NULL) {
        prism_activation acts[PRISM_MAX_VARIANTS];
        size_t n = 0;
        if (prism_activations_parse(activations, acts, PRISM_MAX_VARIANTS, &n, err) != 0) {
            return prism_error_prefix(err, "--activations");
        }
        if (layers == NULL && prism_config_common_shape(config, &shape, err) != 0) {
            return prism_error_prefix(err, "--activations (give --layers too)");
        }
        if (hidden > 0 && shape.n_hidden != 1) {
            return prism_error_set(err, "--hidden: sets the width of a network with one hidden "
                                   "layer, but the models have %zu; use --layers",
                                   shape.n_hidden);
        }
        if (hidden > 0) {
            shape.hidden[0].width = hidden;
        }
        if (prism_config_set_shape_activations(config, &shape, acts, n, err) != 0) {
            return prism_error_prefix(err, "--activations");
        }
    } else if (layers != NULL) {
        prism_variant *v = &config->variants[0];
        v->spec = shape;
        prism_layers_name(&shape, v->name, sizeof v->name);
        config->n_variants = 1;
    } else if (hidden > 0) {
        return apply_hidden(config, hidden, err);
    }
    return 0;
}

/* --site, then the site against the final models, blaming the flag that made it not fit. */
static int apply_site(const char **given, prism_experiment_config *config, prism_error *err)
{
    if (given[FLAG_SITE] != NULL &&
        prism_site_text_parse(given[FLAG_SITE], &config->site, err) != 0) {
        return prism_error_prefix(err, "--site");
    }
    if (prism_config_check_site(config, err) == 0) {
        return 0;
    }
    if (given[FLAG_SITE] != NULL) {
        return prism_error_prefix(err, "--site");
    }
    const run_flag model_flags[] = {FLAG_LAYERS, FLAG_ACTIVATIONS, FLAG_HIDDEN};
    for (size_t f = 0; f < sizeof model_flags / sizeof model_flags[0]; f++) {
        if (given[model_flags[f]] != NULL) {
            char site[64];
            char detail[PRISM_ERROR_MESSAGE_BYTES];
            prism_site_text_format(&config->site, site, sizeof site);
            snprintf(detail, sizeof detail, "%s", err->message);
            return prism_error_set(err, "%s: the site %s%s%s: %s; choose another with --site",
                                   FLAG_NAMES[model_flags[f]], site,
                                   config->source[0] != '\0' ? " from " : "", config->source,
                                   detail);
        }
    }
    return prism_error_prefix(err, "site");
}

int prism_parse_run_args(int argc, char **argv, int first, prism_run_options *options,
                         prism_error *err)
{
    memset(options, 0, sizeof *options);
    prism_experiment_config *config = &options->config;
    prism_config_article(config);

    const char *given[FLAG_COUNT] = {NULL};
    if (collect_flags(argc, argv, first, options, given, err) != 0) {
        return -1;
    }
    if (options->help) {
        return 0;
    }
    if (apply_file(given, config, err) != 0 || apply_scalars(given, options, err) != 0 ||
        apply_models(given, config, err) != 0 || apply_site(given, config, err) != 0) {
        return -1;
    }
    return prism_config_check(config, err);
}
