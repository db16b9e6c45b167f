/* Tests of the two-group comparisons and Holm's adjustment: every statistic against SciPy 1.10
 * (tests/fixtures/stats_reference.json, written by /usr/bin/python3 tools/make_stats_fixtures.py;
 * the file says how SciPy was called), the edge cases compare.h defines, argument checks,
 * symmetry under swapping the groups, and Holm against values worked by hand with the
 * statsmodels rule.
 *
 * Tolerance for SciPy: |got - ref| <= RTOL |ref|, RTOL 1e-9, for every statistic, interval
 * ends near 0 included. The t and normal tails come from GSL here and from Cephes in SciPy; means
 * and variances differ only in summation order. The worst case uses 3e-4 of the bound
 * (PRISM_FIXTURE_VERBOSE=1 prints each ratio), i.e. agreement to ~3e-13. Interval ends are
 * compared with t quantiles from mpmath, not SciPy's (see tools/make_stats_fixtures.py). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats/compare.h"
#include "support/fixture.h"

static const double RTOL = 1e-9;

/* ---- Helpers ---- */

static void assert_close(double got, double ref, double rtol, const char *what)
{
    if (!(fabs(got - ref) <= rtol * fabs(ref))) {
        fail_msg("%s: expected %.17g, found %.17g (rtol %g)", what, ref, got, rtol);
    }
}

static void assert_nan(double got, const char *what)
{
    if (!isnan(got)) {
        fail_msg("%s: expected NaN, found %.17g", what, got);
    }
}

/* Every numeric field of out is NaN: what a failed call leaves. */
static void assert_all_nan(const prism_comparison *c)
{
    assert_nan(c->mean_diff, "mean_diff");
    assert_nan(c->ci_low, "ci_low");
    assert_nan(c->ci_high, "ci_high");
    assert_nan(c->t, "t");
    assert_nan(c->dof, "dof");
    assert_nan(c->p, "p");
    assert_nan(c->rank_statistic, "rank_statistic");
    assert_nan(c->rank_p, "rank_p");
    assert_nan(c->hedges_g, "hedges_g");
    assert_int_equal(c->rank_n, 0);
    assert_string_equal(c->rank_method, PRISM_METHOD_NONE);
}

/* The array node[key] as doubles, exactly as written (cJSON reads numbers with strtod). */
static double *read_doubles(const prism_fixture *fx, const cJSON *node, const char *key,
                            size_t *count)
{
    const cJSON *array = prism_fixture_member(fx, node, key);
    if (array == NULL || !cJSON_IsArray(array)) {
        return NULL;
    }
    size_t n = (size_t)cJSON_GetArraySize(array);
    double *values = malloc((n > 0 ? n : 1) * sizeof *values);
    if (values == NULL) {
        return NULL;
    }
    size_t i = 0;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, array) {
        if (!cJSON_IsNumber(item)) {
            fprintf(stderr, "fixture %s: %s[%zu] is not a number\n", fx->path, key, i);
            free(values);
            return NULL;
        }
        values[i++] = item->valuedouble;
    }
    *count = n;
    return values;
}

/* One statistic against its reference: null in the fixture means SciPy found it undefined, and
 * prism must answer NaN. Returns 1 on a mismatch (reported on stderr), else 0. */
static int check_statistic(const prism_fixture *fx, const cJSON *c, const char *group,
                           const char *key, double got)
{
    const char *name = prism_fixture_string(fx, c, "name");
    const cJSON *ref = prism_fixture_member(fx, c, key);
    if (ref == NULL) {
        return 1;
    }
    if (cJSON_IsNull(ref)) {
        if (isnan(got)) {
            return 0;
        }
        fprintf(stderr, "%s %s: %s: expected NaN, found %.17g\n", group, name, key, got);
        return 1;
    }
    if (!cJSON_IsNumber(ref)) {
        fprintf(stderr, "%s %s: %s: reference is neither a number nor null\n", group, name, key);
        return 1;
    }
    double bound = RTOL * fabs(ref->valuedouble);
    double diff = fabs(got - ref->valuedouble);
    if (getenv("PRISM_FIXTURE_VERBOSE") != NULL) {
        /* How much of the tolerance each statistic uses: shows the room left. */
        fprintf(stderr, "%s %s: %s: |diff| / bound = %.3g\n", group, name, key, diff / bound);
    }
    if (!(diff <= bound)) {
        fprintf(stderr, "%s %s: %s: expected %.17g, found %.17g, |diff| %.3g > bound %.3g\n",
                group, name, key, ref->valuedouble, got, diff, bound);
        return 1;
    }
    return 0;
}

