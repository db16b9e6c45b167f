#include "report/store.h"

#include "stress/test.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file into a NUL-terminated buffer. */
static char *read_text(const char *path, prism_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        prism_error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16;
    size_t len = 0;
    char *text = malloc(cap);
    while (text != NULL) {
        len += fread(text + len, 1, cap - len - 1, f);
        if (len < cap - 1) {
            break;
        }
        cap *= 2;
        char *grown = realloc(text, cap);
        if (grown == NULL) {
            free(text);
        }
        text = grown;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (text == NULL || failed) {
        free(text);
        prism_error_set(err, "%s: cannot read", path);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

static int copy_string(const cJSON *object, const char *key, char *out, size_t bytes,
                       const char *path, prism_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= bytes) {
        return prism_error_set(err, "%s: field '%s': expected a string of under %zu bytes", path,
                               key, bytes);
    }
    snprintf(out, bytes, "%s", item->valuestring);
    return 0;
}

static int read_number(const cJSON *object, const char *key, double *out, const char *path,
                       prism_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!cJSON_IsNumber(item)) {
        return prism_error_set(err, "%s: field '%s': expected a number", path, key);
    }
    *out = item->valuedouble;
    return 0;
}

static int load_models(const cJSON *config, prism_store *s, const char *path, prism_error *err)
{
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(config, "models");
    int count = cJSON_GetArraySize(models);
    if (!cJSON_IsArray(models) || count < 1 || count > PRISM_STORE_MAX_NAMES) {
        return prism_error_set(err, "%s: config.models: expected 1 to %d models", path,
                               PRISM_STORE_MAX_NAMES);
    }
    s->n_variants = (size_t)count;
    for (int v = 0; v < count; v++) {
        const cJSON *model = cJSON_GetArrayItem(models, v);
        if (copy_string(model, "name", s->variants[v], sizeof s->variants[v], path, err) != 0 ||
            copy_string(model, "network", s->networks[v], sizeof s->networks[v], path, err) != 0) {
            return prism_error_prefix(err, "config.models[%d]", v);
        }
    }
    return 0;
}

static int load_tests(const cJSON *config, prism_store *s, const char *path, prism_error *err)
{
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(config, "tests");
    int count = cJSON_GetArraySize(tests);
    if (!cJSON_IsArray(tests) || count < 1 || count > PRISM_STORE_MAX_NAMES) {
        return prism_error_set(err, "%s: config.tests: expected 1 to %d tests", path,
                               PRISM_STORE_MAX_NAMES);
    }
    s->n_tests = (size_t)count;
    s->n_slots = 0;
    for (int t = 0; t < count; t++) {
        const cJSON *test = cJSON_GetArrayItem(tests, t);
        prism_stored_test *st = &s->tests[t];
        if (copy_string(test, "test", st->name, sizeof st->name, path, err) != 0) {
            return prism_error_prefix(err, "config.tests[%d]", t);
        }
        const cJSON *levels = cJSON_GetObjectItemCaseSensitive(test, "levels");
        int n = cJSON_GetArraySize(levels);
        if (!cJSON_IsArray(levels) || n < 1 || n > PRISM_STORE_MAX_LEVELS) {
            return prism_error_set(err, "%s: config.tests[%d].levels: expected 1 to %d numbers",
                                   path, t, PRISM_STORE_MAX_LEVELS);
        }
        st->n_levels = (size_t)n;
        for (int j = 0; j < n; j++) {
            const cJSON *level = cJSON_GetArrayItem(levels, j);
            if (!cJSON_IsNumber(level)) {
                return prism_error_set(err, "%s: config.tests[%d].levels[%d]: expected a number",
                                       path, t, j);
            }
            st->levels[j] = level->valuedouble;
        }
        s->n_slots += st->n_levels;
    }
    return 0;
}

/* Ceilings from the "summary" entries (absent in older files: then none). */
static int load_ceilings(const cJSON *root, prism_store *s, const char *path, prism_error *err)
{
    s->ceiling_pct = malloc(s->n_variants * s->n_slots * sizeof *s->ceiling_pct);
    if (s->ceiling_pct == NULL) {
        return prism_error_set(err, "%s: out of memory", path);
    }
    for (size_t c = 0; c < s->n_variants * s->n_slots; c++) {
        s->ceiling_pct[c] = NAN;
    }
    const cJSON *entry = NULL;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(root, "summary"))
    {
        const cJSON *pct = cJSON_GetObjectItemCaseSensitive(entry, "ceiling_pct");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(entry, "ceiling_reason");
        const cJSON *test = cJSON_GetObjectItemCaseSensitive(entry, "test");
        const cJSON *level = cJSON_GetObjectItemCaseSensitive(entry, "level");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(entry, "activation");
        if (!cJSON_IsNumber(pct) || !cJSON_IsString(test) || !cJSON_IsNumber(level) ||
            !cJSON_IsString(name)) {
            continue;
        }
        int slot = prism_store_find_slot(s, test->valuestring, level->valuedouble);
        int variant = prism_store_find_variant(s, name->valuestring);
        if (slot >= 0 && variant >= 0) {
            s->ceiling_pct[(size_t)variant * s->n_slots + (size_t)slot] = pct->valuedouble;
            if (cJSON_IsString(reason)) {
                snprintf(s->ceiling_reason[slot], sizeof s->ceiling_reason[slot], "%s",
                         reason->valuestring);
            }
        }
    }
    return 0;
}

