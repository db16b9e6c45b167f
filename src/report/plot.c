#include "report/plot.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <plplot.h>

#include "report/atomic_file.h"

/* Arrays are handed to PLplot as they are, which needs its floating type to be double. */
_Static_assert(sizeof(PLFLT) == sizeof(double), "PLplot must be built with PLFLT = double");

/* ---- Palette and marks ---- */

enum { PALETTE_SIZE = 10, MARKER_COUNT = 5 };

/* Colour map 0: PLplot paints the background with entry 0 and starts drawing with entry 1. */
enum {
    COLOUR_WHITE = 0,
    COLOUR_BLACK = 1,
    COLOUR_GRID = 2,
    COLOUR_ZERO_LINE = 3,
    COLOUR_SERIES = 4,                          /* PALETTE_SIZE opaque entries */
    COLOUR_BAND = COLOUR_SERIES + PALETTE_SIZE, /* the same colours, translucent */
    COLOUR_COUNT = COLOUR_BAND + PALETTE_SIZE
};

/* Tableau's ten categorical colours (matplotlib's tab10): told apart by most readers, colour
 * blind ones included when paired with the marker shapes, and all dark enough on white. */
static const unsigned char PALETTE_RGB[PALETTE_SIZE][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
    {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
    {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf},
};

/* Opacity of an interval band: light enough that lines and other bands show through. */
static const double BAND_ALPHA = 0.18;

/* Filled circle, square, up triangle, diamond, down triangle (DejaVu Sans has them all). */
static const char *const MARKERS[MARKER_COUNT] = {"\u25cf", "\u25a0", "\u25b2", "\u25c6",
                                                  "\u25bc"};

/* PLplot line styles: 1 is solid, 2 short dashes. */
enum { LINE_SOLID = 1, LINE_DASHED = 2 };

static int series_colour(size_t i)
{
    return COLOUR_SERIES + (int)(i % PALETTE_SIZE);
}

static int series_line_style(size_t i)
{
    return i < PALETTE_SIZE ? LINE_SOLID : LINE_DASHED;
}

/* Shifted in the second round of colours so that series i and i + 10 differ in shape too. */
static const char *series_marker(size_t i)
{
    return MARKERS[(i + i / PALETTE_SIZE) % MARKER_COUNT];
}

/* ---- Input checks ---- */

/* Text as PLplot must receive it: '#' is its escape character, and "##" prints one '#'. */
typedef struct plot_text {
    char s[2 * PRISM_PLOT_MAX_TEXT_BYTES + 1];
} plot_text;

static void plot_text_set(plot_text *out, const char *in)
{
    size_t j = 0;
    for (size_t i = 0; in != NULL && in[i] != '\0'; i++) {
        if (in[i] == '#') {
            out->s[j++] = '#';
        }
        out->s[j++] = in[i];
    }
    out->s[j] = '\0';
}

/* Characters, not bytes, of UTF-8 text: what its drawn width grows with. */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* Well-formed UTF-8 without control characters: what pango can draw and XML can hold. Returns
 * the offset of the first byte that is not, or -1 when all are. */
static long first_bad_byte(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (s[i] != '\0') {
        size_t extra;
        unsigned int code;
        if (s[i] < 0x20 || s[i] == 0x7f) {
            return (long)i;
        } else if (s[i] < 0x80) {
            i++;
            continue;
        } else if ((s[i] & 0xE0) == 0xC0) {
            extra = 1;
            code = s[i] & 0x1F;
        } else if ((s[i] & 0xF0) == 0xE0) {
            extra = 2;
            code = s[i] & 0x0F;
        } else if ((s[i] & 0xF8) == 0xF0) {
            extra = 3;
            code = s[i] & 0x07;
        } else {
            return (long)i;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return (long)i;
            }
            code = code << 6 | (s[i + k] & 0x3F);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
        static const unsigned int MIN_CODE[4] = {0, 0x80, 0x800, 0x10000};
        if (code < MIN_CODE[extra] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) {
            return (long)i;
        }
        i += 1 + extra;
    }
    return -1;
}

static int check_text(const char *text, const char *what, bool required, prism_error *err)
{
    if (text == NULL || text[0] == '\0') {
        if (required) {
            return prism_error_set(err, "plot: %s is missing", what);
        }
        return 0;
    }
    size_t bytes = strlen(text);
    if (bytes > PRISM_PLOT_MAX_TEXT_BYTES) {
        return prism_error_set(err, "plot: %s is %zu bytes long; at most %d are allowed", what,
                               bytes, PRISM_PLOT_MAX_TEXT_BYTES);
    }
    long bad = first_bad_byte(text);
    if (bad >= 0) {
        return prism_error_set(err, "plot: %s '%s': byte %ld (0x%02x) is a control character "
                               "or not UTF-8", what, text, bad, (unsigned char)text[bad]);
    }
    return 0;
}

/* owner names the series or row in the message: "series 'relu'". */
static int check_values(const double *values, size_t n, const char *owner, const char *field,
                        prism_error *err)
{
    if (values == NULL) {
        return prism_error_set(err, "plot: %s: %s is NULL", owner, field);
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i])) {
            return prism_error_set(err, "plot: %s: %s[%zu] is %s; only finite values can be "
                                   "plotted", owner, field, i,
                                   isnan(values[i]) ? "NaN" : "infinite");
        }
    }
    return 0;
}