/* Every field of out against the fixture case c; returns the number of mismatches. */
static int check_case(const prism_fixture *fx, const cJSON *c, const char *group,
                      const prism_comparison *out, size_t n_a, size_t n_b)
{
    int failures = 0;
    failures += check_statistic(fx, c, group, "mean_diff", out->mean_diff);
    failures += check_statistic(fx, c, group, "ci_low", out->ci_low);
    failures += check_statistic(fx, c, group, "ci_high", out->ci_high);
    failures += check_statistic(fx, c, group, "t", out->t);
    failures += check_statistic(fx, c, group, "dof", out->dof);
    failures += check_statistic(fx, c, group, "p", out->p);
    failures += check_statistic(fx, c, group, "rank_statistic", out->rank_statistic);
    failures += check_statistic(fx, c, group, "rank_p", out->rank_p);
    failures += check_statistic(fx, c, group, "hedges_g", out->hedges_g);

    const char *name = prism_fixture_string(fx, c, "name");
    double rank_n = -1.0;
    const char *rank_method = prism_fixture_string(fx, c, "rank_method");
    if (prism_fixture_number(fx, c, "rank_n", &rank_n) != 0 || rank_method == NULL) {
        return failures + 1;
    }
    if ((double)out->rank_n != rank_n) {
        fprintf(stderr, "%s %s: rank_n: expected %g, found %zu\n", group, name, rank_n,
                out->rank_n);
        failures++;
    }
    if (strcmp(out->rank_method, rank_method) != 0) {
        fprintf(stderr, "%s %s: rank_method: expected %s, found %s\n", group, name, rank_method,
                out->rank_method);
        failures++;
    }
    if (out->n_a != n_a || out->n_b != n_b) {
        fprintf(stderr, "%s %s: sizes: expected %zu and %zu, found %zu and %zu\n", group, name,
                n_a, n_b, out->n_a, out->n_b);
        failures++;
    }
    return failures;
}

/* Runs every case of the fixture's array `group` through the comparison it names. */
static void run_fixture_group(const char *group, int paired)
{
    prism_fixture fx;
    assert_int_equal(prism_fixture_open(&fx, "stats_reference.json"), 0);
    const cJSON *cases = prism_fixture_member(&fx, NULL, group);
    assert_non_null(cases);
    assert_true(cJSON_GetArraySize(cases) >= 10);

    int failures = 0;
    const cJSON *c = NULL;
    cJSON_ArrayForEach(c, cases) {
        size_t na = 0;
        size_t nb = 0;
        double confidence = 0.0;
        double *a = read_doubles(&fx, c, "a", &na);
        double *b = read_doubles(&fx, c, "b", &nb);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(prism_fixture_number(&fx, c, "confidence", &confidence), 0);

        prism_comparison out;
        prism_error err = {{0}};
        int status;
        if (paired) {
            assert_int_equal(na, nb);
            status = prism_compare_paired(a, b, na, confidence, &out, &err);
            if (status == 0) {
                assert_string_equal(out.method, PRISM_METHOD_PAIRED_T);
            }
        } else {
            status = prism_compare_independent(a, na, b, nb, confidence, &out, &err);
            if (status == 0) {
                assert_string_equal(out.method, PRISM_METHOD_WELCH_T);
            }
        }
        free(a);
        free(b);
        if (status != 0) {
            fail_msg("%s %s: %s", group, prism_fixture_string(&fx, c, "name"), err.message);
        }
        failures += check_case(&fx, c, group, &out, na, nb);
    }
    prism_fixture_close(&fx);
    assert_int_equal(failures, 0);
}

