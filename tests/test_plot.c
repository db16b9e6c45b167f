/* Tests of the plotting module: each kind of plot writes a PNG of the requested size (read from
 * its IHDR chunk) and an SVG that names its title and series; bad input (NaN, infinity, no
 * series, a missing folder, inverted intervals, too many rows) is refused with a message that
 * names the culprit and leaves no file; a PLplot error that would end the process is returned
 * instead; plots drawn from two threads at once both come out whole.
 *
 * The example plots use numbers shaped like prism's results (accuracy against the share of
 * neurons removed); docs/img/ holds copies of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/plot.h"

#define SCRATCH PRISM_SCRATCH_DIR "/plot"

/* Under LeakSanitizer, ignore the font caches of the libraries below PLplot and the clean-up
 * that a fatal PLplot error skips (tests/lsan.supp says why); LSAN_OPTIONS still overrides.
 * The slow unwinder walks through the libraries' frames, which lack frame pointers, so that
 * the suppressions can see which test a leak came from. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "suppressions=" PRISM_FIXTURE_DIR "/../lsan.supp:print_suppressions=0"
           ":fast_unwind_on_malloc=0";
}

/* ---- File helpers ---- */

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("%s: cannot open", path);
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long bytes = ftell(f);
    assert_true(bytes > 0);
    rewind(f);
    unsigned char *data = malloc((size_t)bytes + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)bytes, f), (size_t)bytes);
    fclose(f);
    data[bytes] = '\0';
    *size = (size_t)bytes;
    return data;
}

static uint32_t big_endian_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The PNG signature, then IHDR as the first chunk (13 bytes: width, height, ...). */
static void assert_png_size(const char *path, uint32_t width, uint32_t height)
{
    static const unsigned char SIGNATURE[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t size;
    unsigned char *png = read_file(path, &size);
    assert_true(size > 33);
    assert_memory_equal(png, SIGNATURE, sizeof SIGNATURE);
    assert_int_equal(big_endian_u32(png + 8), 13);
    assert_memory_equal(png + 12, "IHDR", 4);
    if (big_endian_u32(png + 16) != width || big_endian_u32(png + 20) != height) {
        fail_msg("%s: %u x %u pixels, expected %u x %u", path, big_endian_u32(png + 16),
                 big_endian_u32(png + 20), width, height);
    }
    free(png);
}

/* The SVG's text: each needle must occur in it. */
static void assert_svg_contains(const char *path, const char *const *needles, size_t n)
{
    size_t size;
    char *svg = (char *)read_file(path, &size);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "</svg>"));
    for (size_t i = 0; i < n; i++) {
        if (strstr(svg, needles[i]) == NULL) {
            fail_msg("%s: '%s' not found", path, needles[i]);
        }
    }
    free(svg);
}

/* base followed by suffix into out, failing the test rather than cutting the path short. */
static void join_path(char *out, size_t bytes, const char *base, const char *suffix)
{
    int n = snprintf(out, bytes, "%s%s", base, suffix);
    if (n < 0 || (size_t)n >= bytes) {
        fail_msg("path '%s%s' is longer than %zu bytes", base, suffix, bytes - 1);
    }
}

static int file_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

static void remove_outputs(const char *base)
{
    char path[512];
    static const char *const SUFFIXES[] = {".png", ".svg", ".png.partial", ".svg.partial"};
    for (size_t i = 0; i < 4; i++) {
        join_path(path, sizeof path, base, SUFFIXES[i]);
        remove(path);
    }
}

/* Neither the file nor its partial copy is left after a refusal. */
static void assert_no_outputs(const char *base)
{
    char path[512];
    static const char *const SUFFIXES[] = {".png", ".svg", ".png.partial", ".svg.partial"};
    for (size_t i = 0; i < 4; i++) {
        join_path(path, sizeof path, base, SUFFIXES[i]);
        if (file_exists(path)) {
            fail_msg("%s exists after a failed plot", path);
        }
    }
}

static void assert_message_has(const prism_error *err, const char *needle)
{
    if (strstr(err->message, needle) == NULL) {
        fail_msg("message '%s' does not mention '%s'", err->message, needle);
    }
}

static int setup_scratch(void **state)
{
    (void)state;
    mkdir(PRISM_SCRATCH_DIR, 0777);
    mkdir(SCRATCH, 0777);
    return 0;
}

/* ---- Example data: accuracy under lobotomy, three activations ---- */