static int check_interval(const double *low, const double *high, size_t n, const char *owner,
                          prism_error *err)
{
    if (check_values(low, n, owner, "low", err) != 0 ||
        check_values(high, n, owner, "high", err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (low[i] > high[i]) {
            return prism_error_set(err, "plot: %s: low[%zu] = %g is above high[%zu] = %g", owner,
                                   i, low[i], i, high[i]);
        }
    }
    return 0;
}

static int check_frame(const prism_plot_frame *frame, bool y_label_required, int *width_px,
                       int *height_px, prism_error *err)
{
    if (check_text(frame->title, "title", true, err) != 0 ||
        check_text(frame->x_label, "x label", true, err) != 0 ||
        check_text(frame->y_label, "y label", y_label_required, err) != 0) {
        return -1;
    }
    *width_px = frame->width_px == 0 ? PRISM_PLOT_DEFAULT_WIDTH_PX : frame->width_px;
    *height_px = frame->height_px == 0 ? PRISM_PLOT_DEFAULT_HEIGHT_PX : frame->height_px;
    if (*width_px < PRISM_PLOT_MIN_SIDE_PX || *width_px > PRISM_PLOT_MAX_SIDE_PX ||
        *height_px < PRISM_PLOT_MIN_SIDE_PX || *height_px > PRISM_PLOT_MAX_SIDE_PX) {
        return prism_error_set(err, "plot '%s': size %d x %d pixels; each side must be 0 (the "
                               "default) or %d..%d", frame->title, frame->width_px,
                               frame->height_px, PRISM_PLOT_MIN_SIDE_PX,
                               PRISM_PLOT_MAX_SIDE_PX);
    }
    return 0;
}

/* The longest suffix added to the path: ".png" or ".svg", then ".partial" while drawing. */
static const size_t PATH_SUFFIX_BYTES = sizeof ".svg.partial";

/* The folder must exist already: a typo in an output path should be reported, not papered
 * over with new folders. */
static int check_output_path(const char *path, prism_error *err)
{
    if (path == NULL || path[0] == '\0') {
        return prism_error_set(err, "plot: output path is missing");
    }
    size_t bytes = strlen(path);
    if (bytes + PATH_SUFFIX_BYTES > PATH_MAX) {
        return prism_error_set(err, "plot: output path '%.64s...' is %zu bytes; at most %zu",
                               path, bytes, (size_t)PATH_MAX - PATH_SUFFIX_BYTES);
    }
    if (path[bytes - 1] == '/') {
        return prism_error_set(err, "plot: output path '%s' names a folder; expected a folder "
                               "and a file name without extension", path);
    }
    /* PLplot replaces "%n" in a file name with a family member number. */
    if (strstr(path, "%n") != NULL) {
        return prism_error_set(err, "plot: output path '%s' contains \"%%n\", which PLplot "
                               "would replace with a file number", path);
    }

    char folder[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(folder, sizeof folder, ".");
    } else if (slash == path) {
        snprintf(folder, sizeof folder, "/");
    } else {
        snprintf(folder, sizeof folder, "%.*s", (int)(slash - path), path);
    }
    struct stat info;
    if (stat(folder, &info) != 0) {
        return prism_error_set(err, "plot: output path '%s': folder '%s' does not exist (%s)",
                               path, folder, strerror(errno));
    }
    if (!S_ISDIR(info.st_mode)) {
        return prism_error_set(err, "plot: output path '%s': '%s' is not a folder", path,
                               folder);
    }
    return 0;
}

/* ---- Axis ranges ---- */

typedef struct axis_range {
    double min;
    double max;
} axis_range;

static axis_range range_empty(void)
{
    return (axis_range){INFINITY, -INFINITY};
}

static void range_add(axis_range *r, const double *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        r->min = fmin(r->min, values[i]);
        r->max = fmax(r->max, values[i]);
    }
}

/* Widens the range by 5 % on each side so that no mark sits on the frame; a single value gets
 * a range around it. Fails when the span overflows, which finite input can still do. */
static int range_pad(axis_range *r, const char *axis, const char *title, prism_error *err)
{
    const axis_range data = *r;
    double span = r->max - r->min;
    if (span == 0.0) {
        span = r->max == 0.0 ? 2.0 : 0.2 * fabs(r->max);
        r->min -= 0.5 * span;
        r->max += 0.5 * span;
    }
    r->min -= 0.05 * span;
    r->max += 0.05 * span;
    if (!isfinite(r->max - r->min)) {
        return prism_error_set(err, "plot '%s': %s values span [%g, %g], too wide to draw",
                               title, axis, data.min, data.max);
    }
    return 0;
}

/* ---- PLplot sessions ---- */

/* PLplot's state is global, so is this module's: all of it is used under plot_lock only. */
static pthread_mutex_t plot_lock = PTHREAD_MUTEX_INITIALIZER;
/* Where a fatal PLplot error jumps to instead of ending the process. */
static jmp_buf plot_escape;
static char plot_exit_message[256];
/* The first error PLplot reported while drawing; PLplot carries on after these. */
static char plot_abort_message[256];

/* PLplot calls this from plexit() and would then call exit(); jumping out is the only way to
 * keep the process alive. The stream is then ended by the code at the setjmp. */
static int on_plplot_exit(const char *message)
{
    snprintf(plot_exit_message, sizeof plot_exit_message, "%s", message);
    longjmp(plot_escape, 1);
}

static void on_plplot_abort(const char *message)
{
    if (plot_abort_message[0] == '\0') {
        snprintf(plot_abort_message, sizeof plot_abort_message, "%s", message);
    }
}