/* ---- Against SciPy ---- */

static void test_paired_against_scipy(void **state)
{
    (void)state;
    run_fixture_group("paired", 1);
}

static void test_independent_against_scipy(void **state)
{
    (void)state;
    run_fixture_group("independent", 0);
}

/* ---- Closed forms ---- */

/* Exact p-values with a closed form. Every pair favours a, with distinct |d|: R- = 0, and only
 * the two extreme sign patterns of 2^6 are as extreme. Two groups of 4 without overlap: only the
 * two separated orderings of C(8, 4) = 70 are as extreme. */
static void test_exact_tails_closed_form(void **state)
{
    (void)state;
    static const double a[6] = {93.0, 93.5, 94.0, 94.25, 93.75, 93.25};
    static const double b[6] = {92.0, 92.75, 92.5, 93.125, 92.875, 91.5};
    prism_comparison c;
    assert_int_equal(prism_compare_paired(a, b, 6, 0.95, &c, NULL), 0);
    assert_string_equal(c.rank_method, PRISM_METHOD_WILCOXON_EXACT);
    assert_true(c.rank_statistic == 0.0);
    assert_close(c.rank_p, 2.0 / 64.0, 1e-15, "Wilcoxon p, all positive");

    static const double low[4] = {1.0, 2.0, 3.0, 4.0};
    static const double high[4] = {5.0, 6.0, 7.0, 8.0};
    assert_int_equal(prism_compare_independent(high, 4, low, 4, 0.95, &c, NULL), 0);
    assert_string_equal(c.rank_method, PRISM_METHOD_MANN_WHITNEY_EXACT);
    assert_true(c.rank_statistic == 16.0);
    assert_close(c.rank_p, 2.0 / 70.0, 1e-15, "Mann-Whitney p, separated 4 and 4");
    assert_int_equal(prism_compare_independent(low, 4, high, 4, 0.95, &c, NULL), 0);
    assert_true(c.rank_statistic == 0.0);
    assert_close(c.rank_p, 2.0 / 70.0, 1e-15, "Mann-Whitney p, the other way round");
}

/* Swapping the groups negates the differences and leaves every p unchanged. */
static void test_swap_symmetry(void **state)
{
    (void)state;
    static const double a[7] = {92.31, 92.87, 91.95, 93.12, 92.44, 92.68, 92.05};
    static const double b[7] = {92.10, 92.40, 92.02, 92.55, 92.61, 92.13, 91.77};
    prism_comparison ab;
    prism_comparison ba;
    assert_int_equal(prism_compare_paired(a, b, 7, 0.9, &ab, NULL), 0);
    assert_int_equal(prism_compare_paired(b, a, 7, 0.9, &ba, NULL), 0);
    assert_close(ba.mean_diff, -ab.mean_diff, 1e-12, "paired mean_diff");
    assert_close(ba.ci_low, -ab.ci_high, 1e-12, "paired ci");
    assert_close(ba.t, -ab.t, 1e-12, "paired t");
    assert_close(ba.hedges_g, -ab.hedges_g, 1e-12, "paired g");
    assert_close(ba.p, ab.p, 1e-12, "paired p");
    assert_close(ba.rank_p, ab.rank_p, 1e-12, "Wilcoxon p");
    assert_true(ab.mean_diff > 0.0 && ab.ci_low < ab.mean_diff && ab.mean_diff < ab.ci_high);

    assert_int_equal(prism_compare_independent(a, 7, b, 5, 0.9, &ab, NULL), 0);
    assert_int_equal(prism_compare_independent(b, 5, a, 7, 0.9, &ba, NULL), 0);
    assert_close(ba.mean_diff, -ab.mean_diff, 1e-12, "Welch mean_diff");
    assert_close(ba.ci_high, -ab.ci_low, 1e-12, "Welch ci");
    assert_close(ba.dof, ab.dof, 1e-12, "Welch dof");
    assert_close(ba.p, ab.p, 1e-12, "Welch p");
    assert_close(ba.hedges_g, -ab.hedges_g, 1e-12, "Welch g");
    assert_close(ba.rank_p, ab.rank_p, 1e-12, "Mann-Whitney p");
    assert_close(ba.rank_statistic, 35.0 - ab.rank_statistic, 1e-15, "U_b = na nb - U_a");
}

