/* Tests of the stress masks: the lobotomy kill count's floor semantics over many widths and
 * levels, the exact factors of every mask, the energy rule sum m_i^2 = H, the noise mask's
 * log-normal ratios reproduced from the same random stream, extreme levels, rejected input,
 * and that a mask depends on its stream and on nothing else. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rng.h"
#include "stress/mask.h"

enum { MAX_WIDTH = 4096 };

/* Masks are float32, so sums over them agree with H to float precision only. */
static const double ENERGY_RTOL = 1e-5;

/* ---- Helpers ---- */

/* The test's own stream for mask number `index`, as the experiment keys one per mask. */
static void open_stream(prism_rng *rng, uint64_t index)
{
    uint64_t coords[2] = {0x6d61736bULL, index};
    prism_rng_open(rng, 7, PRISM_RNG_MASK, coords, 2);
}

/* Builds a mask that must succeed, on stream `index`. */
static void build_ok(prism_test_kind kind, double level, size_t width, uint64_t index,
                     float *mask)
{
    prism_rng rng;
    prism_error err = {{0}};
    open_stream(&rng, index);
    int status = prism_mask_build(kind, level, width, &rng, mask, &err);
    if (status != 0) {
        fail_msg("%s level %g width %zu: %s", prism_test_name(kind), level, width, err.message);
    }
}

static double energy(const float *mask, size_t width)
{
    double sum = 0.0;
    for (size_t i = 0; i < width; i++) {
        sum += (double)mask[i] * (double)mask[i];
    }
    return sum;
}

/* |got - ref| <= rtol |ref|, with a message naming what was compared. */
static void assert_close(double got, double ref, double rtol, const char *what)
{
    if (!(fabs(got - ref) <= rtol * fabs(ref))) {
        fail_msg("%s: expected %.17g, found %.17g (rtol %g)", what, ref, got, rtol);
    }
}

static void assert_energy(const float *mask, size_t width, const char *what)
{
    assert_close(energy(mask, width), (double)width, ENERGY_RTOL, what);
}

/* ---- Lobotomy kill count ---- */

/* The article's worked examples, where H s lands a hair off an integer in binary. */
static void test_kill_count_examples(void **state)
{
    (void)state;
    assert_int_equal(prism_lobotomy_kill_count(10, 0.3), 3);
    assert_int_equal(prism_lobotomy_kill_count(10, 0.5), 5);
    assert_int_equal(prism_lobotomy_kill_count(10, 0.7), 7);
    assert_int_equal(prism_lobotomy_kill_count(10, 0.9), 9);
    assert_int_equal(prism_lobotomy_kill_count(10, 0.99), 9);
    assert_int_equal(prism_lobotomy_kill_count(10, 0.0), 0);
    assert_int_equal(prism_lobotomy_kill_count(10, 0.05), 0);
    assert_int_equal(prism_lobotomy_kill_count(10, 0.15), 1);
    /* 100 x 0.29 is 28.999999999999996 and 100 x 0.57 is 56.99999999999999 in doubles. */
    assert_int_equal(prism_lobotomy_kill_count(100, 0.29), 29);
    assert_int_equal(prism_lobotomy_kill_count(100, 0.57), 57);
    assert_int_equal(prism_lobotomy_kill_count(100, 0.58), 58);
    assert_int_equal(prism_lobotomy_kill_count(100, 0.99), 99);
    assert_int_equal(prism_lobotomy_kill_count(100, 0.999), 99);
    /* Capped at H - 1: a level a hair under 1 must still leave one survivor. */
    assert_int_equal(prism_lobotomy_kill_count(10, nextafter(1.0, 0.0)), 9);
    assert_int_equal(prism_lobotomy_kill_count(1, 0.9), 0);
    assert_int_equal(prism_lobotomy_kill_count(2, 0.5), 1);
}

/* For every width up to 300 and a few large ones, and every k < H: the level k / H (the double
 * nearest to it, which is also what the decimal literal gives) kills exactly k, a level just
 * inside the next step still kills k, and a level a third of a step higher kills k too. */
