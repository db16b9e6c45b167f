#include "stats/compare.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "stats/summary.h"

/* ---- Shared pieces ---- */

typedef struct indexed_value {
    double value;
    size_t index;
} indexed_value;

/* Ascending by value; equal values by index, so that the order never depends on qsort. */
static int compare_indexed(const void *lhs, const void *rhs)
{
    const indexed_value *x = lhs;
    const indexed_value *y = rhs;
    if (x->value != y->value) {
        return x->value < y->value ? -1 : 1;
    }
    return (x->index > y->index) - (x->index < y->index);
}

/* Average 1-based ranks of values[n] (scipy.stats.rankdata's "average") and the tie term
 * sum of t^3 - t over groups of t equal values, which the normal approximations subtract from
 * their variance. Returns -1 when out of memory. */
static int rank_average(const double *values, size_t n, double *ranks, double *tie_term)
{
    indexed_value *sorted = malloc((n > 0 ? n : 1) * sizeof *sorted);
    if (sorted == NULL) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        sorted[i].value = values[i];
        sorted[i].index = i;
    }
    qsort(sorted, n, sizeof *sorted, compare_indexed);

    *tie_term = 0.0;
    size_t start = 0;
    while (start < n) {
        size_t end = start + 1;
        while (end < n && sorted[end].value == sorted[start].value) {
            end++;
        }
        /* Positions start..end-1 hold ranks start+1..end; each gets their mean. */
        double rank = 0.5 * (double)(start + 1 + end);
        for (size_t i = start; i < end; i++) {
            ranks[sorted[i].index] = rank;
        }
        double t = (double)(end - start);
        *tie_term += t * t * t - t;
        start = end;
    }
    free(sorted);
    return 0;
}

/* Two-sided p of a t statistic; the upper tail Q is used directly so small p keep their
 * digits. sd == 0 cases never reach here (the callers decide them). */
static double t_two_sided_p(double t, double dof)
{
    double p = 2.0 * gsl_cdf_tdist_Q(fabs(t), dof);
    return p > 1.0 ? 1.0 : p;
}

/* diff / spread for a spread that can be 0: 0 / 0 is NaN (no difference, no noise), c / 0 is
 * +-inf (a difference that no noise can explain). Decided here rather than left to IEEE
 * division so that the choice is visible. */
static double ratio_or_limit(double diff, double spread)
{
    if (spread > 0.0) {
        return diff / spread;
    }
    if (diff == 0.0) {
        return NAN;
    }
    return copysign(INFINITY, diff);
}

/* Hedges' g = J diff / spread, with 0 x inf (J = 0 at one degree of freedom) taken as NaN. */
static double hedges(double diff, double spread, double j)
{
    double d = ratio_or_limit(diff, spread);
    if (isinf(d) && j == 0.0) {
        return NAN;
    }
    return d * j;
}

static void comparison_reset(prism_comparison *out, size_t n_a, size_t n_b, const char *method)
{
    out->n_a = n_a;
    out->n_b = n_b;
    out->mean_diff = NAN;
    out->ci_low = NAN;
    out->ci_high = NAN;
    out->t = NAN;
    out->dof = NAN;
    out->p = NAN;
    out->rank_statistic = NAN;
    out->rank_n = 0;
    out->rank_p = NAN;
    out->hedges_g = NAN;
    out->method = method;
    out->rank_method = PRISM_METHOD_NONE;
}

static int check_values(const double *values, size_t n, const char *name, prism_error *err)
{
    if (n == 0) {
        return prism_error_set(err, "group %s: expected at least 1 value, found 0", name);
    }
    if (values == NULL) {
        return prism_error_set(err, "group %s: values are NULL", name);
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i])) {
            return prism_error_set(err, "group %s: value %zu: expected a finite number, found %g",
                                   name, i, values[i]);
        }
    }
    return 0;
}

static int check_confidence(double confidence, prism_error *err)
{
    if (!(confidence > 0.0 && confidence < 1.0)) {
        return prism_error_set(err, "confidence: expected a number in (0, 1), found %g",
                               confidence);
    }
    return 0;
}

/* ---- Wilcoxon signed-rank ---- */

/* P(R+ <= r_plus) and P(R+ >= r_plus) under the null, where each of the ranks 1..n is counted
 * with probability 1/2: counts of subsets of {1..n} by their sum, built one rank at a time.
 * The counts are integers below 2^n <= 2^50, so they are exact in doubles. */