enum { LEVELS = 11 };

typedef struct example_lines {
    double x[LEVELS];
    double y[3][LEVELS];
    double low[3][LEVELS];
    double high[3][LEVELS];
    prism_plot_series series[3];
    prism_xy_plot plot;
} example_lines;

/* Accuracy falls from about 97 % with the share removed, at a rate that differs by activation;
 * the interval widens as accuracy falls, as it does across runs. */
static void example_lines_init(example_lines *ex)
{
    static const char *const NAMES[3] = {"relu", "gelu", "tanh"};
    static const double RATE[3] = {2.2, 1.6, 3.1};
    for (int i = 0; i < LEVELS; i++) {
        ex->x[i] = 5.0 * i;
        for (int s = 0; s < 3; s++) {
            double share = ex->x[i] / 100.0;
            double acc = 10.0 + 87.0 * exp(-RATE[s] * share * share * 4.0);
            double half = 0.3 + 4.0 * share;
            ex->y[s][i] = acc;
            ex->low[s][i] = acc - half;
            ex->high[s][i] = acc + half;
        }
    }
    for (int s = 0; s < 3; s++) {
        ex->series[s] = (prism_plot_series){NAMES[s], LEVELS, ex->x, ex->y[s], ex->low[s],
                                            ex->high[s]};
    }
    ex->plot = (prism_xy_plot){
        .frame = {"Lobotomy: accuracy against the share of neurons removed",
                  "share of hidden neurons removed (%)", "test accuracy (%)", 0, 0},
        .series = ex->series,
        .n_series = 3,
    };
}

/* ---- Each kind writes both files ---- */

static void test_lines_writes_png_and_svg(void **state)
{
    (void)state;
    example_lines ex;
    example_lines_init(&ex);
    const char *base = SCRATCH "/example_lines";
    remove_outputs(base);
    prism_error err = {{0}};
    if (prism_plot_lines(&ex.plot, base, &err) != 0) {
        fail_msg("prism_plot_lines: %s", err.message);
    }
    assert_png_size(SCRATCH "/example_lines.png", PRISM_PLOT_DEFAULT_WIDTH_PX,
                    PRISM_PLOT_DEFAULT_HEIGHT_PX);
    static const char *const NEEDLES[] = {
        "<title>Lobotomy: accuracy against the share of neurons removed</title>",
        "share of hidden neurons removed (%)", "test accuracy (%)", "relu", "gelu", "tanh"};
    assert_svg_contains(SCRATCH "/example_lines.svg", NEEDLES, 6);
    assert_false(file_exists(SCRATCH "/example_lines.png.partial"));
    assert_false(file_exists(SCRATCH "/example_lines.svg.partial"));
}

static void test_scatter_writes_png_and_svg(void **state)
{
    (void)state;
    /* Robustness against a mechanism measure, one point per run. */
    double x_relu[5] = {0.12, 0.18, 0.15, 0.21, 0.10};
    double y_relu[5] = {61.0, 55.5, 58.2, 52.9, 63.4};
    double x_tanh[4] = {0.45, 0.52, 0.40, 0.48};
    double y_tanh[4] = {35.2, 31.0, 38.8, 33.1};
    double lo_tanh[4] = {33.0, 28.5, 36.0, 30.2};
    double hi_tanh[4] = {37.4, 33.5, 41.6, 36.0};
    prism_plot_series series[2] = {
        {"relu", 5, x_relu, y_relu, NULL, NULL},
        {"tanh", 4, x_tanh, y_tanh, lo_tanh, hi_tanh},
    };
    prism_xy_plot plot = {
        .frame = {"Mechanism against robustness", "share of energy in the top neuron",
                  "accuracy at 30 % removed (%)", 800, 700},
        .series = series,
        .n_series = 2,
    };
    const char *base = SCRATCH "/example_scatter";
    remove_outputs(base);
    prism_error err = {{0}};
    if (prism_plot_scatter(&plot, base, &err) != 0) {
        fail_msg("prism_plot_scatter: %s", err.message);
    }
    assert_png_size(SCRATCH "/example_scatter.png", 800, 700);
    static const char *const NEEDLES[] = {"Mechanism against robustness", "relu", "tanh",
                                          "share of energy in the top neuron"};
    assert_svg_contains(SCRATCH "/example_scatter.svg", NEEDLES, 4);
}