static void test_kill_count_floor_over_widths(void **state)
{
    (void)state;
    static const size_t large[] = {512, 1000, 1024, 4096, 10000};
    size_t widths[300 + sizeof large / sizeof large[0]];
    size_t n_widths = 0;
    for (size_t h = 1; h <= 300; h++) {
        widths[n_widths++] = h;
    }
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
        widths[n_widths++] = large[i];
    }

    size_t checked = 0;
    for (size_t w = 0; w < n_widths; w++) {
        size_t h = widths[w];
        for (size_t k = 0; k < h; k++) {
            double exact = (double)k / (double)h;
            double third = ((double)k + 1.0 / 3.0) / (double)h;
            double almost_next = ((double)k + 0.999) / (double)h;
            size_t got_exact = prism_lobotomy_kill_count(h, exact);
            size_t got_third = prism_lobotomy_kill_count(h, third);
            size_t got_almost = prism_lobotomy_kill_count(h, almost_next);
            if (got_exact != k || got_third != k || got_almost != k) {
                fail_msg("width %zu, k %zu: levels k/H, (k+1/3)/H, (k+0.999)/H killed %zu, %zu, "
                         "%zu; expected %zu each", h, k, got_exact, got_third, got_almost, k);
            }
            checked++;
        }
        /* Levels at or a hair under 1 are capped, never all H. */
        size_t capped = prism_lobotomy_kill_count(h, nextafter(1.0, 0.0));
        if (capped != h - 1) {
            fail_msg("width %zu, level 1 - ulp: expected %zu killed, found %zu", h, h - 1,
                     capped);
        }
    }
    assert_true(checked > 45000); /* the loops really ran over every (H, k) */
}

/* ---- Lobotomy mask ---- */

static void test_lobotomy_mask_factors(void **state)
{
    (void)state;
    static const size_t widths[] = {1, 2, 3, 10, 17, 100, 1000};
    static const double levels[] = {0.05, 0.1, 0.3, 0.5, 0.57, 0.7, 0.9, 0.99};
    float mask[MAX_WIDTH];
    uint64_t stream = 0;

    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        size_t h = widths[w];
        for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
            size_t killed = prism_lobotomy_kill_count(h, levels[l]);
            float survivor = (float)sqrt((double)h / (double)(h - killed));
            build_ok(PRISM_TEST_LOBOTOMY, levels[l], h, stream++, mask);

            size_t zeros = 0;
            for (size_t i = 0; i < h; i++) {
                if (mask[i] == 0.0f) {
                    zeros++;
                } else if (mask[i] != survivor) {
                    fail_msg("width %zu level %g: entry %zu is %.9g, expected 0 or %.9g", h,
                             levels[l], i, (double)mask[i], (double)survivor);
                }
            }
            if (zeros != killed) {
                fail_msg("width %zu level %g: %zu zeros, expected %zu", h, levels[l], zeros,
                         killed);
            }
            assert_energy(mask, h, "lobotomy energy");
        }
    }

    /* The article's own case, spelled out: H = 10 at 0.3 keeps 7 neurons at sqrt(10/7). */
    build_ok(PRISM_TEST_LOBOTOMY, 0.3, 10, 99, mask);
    size_t survivors = 0;
    for (size_t i = 0; i < 10; i++) {
        survivors += mask[i] != 0.0f;
    }
    assert_int_equal(survivors, 7);
    assert_energy(mask, 10, "H=10 lobotomy 0.3 energy");
}

/* The victims are uniform: over many masks each of H = 10 neurons dies in about 30 % of them
 * at level 0.3. Bounds are 6 binomial standard deviations (sd = sqrt(n p (1 - p)) = 45.8). */
static void test_lobotomy_victims_uniform(void **state)
{
    (void)state;
    enum { MASKS = 10000, WIDTH = 10 };
    size_t deaths[WIDTH] = {0};
    float mask[WIDTH];
    for (uint64_t s = 0; s < MASKS; s++) {
        build_ok(PRISM_TEST_LOBOTOMY, 0.3, WIDTH, s, mask);
        for (size_t i = 0; i < WIDTH; i++) {
            deaths[i] += mask[i] == 0.0f;
        }
    }
    for (size_t i = 0; i < WIDTH; i++) {
        if (deaths[i] < 3000 - 275 || deaths[i] > 3000 + 275) {
            fail_msg("neuron %zu died in %zu of %d masks, expected about 3000", i, deaths[i],
                     MASKS);
        }
    }
}