/* Asking PLplot for a device it lacks makes it prompt on stdin, so look first. */
static int check_device(const char *device, prism_error *err)
{
    enum { MAX_DEVICES = 128 };
    const char *menu[MAX_DEVICES];
    const char *names[MAX_DEVICES];
    const char **menu_list = menu;
    const char **name_list = names;
    int n = MAX_DEVICES;
    plgDevs(&menu_list, &name_list, &n);
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], device) == 0) {
            return 0;
        }
    }
    return prism_error_set(err, "plot: PLplot has no '%s' device; install its cairo driver "
                           "(Debian: plplot-driver-cairo)", device);
}

/* Draws into the stream that is current; returns 0, or -1 with err set. */
typedef int (*plot_draw_fn)(const void *job, prism_error *err);

static void set_colours(void)
{
    plscmap0n(COLOUR_COUNT);
    plscol0(COLOUR_WHITE, 255, 255, 255);
    plscol0(COLOUR_BLACK, 0, 0, 0);
    plscol0(COLOUR_GRID, 0xdd, 0xdd, 0xdd);
    plscol0(COLOUR_ZERO_LINE, 0x55, 0x55, 0x55);
    for (int i = 0; i < PALETTE_SIZE; i++) {
        const unsigned char *rgb = PALETTE_RGB[i];
        plscol0(COLOUR_SERIES + i, rgb[0], rgb[1], rgb[2]);
        plscol0a(COLOUR_BAND + i, rgb[0], rgb[1], rgb[2], BAND_ALPHA);
    }
}

/* One page on one device into file_path, in a stream of its own. The caller holds plot_lock.
 * On failure the file is removed. */
static int render_page(const char *device, const char *file_path, int width_px, int height_px,
                       plot_draw_fn draw, const void *job, prism_error *err)
{
    if (check_device(device, err) != 0) {
        return -1;
    }
    PLINT previous_stream;
    plgstrm(&previous_stream);
    /* PLplot sets LC_NUMERIC to "C" while it works and puts it back at the end, which a jump
     * out of a fatal error skips. */
    char numeric_locale[64];
    const char *locale = setlocale(LC_NUMERIC, NULL);
    snprintf(numeric_locale, sizeof numeric_locale, "%s", locale != NULL ? locale : "C");
    plot_exit_message[0] = '\0';
    plot_abort_message[0] = '\0';
    /* Read after a longjmp, so volatile: 1 while the stream exists and plend1 has not begun. */
    volatile int stream_open = 0;

    if (setjmp(plot_escape) != 0) {
        if (stream_open) {
            plend1();
        }
        plsstrm(previous_stream);
        setlocale(LC_NUMERIC, numeric_locale);
        remove(file_path);
        return prism_error_set(err, "plot %s: PLplot failed: %s", file_path,
                               plot_exit_message);
    }
    plsexit(on_plplot_exit);
    plsabort(on_plplot_abort);

    PLINT stream;
    plmkstrm(&stream);
    if (stream < 0) {
        plsstrm(previous_stream);
        return prism_error_set(err, "plot %s: PLplot has no free stream", file_path);
    }
    stream_open = 1;
    plsdev(device);
    plsfnam(file_path);
    plspage(0.0, 0.0, width_px, height_px, 0, 0);
    set_colours();
    plinit();
    int status = draw(job, err);
    stream_open = 0;
    plend1();
    plsstrm(previous_stream);

    if (status == 0 && plot_abort_message[0] != '\0') {
        status = prism_error_set(err, "plot %s: PLplot: %s", file_path, plot_abort_message);
    }
    if (status != 0) {
        remove(file_path);
    }
    return status;
}

/* ---- Checking and committing what PLplot wrote ---- */

typedef struct file_bytes {
    unsigned char *data;
    size_t size;
} file_bytes;

static int read_whole(const char *path, file_bytes *out, prism_error *err)
{
    out->data = NULL;
    out->size = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return prism_error_set(err, "plot %s: PLplot wrote no file (%s)", path,
                               strerror(errno));
    }
    struct stat info;
    if (fstat(fileno(f), &info) != 0 || info.st_size <= 0) {
        fclose(f);
        return prism_error_set(err, "plot %s: PLplot wrote an empty file", path);
    }
    out->size = (size_t)info.st_size;
    out->data = malloc(out->size + 1);
    if (out->data == NULL) {
        fclose(f);
        return prism_error_set(err, "plot %s: out of memory reading %zu bytes", path,
                               out->size);
    }
    size_t got = fread(out->data, 1, out->size, f);
    fclose(f);
    if (got != out->size) {
        free(out->data);
        out->data = NULL;
        return prism_error_set(err, "plot %s: read %zu of %zu bytes", path, got, out->size);
    }
    out->data[out->size] = '\0';
    return 0;
}

/* A PNG is whole when it starts with the signature and ends with the IEND chunk, which cairo
 * writes last: a full disk or a cut-short write fails this. */
static int check_png(const char *path, prism_error *err)
{
    static const unsigned char SIGNATURE[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const unsigned char IEND[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60,
                                           0x82};
    file_bytes png;
    if (read_whole(path, &png, err) != 0) {
        return -1;
    }
    bool whole = png.size >= sizeof SIGNATURE + sizeof IEND &&
                 memcmp(png.data, SIGNATURE, sizeof SIGNATURE) == 0 &&
                 memcmp(png.data + png.size - sizeof IEND, IEND, sizeof IEND) == 0;
    free(png.data);
    if (!whole) {
        return prism_error_set(err, "plot %s: PLplot wrote %zu bytes that are not a whole PNG",
                               path, png.size);
    }
    return 0;
}

static void xml_write_escaped(FILE *out, const char *text)
{
    for (; *text != '\0'; text++) {
        switch (*text) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        default:
            /* Input text was checked for control characters, which XML 1.0 does not allow. */
            fputc(*text, out);
        }
    }
}