static void test_intervals_writes_png_and_svg(void **state)
{
    (void)state;
    static const char *const LABELS[] = {"gelu - relu", "silu - relu", "tanh - relu",
                                         "elu - relu", "mish - relu", "sigmoid - relu"};
    double estimate[6] = {1.8, 1.2, -4.5, 0.3, 1.5, -9.2};
    double low[6] = {0.9, 0.1, -6.0, -0.8, 0.2, -11.5};
    double high[6] = {2.7, 2.3, -3.0, 1.4, 2.8, -6.9};
    prism_interval_plot plot = {
        .frame = {"Difference in accuracy at 30 % removed, 95 % interval",
                  "difference in accuracy (percentage points)", "comparison", 1000, 500},
        .n = 6,
        .labels = LABELS,
        .estimate = estimate,
        .low = low,
        .high = high,
    };
    const char *base = SCRATCH "/example_intervals";
    remove_outputs(base);
    prism_error err = {{0}};
    if (prism_plot_intervals(&plot, base, &err) != 0) {
        fail_msg("prism_plot_intervals: %s", err.message);
    }
    assert_png_size(SCRATCH "/example_intervals.png", 1000, 500);
    static const char *const NEEDLES[] = {"Difference in accuracy at 30 % removed",
                                          "gelu - relu", "sigmoid - relu -9.2 [-11.5, -6.9]"};
    assert_svg_contains(SCRATCH "/example_intervals.svg", NEEDLES, 3);
}

/* Every activation prism has, in one plot: the legend must still fit the default size. */
static void test_lines_eighteen_series(void **state)
{
    (void)state;
    enum { SERIES = 18, POINTS = 6 };
    static const char *const NAMES[SERIES] = {
        "relu", "leaky_relu", "relu6", "elu", "selu", "celu", "gelu", "gelu_tanh", "silu",
        "mish", "softplus", "sigmoid", "hardsigmoid", "tanh", "hardtanh", "softsign",
        "lecun_tanh", "identity"};
    double x[POINTS] = {0, 10, 20, 30, 40, 50};
    double y[SERIES][POINTS];
    prism_plot_series series[SERIES];
    for (int s = 0; s < SERIES; s++) {
        for (int i = 0; i < POINTS; i++) {
            y[s][i] = 97.0 - (1.0 + 0.3 * s) * x[i] * x[i] / 40.0;
        }
        series[s] = (prism_plot_series){NAMES[s], POINTS, x, y[s], NULL, NULL};
    }
    prism_xy_plot plot = {
        .frame = {"All activations", "share removed (%)", "accuracy (%)", 0, 0},
        .series = series,
        .n_series = SERIES,
    };
    const char *base = SCRATCH "/eighteen";
    remove_outputs(base);
    prism_error err = {{0}};
    if (prism_plot_lines(&plot, base, &err) != 0) {
        fail_msg("prism_plot_lines: %s", err.message);
    }
    assert_png_size(SCRATCH "/eighteen.png", 900, 600);
    assert_svg_contains(SCRATCH "/eighteen.svg", NAMES, SERIES);
}

/* '#' is PLplot's escape character and '&', '<' are XML's: all must come out as given. */
static void test_text_is_escaped(void **state)
{
    (void)state;
    double x[2] = {1.0, 2.0};
    double y[2] = {3.0, 3.0}; /* a flat line: the range must still open up */
    prism_plot_series series = {"run #2 <b>", 2, x, y, NULL, NULL};
    prism_xy_plot plot = {
        .frame = {"Noise & spikes #1", "sigma (1)", "accuracy (%)", 0, 0},
        .series = &series,
        .n_series = 1,
    };
    const char *base = SCRATCH "/escaped";
    remove_outputs(base);
    prism_error err = {{0}};
    if (prism_plot_lines(&plot, base, &err) != 0) {
        fail_msg("prism_plot_lines: %s", err.message);
    }
    static const char *const NEEDLES[] = {"<title>Noise &amp; spikes #1</title>",
                                          "run #2 &lt;b&gt;"};
    assert_svg_contains(SCRATCH "/escaped.svg", NEEDLES, 2);
    assert_png_size(SCRATCH "/escaped.png", 900, 600);
}

/* ---- Refusals ---- */

