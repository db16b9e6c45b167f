/* An experiment as stored in its output folder: the configuration echoed in summary.json and
 * the per-run accuracies of runs.csv. Everything `prism report` draws comes from here, so a
 * report rebuilt later from the files equals the one written right after the run. */
#ifndef PRISM_REPORT_STORE_H
#define PRISM_REPORT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define PRISM_STORE_MAX_NAMES 64
#define PRISM_STORE_MAX_LEVELS 64
#define PRISM_STORE_NAME_BYTES 128

typedef struct prism_stored_test {
    char name[PRISM_STORE_NAME_BYTES];
    size_t n_levels;
    double levels[PRISM_STORE_MAX_LEVELS];
} prism_stored_test;

typedef struct prism_store {
    char dir[4096];
    bool complete;            /* summary.json's "complete" */
    size_t runs;              /* as configured */
    size_t masks;             /* masks per model and level (1 unless configured) */
    double confidence;
    char design[32];          /* "paired" or "independent" */
    char site[64];            /* "layer 1, pre_norm" */
    char dataset[256];
    size_t n_variants;
    char variants[PRISM_STORE_MAX_NAMES][PRISM_STORE_NAME_BYTES];
    char networks[PRISM_STORE_MAX_NAMES][512];
    size_t n_tests;
    prism_stored_test tests[PRISM_STORE_MAX_NAMES];
    size_t n_slots;           /* sum of the tests' levels */
    /* [run][variant][slot]: each run's accuracy (%), averaged over its masks; NaN where the
     * run is missing from runs.csv. */
    double *accuracy_pct;
    bool *run_present;        /* [run]: every variant and slot of the run was found */
    char *summary_json;       /* the whole file, for report.md's configuration section */
    double *ceiling_pct;      /* [variant][slot]: the most accuracy the cell allows, or NaN */
    char ceiling_reason[PRISM_STORE_MAX_NAMES * PRISM_STORE_MAX_LEVELS][320]; /* [slot] */

    /* From mechanism.csv, when present: [run][variant], NaN where absent. */
    bool has_mechanism;
    double *participation;
    double *importance_gini;
    double *saturated;
    /* From details.csv, when present: [run][variant][slot], averaged over masks. */
    bool has_details;
    size_t n_classes;
    double *flipped_pct;
    double *class_pct;        /* [run][variant][slot][class] */
} prism_store;

/* Reads DIR/summary.json and DIR/runs.csv. Messages name the file, line and field. */
int prism_store_load(const char *dir, prism_store *store, prism_error *err);
void prism_store_free(prism_store *store);

static inline double *prism_store_accuracy(const prism_store *s, size_t run, size_t variant,
                                           size_t slot)
{
    return &s->accuracy_pct[(run * s->n_variants + variant) * s->n_slots + slot];
}

/* Reads DIR/mechanism.csv and DIR/details.csv into store when they exist (called by
 * prism_store_load); a file that exists but does not parse is an error. */
int prism_store_load_model_files(prism_store *store, prism_error *err);

/* Index of a variant by name, or -1. */
int prism_store_find_variant(const prism_store *store, const char *name);

/* Slot of a test name and level (levels match to 1e-12 relative), or -1. */
int prism_store_find_slot(const prism_store *store, const char *test, double level);

/* True when level j of test t is its clean baseline (level 0 of every test but
 * additive_noise, whose 0 dB is a strong disturbance). */
bool prism_store_level_is_clean(const prism_store *store, size_t t, size_t j);

/* The slot of the clean baseline of the slot's test, or -1 when the test has none. */
long prism_store_clean_slot(const prism_store *store, size_t slot);

/* Splits a CSV line in place on commas, keeping empty fields and dropping the line end;
 * returns the field count, or max_fields + 1 when there are more. */
size_t prism_csv_split(char *line, char **fields, size_t max_fields);

/* The first slot of test t. */
size_t prism_store_first_slot(const prism_store *store, size_t t);

/* The test and level index of a slot. */
void prism_store_slot(const prism_store *store, size_t slot, size_t *test, size_t *level);

/* Complete runs' accuracies for one variant and slot, in run order; returns how many. */
size_t prism_store_values(const prism_store *store, size_t variant, size_t slot, double *out);

#endif