/* ---- Spike mask ---- */

/* Checks one spike mask: exactly one entry is sqrt(sH), every other sqrt((1-s)H/(H-1)).
 * Returns the spike's index. Only for levels where the two factors differ (s != 1/H). */
static size_t check_spike(const float *mask, size_t h, double s)
{
    float spike = (float)sqrt(s * (double)h);
    float rest = (float)sqrt((1.0 - s) * (double)h / (double)(h - 1));
    assert_true(spike != rest);

    size_t spikes = 0;
    size_t where = h;
    for (size_t i = 0; i < h; i++) {
        if (mask[i] == spike) {
            spikes++;
            where = i;
        } else if (mask[i] != rest) {
            fail_msg("width %zu level %g: entry %zu is %.9g, expected %.9g or %.9g", h, s, i,
                     (double)mask[i], (double)spike, (double)rest);
        }
    }
    if (spikes != 1) {
        fail_msg("width %zu level %g: %zu spike entries, expected 1", h, s, spikes);
    }
    return where;
}

static void test_spike_mask_factors(void **state)
{
    (void)state;
    static const size_t widths[] = {2, 3, 10, 64, 1000};
    static const double levels[] = {0.3, 0.5, 0.7, 0.9, 0.95};
    float mask[MAX_WIDTH];
    uint64_t stream = 0;

    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        size_t h = widths[w];
        for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
            double s = levels[l];
            if (fabs(s * (double)h - 1.0) < 1e-12) {
                continue; /* s = 1/H: the spike equals the rest and cannot be told apart */
            }
            build_ok(PRISM_TEST_SPIKE, s, h, stream++, mask);
            size_t where = check_spike(mask, h, s);
            assert_energy(mask, h, "spike energy");

            /* s is the share of the layer's energy in the one neuron. */
            double share = (double)mask[where] * (double)mask[where] / (double)h;
            assert_close(share, s, 1e-6, "spike share m_spike^2 / H");
            if (s > 1.0 / (double)h) {
                for (size_t i = 0; i < h; i++) {
                    assert_true(mask[i] <= mask[where]); /* the spike is the largest factor */
                }
            }
        }
    }

    /* The article's H = 10 at 0.9: one neuron sqrt(9) = 3, nine at sqrt(0.1 x 10 / 9) = 1/3. */
    build_ok(PRISM_TEST_SPIKE, 0.9, 10, 1234, mask);
    size_t where = check_spike(mask, 10, 0.9);
    assert_float_equal(mask[where], 3.0f, 1e-6f);
    assert_float_equal(mask[(where + 1) % 10], 1.0f / 3.0f, 1e-6f);
}

/* s = 1 puts all energy in one neuron; s = 0 (never used by the experiment, where level 0 means
 * no mask) follows the same formula: one neuron silenced, the rest sqrt(H / (H - 1)). */
static void test_spike_edges(void **state)
{
    (void)state;
    float mask[10];

    build_ok(PRISM_TEST_SPIKE, 1.0, 10, 5, mask);
    size_t nonzero = 0;
    for (size_t i = 0; i < 10; i++) {
        if (mask[i] != 0.0f) {
            nonzero++;
            assert_float_equal(mask[i], (float)sqrt(10.0), 0.0f);
        }
    }
    assert_int_equal(nonzero, 1);
    assert_energy(mask, 10, "spike 1 energy");

    build_ok(PRISM_TEST_SPIKE, 0.0, 10, 6, mask);
    size_t zeros = 0;
    for (size_t i = 0; i < 10; i++) {
        if (mask[i] == 0.0f) {
            zeros++;
        } else {
            assert_float_equal(mask[i], (float)sqrt(10.0 / 9.0), 0.0f);
        }
    }
    assert_int_equal(zeros, 1);
    assert_energy(mask, 10, "spike 0 energy");

    /* Width 2 at s = 0.5: both factors are 1, a mask that changes nothing. */
    build_ok(PRISM_TEST_SPIKE, 0.5, 2, 7, mask);
    assert_float_equal(mask[0], 1.0f, 1e-7f);
    assert_float_equal(mask[1], 1.0f, 1e-7f);
}