/* ---- Edge cases ---- */

static void test_paired_one_pair(void **state)
{
    (void)state;
    static const double a[1] = {92.5};
    static const double b[1] = {92.0};
    prism_comparison c;
    assert_int_equal(prism_compare_paired(a, b, 1, 0.95, &c, NULL), 0);
    assert_int_equal(c.n_a, 1);
    assert_true(c.mean_diff == 0.5);
    assert_nan(c.t, "t");
    assert_nan(c.dof, "dof");
    assert_nan(c.p, "p");
    assert_nan(c.ci_low, "ci_low");
    assert_nan(c.ci_high, "ci_high");
    assert_nan(c.hedges_g, "g");
    assert_string_equal(c.rank_method, PRISM_METHOD_WILCOXON_EXACT);
    assert_true(c.rank_p == 1.0);

    /* The one difference is 0: nothing to rank at all. */
    assert_int_equal(prism_compare_paired(a, a, 1, 0.95, &c, NULL), 0);
    assert_int_equal(c.rank_n, 0);
    assert_nan(c.rank_p, "rank_p");
    assert_string_equal(c.rank_method, PRISM_METHOD_NONE);
}

/* Identical runs under both conditions: no difference and no noise. */
static void test_paired_all_differences_zero(void **state)
{
    (void)state;
    static const double a[5] = {92.31, 92.87, 91.95, 93.12, 92.44};
    prism_comparison c;
    assert_int_equal(prism_compare_paired(a, a, 5, 0.95, &c, NULL), 0);
    assert_true(c.mean_diff == 0.0);
    assert_true(c.ci_low == 0.0 && c.ci_high == 0.0);
    assert_true(c.dof == 4.0);
    assert_nan(c.t, "t");
    assert_nan(c.p, "p");
    assert_nan(c.hedges_g, "g");
    assert_int_equal(c.rank_n, 0);
    assert_nan(c.rank_statistic, "rank_statistic");
    assert_nan(c.rank_p, "rank_p");
    assert_string_equal(c.rank_method, PRISM_METHOD_NONE);
}

/* Every pair differs by exactly 0.5 (exact in binary): a difference with no noise. */
static void test_paired_constant_difference(void **state)
{
    (void)state;
    static const double a[5] = {92.25, 92.75, 93.0, 91.5, 92.0};
    static const double b[5] = {91.75, 92.25, 92.5, 91.0, 91.5};
    prism_comparison c;
    assert_int_equal(prism_compare_paired(a, b, 5, 0.95, &c, NULL), 0);
    assert_true(c.mean_diff == 0.5);
    assert_true(c.ci_low == 0.5 && c.ci_high == 0.5);
    assert_true(isinf(c.t) && c.t > 0.0);
    assert_true(c.p == 0.0);
    assert_true(isinf(c.hedges_g) && c.hedges_g > 0.0);
    /* All |d| tie: normal method; scipy.stats.wilcoxon([92.25]*5, [91.75]*5, correction=True,
     * method="approx").pvalue */
    assert_string_equal(c.rank_method, PRISM_METHOD_WILCOXON_NORMAL);
    assert_true(c.rank_statistic == 0.0);
    assert_close(c.rank_p, 0.03688842570704987, 1e-12, "Wilcoxon p, all tied");

    assert_int_equal(prism_compare_paired(b, a, 5, 0.95, &c, NULL), 0);
    assert_true(isinf(c.t) && c.t < 0.0);
    assert_true(isinf(c.hedges_g) && c.hedges_g < 0.0);
    assert_true(c.p == 0.0);

    /* n = 2: J = 0 and 0 x inf is NaN; scipy gives 0.3457785861511603 for the rank test. */
    assert_int_equal(prism_compare_paired(a, b, 2, 0.95, &c, NULL), 0);
    assert_true(isinf(c.t));
    assert_nan(c.hedges_g, "g at n = 2");
    assert_close(c.rank_p, 0.3457785861511603, 1e-12, "Wilcoxon p, n = 2 tied");
}

