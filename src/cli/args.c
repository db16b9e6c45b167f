#include "cli/args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int prism_parse_size(const char *flag, const char *text, size_t min, size_t max, size_t *out,
                     prism_error *err)
{
    const char *p = text;
    while (isspace((unsigned char)*p)) {
        p++;
    }
    if (*p == '-' || *p == '\0') {
        return prism_error_set(err, "%s: expected a whole number in %zu..%zu, found '%s'", flag,
                               min, max, text);
    }
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(p, &end, 10);
    if (*end != '\0' || errno == ERANGE || value < min || value > max) {
        return prism_error_set(err, "%s: expected a whole number in %zu..%zu, found '%s'", flag,
                               min, max, text);
    }
    *out = (size_t)value;
    return 0;
}

int prism_parse_double(const char *flag, const char *text, double min, double max, double *out,
                       prism_error *err)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(value) || value < min ||
        value > max) {
        return prism_error_set(err, "%s: expected a number in [%g, %g], found '%s'", flag, min,
                               max, text);
    }
    *out = value;
    return 0;
}

int prism_parse_u64(const char *flag, const char *text, uint64_t *out, prism_error *err)
{
    size_t value;
    _Static_assert(sizeof(size_t) == sizeof(uint64_t), "64-bit size_t expected");
    if (prism_parse_size(flag, text, 0, SIZE_MAX, &value, err) != 0) {
        return -1;
    }
    *out = (uint64_t)value;
    return 0;
}

/* Splits a comma list of activations and installs one article network per activation. */
static int parse_activations(const char *text, size_t width, prism_experiment_config *config,
                             prism_error *err)
{
    prism_activation acts[PRISM_MAX_VARIANTS];
    size_t n = 0;
    char buf[1024];
    if (strlen(text) >= sizeof buf) {
        return prism_error_set(err, "--activations: list too long");
    }
    snprintf(buf, sizeof buf, "%s", text);

    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        if (n == PRISM_MAX_VARIANTS) {
            return prism_error_set(err, "--activations: at most %d, found more",
                                   PRISM_MAX_VARIANTS);
        }
        if (prism_activation_parse(item, &acts[n], err) != 0) {
            return prism_error_prefix(err, "--activations");
        }
        n++;
    }
    if (n == 0) {
        return prism_error_set(err, "--activations: expected a comma-separated list such as "
                               "relu,tanh,gelu, found '%s'", text);
    }
    if (prism_config_set_activations(config, acts, n, width, err) != 0) {
        return prism_error_prefix(err, "--activations");
    }
    return 0;
}

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

int prism_parse_run_args(int argc, char **argv, int first, prism_run_options *options,
                         prism_error *err)
{
    memset(options, 0, sizeof *options);
    prism_experiment_config *config = &options->config;
    prism_config_article(config);

    /* Activations are applied after the loop so that --hidden may come before or after. */
    const char *activations = NULL;
    size_t hidden = config->variants[0].spec.hidden[0].width;
    bool hidden_given = false;

    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        int status = 0;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            options->help = true;
            return 0;
        } else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
            options->quiet = true;
            continue;
        }

        static const char *const valued[] = {
            "--preset", "--dataset", "--runs", "--epochs", "--batch", "--lr", "--hidden",
            "--activations", "--seed", "--threads", "--out", "--design", NULL};
        const char *flag = NULL;
        for (int f = 0; valued[f] != NULL; f++) {
            if (flag_is(arg, valued[f])) {
                flag = valued[f];
            }
        }
        if (flag == NULL) {
            return prism_error_set(err, "unknown option '%s' (see 'prism run --help')", arg);
        }
        value = flag_value(argc, argv, &i, flag, err);
        if (value == NULL) {
            return -1;
        }

        if (strcmp(flag, "--preset") == 0) {
            if (strcmp(value, "article") != 0) {
                return prism_error_set(err, "--preset: unknown preset '%s' (expected article)",
                                       value);
            }
        } else if (strcmp(flag, "--dataset") == 0) {
            if (value[0] == '\0' || strlen(value) >= sizeof config->dataset) {
                return prism_error_set(err, "--dataset: expected a dataset name or folder");
            }
            snprintf(config->dataset, sizeof config->dataset, "%s", value);
        } else if (strcmp(flag, "--runs") == 0) {
            status = prism_parse_size(flag, value, 1, PRISM_MAX_RUNS, &config->runs, err);
        } else if (strcmp(flag, "--epochs") == 0) {
            status = prism_parse_size(flag, value, 1, 100000, &config->train.epochs, err);
        } else if (strcmp(flag, "--batch") == 0) {
            status = prism_parse_size(flag, value, 1, 60000, &config->train.batch, err);
        } else if (strcmp(flag, "--lr") == 0) {
            status = prism_parse_double(flag, value, 1e-12, 10.0, &config->train.lr, err);
        } else if (strcmp(flag, "--hidden") == 0) {
            status = prism_parse_size(flag, value, 1, PRISM_MAX_WIDTH, &hidden, err);
            hidden_given = true;
        } else if (strcmp(flag, "--activations") == 0) {
            activations = value;
        } else if (strcmp(flag, "--seed") == 0) {
            status = prism_parse_u64(flag, value, &config->seed, err);
        } else if (strcmp(flag, "--threads") == 0) {
            status = prism_parse_size(flag, value, 0, 1024, &config->threads, err);
        } else if (strcmp(flag, "--out") == 0) {
            if (value[0] == '\0' || strlen(value) >= sizeof options->out_dir) {
                return prism_error_set(err, "--out: expected a folder path");
            }
            snprintf(options->out_dir, sizeof options->out_dir, "%s", value);
        } else if (strcmp(flag, "--design") == 0) {
            if (prism_design_parse(value, &config->design, err) != 0) {
                return prism_error_prefix(err, "--design");
            }
        }
        if (status != 0) {
            return -1;
        }
    }

    if (activations != NULL) {
        if (parse_activations(activations, hidden, config, err) != 0) {
            return -1;
        }
    } else if (hidden_given) {
        for (size_t v = 0; v < config->n_variants; v++) {
            config->variants[v].spec.hidden[0].width = hidden;
        }
    }
    if (prism_config_check(config, err) != 0) {
        return -1;
    }
    return 0;
}
