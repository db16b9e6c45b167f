/* Command-line parsing for `prism run`: every flag's value is checked in full (end pointer,
 * range), and an error names the flag, what was expected and what was found. A preset or config
 * file is applied first and the other flags on top of it, wherever they stand on the line. */
#ifndef PRISM_CLI_ARGS_H
#define PRISM_CLI_ARGS_H

#include <limits.h>
#include <stdbool.h>

#include "core/error.h"
#include "experiment/config.h"

typedef struct prism_run_options {
    prism_experiment_config config;
    char out_dir[PATH_MAX]; /* empty: no files written */
    bool quiet;
    bool help;
    bool dry_run; /* print the plan and the estimated cost; train nothing */
} prism_run_options;

/* Parses argv[first..argc) of `prism run`. Returns 0, or -1 with err naming the flag. */
int prism_parse_run_args(int argc, char **argv, int first, prism_run_options *options,
                         prism_error *err);

/* Strict number parsing shared by the CLI: whole string, range-checked. */
int prism_parse_size(const char *flag, const char *text, size_t min, size_t max, size_t *out,
                     prism_error *err);
int prism_parse_double(const char *flag, const char *text, double min, double max, double *out,
                       prism_error *err);
int prism_parse_u64(const char *flag, const char *text, uint64_t *out, prism_error *err);

#endif
