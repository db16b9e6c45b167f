#include "report/format.h"

#include <math.h>

const char *prism_fmt2(double value, char *buf, size_t bytes)
{
    snprintf(buf, bytes, isnan(value) ? "n/a" : "%.2f", value);
    return buf;
}

const char *prism_fmt_estimate(double estimate, double low, double high, const char *unit,
                               bool sign, char *buf, size_t bytes)
{
    if (isnan(estimate)) {
        snprintf(buf, bytes, "n/a");
    } else if (isnan(low) || isnan(high)) {
        snprintf(buf, bytes, sign ? "%+.2f%s" : "%.2f%s", estimate, unit);
    } else {
        snprintf(buf, bytes, sign ? "%+.2f%s [%+.2f, %+.2f]" : "%.2f%s [%.2f, %.2f]", estimate,
                 unit, low, high);
    }
    return buf;
}

void prism_csv_value(FILE *f, double value)
{
    if (!isnan(value)) {
        fprintf(f, "%.10g", value);
    }
}