/* The spiked neuron is uniform over the layer: each of 10 positions in about 1/10 of 20000
 * masks, within 6 binomial standard deviations (sd = 42.4). */
static void test_spike_position_uniform(void **state)
{
    (void)state;
    enum { MASKS = 20000, WIDTH = 10 };
    size_t hits[WIDTH] = {0};
    float mask[WIDTH];
    for (uint64_t s = 0; s < MASKS; s++) {
        build_ok(PRISM_TEST_SPIKE, 0.7, WIDTH, s, mask);
        hits[check_spike(mask, WIDTH, 0.7)]++;
    }
    for (size_t i = 0; i < WIDTH; i++) {
        if (hits[i] < 2000 - 255 || hits[i] > 2000 + 255) {
            fail_msg("position %zu spiked in %zu of %d masks, expected about 2000", i, hits[i],
                     MASKS);
        }
    }
}

/* ---- Noise mask ---- */

static void assert_noise_sane(const float *mask, size_t h, double sigma, bool all_positive)
{
    float largest = 0.0f;
    for (size_t i = 0; i < h; i++) {
        if (!isfinite(mask[i]) || mask[i] < 0.0f || (all_positive && mask[i] == 0.0f)) {
            fail_msg("noise sigma %g width %zu: entry %zu is %g", sigma, h, i, (double)mask[i]);
        }
        largest = mask[i] > largest ? mask[i] : largest;
    }
    if (!(largest > 0.0f)) {
        fail_msg("noise sigma %g width %zu: largest factor %g, expected > 0", sigma, h,
                 (double)largest);
    }
    assert_energy(mask, h, "noise energy");
}

static void test_noise_mask_energy(void **state)
{
    (void)state;
    static const size_t widths[] = {1, 2, 10, 100, 1000};
    static const double sigmas[] = {0.5, 1.0, 2.0, 3.0};
    float mask[MAX_WIDTH];
    uint64_t stream = 0;
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        for (size_t l = 0; l < sizeof sigmas / sizeof sigmas[0]; l++) {
            build_ok(PRISM_TEST_NOISE, sigmas[l], widths[w], stream++, mask);
            assert_noise_sane(mask, widths[w], sigmas[l], true);
        }
    }

    /* A width-1 mask has one factor, and the energy rule leaves it at exactly 1. */
    build_ok(PRISM_TEST_NOISE, 2.0, 1, 3, mask);
    assert_float_equal(mask[0], 1.0f, 1e-7f);
}

/* Levels far beyond any useful sigma, up to the largest double, must not overflow: factors may
 * underflow to 0 but the largest stays positive and the energy stays H. With sigma >= 1e3 every
 * factor but the largest underflows, so the largest is sqrt(H) itself. */
static void test_noise_mask_huge_sigma(void **state)
{
    (void)state;
    static const double sigmas[] = {50.0, 1e3, 1e6, 1e300, 1e308, DBL_MAX};
    static const size_t widths[] = {1, 2, 10, 100};
    float mask[100];
    uint64_t stream = 0;
    for (size_t l = 0; l < sizeof sigmas / sizeof sigmas[0]; l++) {
        for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
            size_t h = widths[w];
            build_ok(PRISM_TEST_NOISE, sigmas[l], h, stream++, mask);
            assert_noise_sane(mask, h, sigmas[l], false);
            if (sigmas[l] >= 1e3) {
                float largest = 0.0f;
                for (size_t i = 0; i < h; i++) {
                    largest = mask[i] > largest ? mask[i] : largest;
                }
                assert_float_equal(largest, (float)sqrt((double)h), 1e-6f * (float)h);
            }
        }
    }
}

/* The mask is exp(sigma r_i) up to one common factor, with r_i the stream's normal draws in
 * order: m_i / m_j = exp(sigma (r_i - r_j)). The test opens the same stream and draws the
 * normals itself. */
