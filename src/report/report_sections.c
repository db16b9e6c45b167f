#include "report/report_sections.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/format.h"
#include "report/plot.h"
#include "stats/mechanism.h"
#include "stats/summary.h"

/* Summary of one value per complete run, picked by `get`. */
typedef double (*run_value)(const prism_store *s, size_t run, size_t variant, size_t index);

static void summarise_runs(const prism_store *s, size_t variant, size_t index, run_value get,
                           double *buf, prism_summary *out)
{
    size_t n = 0;
    for (size_t run = 0; run < s->runs; run++) {
        double v = s->run_present[run] ? get(s, run, variant, index) : NAN;
        if (!isnan(v)) {
            buf[n++] = v;
        }
    }
    prism_summary_compute(buf, 1, n, s->confidence, out);
}

static void print_cell(FILE *f, const prism_summary *c)
{
    char cell[96];
    fprintf(f, " %s |", prism_fmt_estimate(c->mean, c->ci_low, c->ci_high, "", false, cell,
                                           sizeof cell));
}

static double flipped_of(const prism_store *s, size_t run, size_t variant, size_t slot)
{
    return s->flipped_pct[(run * s->n_variants + variant) * s->n_slots + slot];
}

/* index = slot * classes + class: how many points the class's accuracy fell below the same
 * run's clean accuracy on it. */
static double class_drop_of(const prism_store *s, size_t run, size_t variant, size_t index)
{
    size_t slot = index / s->n_classes;
    size_t k = index % s->n_classes;
    long clean = prism_store_clean_slot(s, slot);
    if (clean < 0) {
        return NAN;
    }
    size_t row = (run * s->n_variants + variant) * s->n_slots;
    return s->class_pct[(row + (size_t)clean) * s->n_classes + k] -
           s->class_pct[(row + slot) * s->n_classes + k];
}

void prism_report_md_details(FILE *f, const prism_store *s)
{
    if (!s->has_details) {
        return;
    }
    double *buf = malloc(s->runs * sizeof *buf);
    if (buf == NULL) {
        return;
    }

    fprintf(f, "\n## Predictions flipped by the disturbance (%% of test images whose predicted "
               "class differs from the clean prediction)\n\n| test | level |");
    for (size_t v = 0; v < s->n_variants; v++) {
        fprintf(f, " %s |", s->variants[v]);
    }
    fprintf(f, "\n|---|---|");
    for (size_t v = 0; v < s->n_variants; v++) {
        fprintf(f, "---|");
    }
    fprintf(f, "\n");
    for (size_t slot = 0; slot < s->n_slots; slot++) {
        size_t t;
        size_t j;
        prism_store_slot(s, slot, &t, &j);
        if (prism_store_level_is_clean(s, t, j)) {
            continue;
        }
        fprintf(f, "| %s | %g |", s->tests[t].name, s->tests[t].levels[j]);
        for (size_t v = 0; v < s->n_variants; v++) {
            prism_summary c;
            summarise_runs(s, v, slot, flipped_of, buf, &c);
            print_cell(f, &c);
        }
        fprintf(f, "\n");
    }

    fprintf(f, "\n## Which classes suffer: accuracy drop per class (points below the same "
               "run's clean accuracy on that class, mean over runs)\n");
    for (size_t t = 0; t < s->n_tests; t++) {
        fprintf(f, "\n%s\n\n| level | model |", s->tests[t].name);
        for (size_t k = 0; k < s->n_classes; k++) {
            fprintf(f, " %zu |", k);
        }
        fprintf(f, "\n|---|---|");
        for (size_t k = 0; k < s->n_classes; k++) {
            fprintf(f, "---|");
        }
        fprintf(f, "\n");
        size_t first = prism_store_first_slot(s, t);
        for (size_t j = 0; j < s->tests[t].n_levels; j++) {
            if (prism_store_level_is_clean(s, t, j)) {
                continue;
            }
            for (size_t v = 0; v < s->n_variants; v++) {
                fprintf(f, "| %g | %s |", s->tests[t].levels[j], s->variants[v]);
                for (size_t k = 0; k < s->n_classes; k++) {
                    prism_summary c;
                    summarise_runs(s, v, (first + j) * s->n_classes + k, class_drop_of, buf, &c);
                    fprintf(f, isnan(c.mean) ? " n/a |" : " %.1f |", c.mean);
                }
                fprintf(f, "\n");
            }
        }
    }
    free(buf);
}

