/* Numbers as the report's tables and CSV files show them. An undefined statistic (NaN: a
 * standard deviation of one run, an interval without spread) reads "n/a" in a table and is an
 * empty field in a CSV file, never "nan". */
#ifndef PRISM_REPORT_FORMAT_H
#define PRISM_REPORT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* "12.34", or "n/a". Returns buf. */
const char *prism_fmt2(double value, char *buf, size_t bytes);

/* An estimate and its interval: "12.34<unit> [11.00, 13.68]", "12.34<unit>" when the interval
 * is undefined, "n/a" when the estimate is; with `sign`, every number carries its sign
 * ("+1.20 [-0.30, +2.70]"). Returns buf. */
const char *prism_fmt_estimate(double estimate, double low, double high, const char *unit,
                               bool sign, char *buf, size_t bytes);

/* A CSV field with ten significant digits, empty for NaN. */
void prism_csv_value(FILE *f, double value);

#endif