static void test_noise_mask_ratios(void **state)
{
    (void)state;
    static const double sigmas[] = {0.5, 1.0, 2.0, 3.0};
    enum { WIDTH = 10 };
    float mask[WIDTH];
    double r[WIDTH];

    for (size_t l = 0; l < sizeof sigmas / sizeof sigmas[0]; l++) {
        double sigma = sigmas[l];
        uint64_t index = 40 + l;
        build_ok(PRISM_TEST_NOISE, sigma, WIDTH, index, mask);

        prism_rng rng;
        open_stream(&rng, index);
        for (size_t i = 0; i < WIDTH; i++) {
            r[i] = prism_rng_normal(&rng);
        }

        /* The expected mask in full: exp(sigma r_i) scaled to energy H. */
        double e[WIDTH];
        double sum = 0.0;
        for (size_t i = 0; i < WIDTH; i++) {
            e[i] = exp(sigma * r[i]);
            sum += e[i] * e[i];
        }
        for (size_t i = 0; i < WIDTH; i++) {
            double expected = e[i] * sqrt((double)WIDTH / sum);
            assert_close(mask[i], expected, 1e-6, "noise factor against exp(sigma r) / norm");
        }

        /* Every pairwise ratio; float rounding of both entries bounds the error by ~2^-23. */
        for (size_t i = 0; i < WIDTH; i++) {
            for (size_t j = 0; j < WIDTH; j++) {
                double ratio = (double)mask[i] / (double)mask[j];
                assert_close(ratio, exp(sigma * (r[i] - r[j])), 1e-6, "noise ratio m_i / m_j");
            }
        }
    }
}

/* ---- Rejected input ---- */

/* A bad level fails with a message naming the test and leaves the caller's mask untouched. */
static void assert_rejected(prism_test_kind kind, double level, size_t width)
{
    float mask[4] = {-7.0f, -7.0f, -7.0f, -7.0f};
    prism_rng rng;
    prism_error err = {{0}};
    open_stream(&rng, 0);
    int status = prism_mask_build(kind, level, width, &rng, mask, &err);
    if (status != -1) {
        fail_msg("%s level %g width %zu: expected rejection, got status %d",
                 prism_test_name(kind), level, width, status);
    }
    if (strstr(err.message, prism_test_name(kind)) == NULL) {
        fail_msg("%s level %g width %zu: message '%s' does not name the test",
                 prism_test_name(kind), level, width, err.message);
    }
    for (size_t i = 0; i < 4; i++) {
        assert_true(mask[i] == -7.0f);
    }
}

static void test_invalid_levels_rejected(void **state)
{
    (void)state;
    for (int k = 0; k < PRISM_TEST_COUNT; k++) {
        prism_test_kind kind = (prism_test_kind)k;
        assert_rejected(kind, -0.1, 4);
        assert_rejected(kind, -DBL_MIN, 4);
        assert_rejected(kind, NAN, 4);
        assert_rejected(kind, INFINITY, 4);
        assert_rejected(kind, -INFINITY, 4);
        assert_rejected(kind, 0.5, 0); /* no layer at all */
    }
    assert_rejected(PRISM_TEST_LOBOTOMY, 1.0, 4);
    assert_rejected(PRISM_TEST_LOBOTOMY, 1.5, 4);
    assert_rejected(PRISM_TEST_SPIKE, nextafter(1.0, 2.0), 4);
    assert_rejected(PRISM_TEST_SPIKE, 2.0, 4);
    assert_rejected(PRISM_TEST_SPIKE, 0.5, 1); /* a spike needs another neuron to take from */

    /* The same checks through the level validator alone, which the config check relies on. */
    prism_error err = {{0}};
    assert_int_equal(prism_test_check_level(PRISM_TEST_LOBOTOMY, 0.999, &err), 0);
    assert_int_equal(prism_test_check_level(PRISM_TEST_SPIKE, 1.0, &err), 0);
    assert_int_equal(prism_test_check_level(PRISM_TEST_NOISE, 1e300, &err), 0);
    assert_int_equal(prism_test_check_level(PRISM_TEST_LOBOTOMY, 1.0, &err), -1);
    assert_non_null(strstr(err.message, "lobotomy"));
    assert_int_equal(prism_test_check_level(PRISM_TEST_SPIKE, 1.01, &err), -1);
    assert_non_null(strstr(err.message, "spike"));
    assert_int_equal(prism_test_check_level(PRISM_TEST_NOISE, -1.0, &err), -1);
    assert_non_null(strstr(err.message, "noise"));

    /* The width is named too, so that a user can see which layer was too narrow. */
    float mask[1];
    prism_rng rng;
    open_stream(&rng, 0);
    assert_int_equal(prism_mask_build(PRISM_TEST_SPIKE, 0.5, 1, &rng, mask, &err), -1);
    assert_non_null(strstr(err.message, "width 1"));
}

