/* Variance components of a balanced one-way random-effects design: a groups (training runs)
 * with K measurements each (independent masks on the same trained models),
 *     y[r][k] = mu + A_r + e_rk,   A_r ~ (0, s2_between),   e_rk ~ (0, s2_within).
 * The ANOVA (method-of-moments) estimates, with ybar_r the mean of group r and ybar the grand
 * mean:
 *     MSB = K sum_r (ybar_r - ybar)^2 / (a - 1)
 *     MSW = sum_r sum_k (y[r][k] - ybar_r)^2 / (a (K - 1))
 *     s2_within  = MSW
 *     s2_between = (MSB - MSW) / K
 * since E[MSW] = s2_within and E[MSB] = s2_within + K s2_between. s2_between can come out
 * negative when runs differ less than masks would make them; it is then clipped to 0 and the
 * clip is flagged. The variance of a run's mean over its K masks is s2_between + s2_within / K,
 * which MSB / K estimates. */
#ifndef PRISM_STATS_VARIANCE_H
#define PRISM_STATS_VARIANCE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct prism_variance_split {
    size_t groups;         /* a */
    size_t per_group;      /* K */
    double grand_mean;     /* NaN when there is no value */
    double ms_between;     /* MSB; NaN when a < 2 */
    double ms_within;      /* MSW; NaN when K < 2 */
    double between;        /* s2_between, clipped at 0; NaN when MSB or MSW is */
    double within;         /* s2_within = MSW */
    bool between_clipped;  /* the unclipped estimate was negative */
    double between_raw;    /* (MSB - MSW) / K before clipping */
} prism_variance_split;

/* values[r * per_group + k] for r < groups, k < per_group. Sums are taken about the means, not
 * as differences of raw sums of squares, so nearly equal values do not cancel. */
void prism_variance_split_compute(const double *values, size_t groups, size_t per_group,
                                  prism_variance_split *out);

#endif