static int load_summary_json(prism_store *s, prism_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", s->dir);
    s->summary_json = read_text(path, err);
    if (s->summary_json == NULL) {
        return -1;
    }
    cJSON *root = cJSON_Parse(s->summary_json);
    if (root == NULL) {
        return prism_error_set(err, "%s: not valid JSON (near byte %td)", path,
                               cJSON_GetErrorPtr() - s->summary_json);
    }

    int status = -1;
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");
    const cJSON *complete = cJSON_GetObjectItemCaseSensitive(root, "complete");
    const cJSON *estimators = cJSON_GetObjectItemCaseSensitive(config, "estimators");
    const cJSON *site = cJSON_GetObjectItemCaseSensitive(config, "site");
    double runs = 0.0;
    double masks = 1.0;
    if (!cJSON_IsObject(config) || !cJSON_IsBool(complete)) {
        prism_error_set(err, "%s: expected the objects 'config' and 'complete'", path);
    } else if (read_number(config, "runs", &runs, path, err) == 0 &&
               read_number(estimators, "confidence", &s->confidence, path, err) == 0 &&
               copy_string(config, "design", s->design, sizeof s->design, path, err) == 0 &&
               copy_string(config, "dataset", s->dataset, sizeof s->dataset, path, err) == 0 &&
               load_models(config, s, path, err) == 0 && load_tests(config, s, path, err) == 0) {
        if (cJSON_GetObjectItemCaseSensitive(config, "masks") != NULL) {
            read_number(config, "masks", &masks, path, err);
        }
        const cJSON *layer = cJSON_GetObjectItemCaseSensitive(site, "layer");
        const cJSON *position = cJSON_GetObjectItemCaseSensitive(site, "position");
        if (cJSON_IsNumber(layer) && cJSON_IsString(position)) {
            snprintf(s->site, sizeof s->site, "hidden layer %d, %s", layer->valueint,
                     position->valuestring);
        }
        s->complete = cJSON_IsTrue(complete);
        if (runs < 1 || runs > 1e6 || masks < 1 || masks > 1e6) {
            prism_error_set(err, "%s: config.runs or config.masks out of range", path);
        } else {
            s->runs = (size_t)runs;
            s->masks = (size_t)masks;
            status = load_ceilings(root, s, path, err);
        }
    }
    cJSON_Delete(root);
    return status;
}