static void test_names_round_trip(void **state)
{
    (void)state;
    static const char *const names[PRISM_TEST_COUNT] = {
        "lobotomy", "spike", "noise", "dropout", "additive_noise", "stuck_at",
        "lobotomy_targeted", "spike_targeted"};
    for (int k = 0; k < PRISM_TEST_COUNT; k++) {
        prism_test_kind parsed = PRISM_TEST_COUNT;
        prism_error err = {{0}};
        assert_string_equal(prism_test_name((prism_test_kind)k), names[k]);
        assert_int_equal(prism_test_parse(names[k], &parsed, &err), 0);
        assert_int_equal(parsed, k);
    }
    prism_test_kind parsed = PRISM_TEST_COUNT;
    prism_error err = {{0}};
    assert_int_equal(prism_test_parse("Spike", &parsed, &err), -1);
    assert_non_null(strstr(err.message, "'Spike'"));
    assert_int_equal(prism_test_parse("", &parsed, &err), -1);
    assert_int_equal(parsed, PRISM_TEST_COUNT);
}

/* ---- Determinism ---- */

/* A mask is a function of its stream: rebuilt from the same stream it is bit-identical, and
 * different streams give different masks. Lobotomy at width 100 and level 0.5 has C(100, 50)
 * possible masks, so two equal ones would mean the stream was ignored. */
static void test_same_stream_same_mask(void **state)
{
    (void)state;
    static const struct {
        prism_test_kind kind;
        double level;
        size_t width;
    } cases[] = {
        {PRISM_TEST_LOBOTOMY, 0.5, 100},
        {PRISM_TEST_SPIKE, 0.7, 1000},
        {PRISM_TEST_NOISE, 1.0, 10},
    };
    float a[1000];
    float b[1000];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t bytes = cases[c].width * sizeof(float);
        build_ok(cases[c].kind, cases[c].level, cases[c].width, 11, a);
        build_ok(cases[c].kind, cases[c].level, cases[c].width, 11, b);
        if (memcmp(a, b, bytes) != 0) {
            fail_msg("%s: the same stream gave two different masks",
                     prism_test_name(cases[c].kind));
        }
        build_ok(cases[c].kind, cases[c].level, cases[c].width, 12, b);
        if (memcmp(a, b, bytes) == 0) {
            fail_msg("%s: streams 11 and 12 gave the same mask", prism_test_name(cases[c].kind));
        }
    }

    /* A different seed is a different stream as well. */
    prism_rng rng;
    prism_error err = {{0}};
    uint64_t coords[2] = {0x6d61736bULL, 11};
    prism_rng_open(&rng, 8, PRISM_RNG_MASK, coords, 2);
    assert_int_equal(prism_mask_build(PRISM_TEST_NOISE, 1.0, 10, &rng, b, &err), 0);
    build_ok(PRISM_TEST_NOISE, 1.0, 10, 11, a);
    assert_true(memcmp(a, b, 10 * sizeof(float)) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_count_examples),
        cmocka_unit_test(test_kill_count_floor_over_widths),
        cmocka_unit_test(test_lobotomy_mask_factors),
        cmocka_unit_test(test_lobotomy_victims_uniform),
        cmocka_unit_test(test_spike_mask_factors),
        cmocka_unit_test(test_spike_edges),
        cmocka_unit_test(test_spike_position_uniform),
        cmocka_unit_test(test_noise_mask_energy),
        cmocka_unit_test(test_noise_mask_huge_sigma),
        cmocka_unit_test(test_noise_mask_ratios),
        cmocka_unit_test(test_invalid_levels_rejected),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_same_stream_same_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
