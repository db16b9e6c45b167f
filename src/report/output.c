#include "report/output.h"

#include <cjson/cJSON.h>
#include <sys/resource.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/atomic_file.h"
#include "report/config_json.h"
#include "report/format.h"
#include "report/model_files.h"
#include "stress/ceiling.h"

/* The ceiling of every (variant, slot) cell, from the test labels the results counted. */
static void find_ceilings(const prism_experiment_config *config, const prism_results *results,
                          prism_summary_table *table)
{
    for (size_t v = 0; v < table->n_variants; v++) {
        const prism_net_spec *spec = &config->variants[v].spec;
        const prism_layer_spec *layer = &spec->hidden[config->site.layer];
        for (size_t s = 0; s < table->n_slots; s++) {
            size_t t;
            size_t j;
            prism_config_slot(config, s, &t, &j);
            const prism_test_plan *plan = &config->tests[t];
            prism_ceiling c = prism_ceiling_find(plan->kind, plan->levels[j], layer,
                                                 config->site.kind);
            size_t cell = v * table->n_slots + s;
            table->ceiling_pct[cell] = NAN;
            table->ceiling_reason[cell] = NULL;
            if (c.max_classes > 0 && results->test_count > 0) {
                table->ceiling_pct[cell] = prism_ceiling_pct(results->test_class_counts,
                                                             PRISM_RESULTS_MAX_CLASSES,
                                                             c.max_classes);
                table->ceiling_reason[cell] = c.reason;
            }
        }
    }
}

/* Summarises one cell: the run means for the usual statistics and, when there are several
 * masks, every mask's value for the split of the variance. */
static void summarise_cell(const prism_experiment_config *config, const prism_results *results,
                           size_t v, size_t s, double *values, double *per_mask,
                           prism_summary_table *table)
{
    size_t n = 0;
    size_t k = results->n_masks;
    for (size_t run = 0; run < results->runs; run++) {
        if (!prism_results_run_complete(results, run)) {
            continue;
        }
        values[n] = prism_results_run_mean(results, run, v, s);
        memcpy(per_mask + n * k, prism_results_accuracy(results, run, v, s), k * sizeof(double));
        n++;
    }
    size_t cell = v * table->n_slots + s;
    prism_summary_compute(values, 1, n, config->confidence, &table->cells[cell]);
    if (table->variance != NULL) {
        prism_variance_split_compute(per_mask, n, k, &table->variance[cell]);
    }
}

int prism_summary_table_build(const prism_experiment_config *config,
                              const prism_results *results, prism_summary_table *table,
                              prism_error *err)
{
    memset(table, 0, sizeof *table);
    table->n_variants = results->n_variants;
    table->n_slots = results->n_slots;
    table->n_masks = results->n_masks;
    size_t cells = table->n_variants * table->n_slots;
    size_t runs = results->runs > 0 ? results->runs : 1;
    table->cells = calloc(cells, sizeof *table->cells);
    table->ceiling_pct = calloc(cells, sizeof *table->ceiling_pct);
    table->ceiling_reason = calloc(cells, sizeof *table->ceiling_reason);
    if (results->n_masks > 1) {
        table->variance = calloc(cells, sizeof *table->variance);
    }
    double *values = malloc(runs * sizeof *values);
    double *per_mask = malloc(runs * results->n_masks * sizeof *per_mask);
    if (table->cells == NULL || table->ceiling_pct == NULL || table->ceiling_reason == NULL ||
        (results->n_masks > 1 && table->variance == NULL) || values == NULL ||
        per_mask == NULL) {
        free(values);
        free(per_mask);
        prism_summary_table_destroy(table);
        return prism_error_set(err, "out of memory for the summary table");
    }

    /* Only runs whose every variant finished count, so all cells share the same runs. */
    for (size_t run = 0; run < results->runs; run++) {
        table->complete_runs += prism_results_run_complete(results, run);
    }
    for (size_t v = 0; v < table->n_variants; v++) {
        for (size_t s = 0; s < table->n_slots; s++) {
            summarise_cell(config, results, v, s, values, per_mask, table);
        }
    }
    find_ceilings(config, results, table);
    free(values);
    free(per_mask);
    return 0;
}

