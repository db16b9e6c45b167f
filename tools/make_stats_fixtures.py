#!/usr/bin/python3
"""Writes tests/fixtures/stats_reference.json, the SciPy reference that tests/test_compare.c
holds src/stats/compare.c to.

Run with Debian's system interpreter, which has python3-scipy (1.10) and numpy:

    /usr/bin/python3 tools/make_stats_fixtures.py [output-file]

The output defaults to tests/fixtures/stats_reference.json; "-" prints to stdout. Data come from
fixed seeds, so a rerun writes the same bytes. Every number is written as the shortest decimal
that reads back to the same double, so the C test sees the exact inputs SciPy saw.

Each case holds its inputs (a, b, confidence) and SciPy's answers, called as compare.h says:

  paired       scipy.stats.ttest_rel(a, b) (t, dof, p);
               scipy.stats.wilcoxon(a, b, zero_method="wilcox", correction=True, method=M)
               with M = "exact" when at most 50 differences, none zero and no |d| tied, else
               "approx" (prism's rule; SciPy 1.10's "auto" would keep "exact" under ties)
  independent  scipy.stats.ttest_ind(a, b, equal_var=False), the interval from the
               Welch-Satterthwaite dof;
               scipy.stats.mannwhitneyu(a, b, use_continuity=True, alternative="two-sided",
               method="auto")

Interval ends are mean_diff -+ q se with the t quantile q solved to 40 digits with mpmath, not
from scipy.stats.t.ppf: SciPy 1.10's quantile is off by up to ~1.3e-9 relative (dof 49 and 50:
2.009575234489209 against 2.00957523712924), more than the test's tolerance, while GSL's agrees
with mpmath to ~1e-15. SciPy's own interval is kept as scipy_ci_low / scipy_ci_high.

Hedges' g is not in SciPy 1.10; it is computed here with numpy from its definition in
compare.h. A statistic that is undefined (NaN in SciPy) is written as null.
"""

import json
import math
import os
import sys
import warnings

import mpmath
import numpy as np
import scipy
from scipy import stats

WILCOXON_EXACT_MAX_N = 50
MANN_WHITNEY_EXACT_MAX_N = 8
LINE_COLUMNS = 100


# ---- Data ----

def accuracies(rng, n, centre, spread, step):
    """n accuracy-like percentages, rounded to a multiple of step (0.01: two decimals)."""
    return [round(round(v / step) * step, 10) for v in rng.normal(centre, spread, n)]


def has_ties(values):
    return len(set(values)) != len(values)


def differences(a, b):
    """a - b in doubles, as both SciPy and C form them."""
    return (np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).tolist()


def draw(seed, make, accept):
    """make(rng) from seeds seed, seed + 1, ... until accept(result): the first that fits, so
    the data stay fixed while the wanted property (ties or none) is guaranteed."""
    for s in range(seed, seed + 1000):
        result = make(np.random.default_rng(s))
        if accept(result):
            return result
    raise RuntimeError(f"no seed from {seed} gives the wanted data")


def paired_data():
    cases = []

    def pair(n, shift, noise, step):
        def make(rng):
            b = accuracies(rng, n, 92.5, 0.4, step)
            a = [round(x + round(e / step) * step, 10)
                 for x, e in zip(b, rng.normal(shift, noise, n))]
            return a, b
        return make

    def no_zero_no_tie(ab):
        d = differences(*ab)
        return 0.0 not in d and not has_ties([abs(x) for x in d])

    def ties_no_zero(ab):
        d = differences(*ab)
        return 0.0 not in d and has_ties([abs(x) for x in d])

    a, b = draw(101, pair(20, 0.15, 0.3, 0.01), no_zero_no_tie)
    cases.append(("n20_no_ties", "20 two-decimal accuracies, no tie or zero: exact", a, b, 0.95))
    a, b = draw(201, pair(20, 0.2, 0.5, 0.25), ties_no_zero)
    cases.append(("n20_ties", "20 quarter-point accuracies, |d| tie: normal", a, b, 0.95))
    a, b = draw(301, pair(20, 1.5, 0.2, 0.01), lambda ab: no_zero_no_tie(ab)
                and min(differences(*ab)) > 0)
    cases.append(("n20_strong", "a above b in every pair: exact p = 2 / 2^20", a, b, 0.95))
    a, b = draw(401, pair(5, 0.1, 0.3, 0.01), no_zero_no_tie)
    cases.append(("n5", "5 pairs, exact", a, b, 0.95))
    cases.append(("n5_99", "the same 5 pairs at 99 %", a, b, 0.99))
    a, b = draw(501, pair(2, 0.1, 0.3, 0.01), no_zero_no_tie)
    cases.append(("n2", "2 pairs: J = 0, so g = 0", a, b, 0.95))

    a, b = draw(601, pair(12, 0.1, 0.3, 0.01), no_zero_no_tie)
    for i in (2, 5, 9):
        a[i] = b[i]
    cases.append(("zero_diffs", "12 pairs, 3 equal: zeros dropped, normal on 9", a, b, 0.95))
    a, b = draw(701, pair(50, 0.05, 0.3, 0.001), no_zero_no_tie)
    cases.append(("n50", "50 pairs without ties: the largest exact case", a, b, 0.95))
    a, b = draw(801, pair(51, 0.05, 0.3, 0.001), no_zero_no_tie)
    cases.append(("n51", "51 pairs without ties: the smallest normal case", a, b, 0.95))
    a, b = draw(901, pair(1, 0.1, 0.3, 0.01), no_zero_no_tie)
    cases.append(("n1", "one pair: no t-test, exact Wilcoxon p = 1", a, b, 0.95))
    return cases


