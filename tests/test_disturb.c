/* Tests of the disturbances beyond the article's masks and of what the experiment does with
 * them: each new test's defining property (dropout's binomial zero count without rescale, the
 * additive noise's signal-to-noise ratio, stuck-at's k constant columns at +-10 RMS, the
 * targeted tests' choice of the most important neurons on a network built by hand), the
 * streams of several masks per level (mask 1 keyed exactly as a single mask always was), the
 * split of variance between runs and masks on data with known components, and accuracy
 * ceilings: their value from the labels and that they are flagged for the right cells only. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/rng.h"
#include "experiment/config.h"
#include "experiment/evaluate.h"
#include "experiment/experiment.h"
#include "model/layers.h"
#include "model/net.h"
#include "report/output.h"
#include "stats/variance.h"
#include "stress/ceiling.h"
#include "stress/disturb.h"
#include "stress/mask.h"

/* ---- Helpers ---- */

static void open_test_stream(prism_rng *rng, uint64_t a, uint64_t b)
{
    uint64_t coords[2] = {a, b};
    prism_rng_open(rng, 11, PRISM_RNG_TEST, coords, 2);
}

static void assert_close(double got, double ref, double rtol, const char *what)
{
    if (!(fabs(got - ref) <= rtol * fabs(ref))) {
        fail_msg("%s: expected %.17g, found %.17g (rtol %g)", what, ref, got, rtol);
    }
}

/* Builds a disturbance that must succeed. */
static void build_ok(prism_disturbance *d, prism_test_kind kind, double level,
                     const prism_site_signal *signal, const uint32_t *ranking, prism_rng *rng)
{
    prism_error err = {{0}};
    if (prism_disturbance_build(d, kind, level, signal, ranking, rng, &err) != 0) {
        fail_msg("%s level %g: %s", prism_test_name(kind), level, err.message);
    }
}

/* x[rows][width] from N(mean, sd^2), on test stream `index`. */
static float *random_tensor(size_t rows, size_t width, double mean, double sd, uint64_t index)
{
    float *x = malloc(rows * width * sizeof *x);
    assert_non_null(x);
    prism_rng rng;
    open_test_stream(&rng, 1, index);
    for (size_t i = 0; i < rows * width; i++) {
        x[i] = (float)(mean + sd * prism_rng_normal(&rng));
    }
    return x;
}

/* ---- Names and levels ---- */

static void test_new_names_and_levels(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        prism_test_kind kind;
    } names[] = {
        {"dropout", PRISM_TEST_DROPOUT},
        {"additive_noise", PRISM_TEST_ADDITIVE_NOISE},
        {"stuck_at", PRISM_TEST_STUCK_AT},
        {"lobotomy_targeted", PRISM_TEST_LOBOTOMY_TARGETED},
        {"spike_targeted", PRISM_TEST_SPIKE_TARGETED},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        prism_test_kind kind = PRISM_TEST_COUNT;
        prism_error err = {{0}};
        assert_int_equal(prism_test_parse(names[i].name, &kind, &err), 0);
        assert_int_equal(kind, names[i].kind);
        assert_string_equal(prism_test_name(kind), names[i].name);
    }
    /* The article's kinds keep their numbers: they are part of every mask stream's key. */
    assert_int_equal(PRISM_TEST_LOBOTOMY, 0);
    assert_int_equal(PRISM_TEST_SPIKE, 1);
    assert_int_equal(PRISM_TEST_NOISE, 2);

    prism_error err = {{0}};
    prism_test_kind kind;
    assert_int_equal(prism_test_parse("stuck-at", &kind, &err), -1);
    assert_non_null(strstr(err.message, "stuck_at")); /* the message lists the valid names */

    static const struct {
        prism_test_kind kind;
        double level;
        int status;
    } levels[] = {
        {PRISM_TEST_DROPOUT, 0.0, 0},           {PRISM_TEST_DROPOUT, 0.999, 0},
        {PRISM_TEST_DROPOUT, 1.0, -1},          {PRISM_TEST_DROPOUT, -0.1, -1},
        {PRISM_TEST_ADDITIVE_NOISE, -40.0, 0},  {PRISM_TEST_ADDITIVE_NOISE, 0.0, 0},
        {PRISM_TEST_ADDITIVE_NOISE, 100.0, 0},  {PRISM_TEST_ADDITIVE_NOISE, INFINITY, -1},
        {PRISM_TEST_ADDITIVE_NOISE, -100.5, -1}, {PRISM_TEST_ADDITIVE_NOISE, 1e300, -1},
        {PRISM_TEST_ADDITIVE_NOISE, NAN, -1},   {PRISM_TEST_STUCK_AT, 0.5, 0},
        {PRISM_TEST_STUCK_AT, 1.0, -1},         {PRISM_TEST_STUCK_AT, -0.5, -1},
        {PRISM_TEST_LOBOTOMY_TARGETED, 0.9, 0}, {PRISM_TEST_LOBOTOMY_TARGETED, 1.0, -1},
        {PRISM_TEST_SPIKE_TARGETED, 1.0, 0},    {PRISM_TEST_SPIKE_TARGETED, 1.01, -1},
    };
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        int status = prism_test_check_level(levels[i].kind, levels[i].level, &err);
        if (status != levels[i].status) {
            fail_msg("%s level %g: status %d, expected %d", prism_test_name(levels[i].kind),
                     levels[i].level, status, levels[i].status);
        }
        if (status != 0 && strstr(err.message, prism_test_name(levels[i].kind)) == NULL) {
            fail_msg("message '%s' does not name the test", err.message);
        }
    }

    /* 0 dB is a real level of the additive noise; 0 is clean for every other test. */
    assert_false(prism_test_level_is_clean(PRISM_TEST_ADDITIVE_NOISE, 0.0));
    assert_true(prism_test_level_is_clean(PRISM_TEST_STUCK_AT, 0.0));
    assert_true(prism_test_level_is_clean(PRISM_TEST_DROPOUT, 0.0));
    assert_true(prism_test_level_is_deterministic(PRISM_TEST_SPIKE_TARGETED, 0.5));
    assert_false(prism_test_level_is_deterministic(PRISM_TEST_DROPOUT, 0.5));
}