void prism_summary_table_destroy(prism_summary_table *table)
{
    free(table->cells);
    free(table->ceiling_pct);
    free(table->ceiling_reason);
    free(table->variance);
    memset(table, 0, sizeof *table);
}

/* Footnotes of one table: each distinct (ceiling, reason) gets a marker. */
enum { MAX_FOOTNOTES = 8 };

typedef struct footnotes {
    size_t count;
    double pct[MAX_FOOTNOTES];
    const char *reason[MAX_FOOTNOTES];
} footnotes;

static const char *const MARKERS[MAX_FOOTNOTES] = {"†", "‡", "§", "¶", "††", "‡‡", "§§", "¶¶"};

/* The marker of a cell's ceiling, adding a footnote for a new one; "" when there is none. */
static const char *footnote_marker(footnotes *notes, double pct, const char *reason)
{
    if (reason == NULL) {
        return "";
    }
    for (size_t i = 0; i < notes->count; i++) {
        if (notes->pct[i] == pct && strcmp(notes->reason[i], reason) == 0) {
            return MARKERS[i];
        }
    }
    if (notes->count == MAX_FOOTNOTES) {
        return "*"; /* never reached by the two reasons stress/ceiling.c knows */
    }
    notes->pct[notes->count] = pct;
    notes->reason[notes->count] = reason;
    return MARKERS[notes->count++];
}

static void print_row(FILE *out, const prism_experiment_config *config,
                      const prism_summary_table *table, size_t t, size_t j, size_t slot,
                      size_t v, footnotes *notes)
{
    const prism_test_plan *plan = &config->tests[t];
    size_t cell = v * table->n_slots + slot;
    const prism_summary *c = &table->cells[cell];
    char level[48] = "";
    if (v == 0) {
        bool clean = prism_test_level_is_clean(plan->kind, plan->levels[j]);
        snprintf(level, sizeof level, clean ? "%g (clean)" : "%g", plan->levels[j]);
    }
    const char *marker = footnote_marker(notes, table->ceiling_pct[cell],
                                         table->ceiling_reason[cell]);
    char mean[32];
    char sd[32];
    char lo[32];
    char hi[32];
    fprintf(out, "| %s | %s | %zu | %s%s%s | %s | [%s, %s] |\n", level,
            config->variants[v].name, c->n, prism_fmt2(c->mean, mean, sizeof mean),
            marker[0] != '\0' ? " " : "", marker, prism_fmt2(c->sd, sd, sizeof sd),
            prism_fmt2(c->ci_low, lo, sizeof lo), prism_fmt2(c->ci_high, hi, sizeof hi));
}

void prism_print_tables(FILE *out, const prism_experiment_config *config,
                        const prism_summary_table *table)
{
    size_t slot = 0;
    for (size_t t = 0; t < config->n_tests; t++) {
        const prism_test_plan *plan = &config->tests[t];
        fprintf(out, "\n### Test %zu: %s\n\n", t + 1, prism_test_describe(plan->kind)->caption);
        if (table->n_masks > 1) {
            fprintf(out, "Each run's accuracy is its mean over %zu masks; n counts runs.\n\n",
                    table->n_masks);
        }
        fprintf(out, "| level | model | n | mean acc. %% | SD | %g%% CI (t) |\n",
                100.0 * config->confidence);
        fprintf(out, "|---|---|---|---|---|---|\n");
        footnotes notes = {0};
        for (size_t j = 0; j < plan->n_levels; j++, slot++) {
            for (size_t v = 0; v < config->n_variants; v++) {
                print_row(out, config, table, t, j, slot, v, &notes);
            }
        }
        if (notes.count > 0) {
            fputc('\n', out);
        }
        for (size_t i = 0; i < notes.count; i++) {
            fprintf(out, "%s at most %.2f%% possible: %s.\n", MARKERS[i], notes.pct[i],
                    notes.reason[i]);
        }
    }
}

