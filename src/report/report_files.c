/* The files of a report: comparisons.csv, the plots and report.md, written into the
 * experiment's folder. */
#include "report/report.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/atomic_file.h"
#include "report/format.h"
#include "report/plot.h"
#include "report/report_sections.h"

static int write_comparisons_csv(const prism_store *s, const prism_report_data *d,
                                 prism_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/comparisons.csv", s->dir);
    prism_atomic_file file;
    if (prism_atomic_open(&file, path, err) != 0) {
        return -1;
    }
    FILE *f = file.stream;
    fprintf(f, "test,level,a,b,n,mean_diff,ci_low,ci_high,method,p,p_holm,rank_method,rank_p,"
               "rank_p_holm,hedges_g\n");
    for (size_t i = 0; i < d->n_pairs; i++) {
        const prism_pair_comparison *pc = &d->pairs[i];
        const prism_comparison *c = &pc->result;
        size_t t;
        size_t j;
        prism_store_slot(s, pc->slot, &t, &j);
        fprintf(f, "%s,%.15g,%s,%s,%zu,", s->tests[t].name, s->tests[t].levels[j],
                s->variants[pc->a], s->variants[pc->b], c->n_a);
        double values[] = {c->mean_diff, c->ci_low, c->ci_high};
        for (size_t k = 0; k < 3; k++) {
            prism_csv_value(f, values[k]);
            fputc(',', f);
        }
        fprintf(f, "%s,", c->method);
        prism_csv_value(f, c->p);
        fputc(',', f);
        prism_csv_value(f, pc->p_holm);
        fprintf(f, ",%s,", c->rank_method);
        prism_csv_value(f, c->rank_p);
        fputc(',', f);
        prism_csv_value(f, pc->rank_p_holm);
        fputc(',', f);
        prism_csv_value(f, c->hedges_g);
        fputc('\n', f);
    }
    return prism_atomic_commit(&file, err);
}

/* plots/accuracy_<test>: one line per model with its interval band. */
static int plot_accuracy(const prism_store *s, const prism_report_data *d, size_t t,
                         const char *plots, prism_error *err)
{
    const prism_stored_test *test = &s->tests[t];
    size_t first = prism_store_first_slot(s, t);
    size_t n = test->n_levels;
    double *buf = malloc(3 * n * s->n_variants * sizeof *buf);
    prism_plot_series series[PRISM_PLOT_MAX_SERIES];
    if (buf == NULL || s->n_variants > PRISM_PLOT_MAX_SERIES) {
        free(buf);
        return prism_error_set(err, "plot of %s: too many models or out of memory", test->name);
    }
    size_t shown = 0;
    for (size_t v = 0; v < s->n_variants; v++) {
        double *y = buf + 3 * n * v;
        double *lo = y + n;
        double *hi = lo + n;
        bool defined = true;
        for (size_t j = 0; j < n; j++) {
            const prism_summary *c = &d->accuracy[v * s->n_slots + first + j];
            y[j] = c->mean;
            lo[j] = isnan(c->ci_low) ? c->mean : c->ci_low;
            hi[j] = isnan(c->ci_high) ? c->mean : c->ci_high;
            defined = defined && !isnan(c->mean);
        }
        if (defined) {
            series[shown++] = (prism_plot_series){s->variants[v], n, test->levels, y, lo, hi};
        }
    }

    char title[320];
    char x_label[200];
    char path[4400];
    snprintf(title, sizeof title, "%s: test accuracy against level (%g%% CI bands, n = %zu)",
             test->name, 100.0 * s->confidence, d->n_complete);
    snprintf(x_label, sizeof x_label, "%s level", test->name);
    snprintf(path, sizeof path, "%s/accuracy_%s", plots, test->name);
    prism_xy_plot plot = {{title, x_label, "test accuracy (%)", 0, 0}, series, shown};
    int status = shown > 0 ? prism_plot_lines(&plot, path, err) : 0;
    free(buf);
    return status;
}

/* PLplot scales its text with the page, so a taller page does not fit many more rows: a
 * differences plot keeps to DIFF_MAX_ROWS rows of DIFF_ROW_PX pixels. */
enum { DIFF_ROW_PX = 22, DIFF_MARGIN_PX = 120, DIFF_MAX_ROWS = 40 };

static bool pair_shown(const prism_pair_comparison *pc, size_t first, size_t last,
                       bool only_first_model)
{
    return pc->slot >= first && pc->slot < last && !isnan(pc->result.ci_low) &&
           (!only_first_model || pc->a == 0);
}

