/* Tests of the run statistics: mean, sample standard deviation and Student-t interval against
 * references computed outside prism, the undefined cases (n = 0, n = 1), zero spread, strided
 * input, numerical stability under a large common offset, and the t quantile itself.
 *
 * References were computed with mpmath 1.2.1 at 40 significant digits (/usr/bin/python3):
 * values parsed from their decimal strings, mean = sum / n, sd = sqrt(sum (x - mean)^2 / (n-1)),
 * and the t quantile found with mp.findroot on 1 - betainc(nu/2, 1/2, 0, nu/(nu+t^2), reg)/2 = p.
 * scipy.stats.t.ppf agrees to ~1e-10 (e.g. t.ppf(0.975, 19) = 2.093024054408263). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats/summary.h"

/* GSL's t inverse is refined to about 1e-12; means and SDs of doubles are good to ~1e-14. */
static const double T_RTOL = 1e-9;
static const double MOMENT_RTOL = 1e-12;

static void assert_close(double got, double ref, double rtol, const char *what)
{
    if (!(fabs(got - ref) <= rtol * fabs(ref))) {
        fail_msg("%s: expected %.17g, found %.17g (rtol %g)", what, ref, got, rtol);
    }
}

/* ---- The t quantile ---- */

static void test_t_critical_references(void **state)
{
    (void)state;
    static const struct {
        double confidence;
        double dof;
        double t;
    } cases[] = {
        {0.95, 19, 2.0930240544083097692},
        {0.95, 1, 12.706204736174704646}, /* Cauchy: tan(0.475 pi) */
        {0.99, 4, 4.6040948713499932254},
        {0.90, 9, 1.8331129326562371687},
        {0.95, 4, 2.7764451051977943578},
        {0.95, 1e6, 1.9599663568141070353}, /* close to the normal's 1.959963984540054 */
        {0.5, 1, 1.0},                       /* Cauchy: tan(pi / 4) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double t = prism_t_critical(cases[i].confidence, cases[i].dof);
        assert_close(t, cases[i].t, T_RTOL, "t quantile");
    }

    /* More confidence or fewer degrees of freedom widen the interval. */
    assert_true(prism_t_critical(0.99, 19) > prism_t_critical(0.95, 19));
    assert_true(prism_t_critical(0.95, 5) > prism_t_critical(0.95, 50));
}

/* ---- Summaries ---- */

/* Twenty accuracies in the range the article reports; 95 % interval. */
static void test_summary_twenty_runs(void **state)
{
    (void)state;
    static const double acc[20] = {92.65, 92.11, 93.02, 92.48, 91.87, 92.90, 92.33,
                                   93.15, 92.04, 92.71, 92.59, 92.26, 92.88, 91.95,
                                   92.42, 93.08, 92.17, 92.66, 92.37, 92.81};
    prism_summary s;
    prism_summary_compute(acc, 1, 20, 0.95, &s);
    assert_int_equal(s.n, 20);
    assert_close(s.mean, 92.5225, MOMENT_RTOL, "mean");
    assert_close(s.sd, 0.38403501759194057285, 1e-10, "sample sd");
    assert_close(s.ci_low, 92.342766079197244436, MOMENT_RTOL, "ci_low");
    assert_close(s.ci_high, 92.702233920802755564, MOMENT_RTOL, "ci_high");

    /* Not the population SD (0.37431...) nor 1.96 sd / sqrt(n) that the article used. */
    assert_true(fabs(s.sd - 0.37431103376737374) > 1e-3);
    assert_true(fabs((s.ci_high - s.mean) - 1.96 * s.sd / sqrt(20.0)) > 1e-3);
}

/* Five spread-out values at 99 %, where t (4.60) is far from the normal's 2.58. */
static void test_summary_five_values_99(void **state)
{
    (void)state;
    static const double v[5] = {31.0, 45.5, 12.25, 60.0, 38.75};
    prism_summary s;
    prism_summary_compute(v, 1, 5, 0.99, &s);
    assert_int_equal(s.n, 5);
    assert_close(s.mean, 37.5, MOMENT_RTOL, "mean");
    assert_close(s.sd, 17.689156282875675922, 1e-10, "sample sd");
    assert_close(s.ci_low, 1.0777827239583241926, 1e-9, "ci_low");
    assert_close(s.ci_high, 73.922217276041675807, 1e-10, "ci_high");
}

/* Two values: the smallest n with a spread; t(0.975, 1) = 12.7 makes the interval wide. */
static void test_summary_two_values(void **state)
{
    (void)state;
    static const double v[2] = {1.0, 2.0};
    prism_summary s;
    prism_summary_compute(v, 1, 2, 0.95, &s);
    assert_close(s.mean, 1.5, MOMENT_RTOL, "mean");
    assert_close(s.sd, 0.7071067811865475244, MOMENT_RTOL, "sd");
    assert_close(s.ci_low, -4.853102368087352323, 1e-9, "ci_low");
    assert_close(s.ci_high, 7.853102368087352323, 1e-9, "ci_high");
}

static void test_summary_one_value(void **state)
{
    (void)state;
    static const double v[1] = {91.25};
    prism_summary s;
    prism_summary_compute(v, 1, 1, 0.95, &s);
    assert_int_equal(s.n, 1);
    assert_true(s.mean == 91.25);
    assert_true(isnan(s.sd));
    assert_true(isnan(s.ci_low));
    assert_true(isnan(s.ci_high));
}

/* No values: nothing is defined, and values is never read (NULL must be fine). */
static void test_summary_no_values(void **state)
{
    (void)state;
    prism_summary s = {.n = 99, .mean = 1.0, .sd = 1.0, .ci_low = 1.0, .ci_high = 1.0};
    prism_summary_compute(NULL, 1, 0, 0.95, &s);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean));
    assert_true(isnan(s.sd));
    assert_true(isnan(s.ci_low));
    assert_true(isnan(s.ci_high));
}