static int write_runs_csv(const char *path, const prism_experiment_config *config,
                          const prism_results *results, prism_error *err)
{
    prism_atomic_file file;
    if (prism_atomic_open(&file, path, err) != 0) {
        return -1;
    }
    /* The mask column exists only with several masks, so that default files keep the
     * article's five columns. */
    bool with_mask = results->n_masks > 1;
    fprintf(file.stream, with_mask ? "test,level,activation,run,mask,accuracy\n"
                                   : "test,level,activation,run,accuracy\n");
    for (size_t slot = 0; slot < results->n_slots; slot++) {
        size_t t;
        size_t j;
        prism_config_slot(config, slot, &t, &j);
        for (size_t v = 0; v < results->n_variants; v++) {
            for (size_t run = 0; run < results->runs; run++) {
                if (!prism_results_run_complete(results, run)) {
                    continue;
                }
                const double *acc = prism_results_accuracy(results, run, v, slot);
                for (size_t m = 0; m < results->n_masks; m++) {
                    fprintf(file.stream, "%s,%.15g,%s,%zu,", prism_test_name(config->tests[t].kind),
                            config->tests[t].levels[j], config->variants[v].name, run + 1);
                    if (with_mask) {
                        fprintf(file.stream, "%zu,", m + 1);
                    }
                    fprintf(file.stream, "%.10g\n", acc[m]);
                }
            }
        }
    }
    return prism_atomic_commit(&file, err);
}

/* CSV field for a statistic: empty when undefined. */
static void csv_number(FILE *stream, double value)
{
    if (!isnan(value)) {
        fprintf(stream, "%.6f", value);
    }
}

static int write_summary_csv(const char *path, const prism_experiment_config *config,
                             const prism_summary_table *table, prism_error *err)
{
    prism_atomic_file file;
    if (prism_atomic_open(&file, path, err) != 0) {
        return -1;
    }
    fprintf(file.stream, "test,level,activation,n,mean,sd,ci_low,ci_high\n");
    for (size_t slot = 0; slot < table->n_slots; slot++) {
        size_t t;
        size_t j;
        prism_config_slot(config, slot, &t, &j);
        for (size_t v = 0; v < table->n_variants; v++) {
            const prism_summary *c = &table->cells[v * table->n_slots + slot];
            fprintf(file.stream, "%s,%.15g,%s,%zu,", prism_test_name(config->tests[t].kind),
                    config->tests[t].levels[j], config->variants[v].name, c->n);
            csv_number(file.stream, c->mean);
            fputc(',', file.stream);
            csv_number(file.stream, c->sd);
            fputc(',', file.stream);
            csv_number(file.stream, c->ci_low);
            fputc(',', file.stream);
            csv_number(file.stream, c->ci_high);
            fputc('\n', file.stream);
        }
    }
    return prism_atomic_commit(&file, err);
}

/* A number, or null where the statistic is undefined (JSON has no NaN). */
static void add_number_or_null(cJSON *object, const char *name, double value)
{
    if (isnan(value)) {
        cJSON_AddNullToObject(object, name);
    } else {
        cJSON_AddNumberToObject(object, name, value);
    }
}