/* Zero differences among others are dropped before ranking (zero_method "wilcox"), and force
 * the normal method even for a small n. */
static void test_paired_some_zeros(void **state)
{
    (void)state;
    static const double a[6] = {92.0, 93.0, 92.5, 94.0, 92.25, 91.0};
    static const double b[6] = {92.0, 92.0, 92.5, 92.0, 92.0, 92.5};
    prism_comparison c;
    assert_int_equal(prism_compare_paired(a, b, 6, 0.95, &c, NULL), 0);
    assert_int_equal(c.rank_n, 4);
    assert_string_equal(c.rank_method, PRISM_METHOD_WILCOXON_NORMAL);
    /* d = 1, 2, 0.25, -1.5 -> ranks 2, 4, 1, 3: R- = 3; mean 5, variance 7.5, no ties;
     * z = (3 - 5 + 0.5) / sqrt(7.5), p = 2 Q(|z|) = erfc(|z| / sqrt 2) */
    assert_true(c.rank_statistic == 3.0);
    double z = 1.5 / sqrt(7.5);
    assert_close(c.rank_p, erfc(z / sqrt(2.0)), 1e-12, "Wilcoxon p with zeros dropped");
}

/* Ties between |d| take average ranks and force the normal method. */
static void test_paired_ties_average_ranks(void **state)
{
    (void)state;
    static const double a[5] = {1.0, 2.0, 3.0, 4.0, 5.0};
    static const double b[5] = {0.0, 1.0, 1.0, 6.0, 2.0};
    /* d = 1, 1, 2, -2, 3 -> |d| ranks 1.5, 1.5, 3.5, 3.5, 5: R- = 3.5, ties (2, 2): tie term
     * 12; variance (5 6 11 - 6) / 24 = 13.5; z = (3.5 - 7.5 + 0.5) / sqrt(13.5). */
    prism_comparison c;
    assert_int_equal(prism_compare_paired(a, b, 5, 0.95, &c, NULL), 0);
    assert_string_equal(c.rank_method, PRISM_METHOD_WILCOXON_NORMAL);
    assert_true(c.rank_statistic == 3.5);
    double z = 3.5 / sqrt(13.5);
    assert_close(c.rank_p, erfc(z / sqrt(2.0)), 1e-12, "Wilcoxon p with ties");
}

static void test_independent_zero_variance_equal_means(void **state)
{
    (void)state;
    static const double a[4] = {92.5, 92.5, 92.5, 92.5};
    static const double b[3] = {92.5, 92.5, 92.5};
    prism_comparison c;
    assert_int_equal(prism_compare_independent(a, 4, b, 3, 0.95, &c, NULL), 0);
    assert_true(c.mean_diff == 0.0);
    assert_true(c.ci_low == 0.0 && c.ci_high == 0.0);
    assert_nan(c.t, "t");
    assert_nan(c.dof, "dof");
    assert_nan(c.p, "p");
    assert_nan(c.hedges_g, "g");
    /* Every value ties: scipy.stats.mannwhitneyu gives 1.0 */
    assert_string_equal(c.rank_method, PRISM_METHOD_MANN_WHITNEY_NORMAL);
    assert_true(c.rank_statistic == 6.0);
    assert_true(c.rank_p == 1.0);
}

static void test_independent_zero_variance_different_means(void **state)
{
    (void)state;
    static const double a[4] = {92.5, 92.5, 92.5, 92.5};
    static const double b[3] = {92.0, 92.0, 92.0};
    prism_comparison c;
    assert_int_equal(prism_compare_independent(a, 4, b, 3, 0.95, &c, NULL), 0);
    assert_true(c.mean_diff == 0.5);
    assert_true(c.ci_low == 0.5 && c.ci_high == 0.5);
    assert_true(isinf(c.t) && c.t > 0.0);
    assert_nan(c.dof, "dof");
    assert_true(c.p == 0.0);
    assert_true(isinf(c.hedges_g) && c.hedges_g > 0.0);
    /* scipy.stats.mannwhitneyu([92.5] * 4, [92.0] * 3).pvalue */
    assert_string_equal(c.rank_method, PRISM_METHOD_MANN_WHITNEY_NORMAL);
    assert_true(c.rank_statistic == 12.0);
    assert_close(c.rank_p, 0.024744672046398936, 1e-12, "Mann-Whitney p");
}

