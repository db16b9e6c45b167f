/* Measurements of how a trained network spreads information over its hidden neurons, and of
 * how such a measurement relates to robustness across runs. */
#ifndef PRISM_STATS_MECHANISM_H
#define PRISM_STATS_MECHANISM_H

#include <stddef.h>

#include "core/error.h"

/* Participation ratio of activity acts[n][width] (one row per test image): with lambda the
 * eigenvalues of the columns' covariance matrix C, PR = (sum lambda)^2 / sum lambda^2
 * = trace(C)^2 / |C|_F^2. It is the
 * effective number of dimensions the activity uses: width when all directions carry equal
 * variance, 1 when one direction carries all of it. NaN when there is no variance at all or
 * fewer than 2 rows. */
int prism_participation_ratio(const float *acts, size_t n, size_t width, double *ratio,
                              prism_error *err);

/* Gini coefficient of n values, negative values counted as 0 (a neuron whose removal helps has
 * no importance): 0 when all are equal, (n - 1) / n when one holds everything. NaN when n == 0
 * or every value is 0. */
double prism_gini(const double *values, size_t n);

/* Share of the `count` values within `margin` of either bound lo or hi: the fraction of
 * saturated units of a bounded activation. */
double prism_saturation_share(const float *values, size_t count, double lo, double hi,
                              double margin);

/* Area under a degradation curve, accuracy y[i] at increasing levels x[i], by the trapezoid
 * rule and divided by the width of the level range: the mean accuracy over the range. With a
 * single level it is that level's accuracy. */
double prism_curve_area(const double *x, const double *y, size_t n);

typedef struct prism_correlation {
    size_t n;
    double pearson;       /* NaN when either variable has no variance or n < 3 */
    double pearson_p;     /* two-sided, t = r sqrt((n - 2) / (1 - r^2)) with n - 2 dof */
    double spearman;      /* Pearson correlation of the ranks (mid-ranks for ties) */
    double spearman_p;    /* same t approximation on the rank correlation */
} prism_correlation;

/* Correlation of x and y over n pairs. */
int prism_correlate(const double *x, const double *y, size_t n, prism_correlation *out,
                    prism_error *err);

#endif
