/* Loading of the optional per-model files (mechanism.csv, details.csv) into a store. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/store.h"

enum { MAX_FIELDS = 64, LINE_BYTES = 4096 };

/* A number, or NaN for an empty field; -1 when the field is not a number. */
static int parse_value(const char *text, double *out)
{
    if (text[0] == '\0') {
        *out = NAN;
        return 0;
    }
    char *end = NULL;
    *out = strtod(text, &end);
    return *end == '\0' ? 0 : -1;
}

static int parse_run(const prism_store *s, const char *text, size_t *run)
{
    char *end = NULL;
    unsigned long value = strtoul(text, &end, 10);
    if (*end != '\0' || value < 1 || value > s->runs) {
        return -1;
    }
    *run = value - 1;
    return 0;
}

static double *nan_array(size_t n)
{
    double *a = malloc((n > 0 ? n : 1) * sizeof *a);
    for (size_t i = 0; a != NULL && i < n; i++) {
        a[i] = NAN;
    }
    return a;
}

static int load_mechanism(prism_store *s, FILE *f, const char *path, prism_error *err)
{
    size_t models = s->runs * s->n_variants;
    s->participation = nan_array(models);
    s->importance_gini = nan_array(models);
    s->saturated = nan_array(models);
    if (s->participation == NULL || s->importance_gini == NULL || s->saturated == NULL) {
        return prism_error_set(err, "%s: out of memory", path);
    }
    char line[LINE_BYTES];
    char *fields[MAX_FIELDS];
    size_t line_no = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line_no++;
        size_t n = prism_csv_split(line, fields, MAX_FIELDS);
        if (line_no == 1) {
            if (n < 6 || strcmp(fields[0], "run") != 0 ||
                strcmp(fields[3], "participation_ratio") != 0) {
                return prism_error_set(err, "%s: line 1: expected the header run,activation,"
                                       "width,participation_ratio,...", path);
            }
            continue;
        }
        size_t run;
        int variant = n >= 6 ? prism_store_find_variant(s, fields[1]) : -1;
        double values[3];
        if (n < 6 || variant < 0 || parse_run(s, fields[0], &run) != 0 ||
            parse_value(fields[3], &values[0]) != 0 || parse_value(fields[4], &values[1]) != 0 ||
            parse_value(fields[5], &values[2]) != 0) {
            return prism_error_set(err, "%s: line %zu: expected run, a model of summary.json "
                                   "and numbers", path, line_no);
        }
        size_t model = run * s->n_variants + (size_t)variant;
        s->participation[model] = values[0];
        s->importance_gini[model] = values[1];
        s->saturated[model] = values[2];
    }
    s->has_mechanism = true;
    return 0;
}

static int load_details(prism_store *s, FILE *f, const char *path, prism_error *err)
{
    char line[LINE_BYTES];
    char *fields[MAX_FIELDS];
    if (fgets(line, sizeof line, f) == NULL) {
        return prism_error_set(err, "%s: empty file", path);
    }
    size_t n_header = prism_csv_split(line, fields, MAX_FIELDS);
    if (n_header < 7 || n_header > MAX_FIELDS || strcmp(fields[5], "flipped_pct") != 0) {
        return prism_error_set(err, "%s: line 1: expected the header test,level,activation,run,"
                               "mask,flipped_pct,class_0_pct,...", path);
    }
    s->n_classes = n_header - 6;

    size_t cells = s->runs * s->n_variants * s->n_slots;
    double *flipped = calloc(cells, sizeof *flipped);
    double *classes = calloc(cells * s->n_classes, sizeof *classes);
    size_t *counts = calloc(cells, sizeof *counts);
    int status = 0;
    size_t line_no = 1;
    while (flipped != NULL && classes != NULL && counts != NULL &&
           fgets(line, sizeof line, f) != NULL) {
        line_no++;
        size_t n = prism_csv_split(line, fields, MAX_FIELDS);
        size_t run;
        double level = NAN;
        int variant = n == n_header ? prism_store_find_variant(s, fields[2]) : -1;
        int slot = -1;
        if (variant >= 0 && parse_value(fields[1], &level) == 0) {
            slot = prism_store_find_slot(s, fields[0], level);
        }
        double values[MAX_FIELDS];
        bool ok = slot >= 0 && parse_run(s, fields[3], &run) == 0;
        for (size_t k = 5; ok && k < n; k++) {
            ok = parse_value(fields[k], &values[k]) == 0;
        }
        if (!ok) {
            status = prism_error_set(err, "%s: line %zu: a row that does not match summary.json",
                                     path, line_no);
            break;
        }
        size_t cell = (run * s->n_variants + (size_t)variant) * s->n_slots + (size_t)slot;
        flipped[cell] += values[5];
        for (size_t k = 0; k < s->n_classes; k++) {
            classes[cell * s->n_classes + k] += values[6 + k];
        }
        counts[cell]++;
    }
    if (flipped == NULL || classes == NULL || counts == NULL) {
        status = prism_error_set(err, "%s: out of memory", path);
    }
    for (size_t c = 0; status == 0 && c < cells; c++) {
        double n = counts[c] > 0 ? (double)counts[c] : NAN;
        flipped[c] /= n;
        for (size_t k = 0; k < s->n_classes; k++) {
            classes[c * s->n_classes + k] /= n;
        }
    }
    free(counts);
    s->flipped_pct = flipped;
    s->class_pct = classes;
    s->has_details = status == 0;
    return status;
}

int prism_store_load_model_files(prism_store *s, prism_error *err)
{
    static const char *const names[2] = {"mechanism.csv", "details.csv"};
    for (int i = 0; i < 2; i++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%s", s->dir, names[i]);
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            if (errno == ENOENT) {
                continue; /* written by newer runs only; the report leaves the section out */
            }
            return prism_error_set(err, "%s: cannot open: %s", path, strerror(errno));
        }
        int status = i == 0 ? load_mechanism(s, f, path, err) : load_details(s, f, path, err);
        fclose(f);
        if (status != 0) {
            return -1;
        }
    }
    return 0;
}