/* Copies the SVG cairo wrote at raw_path to final_path with <title> and <desc> as the first
 * children of the root element, and removes raw_path (which is read whole first, since the
 * atomic writer of final_path may use the same name). */
static int commit_svg(const char *raw_path, const char *final_path, const char *title,
                      const char *desc, prism_error *err)
{
    file_bytes svg;
    int status = read_whole(raw_path, &svg, err);
    remove(raw_path);
    if (status != 0) {
        return -1;
    }
    const char *text = (const char *)svg.data;
    const char *root = strstr(text, "<svg");
    const char *root_end = root == NULL ? NULL : strchr(root, '>');
    const char *close = strstr(text, "</svg>");
    if (root_end == NULL || close == NULL || strlen(text) != svg.size) {
        free(svg.data);
        return prism_error_set(err, "plot %s: PLplot wrote %zu bytes that are not a whole SVG",
                               final_path, svg.size);
    }

    prism_atomic_file out;
    if (prism_atomic_open(&out, final_path, err) != 0) {
        free(svg.data);
        return -1;
    }
    size_t head = (size_t)(root_end + 1 - text);
    fwrite(text, 1, head, out.stream);
    fputs("\n<title>", out.stream);
    xml_write_escaped(out.stream, title);
    fputs("</title>\n<desc>", out.stream);
    xml_write_escaped(out.stream, desc);
    fputs("</desc>", out.stream);
    fwrite(text + head, 1, svg.size - head, out.stream);
    free(svg.data);
    return prism_atomic_commit(&out, err);
}

/* Draws the plot as PATH.png and PATH.svg. Both are drawn and checked before either is moved
 * into place, so a failure to draw leaves the previous files (if any) as they were. */
static int render_files(const char *path, int width_px, int height_px, plot_draw_fn draw,
                        const void *job, const char *title, const char *desc, prism_error *err)
{
    char png_path[PATH_MAX];
    char png_raw[PATH_MAX];
    char svg_path[PATH_MAX];
    char svg_raw[PATH_MAX];
    snprintf(png_path, sizeof png_path, "%s.png", path);
    snprintf(png_raw, sizeof png_raw, "%s.png.partial", path);
    snprintf(svg_path, sizeof svg_path, "%s.svg", path);
    snprintf(svg_raw, sizeof svg_raw, "%s.svg.partial", path);

    pthread_mutex_lock(&plot_lock);
    int status = render_page("pngcairo", png_raw, width_px, height_px, draw, job, err);
    if (status == 0) {
        status = render_page("svgcairo", svg_raw, width_px, height_px, draw, job, err);
    }
    /* Back to PLplot's own behaviour for any other user of it in this process. */
    plsexit(NULL);
    plsabort(NULL);
    pthread_mutex_unlock(&plot_lock);

    if (status == 0) {
        status = check_png(png_raw, err);
    }
    if (status == 0) {
        status = commit_svg(svg_raw, svg_path, title, desc, err);
    }
    if (status == 0 && rename(png_raw, png_path) != 0) {
        status = prism_error_set(err, "plot %s: cannot move into place: %s", png_path,
                                 strerror(errno));
    }
    if (status != 0) {
        remove(png_raw);
        remove(svg_raw);
    }
    return status;
}

/* ---- Page layout ---- */

/* Average advance of a character, in PLplot character heights, as measured on the cairo
 * devices with DejaVu Sans (0.77 for lower case, 1.0 for capitals): used to reserve room for
 * text before drawing it, since PLplot cannot measure text on these devices. */
static const double CHAR_WIDTH_PER_HEIGHT = 0.8;
static const double TITLE_SCALE = 1.3;

typedef struct page_layout {
    double width_mm;
    double height_mm;
    double char_mm; /* height of a character at scale 1 */
} page_layout;

static page_layout page_start(void)
{
    pladv(0);
    PLFLT xmin, xmax, ymin, ymax;
    plgspa(&xmin, &xmax, &ymin, &ymax);
    PLFLT default_mm, char_mm;
    plgchr(&default_mm, &char_mm);
    return (page_layout){xmax - xmin, ymax - ymin, char_mm};
}

static double text_width_mm(const page_layout *page, const char *text, double scale)
{
    return (double)utf8_length(text) * CHAR_WIDTH_PER_HEIGHT * page->char_mm * scale;
}

/* Title above the axes, axis labels below and to the left; y_label may be NULL. The title is
 * centred on the axes, which span [left, left + width] mm of the page, and shrinks if it would
 * run off the page. */
static void draw_labels(const page_layout *page, double left, double width,
                        const plot_text *title, const plot_text *x_label,
                        const plot_text *y_label)
{
    double centre = left + 0.5 * width;
    double room = 2.0 * fmin(centre, page->width_mm - centre) - 2.0 * page->char_mm;
    double title_mm = text_width_mm(page, title->s, TITLE_SCALE);
    double scale = title_mm > room ? fmax(0.5, TITLE_SCALE * room / title_mm) : TITLE_SCALE;

    plcol0(COLOUR_BLACK);
    plschr(0.0, scale);
    plmtex("t", 1.6 * TITLE_SCALE / scale, 0.5, 0.5, title->s);
    plschr(0.0, 1.0);
    plmtex("b", 3.2, 0.5, 0.5, x_label->s);
    if (y_label != NULL) {
        plmtex("l", 5.2, 0.5, 0.5, y_label->s);
    }
}