/* ---- Dropout ---- */

static double binomial_pmf(unsigned n, unsigned k, double p)
{
    double log_choose = lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
    return exp(log_choose + k * log(p) + (n - k) * log1p(-p));
}

/* Over 20000 masks of width 10 at p = 0.3, the count of zeros follows Binomial(10, 0.3): every
 * bin within 6 of its binomial standard deviations (plus 1 for the rarest bins), the mean
 * within 6 standard errors of 3. Every other factor is exactly 1: no rescale. */
static void test_dropout_binomial_no_rescale(void **state)
{
    (void)state;
    enum { MASKS = 20000, WIDTH = 10 };
    const double p = 0.3;
    size_t bins[WIDTH + 1] = {0};
    size_t per_neuron[WIDTH] = {0};
    double zeros_sum = 0.0;
    float mask[WIDTH];
    for (uint64_t s = 0; s < MASKS; s++) {
        prism_rng rng;
        prism_error err = {{0}};
        prism_mask_stream_open(&rng, 5, s, PRISM_TEST_DROPOUT, p, 0);
        assert_int_equal(prism_mask_build(PRISM_TEST_DROPOUT, p, WIDTH, &rng, mask, &err), 0);
        size_t zeros = 0;
        for (size_t i = 0; i < WIDTH; i++) {
            if (mask[i] == 0.0f) {
                zeros++;
                per_neuron[i]++;
            } else if (mask[i] != 1.0f) {
                fail_msg("mask %llu entry %zu is %.9g, expected 0 or exactly 1",
                         (unsigned long long)s, i, (double)mask[i]);
            }
        }
        bins[zeros]++;
        zeros_sum += (double)zeros;
    }
    for (unsigned k = 0; k <= WIDTH; k++) {
        double pk = binomial_pmf(WIDTH, k, p);
        double expected = MASKS * pk;
        double sd = sqrt(MASKS * pk * (1.0 - pk));
        if (fabs((double)bins[k] - expected) > 6.0 * sd + 1.0) {
            fail_msg("%u zeros in %zu masks, expected %.1f (sd %.1f)", k, bins[k], expected, sd);
        }
    }
    double se = sqrt(WIDTH * p * (1.0 - p) / MASKS);
    assert_true(fabs(zeros_sum / MASKS - WIDTH * p) < 6.0 * se);
    /* Each neuron independently: dropped in about 30 % of masks (binomial sd 64.8). */
    for (size_t i = 0; i < WIDTH; i++) {
        assert_true(per_neuron[i] > 6000 - 389 && per_neuron[i] < 6000 + 389);
    }
}

/* Every image sees the same dropout mask, applied as a mask by the network. */
static void test_dropout_is_a_mask(void **state)
{
    (void)state;
    prism_disturbance d;
    prism_error err = {{0}};
    assert_int_equal(prism_disturbance_create(&d, 16, &err), 0);
    prism_rng rng;
    open_test_stream(&rng, 2, 0);
    build_ok(&d, PRISM_TEST_DROPOUT, 0.5, NULL, NULL, &rng);
    assert_non_null(prism_disturbance_mask(&d));
    assert_false(prism_disturbance_needs_apply(&d));

    float *x = random_tensor(50, 16, 0.0, 1.0, 3);
    float y[50 * 16];
    prism_disturbance_apply(&d, x, 50, y);
    for (size_t n = 0; n < 50; n++) {
        for (size_t i = 0; i < 16; i++) {
            assert_true(y[n * 16 + i] == x[n * 16 + i] * d.mask[i]);
        }
    }
    free(x);
    prism_disturbance_destroy(&d);
}

/* ---- Additive noise at a signal-to-noise ratio ---- */

/* On 20000 x 50 values from N(0.5, 1.5^2), the added noise's power is P / 10^(L/10) within
 * 1 % (its relative standard error is sqrt(2 / 10^6) = 0.14 %), its mean is 0, and the ratio
 * in dB is L within 0.05 dB, for levels from -20 to 40 dB. */