def independent_data():
    cases = []

    def groups(na, nb, shift, spread_a, spread_b, step):
        def make(rng):
            return (accuracies(rng, na, 92.5 + shift, spread_a, step),
                    accuracies(rng, nb, 92.5, spread_b, step))
        return make

    def no_tie(ab):
        return not has_ties(ab[0] + ab[1])

    cases.append(("n20_no_ties", "20 and 20 two-decimal accuracies, no tie: normal",
                  *draw(1101, groups(20, 20, 0.2, 0.4, 0.4, 0.01), no_tie), 0.95))
    cases.append(("n20_ties", "20 and 20 quarter-point accuracies, ties: normal",
                  *draw(1201, groups(20, 20, 0.2, 0.5, 0.5, 0.25), lambda ab: not no_tie(ab)),
                  0.95))
    cases.append(("n5", "5 and 5, no tie: exact",
                  *draw(1301, groups(5, 5, 0.3, 0.4, 0.4, 0.01), no_tie), 0.95))
    cases.append(("n2", "2 and 2, no tie: exact",
                  *draw(1401, groups(2, 2, 0.3, 0.4, 0.4, 0.01), no_tie), 0.99))
    cases.append(("unequal_7_12", "7 and 12, unequal spreads, no tie: exact",
                  *draw(1501, groups(7, 12, 0.4, 0.2, 0.8, 0.01), no_tie), 0.95))
    cases.append(("unequal_9_14", "9 and 14, no tie: both above 8, so normal",
                  *draw(1601, groups(9, 14, -0.3, 0.6, 0.3, 0.01), no_tie), 0.95))
    cases.append(("unequal_ties_6_15", "6 and 15 with ties: normal although 6 <= 8",
                  *draw(1701, groups(6, 15, 0.3, 0.4, 0.4, 0.25), lambda ab: not no_tie(ab)),
                  0.95))
    cases.append(("n8_120", "8 and 120, no tie: exact with counts far past 2^53",
                  *draw(1801, groups(8, 120, 0.25, 0.4, 0.4, 0.0001), no_tie), 0.95))
    cases.append(("n8_120_tail", "8 and 120 further apart: the exact lower tail, p ~ 1e-4",
                  *draw(1851, groups(8, 120, 0.6, 0.4, 0.4, 0.0001), no_tie), 0.95))
    cases.append(("a_constant", "6 equal values and 9 spread ones: Welch dof from b alone",
                  [92.5] * 6, draw(1871, groups(0, 9, 0.0, 0.4, 0.4, 0.01), no_tie)[1], 0.95))
    cases.append(("separated", "6 above 6, no tie: exact p = 2 / binom(12, 6)",
                  *draw(1901, groups(6, 6, 3.0, 0.3, 0.3, 0.01),
                        lambda ab: no_tie(ab) and min(ab[0]) > max(ab[1])), 0.95))
    cases.append(("one_vs_5", "1 and 5: no Welch test, exact Mann-Whitney",
                  *draw(2001, groups(1, 5, 0.3, 0.4, 0.4, 0.01), no_tie), 0.95))
    return cases


# ---- References ----

def t_quantile(confidence, dof):
    """t with P(|T| <= t) = confidence for dof degrees of freedom, to 40 digits: the root of
    1 - I_x(dof / 2, 1 / 2) / 2 = (1 + confidence) / 2 with x = dof / (dof + t^2)."""
    with mpmath.workdps(40):
        nu = mpmath.mpf(dof)
        target = (1 + mpmath.mpf(confidence)) / 2

        def upper_cdf_gap(t):
            x = nu / (nu + t * t)
            return 1 - mpmath.betainc(nu / 2, mpmath.mpf(1) / 2, 0, x, regularized=True) / 2 \
                - target
        root = mpmath.findroot(upper_cdf_gap, mpmath.mpf(stats.t.ppf(float(target), dof)))
        return float(root)


def number(x):
    x = float(x)
    return x if math.isfinite(x) else None