static void draw_grid_and_axes_begin(void)
{
    plcol0(COLOUR_GRID);
    pllsty(LINE_SOLID);
    plwidth(1.0);
    plbox("g", 0.0, 0, "g", 0.0, 0);
}

/* ---- Lines and scatter ---- */

typedef enum xy_kind { XY_LINES, XY_SCATTER } xy_kind;

typedef struct xy_job {
    const prism_xy_plot *plot;
    xy_kind kind;
    axis_range x;
    axis_range y;
    double *polygon_x; /* [2 * the longest series] for bands */
    double *polygon_y;
    plot_text title;
    plot_text x_label;
    plot_text y_label;
    plot_text names[PRISM_PLOT_MAX_SERIES];
} xy_job;

/* The legend: a line sample (with two markers) or one marker, then the name. Its text starts
 * at LEGEND_TEXT_SCALE and entries LEGEND_SPACING character heights apart; with many series
 * both shrink, down to the minimums, so that the legend fits the height of the page. */
static const double LEGEND_LINE_SAMPLE_MM = 10.0;
static const double LEGEND_MARKER_SAMPLE_MM = 4.0;
static const double LEGEND_TEXT_SCALE = 0.9;
static const double LEGEND_MIN_TEXT_SCALE = 0.7;
static const double LEGEND_SPACING = 2.0;
static const double LEGEND_MIN_SPACING = 1.6;

typedef struct legend_layout {
    double sample_mm; /* width of the line sample or marker column */
    double text_scale;
    double spacing;  /* from one entry to the next, in character heights */
    double width_mm; /* all of it, margins included */
} legend_layout;

static int legend_fit(const page_layout *page, const xy_job *job, double height_mm,
                      legend_layout *out, prism_error *err)
{
    const prism_xy_plot *plot = job->plot;
    out->sample_mm = job->kind == XY_LINES ? LEGEND_LINE_SAMPLE_MM : LEGEND_MARKER_SAMPLE_MM;
    out->width_mm = 0.0;
    /* Measured on the cairo devices: an entry takes about 1.12 spacing x scale character
     * heights, and the legend's margins about one and a half entries more. */
    double entries = ((double)plot->n_series + 1.5) * 1.12;
    double per_entry = height_mm / entries / page->char_mm; /* in character heights */
    out->text_scale = LEGEND_TEXT_SCALE;
    out->spacing = LEGEND_SPACING;
    if (out->text_scale * out->spacing > per_entry) {
        out->spacing = fmax(LEGEND_MIN_SPACING, per_entry / out->text_scale);
        out->text_scale = per_entry / out->spacing;
    }
    if (out->text_scale < LEGEND_MIN_TEXT_SCALE) {
        return prism_error_set(err, "plot '%s': %zu legend entries do not fit in %.0f mm of "
                               "height; use a taller plot or fewer series", plot->frame.title,
                               plot->n_series, height_mm);
    }
    double longest = 0.0;
    for (size_t s = 0; s < plot->n_series; s++) {
        longest = fmax(longest, text_width_mm(page, plot->series[s].name, out->text_scale));
    }
    out->width_mm = out->sample_mm + 4.0 * page->char_mm * out->text_scale + longest;
    return 0;
}

static void draw_band(const xy_job *job, size_t s)
{
    const prism_plot_series *series = &job->plot->series[s];
    size_t n = series->n;
    for (size_t i = 0; i < n; i++) {
        job->polygon_x[i] = series->x[i];
        job->polygon_y[i] = series->low[i];
        job->polygon_x[2 * n - 1 - i] = series->x[i];
        job->polygon_y[2 * n - 1 - i] = series->high[i];
    }
    plcol0(COLOUR_BAND + (int)(s % PALETTE_SIZE));
    plfill((PLINT)(2 * n), job->polygon_x, job->polygon_y);
}

/* Markers: smaller on lines, where they only tell the series apart. */
static double marker_scale(xy_kind kind)
{
    return kind == XY_LINES ? 0.7 : 0.9;
}

static void draw_series(const xy_job *job, size_t s)
{
    const prism_plot_series *series = &job->plot->series[s];
    PLINT n = (PLINT)series->n;
    plcol0(series_colour(s));
    if (job->kind == XY_LINES) {
        pllsty(series_line_style(s));
        plwidth(2.0);
        plline(n, series->x, series->y);
        pllsty(LINE_SOLID);
    } else if (series->low != NULL) {
        plwidth(1.0);
        plerry(n, series->x, series->low, series->high);
    }
    plschr(0.0, marker_scale(job->kind));
    plstring(n, series->x, series->y, series_marker(s));
    plschr(0.0, 1.0);
}

/* The legend hangs from the top right corner of the page, level with the top of the axes.
 * top_fraction: the top margin in page units; axes_width_mm: the width of the viewport, in
 * whose units PLplot takes the sample's width. */