static void test_additive_noise_snr(void **state)
{
    (void)state;
    enum { ROWS = 20000, WIDTH = 50 };
    static const double levels[] = {-20.0, -3.0, 0.0, 6.0, 20.0, 40.0};
    float *x = random_tensor(ROWS, WIDTH, 0.5, 1.5, 7);
    float *y = malloc((size_t)ROWS * WIDTH * sizeof *y);
    assert_non_null(y);

    prism_site_signal signal;
    prism_site_signal_measure(x, ROWS, WIDTH, &signal);
    assert_close(signal.power, 0.25 + 2.25, 0.01, "signal power of N(0.5, 1.5^2)");

    prism_disturbance d;
    prism_error err = {{0}};
    assert_int_equal(prism_disturbance_create(&d, WIDTH, &err), 0);
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        prism_rng rng;
        prism_mask_stream_open(&rng, 3, 0, PRISM_TEST_ADDITIVE_NOISE, levels[l], 0);
        prism_rng before = rng;
        build_ok(&d, PRISM_TEST_ADDITIVE_NOISE, levels[l], &signal, NULL, &rng);
        assert_memory_equal(&rng, &before, sizeof rng); /* the caller's stream is untouched */
        assert_null(prism_disturbance_mask(&d));
        assert_true(prism_disturbance_needs_apply(&d));
        prism_disturbance_apply(&d, x, ROWS, y);

        double noise_power = 0.0;
        double noise_sum = 0.0;
        for (size_t i = 0; i < (size_t)ROWS * WIDTH; i++) {
            double e = (double)y[i] - (double)x[i];
            noise_power += e * e;
            noise_sum += e;
        }
        noise_power /= (double)ROWS * WIDTH;
        double expected = signal.power / pow(10.0, levels[l] / 10.0);
        assert_close(noise_power, expected, 0.01, "noise power P / 10^(L/10)");
        double snr_db = 10.0 * log10(signal.power / noise_power);
        if (fabs(snr_db - levels[l]) > 0.05) {
            fail_msg("measured SNR %.4f dB, expected %g dB", snr_db, levels[l]);
        }
        double mean = noise_sum / ((double)ROWS * WIDTH);
        assert_true(fabs(mean) < 6.0 * sqrt(expected / ((double)ROWS * WIDTH)));
    }
    free(y);
    free(x);
    prism_disturbance_destroy(&d);
}

/* Noise is fresh for every image and neuron, drawn in row-major order from the stream: a
 * tensor disturbed in chunks equals the tensor disturbed at once, and rows with equal clean
 * values get different noise. */
static void test_additive_noise_fresh_and_chunked(void **state)
{
    (void)state;
    enum { ROWS = 300, WIDTH = 7 };
    float x[ROWS * WIDTH];
    for (size_t i = 0; i < ROWS * WIDTH; i++) {
        x[i] = 1.0f; /* every image identical */
    }
    prism_site_signal signal = {.power = 1.0};
    float whole[ROWS * WIDTH];
    float chunked[ROWS * WIDTH];
    prism_disturbance d;
    prism_error err = {{0}};
    assert_int_equal(prism_disturbance_create(&d, WIDTH, &err), 0);

    prism_rng rng;
    prism_mask_stream_open(&rng, 3, 4, PRISM_TEST_ADDITIVE_NOISE, 0.0, 0);
    build_ok(&d, PRISM_TEST_ADDITIVE_NOISE, 0.0, &signal, NULL, &rng);
    prism_disturbance_apply(&d, x, ROWS, whole);

    build_ok(&d, PRISM_TEST_ADDITIVE_NOISE, 0.0, &signal, NULL, &rng);
    prism_disturbance_apply(&d, x, 100, chunked);
    prism_disturbance_apply(&d, x + 100 * WIDTH, 150, chunked + 100 * WIDTH);
    prism_disturbance_apply(&d, x + 250 * WIDTH, 50, chunked + 250 * WIDTH);
    assert_memory_equal(whole, chunked, sizeof whole);

    /* The expected values, drawn here from the same stream in the documented order. */
    prism_rng again = rng;
    for (size_t i = 0; i < ROWS * WIDTH; i++) {
        float expected = (float)(1.0 + 1.0 * prism_rng_normal(&again));
        assert_true(whole[i] == expected);
    }
    size_t equal_rows = 0;
    for (size_t n = 1; n < ROWS; n++) {
        equal_rows += memcmp(whole, whole + n * WIDTH, WIDTH * sizeof(float)) == 0;
    }
    assert_int_equal(equal_rows, 0);
    prism_disturbance_destroy(&d);
}

/* ---- Stuck-at ---- */

/* Exactly k columns are constant at +V or -V, V = 10 RMS of the clean signal; the rest are
 * unchanged. k is the lobotomy's count, at least 1. Over many streams both signs occur about
 * equally and every neuron gets stuck. */
static void test_stuck_at_columns(void **state)
{
    (void)state;
    enum { ROWS = 64, WIDTH = 10 };
    static const struct {
        double level;
        size_t k;
    } cases[] = {{0.05, 1}, {0.1, 1}, {0.3, 3}, {0.7, 7}, {0.99, 9}};
    float *x = random_tensor(ROWS, WIDTH, 0.2, 2.0, 9);
    float y[ROWS * WIDTH];
    prism_site_signal signal;
    prism_site_signal_measure(x, ROWS, WIDTH, &signal);
    float v = (float)(10.0 * sqrt(signal.power));

    prism_disturbance d;
    prism_error err = {{0}};
    assert_int_equal(prism_disturbance_create(&d, WIDTH, &err), 0);
    size_t positive = 0;
    size_t negative = 0;
    size_t hits[WIDTH] = {0};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        assert_int_equal(prism_stuck_at_count(WIDTH, cases[c].level), cases[c].k);
        for (uint64_t s = 0; s < 200; s++) {
            prism_rng rng;
            prism_mask_stream_open(&rng, 1, s, PRISM_TEST_STUCK_AT, cases[c].level, 0);
            build_ok(&d, PRISM_TEST_STUCK_AT, cases[c].level, &signal, NULL, &rng);
            assert_true(prism_disturbance_needs_apply(&d));
            prism_disturbance_apply(&d, x, ROWS, y);

            size_t stuck = 0;
            for (size_t i = 0; i < WIDTH; i++) {
                bool constant = true;
                bool unchanged = true;
                for (size_t n = 0; n < ROWS; n++) {
                    constant = constant && y[n * WIDTH + i] == y[i];
                    unchanged = unchanged && y[n * WIDTH + i] == x[n * WIDTH + i];
                }
                if (constant && (y[i] == v || y[i] == -v)) {
                    stuck++;
                    hits[i]++;
                    positive += y[i] == v;
                    negative += y[i] == -v;
                } else if (!unchanged) {
                    fail_msg("level %g: column %zu is neither stuck at +-%g nor unchanged",
                             cases[c].level, i, (double)v);
                }
            }
            if (stuck != cases[c].k) {
                fail_msg("level %g: %zu stuck columns, expected %zu", cases[c].level, stuck,
                         cases[c].k);
            }
        }
    }
    /* 4200 signs drawn: each sign's count within 6 sd (32.4) of half. */
    assert_true(positive + negative == 200 * (1 + 1 + 3 + 7 + 9));
    assert_true(positive > 2100 - 195 && positive < 2100 + 195);
    for (size_t i = 0; i < WIDTH; i++) {
        assert_true(hits[i] > 0);
    }

    /* A layer of width 1 still gets its one neuron stuck; level 0 is clean. */
    prism_disturbance one;
    assert_int_equal(prism_disturbance_create(&one, 1, &err), 0);
    prism_rng rng;
    open_test_stream(&rng, 4, 0);
    build_ok(&one, PRISM_TEST_STUCK_AT, 0.5, &signal, NULL, &rng);
    float in[3] = {0.5f, -1.0f, 2.0f};
    float out[3];
    prism_disturbance_apply(&one, in, 3, out);
    assert_true(fabsf(out[0]) == v && out[1] == out[0] && out[2] == out[0]);
    build_ok(&one, PRISM_TEST_STUCK_AT, 0.0, &signal, NULL, &rng);
    prism_disturbance_apply(&one, in, 3, out);
    assert_memory_equal(in, out, sizeof in);
    prism_disturbance_destroy(&one);

    free(x);
    prism_disturbance_destroy(&d);
}

