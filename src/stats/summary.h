/* Descriptive statistics of one group of runs: mean, sample standard deviation (n - 1 in the
 * denominator) and the Student-t confidence interval of the mean, mean +- t(1 - a/2, n - 1)
 * sd / sqrt(n). With n < 2 the spread and interval are undefined and reported as NaN. */
#ifndef PRISM_STATS_SUMMARY_H
#define PRISM_STATS_SUMMARY_H

#include <stddef.h>

typedef struct prism_summary {
    size_t n;
    double mean;
    double sd;      /* sample standard deviation; NaN when n < 2 */
    double ci_low;  /* NaN when n < 2 */
    double ci_high; /* NaN when n < 2 */
} prism_summary;

/* values[i * stride] for i < n. confidence in (0, 1), e.g. 0.95. */
void prism_summary_compute(const double *values, size_t stride, size_t n, double confidence,
                           prism_summary *out);

/* Two-sided Student-t quantile for a confidence level: t such that P(|T| <= t) = confidence. */
double prism_t_critical(double confidence, double dof);

#endif