static cJSON *dataset_to_json(const prism_dataset *dataset)
{
    static const char *const roles[PRISM_DATASET_FILES] = {"train_images", "train_labels",
                                                           "test_images", "test_labels"};
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", dataset->name);
    cJSON_AddStringToObject(root, "folder", dataset->dir);
    cJSON_AddNumberToObject(root, "train_count", (double)dataset->train.count);
    cJSON_AddNumberToObject(root, "test_count", (double)dataset->test.count);
    if (dataset->train.packed != NULL && dataset->train.count > 0) {
        /* What the first layer's products read in training: the rest of each image is 4 x 4
         * tiles of 0, skipped (model/kernels.h). */
        cJSON_AddNumberToObject(root, "train_nonzero_tiles_per_image",
                                (double)dataset->train.packed_groups
                                    / (double)dataset->train.count);
    }
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    for (int f = 0; f < PRISM_DATASET_FILES; f++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddItemToArray(files, item);
        cJSON_AddStringToObject(item, "role", roles[f]);
        cJSON_AddStringToObject(item, "path", dataset->file_paths[f]);
        cJSON_AddStringToObject(item, "sha256", dataset->file_sha256[f]);
    }
    return root;
}

/* ceiling_pct and ceiling_reason of one cell, null where there is no ceiling. */
static void add_ceiling(cJSON *item, const prism_summary_table *table, size_t cell)
{
    add_number_or_null(item, "ceiling_pct", table->ceiling_pct[cell]);
    if (table->ceiling_reason[cell] == NULL) {
        cJSON_AddNullToObject(item, "ceiling_reason");
    } else {
        cJSON_AddStringToObject(item, "ceiling_reason", table->ceiling_reason[cell]);
    }
}

/* The split of one cell's variance (percentage points squared) into runs and masks. Clean and
 * targeted levels draw no mask, so their masks are identical and the within-run part is 0 by
 * construction; masks_identical says so. */
static cJSON *variance_to_json(const prism_variance_split *split, bool masks_identical)
{
    cJSON *item = cJSON_CreateObject();
    cJSON_AddBoolToObject(item, "masks_identical", masks_identical);
    add_number_or_null(item, "between_runs", split->between);
    add_number_or_null(item, "between_masks_within_runs", split->within);
    cJSON_AddBoolToObject(item, "between_runs_clipped", split->between_clipped);
    add_number_or_null(item, "between_runs_unclipped", split->between_raw);
    add_number_or_null(item, "ms_between_runs", split->ms_between);
    add_number_or_null(item, "ms_within_runs", split->ms_within);
    cJSON_AddNumberToObject(item, "runs", (double)split->groups);
    cJSON_AddNumberToObject(item, "masks", (double)split->per_group);
    return item;
}

static cJSON *summary_to_json(const prism_experiment_config *config,
                              const prism_summary_table *table)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t slot = 0; slot < table->n_slots; slot++) {
        size_t t;
        size_t j;
        prism_config_slot(config, slot, &t, &j);
        const prism_test_plan *plan = &config->tests[t];
        for (size_t v = 0; v < table->n_variants; v++) {
            size_t cell = v * table->n_slots + slot;
            const prism_summary *c = &table->cells[cell];
            cJSON *item = cJSON_CreateObject();
            cJSON_AddItemToArray(list, item);
            cJSON_AddStringToObject(item, "test", prism_test_name(plan->kind));
            cJSON_AddNumberToObject(item, "level", plan->levels[j]);
            cJSON_AddStringToObject(item, "activation", config->variants[v].name);
            cJSON_AddNumberToObject(item, "n", (double)c->n);
            add_number_or_null(item, "mean", c->mean);
            add_number_or_null(item, "sd", c->sd);
            add_number_or_null(item, "ci_low", c->ci_low);
            add_number_or_null(item, "ci_high", c->ci_high);
            add_ceiling(item, table, cell);
            if (table->variance != NULL) {
                bool identical = prism_test_level_is_deterministic(plan->kind, plan->levels[j]);
                cJSON_AddItemToObject(item, "variance_components",
                                      variance_to_json(&table->variance[cell], identical));
            }
        }
    }
    return list;
}