/* A test that needs the signal, a ranking or a stream fails without it, naming the test. */
static void test_missing_inputs_rejected(void **state)
{
    (void)state;
    prism_disturbance d;
    prism_error err = {{0}};
    assert_int_equal(prism_disturbance_create(&d, 4, &err), 0);
    prism_rng rng;
    open_test_stream(&rng, 5, 0);
    assert_int_equal(prism_disturbance_build(&d, PRISM_TEST_STUCK_AT, 0.5, NULL, NULL, &rng,
                                             &err), -1);
    assert_non_null(strstr(err.message, "stuck_at"));
    assert_int_equal(prism_disturbance_build(&d, PRISM_TEST_LOBOTOMY_TARGETED, 0.5, NULL, NULL,
                                             NULL, &err), -1);
    assert_non_null(strstr(err.message, "lobotomy_targeted"));
    assert_int_equal(prism_disturbance_build(&d, PRISM_TEST_NOISE, 1.0, NULL, NULL, NULL, &err),
                     -1);
    prism_disturbance_destroy(&d);

    prism_disturbance narrow;
    assert_int_equal(prism_disturbance_create(&narrow, 1, &err), 0);
    uint32_t ranking[1] = {0};
    assert_int_equal(prism_disturbance_build(&narrow, PRISM_TEST_SPIKE_TARGETED, 0.5, NULL,
                                             ranking, NULL, &err), -1);
    assert_non_null(strstr(err.message, "width 1"));
    prism_disturbance_destroy(&narrow);
}

/* ---- Targeted tests ---- */

static void test_rank_by_importance(void **state)
{
    (void)state;
    const double importance[7] = {1.0, 5.0, NAN, 5.0, -2.0, 0.0, 5.0};
    uint32_t ranking[7];
    prism_rank_by_importance(importance, 7, ranking);
    const uint32_t expected[7] = {1, 3, 6, 0, 5, 4, 2}; /* ties by index, NaN last */
    assert_memory_equal(ranking, expected, sizeof expected);
}

/* A network whose importances are known: four neurons straight into four logits (identity
 * output layer, the site after the activation), and images of class j that have 2 at neuron j
 * and 0.5 at neuron j + 1 (mod 4). Zeroing neuron j turns every class-j image into class j + 1
 * and leaves the others right, so importance[j] = share of class j. With 5, 20, 10 and 20
 * images, the ranking is 1, 3 (the tie goes to the lower index), 2, 0. */
