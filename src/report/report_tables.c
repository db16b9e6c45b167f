/* The Markdown tables of a report: one per test, with each model's difference from the first
 * model, its significance mark after Holm's correction, and the accuracy ceilings. */
#include <math.h>
#include <string.h>

#include "report/format.h"
#include "report/report.h"

static const char *stars(double p)
{
    if (isnan(p)) {
        return "";
    }
    return p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : "ns";
}

static const prism_pair_comparison *find_pair(const prism_report_data *d, size_t slot,
                                              size_t a, size_t b)
{
    for (size_t i = 0; i < d->n_pairs; i++) {
        const prism_pair_comparison *pc = &d->pairs[i];
        if (pc->slot == slot && pc->a == a && pc->b == b) {
            return pc;
        }
    }
    return NULL;
}

void prism_report_print_tables(FILE *out, const prism_store *s, const prism_report_data *d)
{
    bool ceilings = false;
    size_t slot = 0;
    for (size_t t = 0; t < s->n_tests; t++) {
        const prism_stored_test *test = &s->tests[t];
        fprintf(out, "\n### Test %zu: %s\n\n", t + 1, test->name);
        fprintf(out, "| level | model | n | mean acc. %% | SD | %g%% CI (t) | vs %s |\n",
                100.0 * s->confidence, s->variants[0]);
        fprintf(out, "|---|---|---|---|---|---|---|\n");
        for (size_t j = 0; j < test->n_levels; j++, slot++) {
            for (size_t v = 0; v < s->n_variants; v++) {
                const prism_summary *c = &d->accuracy[v * s->n_slots + slot];
                char level[40] = "";
                if (v == 0) {
                    snprintf(level, sizeof level,
                             prism_store_level_is_clean(s, t, j) ? "%g (clean)" : "%g",
                             test->levels[j]);
                }
                char diff[96] = "";
                const prism_pair_comparison *pc = v > 0 ? find_pair(d, slot, 0, v) : NULL;
                if (pc != NULL && !isnan(pc->result.mean_diff)) {
                    /* stored as first - v; shown as v - first */
                    char estimate[80];
                    prism_fmt_estimate(-pc->result.mean_diff, -pc->result.ci_high,
                                       -pc->result.ci_low, "", true, estimate, sizeof estimate);
                    snprintf(diff, sizeof diff, "%s %s", estimate, stars(pc->p_holm));
                }
                char m[40];
                char sd[32];
                char lo[32];
                char hi[32];
                prism_fmt2(c->mean, m, sizeof m);
                if (s->ceiling_pct != NULL && !isnan(s->ceiling_pct[v * s->n_slots + slot])) {
                    strcat(m, " †");
                    ceilings = true;
                }
                fprintf(out, "| %s | %s | %zu | %s | %s | [%s, %s] | %s |\n", level,
                        s->variants[v], c->n, m, prism_fmt2(c->sd, sd, sizeof sd),
                        prism_fmt2(c->ci_low, lo, sizeof lo),
                        prism_fmt2(c->ci_high, hi, sizeof hi), diff);
            }
        }
    }
    fprintf(out, "\nvs %s: mean difference (model - %s) in points with its %g%% interval; "
            "%s; * p < 0.05, ** p < 0.01, *** p < 0.001 after Holm's correction over all %zu "
            "comparisons, ns otherwise (the intervals are not adjusted, so one that excludes 0 can "
            "still be ns).\n", s->variants[0], s->variants[0],
            100.0 * s->confidence,
            strcmp(s->design, "paired") == 0 ? "paired t-test (paired design)"
                                             : "Welch's t-test (independent design)",
            d->n_pairs);
    if (ceilings) {
        fprintf(out, "\n† the network cannot do better than a ceiling here, whatever its "
                "activation, so the row says little about the activation:\n");
        for (size_t k = 0; k < s->n_slots; k++) {
            for (size_t v = 0; v < s->n_variants; v++) {
                double pct = s->ceiling_pct[v * s->n_slots + k];
                if (!isnan(pct)) {
                    size_t t;
                    size_t j;
                    prism_store_slot(s, k, &t, &j);
                    fprintf(out, "- %s %g: at most %.2f%% possible: %s\n", s->tests[t].name,
                            s->tests[t].levels[j], pct, s->ceiling_reason[k]);
                    break;
                }
            }
        }
    }
}

