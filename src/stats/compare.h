/* Comparison of two groups of runs (accuracies of two activations, two levels, ...): the mean
 * difference with its Student-t interval, a t-test, a rank test that does not assume normality,
 * and Hedges' g; plus Holm's step-down adjustment for a family of p-values. All p-values are
 * two-sided. Distributions come from GSL; nothing here prints, exits or keeps state.
 *
 * The numbers agree with SciPy 1.10 called as follows (tests/fixtures/stats_reference.json, made
 * by tools/make_stats_fixtures.py, checks every field):
 *
 *   paired       scipy.stats.ttest_rel(a, b);
 *                scipy.stats.wilcoxon(a, b, zero_method="wilcox", correction=True,
 *                                     method=<"exact" or "approx", chosen as below>)
 *   independent  scipy.stats.ttest_ind(a, b, equal_var=False), interval from the same
 *                Welch-Satterthwaite dof; scipy.stats.mannwhitneyu(a, b, use_continuity=True,
 *                alternative="two-sided", method="auto")
 *
 * Interval ends are held to t quantiles solved with mpmath instead: SciPy 1.10's t.ppf is off by
 * up to ~1.3e-9 relative (dof 49), GSL's by ~1e-15.
 *
 * SciPy's wilcoxon defaults differ on purpose: its default has no continuity correction, and in
 * 1.10 its method="auto" keeps the exact distribution when |differences| tie, truncating the
 * half-integer rank sum (later versions switch to the normal approximation, as here).
 *
 * Ties and zeros are decided by exact equality of doubles, as in SciPy. Differences of decimal
 * accuracies need not tie in binary even when they tie in decimal (92.65 - 92.11 is not
 * 93.02 - 92.48 in doubles); such near-ties are ranked as distinct values. */
#ifndef PRISM_STATS_COMPARE_H
#define PRISM_STATS_COMPARE_H

#include <stddef.h>

#include "core/error.h"

/* Methods, as stable identifiers for outputs. */
#define PRISM_METHOD_PAIRED_T "paired-t"
#define PRISM_METHOD_WELCH_T "welch-t"
#define PRISM_METHOD_WILCOXON_EXACT "wilcoxon-exact"
#define PRISM_METHOD_WILCOXON_NORMAL "wilcoxon-normal"
#define PRISM_METHOD_MANN_WHITNEY_EXACT "mann-whitney-exact"
#define PRISM_METHOD_MANN_WHITNEY_NORMAL "mann-whitney-normal"
#define PRISM_METHOD_NONE "none" /* no rank test was possible: rank_p is NaN */

/* The exact Wilcoxon distribution is used up to this many non-zero differences (SciPy's "auto"
 * threshold); the exact Mann-Whitney distribution while the smaller group has at most this
 * many runs (SciPy's rule: asymptotic only when both groups exceed 8). */
#define PRISM_WILCOXON_EXACT_MAX_N 50
#define PRISM_MANN_WHITNEY_EXACT_MAX_N 8

/* One comparison of group a with group b. Differences are a - b throughout, so a positive
 * mean_diff or hedges_g says that a is higher. */
typedef struct prism_comparison {
    size_t n_a;
    size_t n_b;          /* paired: n_b == n_a */
    double mean_diff;    /* mean(a) - mean(b); paired: the mean of a[i] - b[i] */
    double ci_low;       /* t interval of mean_diff at the requested confidence */
    double ci_high;
    double t;            /* t statistic */
    double dof;          /* its degrees of freedom: n - 1, or Welch-Satterthwaite */
    double p;            /* two-sided p of the t-test */
    double rank_statistic; /* Wilcoxon: min(R+, R-); Mann-Whitney: U of a (SciPy's statistic) */
    size_t rank_n;       /* Wilcoxon: the non-zero differences ranked; Mann-Whitney: n_a + n_b */
    double rank_p;       /* two-sided p of the rank test */
    double hedges_g;     /* standardised mean difference with small-sample correction */
    const char *method;      /* PRISM_METHOD_PAIRED_T or PRISM_METHOD_WELCH_T */
    const char *rank_method; /* one of the PRISM_METHOD_WILCOXON_* / MANN_WHITNEY_* / NONE */
} prism_comparison;

