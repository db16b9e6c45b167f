/* Everything drawn from a stored experiment: per-cell summaries, comparisons between every pair
 * of models at every test and level (with Holm's correction over the whole family), accuracy
 * kept relative to the clean baseline, the area under each degradation curve, and the files
 * that present them: comparisons.csv, plots/ and report.md. */
#ifndef PRISM_REPORT_REPORT_H
#define PRISM_REPORT_REPORT_H

#include <stdio.h>

#include "core/error.h"
#include "report/store.h"
#include "stats/compare.h"
#include "stats/summary.h"

typedef struct prism_pair_comparison {
    size_t slot;
    size_t a;        /* variant indices, a < b; differences are a - b */
    size_t b;
    prism_comparison result;
    double p_holm;   /* Holm-adjusted p of the t-test over every comparison in the report */
    double rank_p_holm;
} prism_pair_comparison;

typedef struct prism_report_data {
    size_t n_complete;        /* runs present for every model and slot */
    prism_summary *accuracy;  /* [variant][slot], percent */
    prism_summary *kept;      /* [variant][slot], percent of the same run's clean accuracy */
    prism_summary *area;      /* [variant][test], mean accuracy over the test's level range */
    size_t n_pairs;
    prism_pair_comparison *pairs; /* slot-major, then (a, b) in order */
} prism_report_data;

int prism_report_compute(const prism_store *store, prism_report_data *data, prism_error *err);
void prism_report_data_free(prism_report_data *data);

/* The Markdown tables, one per test, with each model's difference from the first model and
 * its significance mark. */
void prism_report_print_tables(FILE *out, const prism_store *store,
                               const prism_report_data *data);

/* Removes what a report wrote into dir (comparisons.csv, the plots, report.md), so that none of
 * it outlives the results it was made from when new ones replace them. */
void prism_report_remove(const char *dir);

/* Writes comparisons.csv, plots/ and report.md into store->dir, in place of any earlier
 * report's. */
int prism_report_write(const prism_store *store, const prism_report_data *data,
                       prism_error *err);

/* Loads DIR, computes, writes, and prints the tables to `out` (may be NULL). */
int prism_report_rebuild(const char *dir, FILE *out, prism_error *err);

#endif