/* Identical values (e.g. every run at 100 % on an easy level): sd 0 and the interval collapses
 * onto the mean instead of turning NaN. */
static void test_summary_zero_variance(void **state)
{
    (void)state;
    double v[20];
    for (size_t i = 0; i < 20; i++) {
        v[i] = 87.5;
    }
    prism_summary s;
    prism_summary_compute(v, 1, 20, 0.95, &s);
    assert_int_equal(s.n, 20);
    assert_true(s.mean == 87.5);
    assert_true(s.sd == 0.0);
    assert_true(s.ci_low == 87.5);
    assert_true(s.ci_high == 87.5);
}

/* values[i * stride]: the other entries, set to a huge decoy, must not leak into the result. */
static void test_summary_stride(void **state)
{
    (void)state;
    static const double v[5] = {31.0, 45.5, 12.25, 60.0, 38.75};
    enum { STRIDE = 3 };
    double interleaved[5 * STRIDE];
    for (size_t i = 0; i < 5 * STRIDE; i++) {
        interleaved[i] = 1e9;
    }
    for (size_t i = 0; i < 5; i++) {
        interleaved[i * STRIDE] = v[i];
    }

    prism_summary strided;
    prism_summary dense;
    prism_summary_compute(interleaved, STRIDE, 5, 0.99, &strided);
    prism_summary_compute(v, 1, 5, 0.99, &dense);
    assert_int_equal(strided.n, 5);
    assert_close(strided.mean, 37.5, MOMENT_RTOL, "strided mean");
    assert_close(strided.sd, 17.689156282875675922, 1e-10, "strided sd");
    assert_true(strided.mean == dense.mean);
    assert_true(strided.sd == dense.sd);
    assert_true(strided.ci_low == dense.ci_low);
    assert_true(strided.ci_high == dense.ci_high);
}

/* A large common offset: the textbook one-pass formula sum x^2 - n mean^2 loses every digit
 * here (1e16 against a spread of 0.2), a two-pass or running formula keeps ~8. The decimal
 * inputs themselves are only good to ~1e-8 in doubles, hence the tolerance. */
static void test_summary_large_offset(void **state)
{
    (void)state;
    static const double v[6] = {100000000.1, 100000000.2, 100000000.3,
                                100000000.4, 100000000.5, 100000000.6};
    prism_summary s;
    prism_summary_compute(v, 1, 6, 0.95, &s);
    assert_close(s.mean, 100000000.35, 1e-15, "mean");
    assert_close(s.sd, 0.18708286933869706928, 1e-6, "sd");
    assert_close(s.ci_low, 100000000.1536685693, 1e-15, "ci_low");
    assert_close(s.ci_high, 100000000.5463314307, 1e-15, "ci_high");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t_critical_references),
        cmocka_unit_test(test_summary_twenty_runs),
        cmocka_unit_test(test_summary_five_values_99),
        cmocka_unit_test(test_summary_two_values),
        cmocka_unit_test(test_summary_one_value),
        cmocka_unit_test(test_summary_no_values),
        cmocka_unit_test(test_summary_zero_variance),
        cmocka_unit_test(test_summary_stride),
        cmocka_unit_test(test_summary_large_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