/* ---- mechanism ---- */

enum { METRICS = 3 };
static const char *const METRIC_NAMES[METRICS] = {"participation ratio", "Gini of importances",
                                                  "saturated share"};
static const char *const METRIC_FILES[METRICS] = {"participation_ratio", "importance_gini",
                                                  "saturated_share"};

static double metric_of(const prism_store *s, size_t run, size_t variant, size_t metric)
{
    size_t model = run * s->n_variants + variant;
    const double *source[METRICS] = {s->participation, s->importance_gini, s->saturated};
    return source[metric][model];
}

/* Robustness of one model: its mean accuracy over every test's level range. */
static double robustness_of(const prism_store *s, size_t run, size_t variant, size_t unused)
{
    (void)unused;
    double total = 0.0;
    size_t slot = 0;
    double curve[PRISM_STORE_MAX_LEVELS];
    for (size_t t = 0; t < s->n_tests; t++) {
        for (size_t j = 0; j < s->tests[t].n_levels; j++) {
            curve[j] = *prism_store_accuracy(s, run, variant, slot + j);
        }
        slot += s->tests[t].n_levels;
        total += prism_curve_area(s->tests[t].levels, curve, s->tests[t].n_levels);
    }
    return total / (double)s->n_tests;
}

/* Pairs (metric, robustness) of the complete runs of one variant, or of all (variant < 0). */
static size_t collect(const prism_store *s, int variant, size_t metric, double *x, double *y)
{
    size_t n = 0;
    for (size_t v = 0; v < s->n_variants; v++) {
        if (variant >= 0 && (size_t)variant != v) {
            continue;
        }
        for (size_t run = 0; run < s->runs; run++) {
            double m = s->run_present[run] ? metric_of(s, run, v, metric) : NAN;
            if (!isnan(m)) {
                x[n] = m;
                y[n] = robustness_of(s, run, v, 0);
                n++;
            }
        }
    }
    return n;
}

static void print_correlation(FILE *f, const prism_store *s, int variant, size_t metric,
                              double *x, double *y)
{
    size_t n = collect(s, variant, metric, x, y);
    prism_correlation c;
    if (prism_correlate(x, y, n, &c, NULL) != 0 || isnan(c.spearman)) {
        fprintf(f, " n/a (n = %zu) |", n);
        return;
    }
    fprintf(f, " %+.2f (p = %.2g, n = %zu) |", c.spearman, c.spearman_p, n);
}

static int plot_metric(const prism_store *s, size_t metric, const char *plots, double *x,
                       double *y, prism_error *err)
{
    prism_plot_series series[PRISM_PLOT_MAX_SERIES];
    double *xs = malloc(s->runs * s->n_variants * sizeof *xs);
    double *ys = malloc(s->runs * s->n_variants * sizeof *ys);
    if (xs == NULL || ys == NULL) {
        free(xs);
        free(ys);
        return prism_error_set(err, "out of memory for a mechanism plot");
    }
    size_t shown = 0;
    size_t offset = 0;
    for (size_t v = 0; v < s->n_variants && shown < PRISM_PLOT_MAX_SERIES; v++) {
        size_t n = collect(s, (int)v, metric, x, y);
        if (n == 0) {
            continue;
        }
        memcpy(xs + offset, x, n * sizeof *x);
        memcpy(ys + offset, y, n * sizeof *y);
        series[shown++] = (prism_plot_series){s->variants[v], n, xs + offset, ys + offset, NULL,
                                              NULL};
        offset += n;
    }
    int status = 0;
    if (shown > 0) {
        char title[320];
        char path[4400];
        snprintf(title, sizeof title, "%s against robustness, one point per trained model",
                 METRIC_NAMES[metric]);
        snprintf(path, sizeof path, "%s/mechanism_%s", plots, METRIC_FILES[metric]);
        prism_xy_plot plot = {{title, METRIC_NAMES[metric],
                               "robustness: mean accuracy over all tests' levels (%)", 0, 0},
                              series, shown};
        status = prism_plot_scatter(&plot, path, err);
    }
    free(xs);
    free(ys);
    return status;
}

