#include "stats/mechanism.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int prism_participation_ratio(const float *acts, size_t n, size_t width, double *ratio,
                              prism_error *err)
{
    *ratio = NAN;
    if (n < 2) {
        return 0; /* no covariance from one image: undefined, not an error */
    }
    if (width < 1) {
        return prism_error_set(err, "participation ratio: expected at least 1 column");
    }
    double *mean = calloc(width, sizeof *mean);
    double *cov = calloc(width * width, sizeof *cov);
    if (mean == NULL || cov == NULL) {
        free(mean);
        free(cov);
        return prism_error_set(err, "participation ratio: out of memory for width %zu", width);
    }

    /* Two passes: means first, then the centred cross products (lower triangle), so a large
     * common offset does not swamp the covariance. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < width; j++) {
            mean[j] += acts[i * width + j];
        }
    }
    for (size_t j = 0; j < width; j++) {
        mean[j] /= (double)n;
    }
    double *centred = malloc(width * sizeof *centred);
    if (centred == NULL) {
        free(mean);
        free(cov);
        return prism_error_set(err, "participation ratio: out of memory for width %zu", width);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < width; j++) {
            centred[j] = acts[i * width + j] - mean[j];
        }
        for (size_t a = 0; a < width; a++) {
            for (size_t b = 0; b <= a; b++) {
                cov[a * width + b] += centred[a] * centred[b];
            }
        }
    }

    /* The eigenvalues are not needed one by one: for a symmetric matrix their sum is the trace
     * and the sum of their squares the squared Frobenius norm. The 1 / (n - 1) cancels. */
    double trace = 0.0;
    double frobenius_sq = 0.0;
    for (size_t a = 0; a < width; a++) {
        trace += cov[a * width + a];
        frobenius_sq += cov[a * width + a] * cov[a * width + a];
        for (size_t b = 0; b < a; b++) {
            frobenius_sq += 2.0 * cov[a * width + b] * cov[a * width + b];
        }
    }
    *ratio = frobenius_sq > 0.0 ? trace * trace / frobenius_sq : NAN;

    free(centred);
    free(mean);
    free(cov);
    return 0;
}

double prism_gini(const double *values, size_t n)
{
    if (n == 0) {
        return NAN;
    }
    double *sorted = malloc(n * sizeof *sorted);
    if (sorted == NULL) {
        return NAN;
    }
    for (size_t i = 0; i < n; i++) {
        sorted[i] = values[i] > 0.0 ? values[i] : 0.0;
    }
    gsl_sort(sorted, 1, n);

    /* With x sorted ascending: G = sum_i (2 i - n - 1) x_i / (n sum x), i from 1. */
    double weighted = 0.0;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        weighted += (2.0 * (double)(i + 1) - (double)n - 1.0) * sorted[i];
        total += sorted[i];
    }
    free(sorted);
    return total > 0.0 ? weighted / ((double)n * total) : NAN;
}

double prism_saturation_share(const float *values, size_t count, double lo, double hi,
                              double margin)
{
    if (count == 0) {
        return NAN;
    }
    size_t saturated = 0;
    for (size_t i = 0; i < count; i++) {
        saturated += values[i] <= lo + margin || values[i] >= hi - margin;
    }
    return (double)saturated / (double)count;
}

double prism_curve_area(const double *x, const double *y, size_t n)
{
    if (n == 0) {
        return NAN;
    }
    if (n == 1 || x[n - 1] == x[0]) {
        return y[0];
    }
    double area = 0.0;
    for (size_t i = 1; i < n; i++) {
        area += 0.5 * (y[i] + y[i - 1]) * (x[i] - x[i - 1]);
    }
    return area / (x[n - 1] - x[0]);
}

/* Mid-ranks (1-based; ties share the mean of their positions). */
static void rank_values(const double *v, size_t n, double *ranks, size_t *order)
{
    gsl_sort_index(order, v, 1, n);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j + 1 < n && v[order[j + 1]] == v[order[i]]) {
            j++;
        }
        double mid = 0.5 * (double)(i + j) + 1.0;
        for (size_t k = i; k <= j; k++) {
            ranks[order[k]] = mid;
        }
        i = j + 1;
    }
}

static void pearson_with_p(const double *x, const double *y, size_t n, double *r, double *p)
{
    *r = NAN;
    *p = NAN;
    if (n < 3 || gsl_stats_variance(x, 1, n) == 0.0 || gsl_stats_variance(y, 1, n) == 0.0) {
        return;
    }
    *r = gsl_stats_correlation(x, 1, y, 1, n);
    double dof = (double)n - 2.0;
    if (fabs(*r) >= 1.0) {
        *p = 0.0;
        return;
    }
    double t = *r * sqrt(dof / (1.0 - *r * *r));
    *p = 2.0 * gsl_cdf_tdist_Q(fabs(t), dof);
}

int prism_correlate(const double *x, const double *y, size_t n, prism_correlation *out,
                    prism_error *err)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    pearson_with_p(x, y, n, &out->pearson, &out->pearson_p);
    out->spearman = NAN;
    out->spearman_p = NAN;
    if (n < 3) {
        return 0;
    }
    double *rx = malloc(n * sizeof *rx);
    double *ry = malloc(n * sizeof *ry);
    size_t *order = malloc(n * sizeof *order);
    if (rx == NULL || ry == NULL || order == NULL) {
        free(rx);
        free(ry);
        free(order);
        return prism_error_set(err, "correlation: out of memory for %zu pairs", n);
    }
    rank_values(x, n, rx, order);
    rank_values(y, n, ry, order);
    pearson_with_p(rx, ry, n, &out->spearman, &out->spearman_p);
    free(rx);
    free(ry);
    free(order);
    return 0;
}