static void test_targeted_picks_most_important(void **state)
{
    (void)state;
    enum { WIDTH = 4, ROWS = 55 };
    static const size_t per_class[WIDTH] = {5, 20, 10, 20};
    prism_net_spec spec = {.inputs = 4, .classes = 4, .n_hidden = 1};
    spec.hidden[0] = (prism_layer_spec){.width = WIDTH, .act = {PRISM_ACT_IDENTITY, 0.0f},
                                        .norm = PRISM_NORM_NONE};
    prism_net net;
    prism_error err = {{0}};
    assert_int_equal(prism_net_create(&net, &spec, &err), 0);
    for (size_t o = 0; o < WIDTH; o++) {
        net.layer[1].w[o * WIDTH + o] = 1.0f;
    }

    float at_site[ROWS * WIDTH] = {0};
    uint8_t labels[ROWS];
    size_t row = 0;
    for (size_t c = 0; c < WIDTH; c++) {
        for (size_t i = 0; i < per_class[c]; i++, row++) {
            labels[row] = (uint8_t)c;
            at_site[row * WIDTH + c] = 2.0f;
            at_site[row * WIDTH + (c + 1) % WIDTH] = 0.5f;
        }
    }

    prism_site site = {.layer = 0, .kind = PRISM_SITE_POST_ACT};
    double importance[WIDTH];
    assert_int_equal(prism_importance_compute(&net, &site, at_site, labels, ROWS, importance,
                                              &err), 0);
    for (size_t c = 0; c < WIDTH; c++) {
        assert_close(importance[c], 100.0 * (double)per_class[c] / ROWS, 1e-12, "importance");
    }
    uint32_t ranking[WIDTH];
    prism_rank_by_importance(importance, WIDTH, ranking);
    const uint32_t expected[WIDTH] = {1, 3, 2, 0};
    assert_memory_equal(ranking, expected, sizeof expected);

    /* Targeted lobotomy at 0.5 kills the top two, 1 and 3, and rescales the others. */
    prism_disturbance d;
    assert_int_equal(prism_disturbance_create(&d, WIDTH, &err), 0);
    build_ok(&d, PRISM_TEST_LOBOTOMY_TARGETED, 0.5, NULL, ranking, NULL);
    const float *mask = prism_disturbance_mask(&d);
    assert_non_null(mask);
    float survivor = (float)sqrt(2.0);
    assert_true(mask[0] == survivor && mask[1] == 0.0f && mask[2] == survivor &&
                mask[3] == 0.0f);
    /* At 0.25 only the single most important, neuron 1. */
    build_ok(&d, PRISM_TEST_LOBOTOMY_TARGETED, 0.25, NULL, ranking, NULL);
    mask = prism_disturbance_mask(&d);
    assert_true(mask[1] == 0.0f && mask[0] != 0.0f && mask[2] != 0.0f && mask[3] != 0.0f);

    /* Targeted spike at 0.7 puts sqrt(0.7 H) on neuron 1. */
    build_ok(&d, PRISM_TEST_SPIKE_TARGETED, 0.7, NULL, ranking, NULL);
    mask = prism_disturbance_mask(&d);
    assert_true(mask[1] == (float)sqrt(0.7 * WIDTH));
    for (size_t i = 0; i < WIDTH; i++) {
        if (i != 1) {
            assert_true(mask[i] == (float)sqrt(0.3 * WIDTH / (WIDTH - 1)));
        }
    }
    prism_disturbance_destroy(&d);
    prism_net_destroy(&net);
}

/* ---- Several masks per level ---- */

static uint64_t bits_of(double level)
{
    uint64_t bits;
    memcpy(&bits, &level, sizeof bits);
    return bits;
}

/* Mask index 0 is keyed (run, kind, level bits), as the single mask always was; further
 * indices give other streams. */
static void test_mask_stream_keys(void **state)
{
    (void)state;
    prism_rng old_key;
    uint64_t coords[3] = {7, (uint64_t)PRISM_TEST_SPIKE, bits_of(0.7)};
    prism_rng_open(&old_key, 42, PRISM_RNG_MASK, coords, 3);

    prism_rng first;
    prism_mask_stream_open(&first, 42, 7, PRISM_TEST_SPIKE, 0.7, 0);
    assert_memory_equal(&first, &old_key, sizeof first);

    prism_rng streams[4];
    for (size_t m = 0; m < 4; m++) {
        prism_mask_stream_open(&streams[m], 42, 7, PRISM_TEST_SPIKE, 0.7, m);
    }
    for (size_t a = 0; a < 4; a++) {
        for (size_t b = a + 1; b < 4; b++) {
            assert_true(memcmp(&streams[a], &streams[b], sizeof streams[a]) != 0);
        }
    }
}

/* A test split of n random images and labels. */
static void make_split(prism_split *split, size_t n)
{
    split->count = n;
    split->pixels = malloc(n * 784);
    split->labels = malloc(n);
    assert_non_null(split->pixels);
    assert_non_null(split->labels);
    prism_rng rng;
    open_test_stream(&rng, 6, 0);
    for (size_t i = 0; i < n * 784; i++) {
        split->pixels[i] = (uint8_t)prism_rng_below(&rng, 256);
    }
    for (size_t i = 0; i < n; i++) {
        split->labels[i] = (uint8_t)prism_rng_below(&rng, 10);
    }
}

static void set_plan(prism_test_plan *plan, prism_test_kind kind, const double *levels,
                     size_t n)
{
    plan->kind = kind;
    plan->n_levels = n;
    memcpy(plan->levels, levels, n * sizeof *levels);
}

/* Accuracy (%) of net on split with the site multiplied by mask, the way evaluation worked
 * before there were several masks: one forward pass over all images. */
static double reference_accuracy(const prism_net *net, const prism_split *split,
                                 const prism_site *site, const float *mask)
{
    prism_net_workspace ws;
    prism_error err = {{0}};
    assert_int_equal(prism_net_workspace_create(&ws, &net->spec, split->count, &err), 0);
    float *x = malloc(split->count * 784 * sizeof *x);
    int *predicted = malloc(split->count * sizeof *predicted);
    assert_non_null(x);
    assert_non_null(predicted);
    prism_pixels_normalise(split->pixels, split->count * 784, x);
    prism_net_forward(net, &ws, x, split->count, site, mask);
    prism_argmax_rows(ws.logits, split->count, net->spec.classes, predicted);
    size_t correct = 0;
    for (size_t i = 0; i < split->count; i++) {
        correct += predicted[i] == (int)split->labels[i];
    }
    free(x);
    free(predicted);
    prism_net_workspace_destroy(&ws);
    return 100.0 * (double)correct / (double)split->count;
}

/* With K = 3, mask 1 of every level is the K = 1 result, which is what a mask from the old key
 * gives; clean and targeted levels repeat one value; the random levels' masks differ. */
