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

/* Per (variant, slot) summaries over the complete runs; summaries[variant * n_slots + slot]. */
typedef struct prism_summary_table {
    size_t n_variants;
    size_t n_slots;
    size_t complete_runs;
    prism_summary *cells;
} prism_summary_table;

int prism_summary_table_build(const prism_experiment_config *config,
                              const prism_results *results, prism_summary_table *table,
                              prism_error *err);
void prism_summary_table_destroy(prism_summary_table *table);

/* The tables, one per test, as Markdown. */
void prism_print_tables(FILE *out, const prism_experiment_config *config,
                        const prism_summary_table *table);

/* Writes runs.csv, summary.csv and summary.json into dir (created if missing). `complete` is
 * false when the experiment was interrupted: the files then hold the finished runs only and
 * summary.json says so. */
int prism_write_outputs(const char *dir, const prism_experiment_config *config,
                        const prism_dataset *dataset, const prism_results *results,
                        const prism_summary_table *table, bool complete, prism_error *err);

#endif
