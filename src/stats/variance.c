#include "stats/variance.h"

#include <math.h>

/* Mean of values[0..n). */
static double mean_of(const double *values, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += values[i];
    }
    return sum / (double)n;
}

void prism_variance_split_compute(const double *values, size_t groups, size_t per_group,
                                  prism_variance_split *out)
{
    *out = (prism_variance_split){.groups = groups, .per_group = per_group, .grand_mean = NAN,
                                  .ms_between = NAN, .ms_within = NAN, .between = NAN,
                                  .within = NAN, .between_raw = NAN};
    if (groups == 0 || per_group == 0) {
        return;
    }
    size_t a = groups;
    size_t k = per_group;
    out->grand_mean = mean_of(values, a * k);

    double between_ss = 0.0;
    double within_ss = 0.0;
    for (size_t r = 0; r < a; r++) {
        const double *row = values + r * k;
        double row_mean = mean_of(row, k);
        between_ss += (row_mean - out->grand_mean) * (row_mean - out->grand_mean);
        for (size_t j = 0; j < k; j++) {
            within_ss += (row[j] - row_mean) * (row[j] - row_mean);
        }
    }
    if (a >= 2) {
        out->ms_between = (double)k * between_ss / (double)(a - 1);
    }
    if (k >= 2) {
        out->ms_within = within_ss / (double)(a * (k - 1));
        out->within = out->ms_within;
    }
    if (a >= 2 && k >= 2) {
        out->between_raw = (out->ms_between - out->ms_within) / (double)k;
        out->between_clipped = out->between_raw < 0.0;
        out->between = out->between_clipped ? 0.0 : out->between_raw;
    }
}
