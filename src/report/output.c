#include "report/output.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/atomic_file.h"
#include "report/config_json.h"

int prism_summary_table_build(const prism_experiment_config *config,
                              const prism_results *results, prism_summary_table *table,
                              prism_error *err)
{
    memset(table, 0, sizeof *table);
    table->n_variants = results->n_variants;
    table->n_slots = results->n_slots;
    table->cells = calloc(table->n_variants * table->n_slots, sizeof *table->cells);
    double *values = malloc((results->runs > 0 ? results->runs : 1) * sizeof *values);
    if (table->cells == NULL || values == NULL) {
        free(values);
        prism_summary_table_destroy(table);
        return prism_error_set(err, "out of memory for the summary table");
    }

    /* Only runs whose every variant finished count, so all cells share the same runs. */
    for (size_t run = 0; run < results->runs; run++) {
        table->complete_runs += prism_results_run_complete(results, run);
    }
    for (size_t v = 0; v < table->n_variants; v++) {
        for (size_t s = 0; s < table->n_slots; s++) {
            size_t n = 0;
            for (size_t run = 0; run < results->runs; run++) {
                if (prism_results_run_complete(results, run)) {
                    values[n++] = *prism_results_accuracy(results, run, v, s);
                }
            }
            prism_summary_compute(values, 1, n, config->confidence,
                                  &table->cells[v * table->n_slots + s]);
        }
    }
    free(values);
    return 0;
}

void prism_summary_table_destroy(prism_summary_table *table)
{
    free(table->cells);
    memset(table, 0, sizeof *table);
}

static const char *test_caption(prism_test_kind kind)
{
    switch (kind) {
    case PRISM_TEST_LOBOTOMY:
        return "lobotomy: share of neurons removed, survivors rescaled";
    case PRISM_TEST_SPIKE:
        return "spike: share of the layer's energy in one neuron";
    default:
        return "noise: sigma of the log-normal multiplicative noise";
    }
}

/* "12.34" or "n/a" for an undefined statistic. */
static const char *fmt2(double value, char *buf, size_t bytes)
{
    if (isnan(value)) {
        snprintf(buf, bytes, "n/a");
    } else {
        snprintf(buf, bytes, "%.2f", value);
    }
    return buf;
}

void prism_print_tables(FILE *out, const prism_experiment_config *config,
                        const prism_summary_table *table)
{
    size_t slot = 0;
    for (size_t t = 0; t < config->n_tests; t++) {
        const prism_test_plan *plan = &config->tests[t];
        fprintf(out, "\n### Test %zu: %s\n\n", t + 1, test_caption(plan->kind));
        fprintf(out, "| level | model | n | mean acc. %% | SD | %g%% CI (t) |\n",
                100.0 * config->confidence);
        fprintf(out, "|---|---|---|---|---|---|\n");
        for (size_t j = 0; j < plan->n_levels; j++, slot++) {
            for (size_t v = 0; v < config->n_variants; v++) {
                const prism_summary *c = &table->cells[v * table->n_slots + slot];
                char level[32] = "";
                if (v == 0) {
                    snprintf(level, sizeof level, plan->levels[j] == 0.0 ? "%g (clean)" : "%g",
                             plan->levels[j]);
                }
                char mean[32];
                char sd[32];
                char lo[32];
                char hi[32];
                fprintf(out, "| %s | %s | %zu | %s | %s | [%s, %s] |\n", level,
                        config->variants[v].name, c->n, fmt2(c->mean, mean, sizeof mean),
                        fmt2(c->sd, sd, sizeof sd), fmt2(c->ci_low, lo, sizeof lo),
                        fmt2(c->ci_high, hi, sizeof hi));
            }
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
    fprintf(file.stream, "test,level,activation,run,accuracy\n");
    for (size_t slot = 0; slot < results->n_slots; slot++) {
        size_t t;
        size_t j;
        prism_config_slot(config, slot, &t, &j);
        for (size_t v = 0; v < results->n_variants; v++) {
            for (size_t run = 0; run < results->runs; run++) {
                if (!prism_results_run_complete(results, run)) {
                    continue;
                }
                fprintf(file.stream, "%s,%.15g,%s,%zu,%.10g\n",
                        prism_test_name(config->tests[t].kind), config->tests[t].levels[j],
                        config->variants[v].name, run + 1,
                        *prism_results_accuracy(results, run, v, slot));
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

static cJSON *summary_to_json(const prism_experiment_config *config,
                              const prism_summary_table *table)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t slot = 0; slot < table->n_slots; slot++) {
        size_t t;
        size_t j;
        prism_config_slot(config, slot, &t, &j);
        for (size_t v = 0; v < table->n_variants; v++) {
            const prism_summary *c = &table->cells[v * table->n_slots + slot];
            cJSON *item = cJSON_CreateObject();
            cJSON_AddItemToArray(list, item);
            cJSON_AddStringToObject(item, "test", prism_test_name(config->tests[t].kind));
            cJSON_AddNumberToObject(item, "level", config->tests[t].levels[j]);
            cJSON_AddStringToObject(item, "activation", config->variants[v].name);
            cJSON_AddNumberToObject(item, "n", (double)c->n);
            add_number_or_null(item, "mean", c->mean);
            add_number_or_null(item, "sd", c->sd);
            add_number_or_null(item, "ci_low", c->ci_low);
            add_number_or_null(item, "ci_high", c->ci_high);
        }
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
    cJSON_AddNumberToObject(timing, "wall_s", results->wall_seconds);
    cJSON_AddNumberToObject(timing, "train_thread_s", results->train_seconds);
    cJSON_AddNumberToObject(timing, "eval_thread_s", results->eval_seconds);
    cJSON_AddStringToObject(root, "accuracy_unit", "percent of test images");
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

int prism_write_outputs(const char *dir, const prism_experiment_config *config,
                        const prism_dataset *dataset, const prism_results *results,
                        const prism_summary_table *table, bool complete, prism_error *err)
{
    if (prism_make_dirs(dir, err) != 0) {
        return -1;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    if (write_runs_csv(path, config, results, err) != 0) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (write_summary_csv(path, config, table, err) != 0) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    return write_summary_json(path, config, dataset, results, table, complete, err);
}