static void test_nan_and_infinity_are_refused(void **state)
{
    (void)state;
    example_lines ex;
    example_lines_init(&ex);
    const char *base = SCRATCH "/refused";
    remove_outputs(base);
    prism_error err = {{0}};

    ex.y[1][4] = NAN;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "series 'gelu'");
    assert_message_has(&err, "y[4] is NaN");
    assert_no_outputs(base);

    example_lines_init(&ex);
    ex.high[2][0] = INFINITY;
    assert_int_equal(prism_plot_scatter(&ex.plot, base, &err), -1);
    assert_message_has(&err, "series 'tanh'");
    assert_message_has(&err, "high[0] is infinite");

    example_lines_init(&ex);
    ex.x[3] = -NAN;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "series 'relu'");
    assert_message_has(&err, "x[3] is NaN");
    assert_no_outputs(base);
}

static void test_empty_input_is_refused(void **state)
{
    (void)state;
    example_lines ex;
    example_lines_init(&ex);
    const char *base = SCRATCH "/refused";
    remove_outputs(base);
    prism_error err = {{0}};

    ex.plot.n_series = 0;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "no series");

    example_lines_init(&ex);
    ex.series[1].n = 0;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "series 'gelu' has 0 points");

    example_lines_init(&ex);
    ex.series[2].name = "";
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "series 2 is missing");

    /* Text must be UTF-8 without control characters, for pango and for the SVG's XML. */
    example_lines_init(&ex);
    ex.plot.frame.x_label = "share \xff removed";
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "x label 'share \xff removed': byte 6 (0xff)");
    example_lines_init(&ex);
    ex.series[0].name = "relu\n";
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "byte 4 (0x0a) is a control character");
    example_lines_init(&ex);
    ex.plot.frame.title = "sigma \xc3\x83 \xce\xb1 \xe2\x80\x93 \xf0\x9f\x98\x80 ok";
    ex.plot.frame.y_label = "\xed\xa0\x80"; /* a surrogate, U+D800 */
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "y label");

    example_lines_init(&ex);
    ex.plot.frame.y_label = NULL;
    assert_int_equal(prism_plot_scatter(&ex.plot, base, &err), -1);
    assert_message_has(&err, "y label is missing");

    prism_interval_plot rows = {
        .frame = {"t", "x (1)", NULL, 0, 0},
        .n = 0,
    };
    assert_int_equal(prism_plot_intervals(&rows, base, &err), -1);
    assert_message_has(&err, "no rows");
    assert_no_outputs(base);
}

static void test_missing_folder_is_refused(void **state)
{
    (void)state;
    example_lines ex;
    example_lines_init(&ex);
    prism_error err = {{0}};
    const char *base = SCRATCH "/no_such_folder/plot";
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, base);
    assert_message_has(&err, "does not exist");

    assert_int_equal(prism_plot_lines(&ex.plot, SCRATCH "/", &err), -1);
    assert_message_has(&err, "names a folder");

    /* A file where the folder should be. */
    FILE *f = fopen(SCRATCH "/a_file", "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(prism_plot_lines(&ex.plot, SCRATCH "/a_file/plot", &err), -1);
    assert_message_has(&err, "is not a folder");
}

static void test_bad_intervals_are_refused(void **state)
{
    (void)state;
    example_lines ex;
    example_lines_init(&ex);
    const char *base = SCRATCH "/refused";
    prism_error err = {{0}};

    ex.series[0].high = NULL;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "series 'relu' gives low without high");

    example_lines_init(&ex);
    ex.low[1][2] = ex.high[1][2] + 1.0;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "series 'gelu': low[2]");

    /* A line's band needs x in order; a scatter plot does not. */
    example_lines_init(&ex);
    ex.x[5] = 100.0;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "x[6] = 30 follows x[5] = 100");
    remove_outputs(base);
    if (prism_plot_scatter(&ex.plot, base, &err) != 0) {
        fail_msg("prism_plot_scatter: %s", err.message);
    }
    remove_outputs(base);

    static const char *const LABELS[] = {"a - b", "c - d"};
    double estimate[2] = {1.0, 2.0};
    double low[2] = {0.0, 3.0};
    double high[2] = {2.0, 2.5};
    prism_interval_plot rows = {
        .frame = {"rows", "difference (pp)", NULL, 0, 0},
        .n = 2,
        .labels = LABELS,
        .estimate = estimate,
        .low = low,
        .high = high,
    };
    assert_int_equal(prism_plot_intervals(&rows, base, &err), -1);
    assert_message_has(&err, "low[1] = 3 is above high[1] = 2.5");
    assert_no_outputs(base);
}