static int wilcoxon_exact_p(size_t n, size_t r_plus, double *p)
{
    size_t total = n * (n + 1) / 2;
    double *count = calloc(total + 1, sizeof *count);
    if (count == NULL) {
        return -1;
    }
    count[0] = 1.0;
    for (size_t rank = 1; rank <= n; rank++) {
        size_t reach = rank * (rank + 1) / 2;
        for (size_t s = reach; s >= rank; s--) {
            count[s] += count[s - rank];
        }
    }

    /* The centre of the symmetric distribution, where doubling a tail would pass 1: SciPy
     * answers 1 outright, and so does this. */
    if (r_plus == total / 2) {
        free(count);
        *p = 1.0;
        return 0;
    }
    double below = 0.0;
    double above = 0.0;
    for (size_t s = 0; s <= total; s++) {
        if (s <= r_plus) {
            below += count[s];
        }
        if (s >= r_plus) {
            above += count[s];
        }
    }
    free(count);
    double tail = ldexp(below < above ? below : above, -(int)n);
    *p = 2.0 * tail > 1.0 ? 1.0 : 2.0 * tail;
    return 0;
}

/* The normal approximation: mean n(n+1)/4, variance (n(n+1)(2n+1) - tie_term / 2) / 24, and
 * T moved 1/2 toward the mean (no move when T is the mean). */
static double wilcoxon_normal_p(size_t n, double statistic, double tie_term)
{
    double count = (double)n;
    double mean = count * (count + 1.0) * 0.25;
    double variance = (count * (count + 1.0) * (2.0 * count + 1.0) - 0.5 * tie_term) / 24.0;
    double offset = statistic - mean;
    double correction = offset > 0.0 ? 0.5 : (offset < 0.0 ? -0.5 : 0.0);
    double z = (offset - correction) / sqrt(variance);
    return 2.0 * gsl_cdf_ugaussian_Q(fabs(z));
}

/* Ranks the non-zero d[n] by magnitude and fills the rank fields of out. */
static int wilcoxon(const double *d, size_t n, prism_comparison *out)
{
    if (n > SIZE_MAX / (2 * sizeof(double))) {
        return -1;
    }
    double *magnitude = malloc(2 * n * sizeof *magnitude);
    if (magnitude == NULL) {
        return -1;
    }
    double *rank = magnitude + n;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] != 0.0) {
            magnitude[kept++] = fabs(d[i]);
        }
    }
    out->rank_n = kept;
    if (kept == 0) {
        free(magnitude);
        return 0;
    }

    double tie_term = 0.0;
    if (rank_average(magnitude, kept, rank, &tie_term) != 0) {
        free(magnitude);
        return -1;
    }
    double r_plus = 0.0;
    double r_minus = 0.0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] > 0.0) {
            r_plus += rank[j++];
        } else if (d[i] < 0.0) {
            r_minus += rank[j++];
        }
    }
    free(magnitude);

    double statistic = r_plus < r_minus ? r_plus : r_minus;
    out->rank_statistic = statistic;
    bool exact = kept <= PRISM_WILCOXON_EXACT_MAX_N && kept == n && tie_term == 0.0;
    if (exact) {
        out->rank_method = PRISM_METHOD_WILCOXON_EXACT;
        /* Without ties the ranks are integers, and so is R+. */
        return wilcoxon_exact_p(kept, (size_t)r_plus, &out->rank_p);
    }
    out->rank_method = PRISM_METHOD_WILCOXON_NORMAL;
    out->rank_p = wilcoxon_normal_p(kept, statistic, tie_term);
    return 0;
}

/* ---- Paired ---- */

int prism_compare_paired(const double *a, const double *b, size_t n, double confidence,
                         prism_comparison *out, prism_error *err)
{
    if (out == NULL) {
        return prism_error_set(err, "paired comparison: out is NULL");
    }
    comparison_reset(out, n, n, PRISM_METHOD_PAIRED_T);
    if (check_values(a, n, "a", err) != 0 || check_values(b, n, "b", err) != 0 ||
        check_confidence(confidence, err) != 0) {
        return prism_error_prefix(err, "paired comparison");
    }

    double *d = malloc(n * sizeof *d);
    if (d == NULL) {
        return prism_error_set(err, "paired comparison of %zu pairs: out of memory", n);
    }
    for (size_t i = 0; i < n; i++) {
        d[i] = a[i] - b[i];
    }
    out->mean_diff = gsl_stats_mean(d, 1, n);

    if (n >= 2) {
        double sd = gsl_stats_sd_m(d, 1, n, out->mean_diff);
        double se = sd / sqrt((double)n);
        out->dof = (double)(n - 1);
        double half = prism_t_critical(confidence, out->dof) * se;
        out->ci_low = out->mean_diff - half;
        out->ci_high = out->mean_diff + half;
        out->t = ratio_or_limit(out->mean_diff, se);
        if (isfinite(out->t)) {
            out->p = t_two_sided_p(out->t, out->dof);
        } else if (isinf(out->t)) {
            out->p = 0.0;
        }
        double j = 1.0 - 3.0 / (4.0 * (double)(n - 1) - 1.0);
        out->hedges_g = hedges(out->mean_diff, sd, j);
    }

    int status = wilcoxon(d, n, out);
    free(d);
    if (status != 0) {
        comparison_reset(out, n, n, PRISM_METHOD_PAIRED_T);
        return prism_error_set(err, "paired comparison of %zu pairs: out of memory", n);
    }
    return 0;
}