int prism_report_md_mechanism(FILE *f, const prism_store *s, const char *plots,
                              prism_error *err)
{
    if (!s->has_mechanism) {
        return 0;
    }
    size_t models = s->runs * s->n_variants;
    double *x = malloc(models * sizeof *x);
    double *y = malloc(models * sizeof *y);
    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        return prism_error_set(err, "out of memory for the mechanism section");
    }

    fprintf(f, "\n## Mechanism: how each model spreads information over the stressed layer\n\n"
               "- participation ratio: (sum of the eigenvalues of the clean activity's "
               "covariance)^2 / sum of their squares, the effective number of neurons in use\n"
               "- Gini of importances: inequality of the accuracy lost when each neuron alone is "
               "zeroed (0: all matter equally)\n"
               "- saturated share: outputs of a bounded activation within 5%% of its range from "
               "a bound\n\n| model |");
    for (size_t m = 0; m < METRICS; m++) {
        fprintf(f, " %s |", METRIC_NAMES[m]);
    }
    fprintf(f, " robustness (%%) |\n|---|---|---|---|---|\n");
    for (size_t v = 0; v < s->n_variants; v++) {
        fprintf(f, "| %s |", s->variants[v]);
        prism_summary c;
        for (size_t m = 0; m < METRICS; m++) {
            summarise_runs(s, v, m, metric_of, x, &c);
            print_cell(f, &c);
        }
        summarise_runs(s, v, 0, robustness_of, x, &c);
        print_cell(f, &c);
        fprintf(f, "\n");
    }

    fprintf(f, "\nSpearman correlation with robustness (the model's mean accuracy over every "
               "test's levels) across trained models, within each model type and pooled:\n\n"
               "| metric |");
    for (size_t v = 0; v < s->n_variants; v++) {
        fprintf(f, " %s |", s->variants[v]);
    }
    fprintf(f, " all |\n|---|");
    for (size_t v = 0; v <= s->n_variants; v++) {
        fprintf(f, "---|");
    }
    fprintf(f, "\n");
    for (size_t m = 0; m < METRICS; m++) {
        fprintf(f, "| %s |", METRIC_NAMES[m]);
        for (size_t v = 0; v < s->n_variants; v++) {
            print_correlation(f, s, (int)v, m, x, y);
        }
        print_correlation(f, s, -1, m, x, y);
        fprintf(f, "\n");
    }
    fprintf(f, "\nThe article explains Tanh's robustness by saturation and by information "
               "spread more evenly over neurons; if so, robust models should show a higher "
               "participation ratio and a lower Gini. The pooled column mixes the model types, "
               "so it also reflects differences between them; the per-type columns test the "
               "explanation within one activation. p-values are not corrected for the %d "
               "metrics.\n", METRICS);

    int status = 0;
    if (plots != NULL) {
        for (size_t m = 0; m < METRICS && status == 0; m++) {
            status = plot_metric(s, m, plots, x, y, err);
            if (status == 0) {
                fprintf(f, "\n![%s against robustness](plots/mechanism_%s.png)\n",
                        METRIC_NAMES[m], METRIC_FILES[m]);
            }
        }
    }
    free(x);
    free(y);
    return status;
}
