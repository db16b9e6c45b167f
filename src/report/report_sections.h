/* The parts of report.md built from the per-model files: flipped predictions and per-class
 * accuracy (details.csv), and the mechanism measurements set against robustness
 * (mechanism.csv), with their plots. Each section is left out when its file is missing. */
#ifndef PRISM_REPORT_REPORT_SECTIONS_H
#define PRISM_REPORT_REPORT_SECTIONS_H

#include <stdio.h>

#include "core/error.h"
#include "report/report.h"
#include "report/store.h"

void prism_report_md_details(FILE *f, const prism_store *store);

/* Writes the mechanism section and its scatter plots under plots_dir (NULL: no plots). */
int prism_report_md_mechanism(FILE *f, const prism_store *store, const char *plots_dir,
                              prism_error *err);

#endif