int prism_store_find_variant(const prism_store *s, const char *name)
{
    for (size_t i = 0; i < s->n_variants; i++) {
        if (strcmp(name, s->variants[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* The slot of a test name and level; levels were printed with 15 significant digits. */
int prism_store_find_slot(const prism_store *s, const char *test, double level)
{
    size_t slot = 0;
    for (size_t t = 0; t < s->n_tests; t++) {
        for (size_t j = 0; j < s->tests[t].n_levels; j++, slot++) {
            double want = s->tests[t].levels[j];
            if (strcmp(s->tests[t].name, test) == 0 &&
                fabs(want - level) <= 1e-12 * fmax(1.0, fabs(want))) {
                return (int)slot;
            }
        }
    }
    return -1;
}

static int load_runs_csv(prism_store *s, prism_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/runs.csv", s->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return prism_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    }

    size_t cells = s->runs * s->n_variants * s->n_slots;
    double *sums = calloc(cells, sizeof *sums);
    size_t *counts = calloc(cells, sizeof *counts);
    bool *seen = calloc(cells * s->masks, sizeof *seen);
    s->accuracy_pct = malloc(cells * sizeof *s->accuracy_pct);
    s->run_present = calloc(s->runs, sizeof *s->run_present);
    if (sums == NULL || counts == NULL || seen == NULL || s->accuracy_pct == NULL ||
        s->run_present == NULL) {
        free(sums);
        free(counts);
        free(seen);
        fclose(f);
        return prism_error_set(err, "%s: out of memory for %zu cells", path, cells);
    }

    char line[1024];
    int status = 0;
    bool has_mask = false;
    size_t line_no = 0;
    while (status == 0 && fgets(line, sizeof line, f) != NULL) {
        line_no++;
        if (line_no == 1) {
            has_mask = strncmp(line, "test,level,activation,run,mask,accuracy", 39) == 0;
            if (!has_mask && strncmp(line, "test,level,activation,run,accuracy", 34) != 0) {
                status = prism_error_set(err, "%s: line 1: expected the header "
                                         "test,level,activation,run[,mask],accuracy", path);
            }
            continue;
        }
        char *fields[6];
        size_t n_fields = has_mask ? 6 : 5;
        if (prism_csv_split(line, fields, 6) != n_fields) {
            status = prism_error_set(err, "%s: line %zu: expected %zu comma-separated fields",
                                     path, line_no, n_fields);
            break;
        }
        char *end = NULL;
        double accuracy = strtod(fields[n_fields - 1], &end);
        bool empty = end == fields[n_fields - 1];
        if (*end != '\0' || empty || !(accuracy >= 0.0 && accuracy <= 100.0)) {
            status = prism_error_set(err, "%s: line %zu: accuracy: expected a percentage in "
                                     "[0, 100], found '%s'", path, line_no,
                                     fields[n_fields - 1]);
            break;
        }
        unsigned long mask = 1;
        if (has_mask) {
            mask = strtoul(fields[4], &end, 10);
            if (*end != '\0' || mask < 1 || mask > s->masks) {
                status = prism_error_set(err, "%s: line %zu: mask: expected 1..%zu, found '%s'",
                                         path, line_no, s->masks, fields[4]);
                break;
            }
        }
        double level = strtod(fields[1], &end);
        bool bad = *end != '\0' || end == fields[1];
        unsigned long run = strtoul(fields[3], &end, 10);
        bad = bad || *end != '\0' || run < 1 || run > s->runs;
        int variant = prism_store_find_variant(s, fields[2]);
        int slot = prism_store_find_slot(s, fields[0], level);
        if (bad || variant < 0 || slot < 0) {
            status = prism_error_set(err, "%s: line %zu: a row that does not match the "
                                     "configuration in summary.json (test '%s', level '%s', "
                                     "activation '%s', run '%s')", path, line_no, fields[0],
                                     fields[1], fields[2], fields[3]);
            break;
        }
        size_t cell = ((run - 1) * s->n_variants + (size_t)variant) * s->n_slots + (size_t)slot;
        size_t seen_at = cell * s->masks + (mask - 1);
        if (seen[seen_at]) {
            status = prism_error_set(err, "%s: line %zu: a second row for test '%s', level '%s', "
                                     "activation '%s', run %lu, mask %lu", path, line_no,
                                     fields[0], fields[1], fields[2], run, mask);
            break;
        }
        seen[seen_at] = true;
        sums[cell] += accuracy;
        counts[cell]++;
    }
    fclose(f);

    for (size_t run = 0; run < s->runs; run++) {
        bool present = true;
        for (size_t c = 0; c < s->n_variants * s->n_slots; c++) {
            size_t cell = run * s->n_variants * s->n_slots + c;
            /* A run counts only with every mask of every cell: a partial run would bias the
             * mean over masks. */
            present = present && counts[cell] == s->masks;
            s->accuracy_pct[cell] = counts[cell] > 0 ? sums[cell] / (double)counts[cell] : NAN;
        }
        s->run_present[run] = present;
    }
    free(sums);
    free(counts);
    free(seen);
    return status;
}

int prism_store_load(const char *dir, prism_store *store, prism_error *err)
{
    memset(store, 0, sizeof *store);
    if (strlen(dir) >= sizeof store->dir) {
        return prism_error_set(err, "%s: path too long", dir);
    }
    snprintf(store->dir, sizeof store->dir, "%s", dir);
    if (load_summary_json(store, err) != 0 || load_runs_csv(store, err) != 0 ||
        prism_store_load_model_files(store, err) != 0) {
        prism_store_free(store);
        return -1;
    }
    return 0;
}

void prism_store_free(prism_store *store)
{
    free(store->accuracy_pct);
    free(store->run_present);
    free(store->summary_json);
    free(store->ceiling_pct);
    free(store->participation);
    free(store->importance_gini);
    free(store->saturated);
    free(store->flipped_pct);
    free(store->class_pct);
    memset(store, 0, sizeof *store);
}

bool prism_store_level_is_clean(const prism_store *store, size_t t, size_t j)
{
    prism_test_kind kind;
    double level = store->tests[t].levels[j];
    if (prism_test_parse(store->tests[t].name, &kind, NULL) != 0) {
        return level == 0.0;
    }
    return prism_test_level_is_clean(kind, level);
}

size_t prism_csv_split(char *line, char **fields, size_t max_fields)
{
    line[strcspn(line, "\r\n")] = '\0';
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == max_fields) {
            return max_fields + 1;
        }
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL) {
            return n;
        }
        *comma = '\0';
        p = comma + 1;
    }
}

long prism_store_clean_slot(const prism_store *store, size_t slot)
{
    size_t test;
    size_t level;
    prism_store_slot(store, slot, &test, &level);
    size_t first = slot - level;
    for (size_t j = 0; j < store->tests[test].n_levels; j++) {
        if (prism_store_level_is_clean(store, test, j)) {
            return (long)(first + j);
        }
    }
    return -1;
}

size_t prism_store_first_slot(const prism_store *store, size_t t)
{
    size_t slot = 0;
    for (size_t u = 0; u < t; u++) {
        slot += store->tests[u].n_levels;
    }
    return slot;
}

void prism_store_slot(const prism_store *store, size_t slot, size_t *test, size_t *level)
{
    for (size_t t = 0; t < store->n_tests; t++) {
        if (slot < store->tests[t].n_levels) {
            *test = t;
            *level = slot;
            return;
        }
        slot -= store->tests[t].n_levels;
    }
    *test = store->n_tests;
    *level = 0;
}

size_t prism_store_values(const prism_store *store, size_t variant, size_t slot, double *out)
{
    size_t n = 0;
    for (size_t run = 0; run < store->runs; run++) {
        if (store->run_present[run]) {
            out[n++] = *prism_store_accuracy(store, run, variant, slot);
        }
    }
    return n;
}