/* ---- Mann-Whitney U ---- */

/* P(U <= k) under the null for groups of small and large runs. The counts of U = 0, 1, ... are
 * the coefficients of the Gaussian binomial [small + large choose small]_q, built as
 * prod over i = 1..small of (1 - q^(large + i)) / (1 - q^i), truncated at q^k. After step i the
 * coefficients are those of [large + i choose i]_q, all non-negative, and the subtraction only
 * removes a window of them, so rounding stays relative even past 2^53. */
static int mann_whitney_cdf(size_t small, size_t large, size_t k, double *cdf)
{
    double *count = calloc(k + 1, sizeof *count);
    if (count == NULL) {
        return -1;
    }
    count[0] = 1.0;
    double total = 1.0;
    for (size_t i = 1; i <= small; i++) {
        size_t shift = large + i;
        for (size_t s = k; s >= shift; s--) {
            count[s] -= count[s - shift];
        }
        for (size_t s = i; s <= k; s++) {
            count[s] += count[s - i];
        }
        /* binom(large + i, i), exactly while below 2^53 */
        total = total * (double)(large + i) / (double)i;
    }
    double sum = 0.0;
    for (size_t s = 0; s <= k; s++) {
        sum += count[s];
    }
    free(count);
    *cdf = sum / total;
    return 0;
}

/* Ranks the pooled a and b and fills the rank fields of out. */
static int mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                        prism_comparison *out)
{
    if (na > SIZE_MAX / (2 * sizeof(double)) - nb) {
        return -1;
    }
    size_t n = na + nb;
    double *pooled = malloc(2 * n * sizeof *pooled);
    if (pooled == NULL) {
        return -1;
    }
    double *rank = pooled + n;
    for (size_t i = 0; i < na; i++) {
        pooled[i] = a[i];
    }
    for (size_t i = 0; i < nb; i++) {
        pooled[na + i] = b[i];
    }
    double tie_term = 0.0;
    if (rank_average(pooled, n, rank, &tie_term) != 0) {
        free(pooled);
        return -1;
    }
    double rank_sum_a = 0.0;
    for (size_t i = 0; i < na; i++) {
        rank_sum_a += rank[i];
    }
    free(pooled);

    double n1 = (double)na;
    double n2 = (double)nb;
    double u_a = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    double u_b = n1 * n2 - u_a;
    double u = u_a > u_b ? u_a : u_b; /* the upper tail, doubled below */
    out->rank_statistic = u_a;
    out->rank_n = n;

    size_t small = na < nb ? na : nb;
    size_t large = na < nb ? nb : na;
    double p;
    if (small <= PRISM_MANN_WHITNEY_EXACT_MAX_N && tie_term == 0.0) {
        /* P(U >= u) = P(U <= n1 n2 - u) by symmetry; without ties u is an integer. */
        double cdf = 0.0;
        if (mann_whitney_cdf(small, large, (size_t)(n1 * n2 - u), &cdf) != 0) {
            return -1;
        }
        out->rank_method = PRISM_METHOD_MANN_WHITNEY_EXACT;
        p = 2.0 * cdf;
    } else {
        out->rank_method = PRISM_METHOD_MANN_WHITNEY_NORMAL;
        double total = n1 + n2;
        double variance = n1 * n2 / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
        if (variance > 0.0) {
            double z = (u - n1 * n2 / 2.0 - 0.5) / sqrt(variance);
            p = 2.0 * gsl_cdf_ugaussian_Q(z);
        } else {
            /* Every value ties: z = -0.5 / 0 = -inf in SciPy, and p is 1. */
            p = 1.0;
        }
    }
    out->rank_p = p > 1.0 ? 1.0 : p;
    return 0;
}

/* ---- Independent ---- */

