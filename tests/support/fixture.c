#include "support/fixture.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PRISM_FIXTURE_DIR
#error "PRISM_FIXTURE_DIR must name the folder of committed fixtures (tests/CMakeLists.txt)"
#endif

enum { MISMATCHES_SHOWN = 8 };

/* ---- Reading ---- */

/* Reads a whole file into a NUL-terminated buffer; NULL with a message on any failure. */
static char *read_text(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "fixture %s: cannot open: %s (regenerate with "
                "/usr/bin/python3 tools/make_fixtures.py)\n", path, strerror(errno));
        return NULL;
    }

    size_t used = 0;
    size_t cap = 1 << 16;
    char *text = malloc(cap);
    while (text != NULL) {
        used += fread(text + used, 1, cap - used - 1, file);
        if (used < cap - 1) {
            break;
        }
        char *grown = realloc(text, 2 * cap);
        if (grown == NULL) {
            free(text);
            text = NULL;
            break;
        }
        text = grown;
        cap *= 2;
    }

    bool failed = text == NULL || ferror(file);
    fclose(file);
    if (failed) {
        fprintf(stderr, "fixture %s: read failed or out of memory\n", path);
        free(text);
        return NULL;
    }
    text[used] = '\0';
    *length = used;
    return text;
}

int prism_fixture_open(prism_fixture *fx, const char *name)
{
    memset(fx, 0, sizeof *fx);
    int written = snprintf(fx->path, sizeof fx->path, "%s/%s", PRISM_FIXTURE_DIR, name);
    if (written < 0 || (size_t)written >= sizeof fx->path) {
        fprintf(stderr, "fixture %s: path too long\n", name);
        return -1;
    }

    size_t length = 0;
    char *text = read_text(fx->path, &length);
    if (text == NULL) {
        return -1;
    }
    fx->root = cJSON_ParseWithLength(text, length);
    if (fx->root == NULL) {
        const char *where = cJSON_GetErrorPtr();
        fprintf(stderr, "fixture %s: invalid JSON at byte %ld\n", fx->path,
                where != NULL ? (long)(where - text) : -1L);
        free(text);
        return -1;
    }
    free(text);
    if (!cJSON_IsObject(fx->root)) {
        fprintf(stderr, "fixture %s: expected a JSON object at the top\n", fx->path);
        prism_fixture_close(fx);
        return -1;
    }
    return 0;
}

void prism_fixture_close(prism_fixture *fx)
{
    for (size_t i = 0; i < fx->n_owned; i++) {
        free(fx->owned[i]);
    }
    free(fx->owned);
    cJSON_Delete(fx->root);
    memset(fx, 0, sizeof *fx);
}

/* Keeps p to be freed on close; frees it and returns NULL when the list cannot grow. */
static void *own(prism_fixture *fx, void *p)
{
    if (p == NULL) {
        fprintf(stderr, "fixture %s: out of memory\n", fx->path);
        return NULL;
    }
    if (fx->n_owned == fx->cap_owned) {
        size_t cap = fx->cap_owned ? 2 * fx->cap_owned : 16;
        void **grown = realloc(fx->owned, cap * sizeof *grown);
        if (grown == NULL) {
            fprintf(stderr, "fixture %s: out of memory\n", fx->path);
            free(p);
            return NULL;
        }
        fx->owned = grown;
        fx->cap_owned = cap;
    }
    fx->owned[fx->n_owned++] = p;
    return p;
}

const cJSON *prism_fixture_member(const prism_fixture *fx, const cJSON *node, const char *key)
{
    const cJSON *parent = node != NULL ? node : fx->root;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);
    if (item == NULL) {
        fprintf(stderr, "fixture %s: key \"%s\" missing\n", fx->path, key);
    }
    return item;
}

long prism_fixture_length(const prism_fixture *fx, const cJSON *node, const char *key)
{
    const cJSON *item = prism_fixture_member(fx, node, key);
    if (item == NULL) {
        return -1;
    }
    if (!cJSON_IsArray(item)) {
        fprintf(stderr, "fixture %s: \"%s\": expected an array\n", fx->path, key);
        return -1;
    }
    return (long)cJSON_GetArraySize(item);
}

int prism_fixture_number(const prism_fixture *fx, const cJSON *node, const char *key,
                         double *value)
{
    const cJSON *item = prism_fixture_member(fx, node, key);
    if (item == NULL) {
        return -1;
    }
    if (!cJSON_IsNumber(item)) {
        fprintf(stderr, "fixture %s: \"%s\": expected a number\n", fx->path, key);
        return -1;
    }
    *value = item->valuedouble;
    return 0;
}

const char *prism_fixture_string(const prism_fixture *fx, const cJSON *node, const char *key)
{
    const cJSON *item = prism_fixture_member(fx, node, key);
    if (item == NULL) {
        return NULL;
    }
    if (!cJSON_IsString(item)) {
        fprintf(stderr, "fixture %s: \"%s\": expected a string\n", fx->path, key);
        return NULL;
    }
    return item->valuestring;
}