static void test_masks_per_level(void **state)
{
    (void)state;
    prism_split split;
    make_split(&split, 1300); /* more than one evaluation chunk */
    prism_net_spec spec = prism_net_spec_article((prism_activation){PRISM_ACT_TANH, 0.0f});
    prism_net net;
    prism_error err = {{0}};
    assert_int_equal(prism_net_create(&net, &spec, &err), 0);
    prism_rng init;
    open_test_stream(&init, 8, 0);
    prism_net_initialise(&net, &init);

    prism_experiment_config config;
    prism_config_article(&config);
    config.seed = 99;
    const double shares[] = {0.0, 0.5, 0.9};
    const double sigmas[] = {0.0, 3.0};
    const double snr[] = {0.0, 10.0};
    config.n_tests = 5;
    set_plan(&config.tests[0], PRISM_TEST_LOBOTOMY, shares, 3);
    set_plan(&config.tests[1], PRISM_TEST_NOISE, sigmas, 2);
    set_plan(&config.tests[2], PRISM_TEST_ADDITIVE_NOISE, snr, 2);
    set_plan(&config.tests[3], PRISM_TEST_LOBOTOMY_TARGETED, shares, 3);
    set_plan(&config.tests[4], PRISM_TEST_DROPOUT, shares, 3);
    size_t slots = prism_config_slot_count(&config);
    assert_int_equal(slots, 13);

    double one[13];
    double three[13 * 3];
    config.masks = 1;
    assert_int_equal(prism_evaluate_model(&config, &net, &split, 4, one, NULL, &err), 0);
    config.masks = 3;
    assert_int_equal(prism_evaluate_model(&config, &net, &split, 4, three, NULL, &err), 0);
    for (size_t s = 0; s < slots; s++) {
        if (three[s * 3] != one[s]) {
            fail_msg("slot %zu: mask 1 of 3 gives %.17g, a single mask %.17g", s, three[s * 3],
                     one[s]);
        }
    }

    /* Lobotomy 0.5 (slot 1) against a mask built from the old key by hand. */
    float mask[10];
    prism_rng rng;
    uint64_t coords[3] = {4, (uint64_t)PRISM_TEST_LOBOTOMY, bits_of(0.5)};
    prism_rng_open(&rng, 99, PRISM_RNG_MASK, coords, 3);
    assert_int_equal(prism_mask_build(PRISM_TEST_LOBOTOMY, 0.5, 10, &rng, mask, &err), 0);
    assert_true(one[1] == reference_accuracy(&net, &split, &config.site, mask));
    assert_true(one[0] == reference_accuracy(&net, &split, &config.site, NULL));

    /* Clean (slots 0, 3, 7, 10) and targeted (7..9) slots: one value for all three masks. The
     * random slots draw three masks; at least one of them must show it. */
    static const size_t same[] = {0, 3, 7, 8, 9, 10};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        size_t s = same[i];
        assert_true(three[s * 3] == three[s * 3 + 1] && three[s * 3] == three[s * 3 + 2]);
    }
    static const size_t random_slots[] = {1, 2, 4, 5, 6, 11, 12};
    size_t differing = 0;
    for (size_t i = 0; i < sizeof random_slots / sizeof random_slots[0]; i++) {
        size_t s = random_slots[i];
        differing += three[s * 3] != three[s * 3 + 1] || three[s * 3] != three[s * 3 + 2];
    }
    assert_true(differing >= 4);

    prism_net_destroy(&net);
    free(split.pixels);
    free(split.labels);
}

/* ---- Variance components ---- */

/* Runs {0, 2}, {2, 4}, {4, 6}: run means 1, 3, 5, grand mean 3. MSB = 2 x 8 / 2 = 8,
 * MSW = 6 / 3 = 2, so between = (8 - 2) / 2 = 3 and within = 2. */
static void test_variance_split_by_hand(void **state)
{
    (void)state;
    const double y[6] = {0, 2, 2, 4, 4, 6};
    prism_variance_split v;
    prism_variance_split_compute(y, 3, 2, &v);
    assert_close(v.grand_mean, 3.0, 1e-15, "grand mean");
    assert_close(v.ms_between, 8.0, 1e-15, "MSB");
    assert_close(v.ms_within, 2.0, 1e-15, "MSW");
    assert_close(v.between, 3.0, 1e-15, "between runs");
    assert_close(v.within, 2.0, 1e-15, "within runs");
    assert_false(v.between_clipped);

    /* Run means equal, masks spread: MSB = 0, the raw estimate -MSW / K is clipped. */
    const double flat[6] = {0, 10, 10, 0, 5, 5};
    prism_variance_split_compute(flat, 3, 2, &v);
    assert_close(v.ms_within, (25.0 + 25.0 + 25.0 + 25.0 + 0.0 + 0.0) / 3.0, 1e-15, "MSW");
    assert_close(v.between_raw, -v.ms_within / 2.0, 1e-15, "unclipped between");
    assert_true(v.between == 0.0 && v.between_clipped);

    /* One run: no between-run estimate; one mask: no within-run estimate. */
    prism_variance_split_compute(y, 1, 6, &v);
    assert_true(isnan(v.ms_between) && isnan(v.between) && !isnan(v.within));
    prism_variance_split_compute(y, 6, 1, &v);
    assert_true(!isnan(v.ms_between) && isnan(v.within) && isnan(v.between));
}

/* y = 50 + A_r + e_rk with A ~ N(0, 4) and e ~ N(0, 1), 4000 runs of 5 masks: the estimates
 * find 4 and 1 within 6 of their standard errors (about 0.11 and 0.011). A constant offset of
 * 1e6 changes nothing, since sums are taken about the means. */