/* Welch's t part of out from out->mean_diff and the sample variances (na, nb >= 2). */
static void welch(double var_a, size_t na, double var_b, size_t nb, double confidence,
                  prism_comparison *out)
{
    double n1 = (double)na;
    double n2 = (double)nb;
    double vn1 = var_a / n1;
    double vn2 = var_b / n2;
    double se = sqrt(vn1 + vn2);
    out->t = ratio_or_limit(out->mean_diff, se);
    if (se > 0.0) {
        /* (vn1 + vn2)^2 / (vn1^2 / (n1 - 1) + vn2^2 / (n2 - 1)) written with the shares
         * vn / (vn1 + vn2), so that squaring tiny variances cannot underflow to 0 / 0. */
        double share_a = vn1 / (vn1 + vn2);
        double share_b = vn2 / (vn1 + vn2);
        out->dof = 1.0 / (share_a * share_a / (n1 - 1.0) + share_b * share_b / (n2 - 1.0));
        double half = prism_t_critical(confidence, out->dof) * se;
        out->ci_low = out->mean_diff - half;
        out->ci_high = out->mean_diff + half;
        out->p = t_two_sided_p(out->t, out->dof);
    } else {
        /* No spread at all: the interval is the point, the dof are 0 / 0. */
        out->ci_low = out->mean_diff;
        out->ci_high = out->mean_diff;
        out->p = isinf(out->t) ? 0.0 : NAN;
    }

    double pooled = ((n1 - 1.0) * var_a + (n2 - 1.0) * var_b) / (n1 + n2 - 2.0);
    double j = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0);
    out->hedges_g = hedges(out->mean_diff, sqrt(pooled), j);
}

int prism_compare_independent(const double *a, size_t na, const double *b, size_t nb,
                              double confidence, prism_comparison *out, prism_error *err)
{
    if (out == NULL) {
        return prism_error_set(err, "independent comparison: out is NULL");
    }
    comparison_reset(out, na, nb, PRISM_METHOD_WELCH_T);
    if (check_values(a, na, "a", err) != 0 || check_values(b, nb, "b", err) != 0 ||
        check_confidence(confidence, err) != 0) {
        return prism_error_prefix(err, "independent comparison");
    }

    double mean_a = gsl_stats_mean(a, 1, na);
    double mean_b = gsl_stats_mean(b, 1, nb);
    out->mean_diff = mean_a - mean_b;
    if (na >= 2 && nb >= 2) {
        double var_a = gsl_stats_variance_m(a, 1, na, mean_a);
        double var_b = gsl_stats_variance_m(b, 1, nb, mean_b);
        welch(var_a, na, var_b, nb, confidence, out);
    }

    if (mann_whitney(a, na, b, nb, out) != 0) {
        comparison_reset(out, na, nb, PRISM_METHOD_WELCH_T);
        return prism_error_set(err, "independent comparison of %zu and %zu runs: out of memory",
                               na, nb);
    }
    return 0;
}

/* ---- Holm ---- */

int prism_holm(const double *p, size_t m, double *p_adjusted, prism_error *err)
{
    if (m == 0) {
        return 0;
    }
    if (p == NULL || p_adjusted == NULL) {
        return prism_error_set(err, "Holm adjustment: p-values or their output are NULL");
    }
    size_t family = 0;
    for (size_t i = 0; i < m; i++) {
        if (isnan(p[i])) {
            continue;
        }
        if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
            return prism_error_set(err, "Holm adjustment: p-value %zu: expected a number in "
                                   "[0, 1] or NaN, found %g", i, p[i]);
        }
        family++;
    }

    indexed_value *sorted = malloc((family > 0 ? family : 1) * sizeof *sorted);
    if (sorted == NULL) {
        return prism_error_set(err, "Holm adjustment of %zu p-values: out of memory", m);
    }
    size_t kept = 0;
    for (size_t i = 0; i < m; i++) {
        if (!isnan(p[i])) {
            sorted[kept].value = p[i];
            sorted[kept].index = i;
            kept++;
        }
    }
    qsort(sorted, family, sizeof *sorted, compare_indexed);

    /* All reads of p are done: from here p_adjusted may overwrite it. */
    for (size_t i = 0; i < m; i++) {
        if (isnan(p[i])) {
            p_adjusted[i] = NAN;
        }
    }
    double running = 0.0;
    for (size_t j = 0; j < family; j++) {
        double scaled = (double)(family - j) * sorted[j].value;
        if (scaled > running) {
            running = scaled;
        }
        p_adjusted[sorted[j].index] = running < 1.0 ? running : 1.0;
    }
    free(sorted);
    return 0;
}