static void test_independent_single_runs(void **state)
{
    (void)state;
    static const double a[1] = {93.0};
    static const double b[1] = {92.0};
    prism_comparison c;
    assert_int_equal(prism_compare_independent(a, 1, b, 1, 0.95, &c, NULL), 0);
    assert_true(c.mean_diff == 1.0);
    assert_nan(c.t, "t");
    assert_nan(c.p, "p");
    assert_nan(c.ci_low, "ci_low");
    assert_nan(c.hedges_g, "g");
    assert_string_equal(c.rank_method, PRISM_METHOD_MANN_WHITNEY_EXACT);
    assert_true(c.rank_p == 1.0); /* 2 x P(U >= 1) = 2 x 1/2 */
}

/* ---- Bad arguments ---- */

static void test_bad_arguments(void **state)
{
    (void)state;
    static const double a[3] = {1.0, 2.0, 3.0};
    double bad[3] = {1.0, NAN, 3.0};
    prism_comparison c;
    prism_error err;


    memset(&err, 0, sizeof err);
    assert_int_equal(prism_compare_paired(a, a, 0, 0.95, &c, &err), -1);
    assert_non_null(strstr(err.message, "paired comparison: group a: expected at least 1"));
    assert_all_nan(&c);

    assert_int_equal(prism_compare_paired(NULL, a, 3, 0.95, &c, &err), -1);
    assert_non_null(strstr(err.message, "NULL"));
    assert_all_nan(&c);

    assert_int_equal(prism_compare_paired(a, bad, 3, 0.95, &c, &err), -1);
    assert_non_null(strstr(err.message, "group b: value 1: expected a finite number, found nan"));
    assert_all_nan(&c);

    static const double confidences[3] = {1.0, 0.0, NAN};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(prism_compare_paired(a, a, 3, confidences[i], &c, &err), -1);
        assert_non_null(strstr(err.message, "confidence: expected a number in (0, 1)"));
        assert_all_nan(&c);
    }

    assert_int_equal(prism_compare_independent(a, 3, a, 0, 0.95, &c, &err), -1);
    assert_non_null(strstr(err.message, "independent comparison: group b"));
    assert_all_nan(&c);
    assert_int_equal(prism_compare_independent(bad, 3, a, 3, 0.95, &c, &err), -1);
    assert_non_null(strstr(err.message, "group a: value 1"));
    assert_int_equal(prism_compare_independent(a, 3, a, 3, -0.5, &c, &err), -1);
    assert_non_null(strstr(err.message, "confidence"));

    assert_int_equal(prism_compare_paired(a, a, 3, 0.95, NULL, &err), -1);
    assert_int_equal(prism_compare_independent(a, 3, a, 3, 0.95, NULL, &err), -1);
    /* A NULL err is allowed: the status alone reports the failure. */
    assert_int_equal(prism_compare_paired(a, a, 0, 0.95, &c, NULL), -1);
}

/* ---- Holm ---- */

/* Hand-worked with the statsmodels rule: sort ascending, multiply the j-th (from 0) by m - j,
 * running maximum, cap at 1, put back in the original order. */