/* array itself when it is an array of exactly count numbers; NULL with a message naming label
 * otherwise. */
static const cJSON *number_array(const prism_fixture *fx, const cJSON *array, const char *label,
                                 size_t count)
{
    if (array == NULL) {
        fprintf(stderr, "fixture %s: \"%s\" missing\n", fx->path, label);
        return NULL;
    }
    if (!cJSON_IsArray(array)) {
        fprintf(stderr, "fixture %s: \"%s\": expected an array\n", fx->path, label);
        return NULL;
    }
    size_t length = (size_t)cJSON_GetArraySize(array);
    if (length != count) {
        fprintf(stderr, "fixture %s: \"%s\": expected %zu elements, found %zu\n", fx->path,
                label, count, length);
        return NULL;
    }
    size_t i = 0;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, array) {
        if (!cJSON_IsNumber(item)) {
            fprintf(stderr, "fixture %s: \"%s\"[%zu]: expected a number\n", fx->path, label,
                    i);
            return NULL;
        }
        i++;
    }
    return array;
}

float *prism_fixture_array_floats(prism_fixture *fx, const cJSON *array, const char *label,
                                  size_t count)
{
    if (number_array(fx, array, label, count) == NULL) {
        return NULL;
    }
    /* One spare element so that count 0 still gives a distinct, freeable pointer. */
    float *values = own(fx, malloc((count + 1) * sizeof *values));
    if (values == NULL) {
        return NULL;
    }
    size_t i = 0;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, array) {
        values[i++] = (float)item->valuedouble;
    }
    return values;
}

float *prism_fixture_floats(prism_fixture *fx, const cJSON *node, const char *key, size_t count)
{
    const cJSON *array = prism_fixture_member(fx, node, key);
    return array != NULL ? prism_fixture_array_floats(fx, array, key, count) : NULL;
}

uint8_t *prism_fixture_bytes(prism_fixture *fx, const cJSON *node, const char *key,
                             size_t count)
{
    const cJSON *array = prism_fixture_member(fx, node, key);
    if (array == NULL || number_array(fx, array, key, count) == NULL) {
        return NULL;
    }
    uint8_t *values = own(fx, malloc(count + 1));
    if (values == NULL) {
        return NULL;
    }
    size_t i = 0;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, array) {
        double v = item->valuedouble;
        if (!(v >= 0.0 && v <= 255.0) || v != floor(v)) {
            fprintf(stderr, "fixture %s: \"%s\"[%zu]: expected an integer in 0..255, found %g\n",
                    fx->path, key, i, v);
            return NULL;
        }
        values[i++] = (uint8_t)v;
    }
    return values;
}

/* ---- Comparing ---- */

/* Both compare functions widen to double, so the test itself adds no rounding. */
static size_t compare_values(const char *name, const float *got_f, const double *got_d,
                             const float *ref_f, const double *ref_d, size_t n,
                             prism_tolerance tol)
{
    size_t failed = 0;
    size_t worst_index = 0;
    double worst_ratio = 0.0;

    for (size_t i = 0; i < n; i++) {
        double got = got_f != NULL ? (double)got_f[i] : got_d[i];
        double ref = ref_f != NULL ? (double)ref_f[i] : ref_d[i];
        double diff = fabs(got - ref);
        double bound = tol.atol + tol.rtol * fabs(ref);
        /* Written so that NaN in either value fails. */
        bool ok = diff <= bound;
        double ratio = bound > 0.0 ? diff / bound : (diff > 0.0 ? INFINITY : 0.0);
        if (!ok || isnan(ratio)) {
            ratio = INFINITY;
        }
        if (ratio > worst_ratio || i == 0) {
            worst_ratio = ratio;
            worst_index = i;
        }
        if (ok) {
            continue;
        }
        if (failed < MISMATCHES_SHOWN) {
            fprintf(stderr, "%s[%zu]: got %.9g, ref %.9g, |diff| %.3g > bound %.3g "
                    "(atol %g + rtol %g |ref|)\n", name, i, got, ref, diff, bound, tol.atol,
                    tol.rtol);
        }
        failed++;
    }

    if (failed > 0) {
        fprintf(stderr, "%s: %zu of %zu elements outside the tolerance\n", name, failed, n);
    } else if (getenv("PRISM_FIXTURE_VERBOSE") != NULL) {
        fprintf(stderr, "%s: %zu elements within tolerance, worst |diff| / bound %.3g at [%zu]\n",
                name, n, worst_ratio, worst_index);
    }
    return failed;
}

size_t prism_fixture_compare(const char *name, const float *got, const float *ref, size_t n,
                             prism_tolerance tol)
{
    return compare_values(name, got, NULL, ref, NULL, n, tol);
}

size_t prism_fixture_compare_double(const char *name, const double *got, const double *ref,
                                    size_t n, prism_tolerance tol)
{
    return compare_values(name, NULL, got, NULL, ref, n, tol);
}
