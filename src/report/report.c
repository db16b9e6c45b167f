#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/mechanism.h"

/* Statistics of a stored experiment; the tables and files that show them are in
 * report_tables.c and report_files.c. */

static void summarise_cells(const prism_store *s, prism_report_data *d, double *values,
                            double *clean)
{
    for (size_t v = 0; v < s->n_variants; v++) {
        for (size_t slot = 0; slot < s->n_slots; slot++) {
            size_t n = prism_store_values(s, v, slot, values);
            prism_summary_compute(values, 1, n, s->confidence,
                                  &d->accuracy[v * s->n_slots + slot]);

            /* kept: each run's accuracy as a share of the same run's clean accuracy */
            long base = prism_store_clean_slot(s, slot);
            if (base >= 0) {
                prism_store_values(s, v, (size_t)base, clean);
                for (size_t i = 0; i < n; i++) {
                    values[i] = 100.0 * values[i] / clean[i];
                }
            }
            prism_summary_compute(values, 1, base >= 0 ? n : 0, s->confidence,
                                  &d->kept[v * s->n_slots + slot]);
        }
    }
}

static void summarise_areas(const prism_store *s, prism_report_data *d, double *values)
{
    double curve[PRISM_STORE_MAX_LEVELS];
    for (size_t v = 0; v < s->n_variants; v++) {
        for (size_t t = 0; t < s->n_tests; t++) {
            const prism_stored_test *test = &s->tests[t];
            size_t first = prism_store_first_slot(s, t);
            size_t n = 0;
            for (size_t run = 0; run < s->runs; run++) {
                if (!s->run_present[run]) {
                    continue;
                }
                for (size_t j = 0; j < test->n_levels; j++) {
                    curve[j] = *prism_store_accuracy(s, run, v, first + j);
                }
                values[n++] = prism_curve_area(test->levels, curve, test->n_levels);
            }
            prism_summary_compute(values, 1, n, s->confidence,
                                  &d->area[v * s->n_tests + t]);
        }
    }
}

static int compare_pairs(const prism_store *s, prism_report_data *d, double *a, double *b,
                         prism_error *err)
{
    bool paired = strcmp(s->design, "paired") == 0;
    size_t k = 0;
    for (size_t slot = 0; slot < s->n_slots; slot++) {
        for (size_t va = 0; va < s->n_variants; va++) {
            for (size_t vb = va + 1; vb < s->n_variants; vb++, k++) {
                prism_pair_comparison *pc = &d->pairs[k];
                pc->slot = slot;
                pc->a = va;
                pc->b = vb;
                size_t n = prism_store_values(s, va, slot, a);
                prism_store_values(s, vb, slot, b);
                int status = paired
                    ? prism_compare_paired(a, b, n, s->confidence, &pc->result, err)
                    : prism_compare_independent(a, n, b, n, s->confidence, &pc->result, err);
                if (status != 0) {
                    return prism_error_prefix(err, "comparing %s with %s", s->variants[va],
                                              s->variants[vb]);
                }
            }
        }
    }

    /* Holm over the whole family: every pair, test and level the report shows. */
    double *p = malloc(2 * d->n_pairs * sizeof *p);
    if (p == NULL) {
        return prism_error_set(err, "out of memory for %zu p-values", d->n_pairs);
    }
    for (size_t i = 0; i < d->n_pairs; i++) {
        p[i] = d->pairs[i].result.p;
        p[d->n_pairs + i] = d->pairs[i].result.rank_p;
    }
    int status = prism_holm(p, d->n_pairs, p, err);
    if (status == 0) {
        status = prism_holm(p + d->n_pairs, d->n_pairs, p + d->n_pairs, err);
    }
    for (size_t i = 0; status == 0 && i < d->n_pairs; i++) {
        d->pairs[i].p_holm = p[i];
        d->pairs[i].rank_p_holm = p[d->n_pairs + i];
    }
    free(p);
    return status;
}

int prism_report_compute(const prism_store *s, prism_report_data *d, prism_error *err)
{
    memset(d, 0, sizeof *d);
    for (size_t run = 0; run < s->runs; run++) {
        d->n_complete += s->run_present[run];
    }
    if (d->n_complete == 0) {
        return prism_error_set(err, "%s: no complete run to report", s->dir);
    }

    size_t pairs_per_slot = s->n_variants * (s->n_variants - 1) / 2;
    d->n_pairs = pairs_per_slot * s->n_slots;
    d->accuracy = calloc(s->n_variants * s->n_slots, sizeof *d->accuracy);
    d->kept = calloc(s->n_variants * s->n_slots, sizeof *d->kept);
    d->area = calloc(s->n_variants * s->n_tests, sizeof *d->area);
    d->pairs = calloc(d->n_pairs > 0 ? d->n_pairs : 1, sizeof *d->pairs);
    double *a = malloc(s->runs * sizeof *a);
    double *b = malloc(s->runs * sizeof *b);
    if (d->accuracy == NULL || d->kept == NULL || d->area == NULL || d->pairs == NULL ||
        a == NULL || b == NULL) {
        free(a);
        free(b);
        prism_report_data_free(d);
        return prism_error_set(err, "out of memory for the report");
    }

    summarise_cells(s, d, a, b);
    summarise_areas(s, d, a);
    int status = compare_pairs(s, d, a, b, err);
    free(a);
    free(b);
    if (status != 0) {
        prism_report_data_free(d);
    }
    return status;
}

void prism_report_data_free(prism_report_data *d)
{
    free(d->accuracy);
    free(d->kept);
    free(d->area);
    free(d->pairs);
    memset(d, 0, sizeof *d);
}

int prism_report_rebuild(const char *dir, FILE *out, prism_error *err)
{
    prism_store store;
    if (prism_store_load(dir, &store, err) != 0) {
        return -1;
    }
    prism_report_data data;
    if (prism_report_compute(&store, &data, err) != 0) {
        prism_store_free(&store);
        return -1;
    }
    int status = prism_report_write(&store, &data, err);
    if (status == 0 && out != NULL) {
        prism_report_print_tables(out, &store, &data);
    }
    prism_report_data_free(&data);
    prism_store_free(&store);
    return status;
}
