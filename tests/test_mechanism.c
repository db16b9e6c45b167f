/* Mechanism statistics on inputs whose answers are known in closed form or from SciPy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "stats/mechanism.h"

/* Rows +-a e0, +-b e1, +-c e2 (each sign once): the covariance is diagonal with variances
 * proportional to a^2, b^2, c^2, so PR = (a^2 + b^2 + c^2)^2 / (a^4 + b^4 + c^4). */
static void test_participation_ratio_closed_form(void **state)
{
    (void)state;
    const float a = 3.0f;
    const float b = 1.0f;
    const float c = 0.5f;
    float acts[6][3] = {{a, 0, 0}, {-a, 0, 0}, {0, b, 0}, {0, -b, 0}, {0, 0, c}, {0, 0, -c}};
    double ratio = 0.0;
    assert_int_equal(prism_participation_ratio(&acts[0][0], 6, 3, &ratio, NULL), 0);
    double s2 = a * a + b * b + c * c;
    double s4 = pow(a, 4) + pow(b, 4) + pow(c, 4);
    assert_true(fabs(ratio - s2 * s2 / s4) < 1e-12);

    /* equal variances: every direction counts */
    float equal[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    assert_int_equal(prism_participation_ratio(&equal[0][0], 4, 2, &ratio, NULL), 0);
    assert_true(fabs(ratio - 2.0) < 1e-12);

    /* two perfectly anti-correlated columns span one direction */
    float rank_one[4][2] = {{1, -1}, {-1, 1}, {2, -2}, {-2, 2}};
    assert_int_equal(prism_participation_ratio(&rank_one[0][0], 4, 2, &ratio, NULL), 0);
    assert_true(fabs(ratio - 1.0) < 1e-12);

    /* no variance at all: undefined */
    float flat[3][2] = {{5, 5}, {5, 5}, {5, 5}};
    assert_int_equal(prism_participation_ratio(&flat[0][0], 3, 2, &ratio, NULL), 0);
    assert_true(isnan(ratio));

    ratio = 0.0;
    assert_int_equal(prism_participation_ratio(&flat[0][0], 1, 2, &ratio, NULL), 0);
    assert_true(isnan(ratio));
}

static void test_gini(void **state)
{
    (void)state;
    double equal[4] = {2, 2, 2, 2};
    assert_true(fabs(prism_gini(equal, 4)) < 1e-15);

    double one[4] = {0, 0, 0, 7};
    assert_true(fabs(prism_gini(one, 4) - 0.75) < 1e-15);

    /* 1, 2, 3, 4: sum |xi - xj| over ordered pairs = 20, G = 20 / (2 * 16 * 2.5) = 0.25 */
    double ramp[4] = {4, 1, 3, 2};
    assert_true(fabs(prism_gini(ramp, 4) - 0.25) < 1e-15);

    /* negative importances count as 0 */
    double negative[4] = {-5, 0, 0, 7};
    assert_true(fabs(prism_gini(negative, 4) - 0.75) < 1e-15);

    double zeros[3] = {0, 0, 0};
    assert_true(isnan(prism_gini(zeros, 3)));
    assert_true(isnan(prism_gini(NULL, 0)));
}

static void test_saturation_share(void **state)
{
    (void)state;
    float v[8] = {-1.0f, -0.995f, -0.5f, 0.0f, 0.3f, 0.98f, 0.991f, 1.0f};
    /* within 0.01 of -1 or 1: -1, -0.995, 0.991, 1 */
    assert_true(fabs(prism_saturation_share(v, 8, -1.0, 1.0, 0.01) - 0.5) < 1e-15);
    assert_true(isnan(prism_saturation_share(v, 0, -1.0, 1.0, 0.01)));
}

static void test_curve_area(void **state)
{
    (void)state;
    double x[3] = {0.0, 0.5, 1.0};
    double y[3] = {90.0, 50.0, 10.0};
    /* trapezoids: 0.5 * (140 / 2) + 0.5 * (60 / 2) = 50 over a range of 1 */
    assert_true(fabs(prism_curve_area(x, y, 3) - 50.0) < 1e-12);
    double x2[2] = {0.0, 2.0};
    double y2[2] = {80.0, 40.0};
    assert_true(fabs(prism_curve_area(x2, y2, 2) - 60.0) < 1e-12);
    assert_true(fabs(prism_curve_area(x, y, 1) - 90.0) < 1e-12);
}

/* References: scipy 1.10, stats.pearsonr(x, y) = (-0.9759513386020839, 3.41465195543618e-05)
 * and stats.spearmanr(x, y) = (-0.9461247469114745, 0.0003753118737904408). */
static void test_correlation_against_scipy(void **state)
{
    (void)state;
    double x[8] = {0.3, 1.2, 2.5, 2.5, 4.0, 5.1, 7.7, 8.0};
    double y[8] = {10.0, 9.5, 7.0, 8.1, 6.0, 6.5, 2.0, 2.2};
    prism_correlation c;
    assert_int_equal(prism_correlate(x, y, 8, &c, NULL), 0);
    assert_true(fabs(c.pearson - -0.9759513386020839) < 1e-12);
    assert_true(fabs(c.pearson_p - 3.41465195543618e-05) < 1e-9 * 3.4e-5 + 1e-15);
    assert_true(fabs(c.spearman - -0.9461247469114745) < 1e-12);
    assert_true(fabs(c.spearman_p - 0.0003753118737904408) < 1e-9);

    double constant[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(prism_correlate(x, constant, 8, &c, NULL), 0);
    assert_true(isnan(c.pearson));
    assert_true(isnan(c.spearman));
    assert_int_equal(prism_correlate(x, y, 2, &c, NULL), 0);
    assert_true(isnan(c.pearson));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_participation_ratio_closed_form),
        cmocka_unit_test(test_gini),
        cmocka_unit_test(test_saturation_share),
        cmocka_unit_test(test_curve_area),
        cmocka_unit_test(test_correlation_against_scipy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