static void draw_xy_legend(const xy_job *job, const legend_layout *layout, double top_fraction,
                           double axes_width_mm)
{
    size_t n = job->plot->n_series;
    PLINT opt[PRISM_PLOT_MAX_SERIES];
    PLINT colour[PRISM_PLOT_MAX_SERIES];
    PLINT text_colour[PRISM_PLOT_MAX_SERIES];
    PLINT style[PRISM_PLOT_MAX_SERIES];
    PLFLT width[PRISM_PLOT_MAX_SERIES];
    PLFLT symbol_scale[PRISM_PLOT_MAX_SERIES];
    PLINT symbol_count[PRISM_PLOT_MAX_SERIES];
    const char *symbol[PRISM_PLOT_MAX_SERIES];
    const char *text[PRISM_PLOT_MAX_SERIES];
    for (size_t s = 0; s < n; s++) {
        opt[s] = PL_LEGEND_SYMBOL | (job->kind == XY_LINES ? PL_LEGEND_LINE : 0);
        colour[s] = series_colour(s);
        text_colour[s] = COLOUR_BLACK;
        style[s] = series_line_style(s);
        width[s] = 2.0;
        symbol_scale[s] = marker_scale(job->kind);
        symbol_count[s] = job->kind == XY_LINES ? 2 : 1;
        symbol[s] = series_marker(s);
        text[s] = job->names[s].s;
    }
    PLFLT legend_width, legend_height;
    pllegend(&legend_width, &legend_height, 0,
             PL_POSITION_RIGHT | PL_POSITION_TOP | PL_POSITION_INSIDE | PL_POSITION_SUBPAGE,
             0.01, top_fraction, layout->sample_mm / axes_width_mm, COLOUR_WHITE,
             COLOUR_BLACK, 1, 0, 0, (PLINT)n, opt, 1.0, layout->text_scale, layout->spacing,
             0.0, text_colour, text, NULL, NULL, NULL, NULL, colour, style, width, colour,
             symbol_scale, symbol_count, symbol);
}

static int draw_xy(const void *opaque, prism_error *err)
{
    const xy_job *job = opaque;
    const prism_xy_plot *plot = job->plot;
    page_layout page = page_start();

    double left = 7.5 * page.char_mm;
    double bottom = 5.0 * page.char_mm;
    double top = 4.0 * page.char_mm * TITLE_SCALE;
    legend_layout legend;
    if (legend_fit(&page, job, page.height_mm - top, &legend, err) != 0) {
        return -1;
    }
    double right = legend.width_mm + 2.0 * page.char_mm;
    double axes_width = page.width_mm - left - right;
    double axes_height = page.height_mm - bottom - top;
    if (axes_width < 0.35 * page.width_mm) {
        return prism_error_set(err, "plot '%s': a legend %.0f mm wide leaves too little of "
                               "%.0f mm for the data; use a wider plot or shorter names",
                               plot->frame.title, legend.width_mm, page.width_mm);
    }
    plsvpa(left, left + axes_width, bottom, bottom + axes_height);
    plwind(job->x.min, job->x.max, job->y.min, job->y.max);

    draw_grid_and_axes_begin();
    if (job->kind == XY_LINES) {
        for (size_t s = 0; s < plot->n_series; s++) {
            if (plot->series[s].low != NULL) {
                draw_band(job, s);
            }
        }
    }
    for (size_t s = 0; s < plot->n_series; s++) {
        draw_series(job, s);
    }
    plcol0(COLOUR_BLACK);
    plwidth(1.0);
    plbox("bcnst", 0.0, 0, "bcnstv", 0.0, 0);
    draw_labels(&page, left, axes_width, &job->title, &job->x_label, &job->y_label);
    draw_xy_legend(job, &legend, top / page.height_mm, axes_width);
    return 0;
}

static int check_series(const prism_plot_series *series, size_t index, xy_kind kind,
                        prism_error *err)
{
    char owner[PRISM_PLOT_MAX_TEXT_BYTES + 32];
    snprintf(owner, sizeof owner, "series %zu", index);
    if (check_text(series->name, owner, true, err) != 0) {
        return -1;
    }
    snprintf(owner, sizeof owner, "series '%s'", series->name);
    if (series->n == 0 || series->n > PRISM_PLOT_MAX_POINTS) {
        return prism_error_set(err, "plot: %s has %zu points; expected 1..%d", owner,
                               series->n, PRISM_PLOT_MAX_POINTS);
    }
    if (check_values(series->x, series->n, owner, "x", err) != 0 ||
        check_values(series->y, series->n, owner, "y", err) != 0) {
        return -1;
    }
    if ((series->low == NULL) != (series->high == NULL)) {
        return prism_error_set(err, "plot: %s gives %s without %s", owner,
                               series->low == NULL ? "high" : "low",
                               series->low == NULL ? "low" : "high");
    }
    if (series->low != NULL && check_interval(series->low, series->high, series->n, owner,
                                              err) != 0) {
        return -1;
    }
    for (size_t i = 1; kind == XY_LINES && i < series->n; i++) {
        if (series->x[i] < series->x[i - 1]) {
            return prism_error_set(err, "plot: %s: x must not decrease along a line, but x[%zu] "
                                   "= %g follows x[%zu] = %g", owner, i, series->x[i], i - 1,
                                   series->x[i - 1]);
        }
    }
    return 0;
}