static void test_limits_are_refused(void **state)
{
    (void)state;
    example_lines ex;
    example_lines_init(&ex);
    const char *base = SCRATCH "/refused";
    prism_error err = {{0}};

    ex.plot.frame.width_px = 100;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "size 100 x 0 pixels");

    example_lines_init(&ex);
    ex.plot.n_series = PRISM_PLOT_MAX_SERIES + 1;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "21 series");

    /* Finite values whose span is not. */
    example_lines_init(&ex);
    ex.y[0][0] = -1e308;
    ex.y[0][1] = 1e308;
    ex.series[0].low = NULL;
    ex.series[0].high = NULL;
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "too wide");

    /* Sixty rows cannot be read in 300 pixels. */
    enum { ROWS = 60 };
    const char *labels[ROWS];
    double values[ROWS];
    for (int i = 0; i < ROWS; i++) {
        labels[i] = "row";
        values[i] = i;
    }
    prism_interval_plot rows = {
        .frame = {"rows", "difference (pp)", NULL, 600, 300},
        .n = ROWS,
        .labels = labels,
        .estimate = values,
        .low = values,
        .high = values,
    };
    assert_int_equal(prism_plot_intervals(&rows, base, &err), -1);
    assert_message_has(&err, "60 rows do not fit in 300 pixels");
    assert_no_outputs(base);
}

/* A file name longer than the system allows passes the folder check, then makes PLplot give up
 * opening it and call its exit routine: the call must return instead of ending the process. */
static void test_plplot_fatal_error_is_returned(void **state)
{
    (void)state;
    example_lines ex;
    example_lines_init(&ex);
    char base[600];
    int n = snprintf(base, sizeof base, "%s/", SCRATCH);
    memset(base + n, 'a', 300);
    base[n + 300] = '\0';
    prism_error err = {{0}};
    assert_int_equal(prism_plot_lines(&ex.plot, base, &err), -1);
    assert_message_has(&err, "PLplot failed");

    /* PLplot is still usable afterwards. */
    remove_outputs(SCRATCH "/after_fatal");
    if (prism_plot_lines(&ex.plot, SCRATCH "/after_fatal", &err) != 0) {
        fail_msg("plot after a PLplot failure: %s", err.message);
    }
    assert_png_size(SCRATCH "/after_fatal.png", 900, 600);
}

/* ---- Threads ---- */

typedef struct thread_job {
    char base[256];
    int status;
    prism_error err;
} thread_job;

static void *plot_in_thread(void *opaque)
{
    thread_job *job = opaque;
    example_lines ex;
    example_lines_init(&ex);
    for (int round = 0; round < 3 && job->status == 0; round++) {
        job->status = prism_plot_lines(&ex.plot, job->base, &job->err);
    }
    return NULL;
}

static void test_threads_plot_at_once(void **state)
{
    (void)state;
    enum { THREADS = 4 };
    thread_job jobs[THREADS];
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        snprintf(jobs[t].base, sizeof jobs[t].base, "%s/thread_%d", SCRATCH, t);
        remove_outputs(jobs[t].base);
        assert_int_equal(pthread_create(&threads[t], NULL, plot_in_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        if (jobs[t].status != 0) {
            fail_msg("thread %d: %s", t, jobs[t].err.message);
        }
        char path[300];
        join_path(path, sizeof path, jobs[t].base, ".png");
        assert_png_size(path, 900, 600);
        join_path(path, sizeof path, jobs[t].base, ".svg");
        static const char *const NEEDLES[] = {"relu", "gelu", "tanh"};
        assert_svg_contains(path, NEEDLES, 3);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_writes_png_and_svg),
        cmocka_unit_test(test_scatter_writes_png_and_svg),
        cmocka_unit_test(test_intervals_writes_png_and_svg),
        cmocka_unit_test(test_lines_eighteen_series),
        cmocka_unit_test(test_text_is_escaped),
        cmocka_unit_test(test_nan_and_infinity_are_refused),
        cmocka_unit_test(test_empty_input_is_refused),
        cmocka_unit_test(test_missing_folder_is_refused),
        cmocka_unit_test(test_bad_intervals_are_refused),
        cmocka_unit_test(test_limits_are_refused),
        cmocka_unit_test(test_plplot_fatal_error_is_returned),
        cmocka_unit_test(test_threads_plot_at_once),
    };
    return cmocka_run_group_tests(tests, setup_scratch, NULL);
}