static void test_variance_split_known_components(void **state)
{
    (void)state;
    enum { RUNS = 4000, MASKS = 5 };
    double *y = malloc(RUNS * MASKS * sizeof *y);
    double *shifted = malloc(RUNS * MASKS * sizeof *shifted);
    assert_non_null(y);
    assert_non_null(shifted);
    prism_rng rng;
    open_test_stream(&rng, 10, 0);
    for (size_t r = 0; r < RUNS; r++) {
        double run_effect = 2.0 * prism_rng_normal(&rng);
        for (size_t k = 0; k < MASKS; k++) {
            y[r * MASKS + k] = 50.0 + run_effect + prism_rng_normal(&rng);
            shifted[r * MASKS + k] = y[r * MASKS + k] + 1e6;
        }
    }
    prism_variance_split v;
    prism_variance_split_compute(y, RUNS, MASKS, &v);
    if (fabs(v.between - 4.0) > 0.6 || fabs(v.within - 1.0) > 0.07) {
        fail_msg("between %.4f (expected 4), within %.4f (expected 1)", v.between, v.within);
    }
    prism_variance_split w;
    prism_variance_split_compute(shifted, RUNS, MASKS, &w);
    assert_close(w.between, v.between, 1e-6, "between under a 1e6 offset");
    assert_close(w.within, v.within, 1e-6, "within under a 1e6 offset");
    free(y);
    free(shifted);
}

/* ---- Ceilings ---- */

static void test_ceiling_value(void **state)
{
    (void)state;
    const size_t counts[5] = {5, 50, 7, 30, 8};
    assert_close(prism_ceiling_pct(counts, 5, 2), 80.0, 1e-15, "top two of 100");
    assert_close(prism_ceiling_pct(counts, 5, 1), 50.0, 1e-15, "top one of 100");
    assert_close(prism_ceiling_pct(counts, 5, 5), 100.0, 1e-15, "every class");
    assert_close(prism_ceiling_pct(counts, 5, 9), 100.0, 1e-15, "more classes than exist");
    assert_true(isnan(prism_ceiling_pct(counts, 5, 0)));
    const size_t none[3] = {0, 0, 0};
    assert_true(isnan(prism_ceiling_pct(none, 3, 2)));

    /* MNIST's test labels: the two largest classes are 1 (1135) and 2 (1032). */
    const size_t mnist[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    assert_close(prism_ceiling_pct(mnist, 10, 2), 21.67, 1e-12, "MNIST two-class ceiling");
}

static size_t ceiling_classes(prism_test_kind kind, double level, size_t width,
                              prism_norm_kind norm, prism_site_kind site)
{
    prism_layer_spec layer = {.width = width, .act = {PRISM_ACT_TANH, 0.0f}, .norm = norm};
    prism_ceiling c = prism_ceiling_find(kind, level, &layer, site);
    assert_true((c.max_classes == 0) == (c.reason == NULL));
    return c.max_classes;
}

/* The ceiling exists exactly where one neuron is left before a norm. */
static void test_ceiling_flagged_cells(void **state)
{
    (void)state;
    const prism_norm_kind ln = PRISM_NORM_LAYERNORM;
    const prism_site_kind pre = PRISM_SITE_PRE_NORM;
    /* Lobotomy, random and targeted: only when H - 1 die. */
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.9, 10, ln, pre), 2);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.95, 10, ln, pre), 2);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.89, 10, ln, pre), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.7, 10, ln, pre), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.5, 2, ln, pre), 2);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.9, 100, ln, pre), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.99, 100, ln, pre), 2);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY_TARGETED, 0.9, 10, ln, pre), 2);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY_TARGETED, 0.8, 10, ln, pre), 0);
    /* Spike: only at level 1. */
    assert_int_equal(ceiling_classes(PRISM_TEST_SPIKE, 1.0, 10, ln, pre), 2);
    assert_int_equal(ceiling_classes(PRISM_TEST_SPIKE, 0.999, 10, ln, pre), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_SPIKE_TARGETED, 1.0, 10, ln, pre), 2);
    assert_int_equal(ceiling_classes(PRISM_TEST_SPIKE_TARGETED, 0.9, 10, ln, pre), 0);
    /* Tests that never provably leave one neuron, and clean levels. */
    assert_int_equal(ceiling_classes(PRISM_TEST_NOISE, 3.0, 10, ln, pre), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_DROPOUT, 0.99, 10, ln, pre), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_STUCK_AT, 0.9, 10, ln, pre), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_ADDITIVE_NOISE, -20.0, 10, ln, pre), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.0, 10, ln, pre), 0);
    /* Other sites, and no norm: the survivor's value carries more than its sign. */
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.9, 10, ln, PRISM_SITE_POST_NORM), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.9, 10, ln, PRISM_SITE_POST_ACT), 0);
    assert_int_equal(ceiling_classes(PRISM_TEST_SPIKE, 1.0, 10, PRISM_NORM_NONE, pre), 0);
    /* RMSNorm keeps the sign only, as LayerNorm does. */
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.9, 10, PRISM_NORM_RMSNORM, pre), 2);
    /* LayerNorm of one neuron is always 0: one class, clean or not. */
    assert_int_equal(ceiling_classes(PRISM_TEST_LOBOTOMY, 0.0, 1, ln, pre), 1);
    assert_int_equal(ceiling_classes(PRISM_TEST_ADDITIVE_NOISE, 10.0, 1, ln, pre), 1);
}

/* ---- Reports ---- */

/* An article configuration with spike level 1 added, fake results with every run done, and
 * labels with a two-class share of 55 %. */