/* plots/differences_<test>: each pair's mean difference (later model minus earlier, as in the
 * tables) with its interval, level by level. With many models only the differences from the
 * first model are drawn; with more than even those fit, the plot is left out (false). */
static int plot_differences(const prism_store *s, const prism_report_data *d, size_t t,
                            const char *plots, bool *drawn, prism_error *err)
{
    size_t first = prism_store_first_slot(s, t);
    size_t last = first + s->tests[t].n_levels;
    size_t max_rows = DIFF_MAX_ROWS;
    bool only_first_model = false;
    size_t rows = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        only_first_model = attempt == 1;
        rows = 0;
        for (size_t i = 0; i < d->n_pairs; i++) {
            rows += pair_shown(&d->pairs[i], first, last, only_first_model);
        }
        if (rows <= max_rows) {
            break;
        }
    }
    *drawn = rows > 0 && rows <= max_rows;
    if (!*drawn) {
        return 0;
    }

    char (*labels)[300] = malloc(rows * sizeof *labels);
    const char **label_ptrs = malloc(rows * sizeof *label_ptrs);
    double *values = malloc(3 * rows * sizeof *values);
    if (labels == NULL || label_ptrs == NULL || values == NULL) {
        free(labels);
        free(label_ptrs);
        free(values);
        return prism_error_set(err, "out of memory for a differences plot");
    }
    size_t k = 0;
    for (size_t i = 0; i < d->n_pairs; i++) {
        const prism_pair_comparison *pc = &d->pairs[i];
        if (!pair_shown(pc, first, last, only_first_model)) {
            continue;
        }
        size_t j = pc->slot - first;
        snprintf(labels[k], sizeof labels[k], "%g: %s - %s", s->tests[t].levels[j],
                 s->variants[pc->b], s->variants[pc->a]);
        label_ptrs[k] = labels[k];
        values[k] = -pc->result.mean_diff;
        values[rows + k] = -pc->result.ci_high;
        values[2 * rows + k] = -pc->result.ci_low;
        k++;
    }

    char title[320];
    char path[4400];
    snprintf(title, sizeof title, "%s: differences between models (%g%% CI)", s->tests[t].name,
             100.0 * s->confidence);
    snprintf(path, sizeof path, "%s/differences_%s", plots, s->tests[t].name);
    int height = (int)(DIFF_MARGIN_PX + DIFF_ROW_PX * rows);
    height = height < PRISM_PLOT_MIN_SIDE_PX ? PRISM_PLOT_MIN_SIDE_PX : height;
    prism_interval_plot plot = {{title, "difference in test accuracy (points)", "level: pair", 0,
                                 height},
                                rows, label_ptrs, values, values + rows, values + 2 * rows};
    int status = prism_plot_intervals(&plot, path, err);
    free(labels);
    free(label_ptrs);
    free(values);
    return status;
}

/* Removes the plots an earlier report left in the folder, so that none of another
 * configuration's tests survives beside this one's. */
static void remove_old_plots(const char *plots)
{
    static const char *const prefixes[] = {"accuracy_", "differences_", "mechanism_"};
    DIR *dir = opendir(plots);
    if (dir == NULL) {
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        size_t len = strlen(name);
        bool image = len > 4 && (strcmp(name + len - 4, ".png") == 0 ||
                                 strcmp(name + len - 4, ".svg") == 0);
        for (size_t p = 0; image && p < sizeof prefixes / sizeof prefixes[0]; p++) {
            if (strncmp(name, prefixes[p], strlen(prefixes[p])) == 0) {
                char path[4400];
                snprintf(path, sizeof path, "%s/%s", plots, name);
                remove(path);
                break;
            }
        }
    }
    closedir(dir);
}

static void md_summary_table(FILE *f, const prism_store *s, const prism_summary *cells,
                             size_t columns, bool by_test, const char *unit)
{
    fprintf(f, "| model |");
    for (size_t c = 0; c < columns; c++) {
        if (by_test) {
            fprintf(f, " %s |", s->tests[c].name);
        } else {
            size_t t;
            size_t j;
            prism_store_slot(s, c, &t, &j);
            fprintf(f, " %s %g |", s->tests[t].name, s->tests[t].levels[j]);
        }
    }
    fprintf(f, "\n|---|");
    for (size_t c = 0; c < columns; c++) {
        fprintf(f, "---|");
    }
    fprintf(f, "\n");
    for (size_t v = 0; v < s->n_variants; v++) {
        fprintf(f, "| %s |", s->variants[v]);
        for (size_t c = 0; c < columns; c++) {
            const prism_summary *x = &cells[v * columns + c];
            char cell[96];
            fprintf(f, " %s |", prism_fmt_estimate(x->mean, x->ci_low, x->ci_high, unit, false,
                                                   cell, sizeof cell));
        }
        fprintf(f, "\n");
    }
}