/* "x: <label>; y: <label>; series: a, b" for the SVG's <desc>; NULL when out of memory. */
static char *xy_description(const prism_xy_plot *plot)
{
    char *text = NULL;
    size_t bytes = 0;
    FILE *out = open_memstream(&text, &bytes);
    if (out == NULL) {
        return NULL;
    }
    fprintf(out, "x: %s; y: %s; series:", plot->frame.x_label, plot->frame.y_label);
    for (size_t s = 0; s < plot->n_series; s++) {
        fprintf(out, "%s %s", s == 0 ? "" : ",", plot->series[s].name);
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int plot_xy(const prism_xy_plot *plot, xy_kind kind, const char *path, prism_error *err)
{
    int width_px, height_px;
    if (plot == NULL) {
        return prism_error_set(err, "plot: no plot given");
    }
    if (check_frame(&plot->frame, true, &width_px, &height_px, err) != 0 ||
        check_output_path(path, err) != 0) {
        return -1;
    }
    if (plot->n_series == 0 || plot->series == NULL) {
        return prism_error_set(err, "plot '%s': no series to plot", plot->frame.title);
    }
    if (plot->n_series > PRISM_PLOT_MAX_SERIES) {
        return prism_error_set(err, "plot '%s': %zu series; at most %d can be told apart",
                               plot->frame.title, plot->n_series, PRISM_PLOT_MAX_SERIES);
    }

    xy_job *job = calloc(1, sizeof *job);
    if (job == NULL) {
        return prism_error_set(err, "plot '%s': out of memory", plot->frame.title);
    }
    job->plot = plot;
    job->kind = kind;
    job->x = range_empty();
    job->y = range_empty();
    size_t longest = 0;
    for (size_t s = 0; s < plot->n_series; s++) {
        const prism_plot_series *series = &plot->series[s];
        if (check_series(series, s, kind, err) != 0) {
            free(job);
            return -1;
        }
        range_add(&job->x, series->x, series->n);
        range_add(&job->y, series->y, series->n);
        if (series->low != NULL) {
            range_add(&job->y, series->low, series->n);
            range_add(&job->y, series->high, series->n);
        }
        longest = series->n > longest ? series->n : longest;
        plot_text_set(&job->names[s], series->name);
    }
    if (range_pad(&job->x, "x", plot->frame.title, err) != 0 ||
        range_pad(&job->y, "y", plot->frame.title, err) != 0) {
        free(job);
        return -1;
    }
    plot_text_set(&job->title, plot->frame.title);
    plot_text_set(&job->x_label, plot->frame.x_label);
    plot_text_set(&job->y_label, plot->frame.y_label);

    /* Allocated before drawing: a fatal PLplot error jumps out of the drawing code. */
    job->polygon_x = malloc(2 * longest * sizeof *job->polygon_x);
    job->polygon_y = malloc(2 * longest * sizeof *job->polygon_y);
    char *desc = xy_description(plot);
    int status;
    if (job->polygon_x == NULL || job->polygon_y == NULL || desc == NULL) {
        status = prism_error_set(err, "plot '%s': out of memory", plot->frame.title);
    } else {
        status = render_files(path, width_px, height_px, draw_xy, job, plot->frame.title, desc,
                              err);
    }
    free(desc);
    free(job->polygon_x);
    free(job->polygon_y);
    free(job);
    return status;
}

int prism_plot_lines(const prism_xy_plot *plot, const char *path_without_extension,
                     prism_error *err)
{
    return plot_xy(plot, XY_LINES, path_without_extension, err);
}

int prism_plot_scatter(const prism_xy_plot *plot, const char *path_without_extension,
                       prism_error *err)
{
    return plot_xy(plot, XY_SCATTER, path_without_extension, err);
}

/* ---- Forest plot ---- */

enum { ROW_VALUES_BYTES = 64 };

typedef struct interval_job {
    const prism_interval_plot *plot;
    int height_px;
    axis_range x;
    plot_text title;
    plot_text x_label;
    plot_text y_label;
    plot_text *labels;                /* [n] */
    char (*values)[ROW_VALUES_BYTES]; /* [n] "estimate [low, high]" */
} interval_job;

/* Row labels shrink to fit their rows, down to this scale; below it the plot is refused. */
static const double MIN_ROW_TEXT_SCALE = 0.6;
/* A row is this many character heights of its text tall. */
static const double ROW_HEIGHT_CHARS = 1.5;

static int draw_intervals(const void *opaque, prism_error *err)
{
    const interval_job *job = opaque;
    const prism_interval_plot *plot = job->plot;
    size_t n = plot->n;
    page_layout page = page_start();

    double longest_label = 0.0;
    double longest_values = 0.0;
    for (size_t i = 0; i < n; i++) {
        longest_label = fmax(longest_label, text_width_mm(&page, plot->labels[i], 1.0));
        longest_values = fmax(longest_values, text_width_mm(&page, job->values[i], 1.0));
    }
    double bottom = 5.0 * page.char_mm;
    double top = 4.0 * page.char_mm * TITLE_SCALE;
    double axes_height = page.height_mm - bottom - top;
    double scale = fmin(1.0, axes_height / (double)n / (ROW_HEIGHT_CHARS * page.char_mm));
    if (scale < MIN_ROW_TEXT_SCALE) {
        double px_per_mm = job->height_px / page.height_mm;
        double needed_mm = bottom + top + (double)n * ROW_HEIGHT_CHARS * MIN_ROW_TEXT_SCALE *
                                              page.char_mm;
        return prism_error_set(err, "plot '%s': %zu rows do not fit in %d pixels of height; "
                               "they need about %.0f", plot->frame.title, n, job->height_px,
                               ceil(needed_mm * px_per_mm));
    }
    double left = (longest_label + 2.0 * page.char_mm) * scale;
    double right = (longest_values + 2.0 * page.char_mm) * scale;
    double axes_width = page.width_mm - left - right;
    if (axes_width < 0.3 * page.width_mm) {
        return prism_error_set(err, "plot '%s': row labels of up to %.0f mm leave no room for "
                               "the data in %.0f mm of width; use shorter labels or a wider "
                               "plot", plot->frame.title, longest_label, page.width_mm);
    }
    plsvpa(left, left + axes_width, bottom, bottom + axes_height);
    /* Row i (from the top) sits at y = n - i, so the first row is drawn highest. */
    double y_min = 0.4;
    double y_max = (double)n + 0.6;
    plwind(job->x.min, job->x.max, y_min, y_max);

    plcol0(COLOUR_GRID);
    plwidth(1.0);
    plbox("g", 0.0, 0, "", 0.0, 0);
    plcol0(COLOUR_ZERO_LINE);
    pllsty(LINE_DASHED);
    plwidth(1.5);
    pljoin(0.0, y_min, 0.0, y_max);
    pllsty(LINE_SOLID);

    plschr(0.0, scale);
    for (size_t i = 0; i < n; i++) {
        PLFLT y = (PLFLT)(n - i);
        double pos = (y - y_min) / (y_max - y_min);
        plcol0(series_colour(0));
        plwidth(2.0);
        plerrx(1, &plot->low[i], &plot->high[i], &y);
        plstring(1, &plot->estimate[i], &y, MARKERS[0]);
        plcol0(COLOUR_BLACK);
        plmtex("lv", 0.8, pos, 1.0, job->labels[i].s);
        plmtex("rv", 0.8, pos, 0.0, job->values[i]);
    }
    plschr(0.0, 1.0);
    plcol0(COLOUR_BLACK);
    plwidth(1.0);
    plbox("bcnst", 0.0, 0, "bc", 0.0, 0);
    draw_labels(&page, left, axes_width, &job->title, &job->x_label, NULL);
    if (plot->frame.y_label != NULL && plot->frame.y_label[0] != '\0') {
        /* Right-aligned with the row labels below it, which end 0.8 characters left of the
         * axes. */
        plmtex("t", 0.8, -0.8 * scale * page.char_mm / axes_width, 1.0, job->y_label.s);
    }
    return 0;
}

static int check_rows(const prism_interval_plot *plot, prism_error *err)
{
    if (plot->n == 0 || plot->labels == NULL) {
        return prism_error_set(err, "plot '%s': no rows to plot", plot->frame.title);
    }
    if (plot->n > PRISM_PLOT_MAX_POINTS) {
        return prism_error_set(err, "plot '%s': %zu rows; at most %d", plot->frame.title,
                               plot->n, PRISM_PLOT_MAX_POINTS);
    }
    for (size_t i = 0; i < plot->n; i++) {
        char owner[PRISM_PLOT_MAX_TEXT_BYTES + 32];
        snprintf(owner, sizeof owner, "row %zu's label", i);
        if (check_text(plot->labels[i], owner, true, err) != 0) {
            return -1;
        }
    }
    const char *owner = plot->frame.title;
    char label[PRISM_PLOT_MAX_TEXT_BYTES + 32];
    snprintf(label, sizeof label, "plot '%s'", owner);
    if (check_values(plot->estimate, plot->n, label, "estimate", err) != 0 ||
        check_interval(plot->low, plot->high, plot->n, label, err) != 0) {
        return -1;
    }
    return 0;
}

/* "x: <label>; rows: a 1.2 [0.5, 1.9]; b ..." for the SVG's <desc>; NULL when out of memory. */
static char *interval_description(const interval_job *job)
{
    char *text = NULL;
    size_t bytes = 0;
    FILE *out = open_memstream(&text, &bytes);
    if (out == NULL) {
        return NULL;
    }
    fprintf(out, "x: %s; rows:", job->plot->frame.x_label);
    for (size_t i = 0; i < job->plot->n; i++) {
        fprintf(out, "%s %s %s", i == 0 ? "" : ";", job->plot->labels[i], job->values[i]);
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

int prism_plot_intervals(const prism_interval_plot *plot, const char *path_without_extension,
                         prism_error *err)
{
    int width_px, height_px;
    if (plot == NULL) {
        return prism_error_set(err, "plot: no plot given");
    }
    if (check_frame(&plot->frame, false, &width_px, &height_px, err) != 0 ||
        check_output_path(path_without_extension, err) != 0 || check_rows(plot, err) != 0) {
        return -1;
    }

    interval_job job = {.plot = plot, .height_px = height_px};
    job.x = range_empty();
    range_add(&job.x, plot->estimate, plot->n);
    range_add(&job.x, plot->low, plot->n);
    range_add(&job.x, plot->high, plot->n);
    /* Zero is always in view: whether an interval crosses it is what the plot is for. */
    static const double ZERO = 0.0;
    range_add(&job.x, &ZERO, 1);
    if (range_pad(&job.x, "x", plot->frame.title, err) != 0) {
        return -1;
    }
    plot_text_set(&job.title, plot->frame.title);
    plot_text_set(&job.x_label, plot->frame.x_label);
    plot_text_set(&job.y_label, plot->frame.y_label);

    job.labels = malloc(plot->n * sizeof *job.labels);
    job.values = malloc(plot->n * sizeof *job.values);
    char *desc = NULL;
    int status;
    if (job.labels != NULL && job.values != NULL) {
        for (size_t i = 0; i < plot->n; i++) {
            plot_text_set(&job.labels[i], plot->labels[i]);
            snprintf(job.values[i], ROW_VALUES_BYTES, "%.3g [%.3g, %.3g]", plot->estimate[i],
                     plot->low[i], plot->high[i]);
        }
        desc = interval_description(&job);
    }
    if (desc == NULL) {
        status = prism_error_set(err, "plot '%s': out of memory", plot->frame.title);
    } else {
        status = render_files(path_without_extension, width_px, height_px, draw_intervals, &job,
                              plot->frame.title, desc, err);
    }
    free(desc);
    free(job.labels);
    free(job.values);
    return status;
}