/* Paired comparison of a[i] with b[i], i < n (the same seeds run under two conditions).
 *
 * t part: d = a - b, mean_diff = mean(d), t = mean_diff / (sd(d) / sqrt(n)) with sd the sample
 * SD, dof = n - 1, interval mean_diff +- t(confidence, n - 1) sd(d) / sqrt(n).
 * Hedges' g for paired data (the "d_z" form): mean(d) / sd(d) times J = 1 - 3 / (4 (n - 1) - 1),
 * the usual approximation of the small-sample bias correction. J is 0 at n = 2 (so is the exact
 * correction at one degree of freedom), which makes g 0 there.
 * Wilcoxon signed-rank: zero differences are dropped (SciPy's zero_method="wilcox"); the rest are
 * ranked by |d| with average ranks for ties. Exact null distribution (all 2^n sign patterns) when
 * at most PRISM_WILCOXON_EXACT_MAX_N remain and there was neither a zero nor a tie; otherwise the
 * normal approximation with the tie-corrected variance and a continuity correction of 1/2
 * toward the mean.
 *
 * Defined edge cases (documented choices, each tested):
 *   n == 1:                   t, dof, p, interval and g are NaN; the Wilcoxon p is 1 (exact: one
 *                             sign is as likely as the other), or NaN if that difference is 0.
 *   all differences equal,    sd(d) == 0 so there is no noise to test against: t and p are NaN,
 *   and all zero:             g is NaN (0 / 0), the interval is [0, 0]. Wilcoxon has nothing
 *                             left to rank: rank_p NaN, rank_n 0, rank_method "none".
 *                             (SciPy gives NaN for the t-test and raises for wilcoxon.)
 *   all differences equal c:  t = +-inf, p = 0, interval [c, c], g = +-inf (NaN at n = 2, where
 *                             J = 0); Wilcoxon goes on as usual (all |d| tie: normal method).
 * Returns 0, or -1 with a message when n == 0, a pointer is NULL, confidence is not in (0, 1),
 * a value is not finite, or memory runs out; out is then all NaN. */
int prism_compare_paired(const double *a, const double *b, size_t n, double confidence,
                         prism_comparison *out, prism_error *err);

/* Comparison of two independent groups a[na] and b[nb] (different seeds, different runs).
 *
 * Welch: mean_diff = mean(a) - mean(b), se = sqrt(var_a / na + var_b / nb) with sample
 * variances, t = mean_diff / se, dof by Welch-Satterthwaite
 * (var_a/na + var_b/nb)^2 / ((var_a/na)^2 / (na - 1) + (var_b/nb)^2 / (nb - 1)), interval
 * mean_diff +- t(confidence, dof) se.
 * Hedges' g: mean_diff / s_pooled, s_pooled^2 = ((na - 1) var_a + (nb - 1) var_b) / (na + nb - 2),
 * times J = 1 - 3 / (4 (na + nb) - 9).
 * Mann-Whitney U on the pooled average ranks: exact null distribution when the smaller group
 * has at most PRISM_MANN_WHITNEY_EXACT_MAX_N runs and no two pooled values tie; otherwise the
 * normal approximation with tie-corrected variance and continuity correction 1/2. The exact
 * case costs O(min(na, nb)^2 max(na, nb)) time and O(na nb) doubles.
 *
 * Defined edge cases:
 *   na or nb == 1:            that group has no variance: t, dof, p, interval and g are NaN.
 *                             Mann-Whitney is still computed.
 *   both variances 0,         t, p and g are NaN (0 / 0), dof NaN, the interval [0, 0].
 *   equal means:              (SciPy: NaN t and p.) Mann-Whitney: every value ties, its
 *                             variance is 0 and rank_p is 1 (as SciPy: no evidence either way).
 *   both variances 0,         t = +-inf, p = 0, g = +-inf, dof NaN (SciPy substitutes 1; any
 *   different means:          value gives the same p), interval [mean_diff, mean_diff].
 * Returns 0, or -1 with a message when na or nb is 0, a pointer is NULL, confidence is not in
 * (0, 1), a value is not finite, or memory runs out; out is then all NaN. */
int prism_compare_independent(const double *a, size_t na, const double *b, size_t nb,
                              double confidence, prism_comparison *out, prism_error *err);

/* Holm's step-down adjustment of m p-values (statsmodels multipletests(method="holm")): with the
 * p-values sorted ascending, p_(i) (i = 1..m) becomes max over j <= i of min(1, (m - j + 1) p_(j)),
 * so adjusted values keep the order of the raw ones and never exceed 1. Equal p-values get equal
 * adjusted values. p_adjusted may be p itself.
 * NaN entries (tests that could not be done, see above) are left out of the family: m counts only
 * the others, and their adjusted value is NaN. (statsmodels does not define this case.)
 * Returns 0, or -1 with a message when a pointer is NULL (m > 0), a p-value is outside [0, 1]
 * and not NaN, or memory runs out; p_adjusted is then unchanged. */
int prism_holm(const double *p, size_t m, double *p_adjusted, prism_error *err);

#endif