/* Where the numbers came from: the dataset's files and checksums, the build and the timing,
 * as summary.json recorded them. */
static void md_provenance(FILE *f, const prism_store *s)
{
    cJSON *root = cJSON_Parse(s->summary_json);
    if (root == NULL) {
        return;
    }
    fprintf(f, "\n## Provenance\n\n| dataset file | SHA-256 |\n|---|---|\n");
    const cJSON *file = NULL;
    const cJSON *dataset = cJSON_GetObjectItemCaseSensitive(root, "dataset");
    cJSON_ArrayForEach(file, cJSON_GetObjectItemCaseSensitive(dataset, "files"))
    {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(file, "path");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(file, "sha256");
        if (cJSON_IsString(path) && cJSON_IsString(sha)) {
            fprintf(f, "| `%s` | `%s` |\n", path->valuestring, sha->valuestring);
        }
    }
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(root, "build");
    static const char *const build_keys[] = {"prism_version", "compiler", "build_type",
                                             "compiler_flags", "kernel_variant"};
    fprintf(f, "\n");
    for (size_t k = 0; k < sizeof build_keys / sizeof build_keys[0]; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(build, build_keys[k]);
        if (cJSON_IsString(v)) {
            fprintf(f, "- %s: `%s`\n", build_keys[k], v->valuestring);
        }
    }
    const cJSON *timing = cJSON_GetObjectItemCaseSensitive(root, "timing");
    const cJSON *item = NULL;
    fprintf(f, "- timing:");
    cJSON_ArrayForEach(item, timing)
    {
        if (cJSON_IsNumber(item)) {
            fprintf(f, " %s %.4g;", item->string, item->valuedouble);
        }
    }
    fprintf(f, " (thread-s: summed over models; wall_s: the experiment's wall time)\n");
    cJSON_Delete(root);
}

/* When every model met several masks per level: how much of the spread is between trained
 * models and how much between masks, as summary.json's variance_components hold it. */
static void md_variance(FILE *f, const prism_store *s)
{
    if (s->masks < 2) {
        return;
    }
    cJSON *root = cJSON_Parse(s->summary_json);
    if (root == NULL) {
        return;
    }
    fprintf(f, "\n## Training runs against masks (variance components, %zu masks per model "
               "and level; one-way random effects; variances in squared accuracy points)\n\n"
               "| test | level | model | between runs | between masks |\n"
               "|---|---|---|---|---|\n",
            s->masks);
    const cJSON *entry = NULL;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(root, "summary"))
    {
        const cJSON *vc = cJSON_GetObjectItemCaseSensitive(entry, "variance_components");
        const cJSON *between = cJSON_GetObjectItemCaseSensitive(vc, "between_runs");
        const cJSON *within = cJSON_GetObjectItemCaseSensitive(vc, "between_masks_within_runs");
        const cJSON *same = cJSON_GetObjectItemCaseSensitive(vc, "masks_identical");
        if (!cJSON_IsNumber(between) || !cJSON_IsNumber(within) || cJSON_IsTrue(same)) {
            continue;
        }
        fprintf(f, "| %s | %g | %s | %.3g | %.3g |\n",
                cJSON_GetObjectItemCaseSensitive(entry, "test")->valuestring,
                cJSON_GetObjectItemCaseSensitive(entry, "level")->valuedouble,
                cJSON_GetObjectItemCaseSensitive(entry, "activation")->valuestring,
                between->valuedouble, within->valuedouble);
    }
    cJSON_Delete(root);
}

