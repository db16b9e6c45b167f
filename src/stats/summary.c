#include "stats/summary.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

double prism_t_critical(double confidence, double dof)
{
    return gsl_cdf_tdist_Pinv(0.5 + confidence / 2.0, dof);
}

void prism_summary_compute(const double *values, size_t stride, size_t n, double confidence,
                           prism_summary *out)
{
    out->n = n;
    out->mean = NAN;
    out->sd = NAN;
    out->ci_low = NAN;
    out->ci_high = NAN;
    if (n == 0) {
        return;
    }
    out->mean = gsl_stats_mean(values, stride, n);
    if (n < 2) {
        return;
    }
    out->sd = gsl_stats_sd_m(values, stride, n, out->mean);
    double half = prism_t_critical(confidence, (double)(n - 1)) * out->sd / sqrt((double)n);
    out->ci_low = out->mean - half;
    out->ci_high = out->mean + half;
}