static void test_holm_hand_values(void **state)
{
    (void)state;
    static const struct {
        size_t m;
        double p[5];
        double adjusted[5];
    } cases[] = {
        /* sorted 0.005 0.01 0.03 0.04 -> x4 0.02, x3 0.03, x2 0.06, x1 0.04 -> max 0.06 */
        {4, {0.01, 0.04, 0.03, 0.005}, {0.03, 0.06, 0.06, 0.02}},
        /* 0.2 x3 = 0.6, 0.3 x2 = 0.6, 0.5 x1 -> running max 0.6 */
        {3, {0.3, 0.5, 0.2}, {0.6, 0.6, 0.6}},
        /* capped: 0.6 x2 = 1.2 -> 1 */
        {2, {0.7, 0.6}, {1.0, 1.0}},
        /* equal p-values get equal adjusted values whatever their order */
        {3, {0.02, 0.5, 0.02}, {0.06, 0.5, 0.06}},
        /* a lone p-value is its own adjustment */
        {1, {0.0375}, {0.0375}},
        /* 0 stays 0; 1 stays 1 */
        {5, {0.0, 1.0, 0.001, 0.2, 0.011}, {0.0, 1.0, 0.004, 0.4, 0.033}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double adjusted[5];
        assert_int_equal(prism_holm(cases[i].p, cases[i].m, adjusted, NULL), 0);
        for (size_t j = 0; j < cases[i].m; j++) {
            assert_close(adjusted[j], cases[i].adjusted[j], 1e-14, "Holm");
        }
    }
}

/* NaN p-values (tests that could not be done) leave the family. */
static void test_holm_nan_left_out(void **state)
{
    (void)state;
    double p[4] = {0.01, NAN, 0.04, 0.02};
    double adjusted[4];
    assert_int_equal(prism_holm(p, 4, adjusted, NULL), 0);
    /* family of 3: 0.01 x3 = 0.03, 0.02 x2 = 0.04, 0.04 x1 -> 0.04 */
    assert_close(adjusted[0], 0.03, 1e-14, "Holm 0");
    assert_nan(adjusted[1], "Holm NaN");
    assert_close(adjusted[2], 0.04, 1e-14, "Holm 2");
    assert_close(adjusted[3], 0.04, 1e-14, "Holm 3");

    double all_nan[2] = {NAN, NAN};
    assert_int_equal(prism_holm(all_nan, 2, adjusted, NULL), 0);
    assert_nan(adjusted[0], "all NaN 0");
    assert_nan(adjusted[1], "all NaN 1");
}

static void test_holm_in_place_and_errors(void **state)
{
    (void)state;
    double p[4] = {0.01, 0.04, 0.03, 0.005};
    assert_int_equal(prism_holm(p, 4, p, NULL), 0);
    assert_close(p[0], 0.03, 1e-14, "in place 0");
    assert_close(p[1], 0.06, 1e-14, "in place 1");
    assert_close(p[2], 0.06, 1e-14, "in place 2");
    assert_close(p[3], 0.02, 1e-14, "in place 3");

    prism_error err;
    double bad[3] = {0.01, 1.5, 0.2};
    double adjusted[3] = {-7.0, -7.0, -7.0};
    assert_int_equal(prism_holm(bad, 3, adjusted, &err), -1);
    assert_non_null(strstr(err.message, "p-value 1: expected a number in [0, 1] or NaN"));
    assert_true(adjusted[0] == -7.0 && adjusted[1] == -7.0 && adjusted[2] == -7.0);
    bad[1] = -0.1;
    assert_int_equal(prism_holm(bad, 3, adjusted, &err), -1);
    bad[1] = INFINITY;
    assert_int_equal(prism_holm(bad, 3, adjusted, &err), -1);
    assert_int_equal(prism_holm(NULL, 3, adjusted, &err), -1);
    assert_non_null(strstr(err.message, "NULL"));
    assert_int_equal(prism_holm(NULL, 0, NULL, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paired_against_scipy),
        cmocka_unit_test(test_independent_against_scipy),
        cmocka_unit_test(test_exact_tails_closed_form),
        cmocka_unit_test(test_swap_symmetry),
        cmocka_unit_test(test_paired_one_pair),
        cmocka_unit_test(test_paired_all_differences_zero),
        cmocka_unit_test(test_paired_constant_difference),
        cmocka_unit_test(test_paired_some_zeros),
        cmocka_unit_test(test_paired_ties_average_ranks),
        cmocka_unit_test(test_independent_zero_variance_equal_means),
        cmocka_unit_test(test_independent_zero_variance_different_means),
        cmocka_unit_test(test_independent_single_runs),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_holm_hand_values),
        cmocka_unit_test(test_holm_nan_left_out),
        cmocka_unit_test(test_holm_in_place_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