static int write_report_md(const prism_store *s, const prism_report_data *d, const char *plots,
                           const bool *differences_drawn, prism_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/report.md", s->dir);
    prism_atomic_file file;
    if (prism_atomic_open(&file, path, err) != 0) {
        return -1;
    }
    FILE *f = file.stream;
    fprintf(f, "# prism report\n\n");
    if (!s->complete) {
        fprintf(f, "**Incomplete experiment**: the run was interrupted; %zu of %zu runs "
                "finished and everything below uses those only.\n\n", d->n_complete, s->runs);
    }
    fprintf(f, "## Design\n\n");
    fprintf(f, "- dataset: %s\n- models:", s->dataset);
    for (size_t v = 0; v < s->n_variants; v++) {
        fprintf(f, " %s (`%s`)%s", s->variants[v], s->networks[v],
                v + 1 < s->n_variants ? "," : "\n");
    }
    fprintf(f, "- runs: %zu complete of %zu; masks per model and level: %zu\n", d->n_complete,
            s->runs, s->masks);
    fprintf(f, "- design: **%s** (%s)\n", s->design,
            strcmp(s->design, "paired") == 0
                ? "within a run every model starts from the same initial weights where shapes "
                  "allow, sees the same data order and the same masks; comparisons are paired"
                : "every model has its own initial weights and data order; the models of a run "
                  "share its masks; comparisons treat the groups as independent");
    fprintf(f, "- stress site: %s\n", s->site);
    fprintf(f, "- statistics: mean, sample SD (n - 1), Student-t %g%% interval of the mean; "
            "comparisons: %s, Hedges' g, Holm's correction over "
            "all %zu comparisons\n\n", 100.0 * s->confidence,
            strcmp(s->design, "paired") == 0
                ? "paired t-test with the Wilcoxon signed-rank test beside it"
                : "Welch's t-test with the Mann-Whitney U test beside it",
            d->n_pairs);

    fprintf(f, "## Accuracy under stress\n");
    prism_report_print_tables(f, s, d);

    fprintf(f, "\n## Accuracy kept, %% of the same run's clean accuracy\n\n");
    md_summary_table(f, s, d->kept, s->n_slots, false, "");
    fprintf(f, "\n## Area under the degradation curve (mean accuracy %% over each test's "
               "levels, trapezoid rule)\n\n");
    md_summary_table(f, s, d->area, s->n_tests, true, "");

    md_variance(f, s);
    prism_report_md_details(f, s);
    if (prism_report_md_mechanism(f, s, plots, err) != 0) {
        prism_atomic_abort(&file);
        return -1;
    }

    if (plots != NULL) {
        fprintf(f, "\n## Plots\n\n");
        for (size_t t = 0; t < s->n_tests; t++) {
            fprintf(f, "![accuracy under %s](plots/accuracy_%s.png)\n\n", s->tests[t].name,
                    s->tests[t].name);
            if (differences_drawn[t]) {
                fprintf(f, "![differences under %s](plots/differences_%s.png)\n\n",
                        s->tests[t].name, s->tests[t].name);
            } else if (s->n_variants > 1) {
                fprintf(f, "(Too many models to draw every difference under %s; "
                           "comparisons.csv holds them.)\n\n", s->tests[t].name);
            }
        }
    }
    md_provenance(f, s);
    fprintf(f, "\n## Files\n\n- `runs.csv`: every run's accuracy\n- `summary.csv`, "
               "`summary.json`: the summaries, the configuration, the dataset's SHA-256 sums, "
               "the build and the timing\n- `comparisons.csv`: every pairwise comparison\n"
               "- `mechanism.csv`, `importance.csv`: per-model mechanism measurements\n"
               "- `details.csv`: flipped predictions and per-class accuracy per run\n");
    return prism_atomic_commit(&file, err);
}

void prism_report_remove(const char *dir)
{
    static const char *const names[] = {"comparisons.csv", "report.md"};
    char path[4300];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/plots", dir);
    remove_old_plots(path);
}

int prism_report_write(const prism_store *s, const prism_report_data *d, prism_error *err)
{
    prism_report_remove(s->dir);
    if (write_comparisons_csv(s, d, err) != 0) {
        return -1;
    }
    char plots[4300];
    snprintf(plots, sizeof plots, "%s/plots", s->dir);
    if (prism_make_dirs(plots, err) != 0) {
        return -1;
    }
    bool differences_drawn[PRISM_STORE_MAX_NAMES] = {false};
    for (size_t t = 0; t < s->n_tests; t++) {
        if (plot_accuracy(s, d, t, plots, err) != 0) {
            return -1;
        }
        bool drawn = false;
        if (s->n_variants > 1 && plot_differences(s, d, t, plots, &drawn, err) != 0) {
            return -1;
        }
        differences_drawn[t] = drawn;
    }
    return write_report_md(s, d, plots, differences_drawn, err);
}