/* How the variance components are estimated, as summary.json states it. */
static const char VARIANCE_METHOD[] =
    "one-way random-effects ANOVA over runs (a groups) with K masks each, in percentage points "
    "squared: MSB = K sum_r (mean_r - mean)^2 / (a - 1), MSW = sum_r sum_k (y_rk - mean_r)^2 / "
    "(a (K - 1)); between_masks_within_runs = MSW, between_runs = (MSB - MSW) / K, clipped to 0 "
    "(between_runs_clipped) when negative";

/* Test images per class, for the classes any model predicts: the basis of every ceiling. */
static cJSON *class_counts_to_json(const prism_experiment_config *config,
                                   const prism_results *results)
{
    size_t classes = 0;
    for (size_t v = 0; v < config->n_variants; v++) {
        size_t c = config->variants[v].spec.classes;
        classes = c > classes ? c : classes;
    }
    cJSON *list = cJSON_CreateArray();
    for (size_t c = 0; c < classes && c < PRISM_RESULTS_MAX_CLASSES; c++) {
        cJSON_AddItemToArray(list, cJSON_CreateNumber((double)results->test_class_counts[c]));
    }
    return list;
}

static int write_summary_json(const char *path, const prism_experiment_config *config,
                              const prism_dataset *dataset, const prism_results *results,
                              const prism_summary_table *table, bool complete,
                              prism_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "complete", complete);
    cJSON_AddNumberToObject(root, "complete_runs", (double)table->complete_runs);
    cJSON_AddItemToObject(root, "build", prism_build_to_json());
    cJSON_AddItemToObject(root, "config", prism_config_to_json(config));
    cJSON_AddItemToObject(root, "dataset", dataset_to_json(dataset));
    cJSON *timing = cJSON_AddObjectToObject(root, "timing");
    cJSON_AddNumberToObject(timing, "load_s", results->load_seconds);
    cJSON_AddNumberToObject(timing, "wall_s", results->wall_seconds);
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
        cJSON_AddNumberToObject(timing, "peak_rss_kb", (double)usage.ru_maxrss);
    }
    cJSON_AddNumberToObject(timing, "train_thread_s", results->train_seconds);
    cJSON_AddNumberToObject(timing, "eval_thread_s", results->eval_seconds);
    cJSON_AddStringToObject(root, "accuracy_unit", "percent of test images");
    if (results->n_masks > 1) {
        cJSON_AddStringToObject(root, "summary_unit", "each run's mean over its masks; n counts "
                                "runs");
        cJSON_AddStringToObject(root, "variance_components_method", VARIANCE_METHOD);
    }
    cJSON_AddItemToObject(root, "test_class_counts", class_counts_to_json(config, results));
    cJSON_AddItemToObject(root, "summary", summary_to_json(config, table));

    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL) {
        return prism_error_set(err, "%s: out of memory while formatting JSON", path);
    }
    prism_atomic_file file;
    if (prism_atomic_open(&file, path, err) != 0) {
        free(text);
        return -1;
    }
    fputs(text, file.stream);
    fputc('\n', file.stream);
    free(text);
    return prism_atomic_commit(&file, err);
}

/* A folder may hold an earlier run's files. Its summary.json, which says whether the results
 * are complete, goes first and is written again after the other results, so that a write that
 * fails part way does not leave it beside this run's files as if it were theirs. */
static void remove_previous_summary(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    (void)unlink(path);
}

int prism_write_outputs(const char *dir, const prism_experiment_config *config,
                        const prism_dataset *dataset, const prism_results *results,
                        const prism_summary_table *table, bool complete, prism_error *err)
{
    if (prism_make_dirs(dir, err) != 0) {
        return -1;
    }
    remove_previous_summary(dir);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    if (write_runs_csv(path, config, results, err) != 0) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (write_summary_csv(path, config, table, err) != 0) {
        return -1;
    }
    if (prism_write_model_files(dir, config, results, err) != 0) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    return write_summary_json(path, config, dataset, results, table, complete, err);
}