def paired_reference(name, note, a, b, confidence):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = a - b
    n = len(d)
    nonzero = d[d != 0]
    tied = len(set(np.abs(nonzero).tolist())) != len(nonzero)
    exact = len(nonzero) <= WILCOXON_EXACT_MAX_N and len(nonzero) == n and not tied
    with warnings.catch_warnings():
        # "Sample size too small for normal approximation": prism uses it all the same.
        warnings.simplefilter("ignore")
        rank = stats.wilcoxon(a, b, zero_method="wilcox", correction=True,
                              method="exact" if exact else "approx")
    ref = {"name": name, "note": note, "confidence": confidence, "a": a.tolist(),
           "b": b.tolist(), "mean_diff": float(np.mean(d)),
           "rank_statistic": float(rank.statistic), "rank_n": len(nonzero),
           "rank_p": float(rank.pvalue),
           "rank_method": "wilcoxon-exact" if exact else "wilcoxon-normal"}
    if n >= 2:
        t = stats.ttest_rel(a, b)
        ci = t.confidence_interval(confidence_level=confidence)
        sd = np.std(d, ddof=1)
        half = t_quantile(confidence, n - 1) * sd / math.sqrt(n)
        j = 1.0 - 3.0 / (4.0 * (n - 1) - 1.0)
        ref.update({"t": float(t.statistic), "dof": float(t.df), "p": float(t.pvalue),
                    "ci_low": float(np.mean(d)) - half, "ci_high": float(np.mean(d)) + half,
                    "scipy_ci_low": float(ci.low), "scipy_ci_high": float(ci.high),
                    "hedges_g": float(np.mean(d) / sd * j)})
    else:
        ref.update({"t": None, "dof": None, "p": None, "ci_low": None, "ci_high": None,
                    "scipy_ci_low": None, "scipy_ci_high": None, "hedges_g": None})
    return ref


def independent_reference(name, note, a, b, confidence):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na, nb = len(a), len(b)
    pooled = np.concatenate([a, b])
    tied = len(set(pooled.tolist())) != len(pooled)
    exact = min(na, nb) <= MANN_WHITNEY_EXACT_MAX_N and not tied
    rank = stats.mannwhitneyu(a, b, use_continuity=True, alternative="two-sided",
                              method="auto")
    diff = float(np.mean(a) - np.mean(b))
    ref = {"name": name, "note": note, "confidence": confidence, "a": a.tolist(),
           "b": b.tolist(), "mean_diff": diff, "rank_statistic": float(rank.statistic),
           "rank_n": na + nb, "rank_p": float(rank.pvalue),
           "rank_method": "mann-whitney-exact" if exact else "mann-whitney-normal"}
    if na >= 2 and nb >= 2:
        with warnings.catch_warnings():
            # "Precision loss ... nearly identical" for a group of equal values, whose variance
            # is nonetheless exactly 0.
            warnings.simplefilter("ignore")
            t = stats.ttest_ind(a, b, equal_var=False)
        va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
        vna, vnb = va / na, vb / nb
        dof = (vna + vnb) ** 2 / (vna ** 2 / (na - 1) + vnb ** 2 / (nb - 1))
        half = t_quantile(confidence, dof) * math.sqrt(vna + vnb)
        scipy_half = stats.t.ppf(0.5 + confidence / 2.0, dof) * math.sqrt(vna + vnb)
        pooled_sd = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
        j = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0)
        ref.update({"t": float(t.statistic), "dof": float(dof), "p": float(t.pvalue),
                    "ci_low": diff - half, "ci_high": diff + half,
                    "scipy_ci_low": diff - scipy_half, "scipy_ci_high": diff + scipy_half,
                    "hedges_g": diff / pooled_sd * j})
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = stats.ttest_ind(a, b, equal_var=False)
        assert math.isnan(t.pvalue), "SciPy should find no Welch test with a group of 1"
        ref.update({"t": None, "dof": None, "p": None, "ci_low": None, "ci_high": None,
                    "scipy_ci_low": None, "scipy_ci_high": None, "hedges_g": None})
    return ref


# ---- JSON ----

def dump(value, indent=0):
    """JSON with number lists wrapped at LINE_COLUMNS, so that a diff stays readable."""
    pad = " " * indent
    if isinstance(value, dict):
        parts = [f"{pad}  {json.dumps(k)}: {dump(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(parts) + "\n" + pad + "}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "[\n" + ",\n".join(pad + "  " + dump(v, indent + 2) for v in value) + "\n" \
            + pad + "]"
    if isinstance(value, list):
        lines, line = [], ""
        for text in (json.dumps(number(v)) for v in value):
            candidate = text if not line else line + ", " + text
            if line and indent + 2 + len(candidate) + 1 > LINE_COLUMNS:
                lines.append(line + ",")
                line = text
            else:
                line = candidate
        lines.append(line)
        return "[\n" + "\n".join(pad + "  " + l for l in lines) + "\n" + pad + "]"
    if isinstance(value, float):
        return json.dumps(number(value))
    return json.dumps(value)


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
        "stats_reference.json")
    content = {
        "generator": "tools/make_stats_fixtures.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "paired": [paired_reference(*c) for c in paired_data()],
        "independent": [independent_reference(*c) for c in independent_data()],
    }
    text = dump(content) + "\n"
    if target == "-":
        sys.stdout.write(text)
        return
    with open(target, "w", encoding="ascii") as out:
        out.write(text)
    print(f"{target}: {len(content['paired'])} paired and {len(content['independent'])} "
          f"independent cases, {len(text)} bytes")


if __name__ == "__main__":
    main()
