/* Test support: reads the JSON fixtures that tools/make_fixtures.py writes from PyTorch, and
 * compares prism's tensors with them element by element under a stated tolerance.
 *
 * Every accessor reports what is wrong (fixture file, key, expected and found) on stderr and
 * returns NULL or -1, so a test only has to assert on the result. Arrays handed out belong to
 * the fixture and are freed by prism_fixture_close. */
#ifndef PRISM_TESTS_SUPPORT_FIXTURE_H
#define PRISM_TESTS_SUPPORT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

typedef struct prism_fixture {
    char path[1024];
    cJSON *root;
    void **owned; /* arrays handed out, freed on close */
    size_t n_owned;
    size_t cap_owned;
} prism_fixture;

/* |got - ref| <= atol + rtol |ref| for every element; NaN never passes. */
typedef struct prism_tolerance {
    double atol;
    double rtol;
} prism_tolerance;

/* Reads and parses PRISM_FIXTURE_DIR/name. fx is zeroed first, so closing it is always safe. */
int prism_fixture_open(prism_fixture *fx, const char *name);

/* Frees the parsed tree and every array handed out; leaves fx zeroed. */
void prism_fixture_close(prism_fixture *fx);

/* The member key of the object node (NULL: the root), or NULL when it is missing. */
const cJSON *prism_fixture_member(const prism_fixture *fx, const cJSON *node, const char *key);

/* The length of the array node[key], or -1 when it is missing or not an array. */
long prism_fixture_length(const prism_fixture *fx, const cJSON *node, const char *key);

/* node[key] as a number, or -1 when it is missing or not a number. */
int prism_fixture_number(const prism_fixture *fx, const cJSON *node, const char *key,
                         double *value);

/* node[key] as a string, or NULL. */
const char *prism_fixture_string(const prism_fixture *fx, const cJSON *node, const char *key);

/* The array node[key] of exactly count numbers, each converted to float as the C compiler would
 * (double, then float: the generator checked that this gives PyTorch's exact bits). NULL when
 * the key is missing, the length differs, or an element is not a number. */
float *prism_fixture_floats(prism_fixture *fx, const cJSON *node, const char *key, size_t count);

/* The same for an array node reached otherwise (an element of an array of arrays); label names
 * it in messages. */
float *prism_fixture_array_floats(prism_fixture *fx, const cJSON *array, const char *label,
                                  size_t count);

/* The array node[key] of exactly count integers in 0..255 (pixels, labels). */
uint8_t *prism_fixture_bytes(prism_fixture *fx, const cJSON *node, const char *key,
                             size_t count);

/* Compares got[n] with ref[n]; prints the first few elements outside the tolerance as
 * "name[i]: got G, ref R, |diff| D > bound B" and a summary line. Returns how many elements
 * fail, so that a test asserts the result is 0. With PRISM_FIXTURE_VERBOSE set in the
 * environment it also prints, for every comparison, the worst ratio |diff| / bound, which shows
 * how much room a tolerance leaves. */
size_t prism_fixture_compare(const char *name, const float *got, const float *ref, size_t n,
                             prism_tolerance tol);

/* The same for double results (losses) against double references. */
size_t prism_fixture_compare_double(const char *name, const double *got, const double *ref,
                                    size_t n, prism_tolerance tol);

#endif
