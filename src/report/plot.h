/* Figures for the report: line plots with interval bands, forest plots of differences, and
 * scatter plots, each written as PATH.png and PATH.svg by PLplot's cairo devices.
 *
 * The module knows nothing of experiments: it takes plain arrays. Every function validates its
 * whole input before drawing (NaN or infinite values, empty or missing series, a folder that
 * does not exist) and returns 0, or -1 with a message in err. A file is complete or absent: each
 * is drawn under "<file>.partial" and renamed into place only once it has been checked.
 *
 * Looks: white background, black axes and text, light grey grid, series in a fixed palette of
 * ten colours (Tableau 10) in order, solid lines for series 1-10 and dashed for 11-20, with a
 * marker shape that also changes from one series to the next. The legend sits to the right of
 * the axes, outside them, so that it never hides data.
 *
 * Text goes through PLplot, which reads '#' as an escape: the module doubles every '#' so that
 * text appears as given. Text is UTF-8. The SVG that cairo writes holds glyph outlines, not
 * text, so the module adds an SVG <title> (the plot title) and <desc> (axis labels, series or
 * row names) to it, which screen readers and text search use.
 *
 * PLplot keeps global state, so every call runs under one process-wide lock and in a stream of
 * its own, ended before the call returns: calls from several threads are safe, but are served
 * one at a time. PLplot may print diagnostics to stderr. PLplot errors that would end the
 * process (it calls exit() when it cannot open a file, say) are caught and returned as -1
 * instead; PLplot's own clean-up of that stream is then skipped, which loses a few hundred
 * bytes per such failure. */
#ifndef PRISM_REPORT_PLOT_H
#define PRISM_REPORT_PLOT_H

#include <stddef.h>

#include "core/error.h"

/* Series per plot: ten colours, each used once with a solid and once with a dashed line. */
#define PRISM_PLOT_MAX_SERIES 20
/* Points per series, and rows of a forest plot. */
#define PRISM_PLOT_MAX_POINTS 100000
/* Bytes of any one text (title, axis label, series name, row label), without the NUL. */
#define PRISM_PLOT_MAX_TEXT_BYTES 200
#define PRISM_PLOT_DEFAULT_WIDTH_PX 900
#define PRISM_PLOT_DEFAULT_HEIGHT_PX 600
#define PRISM_PLOT_MIN_SIDE_PX 300
#define PRISM_PLOT_MAX_SIDE_PX 4000

/* What every plot has around its data. */
typedef struct prism_plot_frame {
    const char *title;   /* required */
    const char *x_label; /* required, with units: "share of neurons removed (%)" */
    const char *y_label; /* required, with units: "test accuracy (%)"; optional for intervals */
    int width_px;        /* 0: PRISM_PLOT_DEFAULT_WIDTH_PX; else MIN_SIDE_PX..MAX_SIDE_PX */
    int height_px;       /* 0: PRISM_PLOT_DEFAULT_HEIGHT_PX; else MIN_SIDE_PX..MAX_SIDE_PX */
} prism_plot_frame;

/* One named series of n points. low and high, given both or neither, bound an interval around
 * each y (a 95 % confidence interval, say): low[i] <= high[i]. */
typedef struct prism_plot_series {
    const char *name; /* legend text, required */
    size_t n;         /* 1..PRISM_PLOT_MAX_POINTS */
    const double *x;  /* [n] */
    const double *y;  /* [n] */
    const double *low;  /* [n] or NULL */
    const double *high; /* [n] or NULL */
} prism_plot_series;

typedef struct prism_xy_plot {
    prism_plot_frame frame;
    const prism_plot_series *series; /* [n_series] */
    size_t n_series;                 /* 1..PRISM_PLOT_MAX_SERIES */
} prism_xy_plot;

/* k labelled comparisons, drawn top to bottom in the order given. low[i] <= high[i]; the
 * estimate need not lie inside its interval (a percentile bootstrap's may not). */
typedef struct prism_interval_plot {
    prism_plot_frame frame;   /* y_label, if given, heads the column of row labels */
    size_t n;                 /* 1..PRISM_PLOT_MAX_POINTS, and few enough to fit the height */
    const char *const *labels; /* [n], each required */
    const double *estimate;   /* [n] */
    const double *low;        /* [n] */
    const double *high;       /* [n] */
} prism_interval_plot;

/* Lines through each series' points in the order given, with a marker at every point, and its
 * interval, when given, as a light band of the series' colour. Within a series x must not
 * decrease, since the band is the polygon low(x) forward and high(x) back. */
int prism_plot_lines(const prism_xy_plot *plot, const char *path_without_extension,
                     prism_error *err);

/* Markers only, one shape and colour per series; an interval, when given, is a vertical error
 * bar. x may come in any order. */
int prism_plot_scatter(const prism_xy_plot *plot, const char *path_without_extension,
                       prism_error *err);

/* A forest plot: per row a dot at the estimate and a whisker from low to high, the row's label
 * on the left and "estimate [low, high]" on the right, and a dashed vertical line at zero,
 * which the x range always includes so that a reader sees which intervals cross it. */
int prism_plot_intervals(const prism_interval_plot *plot, const char *path_without_extension,
                         prism_error *err);

#endif
