/* Everything an experiment writes: the Markdown tables printed to the terminal and, in an
 * output folder, runs.csv (one row per run and measurement), summary.csv and summary.json
 * (which also records the configuration, the dataset's checksums and the build). Files are
 * written under a temporary name and renamed into place only when complete. */
#ifndef PRISM_REPORT_OUTPUT_H
#define PRISM_REPORT_OUTPUT_H

#include <stdio.h>

#include "core/error.h"
#include "data/dataset.h"
#include "experiment/config.h"
#include "experiment/experiment.h"
#include "stats/summary.h"
#include "stats/variance.h"

/* Per (variant, slot) summaries over the complete runs; cells[variant * n_slots + slot], and
 * the other arrays indexed the same way. A run's value in a cell is the mean over its n_masks
 * masks, so n counts runs. */
typedef struct prism_summary_table {
    size_t n_variants;
    size_t n_slots;
    size_t n_masks;
    size_t complete_runs;
    prism_summary *cells;
    double *ceiling_pct;          /* highest possible accuracy (stress/ceiling.h); NaN: none */
    const char **ceiling_reason;  /* why; NULL where there is no ceiling */
    prism_variance_split *variance; /* between runs and between masks; NULL when n_masks is 1 */
} prism_summary_table;

int prism_summary_table_build(const prism_experiment_config *config,
                              const prism_results *results, prism_summary_table *table,
                              prism_error *err);
void prism_summary_table_destroy(prism_summary_table *table);

/* The tables, one per test, as Markdown. A mean that sits under a ceiling is marked with a
 * dagger, and a footnote under the table gives the ceiling and its reason. */
void prism_print_tables(FILE *out, const prism_experiment_config *config,
                        const prism_summary_table *table);

/* Writes runs.csv, summary.csv and summary.json into dir (created if missing). `complete` is
 * false when the experiment was interrupted: the files then hold the finished runs only and
 * summary.json says so. runs.csv has the columns test,level,activation,run,accuracy, with a
 * column mask (1..K) after run only when there are K > 1 masks per level. summary.json gives
 * every cell's ceiling_pct (null when none) and, when K > 1, its variance components. */
int prism_write_outputs(const char *dir, const prism_experiment_config *config,
                        const prism_dataset *dataset, const prism_results *results,
                        const prism_summary_table *table, bool complete, prism_error *err);

#endif