static void make_report_inputs(prism_experiment_config *config, prism_results *results,
                               size_t masks)
{
    prism_config_article(config);
    config->runs = 3;
    config->masks = masks;
    prism_test_plan *spike = &config->tests[1];
    spike->levels[spike->n_levels++] = 1.0;
    prism_error err = {{0}};
    assert_int_equal(prism_results_create(results, config, &err), 0);
    size_t total = results->runs * results->n_variants * results->n_slots * results->n_masks;
    for (size_t i = 0; i < total; i++) {
        results->accuracy_pct[i] = 10.0 + (double)(i % 7);
    }
    for (size_t i = 0; i < results->runs * results->n_variants; i++) {
        results->model_done[i] = true;
    }
    const size_t counts[10] = {100, 300, 250, 50, 50, 50, 50, 50, 50, 50};
    memcpy(results->test_class_counts, counts, sizeof counts);
    results->test_count = 1000;
}

static size_t count_occurrences(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* The dagger marks lobotomy 0.9 and spike 1 (three models each) at pre_norm, and nothing at
 * post_norm; the footnote gives the ceiling from the labels. */
static void test_tables_flag_ceilings(void **state)
{
    (void)state;
    prism_experiment_config config;
    prism_results results;
    make_report_inputs(&config, &results, 1);
    for (int pass = 0; pass < 2; pass++) {
        config.site.kind = pass == 0 ? PRISM_SITE_PRE_NORM : PRISM_SITE_POST_NORM;
        prism_summary_table table;
        prism_error err = {{0}};
        assert_int_equal(prism_summary_table_build(&config, &results, &table, &err), 0);
        char *text = NULL;
        size_t bytes = 0;
        FILE *out = open_memstream(&text, &bytes);
        assert_non_null(out);
        prism_print_tables(out, &config, &table);
        fclose(out);
        if (pass == 0) {
            assert_int_equal(count_occurrences(text, " † |"), 6);
            assert_int_equal(count_occurrences(text, "† at most 55.00% possible: "), 2);
            assert_non_null(strstr(text, "| 0.9 | relu | 3 | "));
        } else {
            assert_int_equal(count_occurrences(text, "†"), 0);
        }
        free(text);
        prism_summary_table_destroy(&table);
    }
    prism_results_destroy(&results);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* runs.csv keeps the article's header with one mask and gains `mask` after `run` with several;
 * summary.csv's header never changes; summary.json gives ceilings per entry, and variance
 * components only with several masks. */
static void test_output_files_by_masks(void **state)
{
    (void)state;
    for (size_t masks = 1; masks <= 3; masks += 2) {
        prism_experiment_config config;
        prism_results results;
        make_report_inputs(&config, &results, masks);
        prism_summary_table table;
        prism_error err = {{0}};
        assert_int_equal(prism_summary_table_build(&config, &results, &table, &err), 0);
        prism_dataset dataset;
        memset(&dataset, 0, sizeof dataset);
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/disturb_outputs_%zu", PRISM_SCRATCH_DIR, masks);
        if (prism_write_outputs(dir, &config, &dataset, &results, &table, true, &err) != 0) {
            fail_msg("%s", err.message);
        }

        char path[1100];
        snprintf(path, sizeof path, "%s/runs.csv", dir);
        const char *runs = read_text(path);
        const char *header = masks == 1 ? "test,level,activation,run,accuracy\n"
                                        : "test,level,activation,run,mask,accuracy\n";
        assert_int_equal(strncmp(runs, header, strlen(header)), 0);
        size_t rows = count_occurrences(runs, "\n") - 1;
        assert_int_equal(rows, results.n_slots * 3 * 3 * masks);
        if (masks == 3) {
            assert_non_null(strstr(runs, "\nlobotomy,0.3,relu,2,3,"));
        }

        snprintf(path, sizeof path, "%s/summary.csv", dir);
        const char *summary = read_text(path);
        const char *summary_header = "test,level,activation,n,mean,sd,ci_low,ci_high\n";
        assert_int_equal(strncmp(summary, summary_header, strlen(summary_header)), 0);

        snprintf(path, sizeof path, "%s/summary.json", dir);
        cJSON *root = cJSON_Parse(read_text(path));
        assert_non_null(root);
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "summary");
        size_t flagged = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, list) {
            const cJSON *ceiling = cJSON_GetObjectItemCaseSensitive(item, "ceiling_pct");
            assert_non_null(ceiling);
            if (cJSON_IsNumber(ceiling)) {
                flagged++;
                assert_close(ceiling->valuedouble, 55.0, 1e-12, "ceiling in summary.json");
            }
            const cJSON *split = cJSON_GetObjectItemCaseSensitive(item, "variance_components");
            assert_true((split != NULL) == (masks > 1));
            /* n counts runs, not runs x masks. */
            assert_int_equal(cJSON_GetObjectItemCaseSensitive(item, "n")->valueint, 3);
        }
        assert_int_equal(flagged, 6);
        cJSON_Delete(root);
        prism_summary_table_destroy(&table);
        prism_results_destroy(&results);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_names_and_levels),
        cmocka_unit_test(test_dropout_binomial_no_rescale),
        cmocka_unit_test(test_dropout_is_a_mask),
        cmocka_unit_test(test_additive_noise_snr),
        cmocka_unit_test(test_additive_noise_fresh_and_chunked),
        cmocka_unit_test(test_stuck_at_columns),
        cmocka_unit_test(test_missing_inputs_rejected),
        cmocka_unit_test(test_rank_by_importance),
        cmocka_unit_test(test_targeted_picks_most_important),
        cmocka_unit_test(test_mask_stream_keys),
        cmocka_unit_test(test_masks_per_level),
        cmocka_unit_test(test_variance_split_by_hand),
        cmocka_unit_test(test_variance_split_known_components),
        cmocka_unit_test(test_ceiling_value),
        cmocka_unit_test(test_ceiling_flagged_cells),
        cmocka_unit_test(test_tables_flag_ceilings),
        cmocka_unit_test(test_output_files_by_masks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
