/* Tests of the random streams: the core generator against xoshiro256** reference output, stream
 * keys (seed, purpose, every coordinate and their order), and the distributions: uniform
 * doubles, unbiased integers below n, standard normals and shuffles.
 *
 * Statistical checks run on fixed streams, so they are deterministic; their bounds are set at
 * 5 to 7 standard deviations (or a chi-square quantile at p = 1e-6) so that only a real defect,
 * not bad luck with a new derivation, can trip them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rng.h"

static void open_test_stream(prism_rng *rng, uint64_t a)
{
    uint64_t coords[1] = {a};
    prism_rng_open(rng, 2024, PRISM_RNG_TEST, coords, 1);
}

/* True when two streams' next `n` outputs are all equal. Consumes both. */
static int same_outputs(prism_rng *a, prism_rng *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (prism_rng_next_u64(a) != prism_rng_next_u64(b)) {
            return 0;
        }
    }
    return 1;
}

/* ---- Generator and keys ---- */

/* From state {1, 2, 3, 4}, xoshiro256** (Blackman and Vigna's reference algorithm) gives these
 * outputs; computed with an independent Python transcription of the reference C code. */
static void test_generator_matches_xoshiro256starstar(void **state)
{
    (void)state;
    static const uint64_t expected[6] = {
        0x0000000000002d00ULL, 0x0000000000000000ULL, 0x000000005a007080ULL,
        0x10e0000000009d80ULL, 0x10e0b61ce1009d80ULL, 0x0870021ce143ad00ULL,
    };
    prism_rng rng = {{1, 2, 3, 4}};
    for (size_t i = 0; i < 6; i++) {
        uint64_t got = prism_rng_next_u64(&rng);
        if (got != expected[i]) {
            fail_msg("output %zu: expected 0x%016llx, found 0x%016llx", i,
                     (unsigned long long)expected[i], (unsigned long long)got);
        }
    }
}

static void test_same_key_same_sequence(void **state)
{
    (void)state;
    uint64_t coords[3] = {4, 1, 0x3fd3333333333333ULL};
    prism_rng a;
    prism_rng b;
    prism_rng_open(&a, 1, PRISM_RNG_MASK, coords, 3);
    prism_rng_open(&b, 1, PRISM_RNG_MASK, coords, 3);
    assert_memory_equal(a.state, b.state, sizeof a.state);
    assert_true(same_outputs(&a, &b, 10000));

    /* Opening another stream in between changes nothing: a stream is a pure function of its
     * key, which is what makes results independent of threads and scheduling. */
    prism_rng other;
    prism_rng_open(&a, 1, PRISM_RNG_MASK, coords, 3);
    open_test_stream(&other, 5);
    (void)prism_rng_next_u64(&other);
    prism_rng_open(&b, 1, PRISM_RNG_MASK, coords, 3);
    assert_true(same_outputs(&a, &b, 100));
}

/* Every part of the key matters, and so does the order of the coordinates. */
static void test_key_parts_matter(void **state)
{
    (void)state;
    const uint64_t c12[2] = {1, 2};
    const uint64_t c21[2] = {2, 1};
    const uint64_t c12_only[1] = {12};
    const uint64_t c1[1] = {1};
    const uint64_t c10[2] = {1, 0};
    prism_rng a;
    prism_rng b;

    prism_rng_open(&a, 1, PRISM_RNG_INIT, c12, 2);
    prism_rng_open(&b, 1, PRISM_RNG_INIT, c21, 2);
    assert_false(same_outputs(&a, &b, 4));

    prism_rng_open(&a, 1, PRISM_RNG_INIT, c12, 2);
    prism_rng_open(&b, 1, PRISM_RNG_INIT, c12_only, 1);
    assert_false(same_outputs(&a, &b, 4));

    /* A trailing zero coordinate is still a coordinate. */
    prism_rng_open(&a, 1, PRISM_RNG_INIT, c1, 1);
    prism_rng_open(&b, 1, PRISM_RNG_INIT, c10, 2);
    assert_false(same_outputs(&a, &b, 4));

    /* Same coordinates for another purpose: weights and data order must not share numbers. */
    prism_rng_open(&a, 1, PRISM_RNG_INIT, c12, 2);
    prism_rng_open(&b, 1, PRISM_RNG_SHUFFLE, c12, 2);
    assert_false(same_outputs(&a, &b, 4));
    prism_rng_open(&a, 1, PRISM_RNG_MASK, c12, 2);
    prism_rng_open(&b, 1, PRISM_RNG_TEST, c12, 2);
    assert_false(same_outputs(&a, &b, 4));

    prism_rng_open(&a, 1, PRISM_RNG_INIT, c12, 2);
    prism_rng_open(&b, 2, PRISM_RNG_INIT, c12, 2);
    assert_false(same_outputs(&a, &b, 4));

    /* No coordinates at all is a valid key, and distinct seeds still differ. */
    prism_rng_open(&a, 0, PRISM_RNG_TEST, NULL, 0);
    prism_rng_open(&b, 1, PRISM_RNG_TEST, NULL, 0);
    assert_false(same_outputs(&a, &b, 4));
}

/* Streams keyed by nearby coordinates (run r, run r + 1) start from unrelated states: their
 * first outputs agree in about half their bits, not in most of them. */
static void test_neighbouring_keys_unrelated(void **state)
{
    (void)state;
    enum { STREAMS = 1000 };
    uint64_t bits_equal = 0;
    prism_rng a;
    prism_rng b;
    for (uint64_t r = 0; r < STREAMS; r++) {
        open_test_stream(&a, r);
        open_test_stream(&b, r + 1);
        uint64_t same = ~(prism_rng_next_u64(&a) ^ prism_rng_next_u64(&b));
        bits_equal += (uint64_t)__builtin_popcountll(same);
    }
    /* Mean 32000, binomial sd sqrt(64000 / 4) = 126; 6 sd is about 760. */
    if (bits_equal < 32000 - 760 || bits_equal > 32000 + 760) {
        fail_msg("neighbouring streams share %llu of 64000 bits, expected about 32000",
                 (unsigned long long)bits_equal);
    }
}

/* ---- Distributions ---- */

static void test_uniform_range_and_moments(void **state)
{
    (void)state;
    enum { N = 1000000, BINS = 10 };
    prism_rng rng;
    open_test_stream(&rng, 1);
    double sum = 0.0;
    double lowest = 1.0;
    double highest = 0.0;
    size_t bins[BINS] = {0};
    for (size_t i = 0; i < N; i++) {
        double u = prism_rng_uniform(&rng);
        if (!(u >= 0.0 && u < 1.0)) {
            fail_msg("draw %zu: %.17g is outside [0, 1)", i, u);
        }
        /* 53 random bits: u * 2^53 is a whole number. */
        double scaled = u * 0x1.0p53;
        if (scaled != floor(scaled)) {
            fail_msg("draw %zu: %.17g is not a multiple of 2^-53", i, u);
        }
        sum += u;
        lowest = u < lowest ? u : lowest;
        highest = u > highest ? u : highest;
        bins[(size_t)(u * BINS)]++;
    }
    /* The mean's sd is sqrt(1/12 / N) = 2.9e-4. */
    assert_true(fabs(sum / N - 0.5) < 2e-3);
    assert_true(lowest < 1e-4);
    assert_true(highest > 1.0 - 1e-4);

    /* Chi-square over 10 bins; 9 degrees of freedom, p = 1e-6 quantile 44.81 (scipy). */
    double chi2 = 0.0;
    for (size_t b = 0; b < BINS; b++) {
        double d = (double)bins[b] - N / BINS;
        chi2 += d * d / (N / BINS);
    }
    if (chi2 > 44.81) {
        fail_msg("uniform histogram chi-square %.2f over 9 dof exceeds 44.81", chi2);
    }
}

/* Draws `draws` values below n and returns the chi-square statistic of their counts. */
static double below_chi_square(uint64_t stream, uint64_t n, size_t draws)
{
    prism_rng rng;
    open_test_stream(&rng, stream);
    size_t *counts = calloc(n, sizeof *counts);
    assert_non_null(counts);
    uint64_t out_of_range = 0;
    for (size_t i = 0; i < draws && out_of_range == 0; i++) {
        uint64_t x = prism_rng_below(&rng, n);
        if (x >= n) {
            out_of_range = x;
        } else {
            counts[x]++;
        }
    }
    double expected = (double)draws / (double)n;
    double chi2 = 0.0;
    for (uint64_t k = 0; k < n; k++) {
        double d = (double)counts[k] - expected;
        chi2 += d * d / expected;
    }
    free(counts);
    if (out_of_range != 0) {
        fail_msg("prism_rng_below(%llu) returned %llu", (unsigned long long)n,
                 (unsigned long long)out_of_range);
    }
    return chi2;
}

static void test_below_uniform(void **state)
{
    (void)state;
    /* p = 1e-6 chi-square quantiles from scipy.stats.chi2.ppf(1 - 1e-6, dof): dof 5 -> 35.89,
     * dof 6 -> 38.26, dof 9 -> 44.81. */
    static const struct {
        uint64_t n;
        double limit;
    } cases[] = {{6, 35.89}, {7, 38.26}, {10, 44.81}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double chi2 = below_chi_square(10 + c, cases[c].n, 70000);
        if (chi2 > cases[c].limit) {
            fail_msg("below(%llu): chi-square %.2f exceeds %.2f", (unsigned long long)cases[c].n,
                     chi2, cases[c].limit);
        }
    }

    prism_rng rng;
    open_test_stream(&rng, 20);
    for (size_t i = 0; i < 1000; i++) {
        assert_int_equal(prism_rng_below(&rng, 1), 0);
    }
}

/* For n = 3 x 2^62 a plain x % n would put [0, 2^62) twice as often as it should (probability
 * 1/2 instead of 1/3); rejection keeps it at 1/3. 30000 draws: sd of the share is 0.0027. */
static void test_below_no_modulo_bias(void **state)
{
    (void)state;
    enum { DRAWS = 30000 };
    const uint64_t n = 3ULL << 62;
    prism_rng rng;
    open_test_stream(&rng, 21);
    size_t low = 0;
    for (size_t i = 0; i < DRAWS; i++) {
        uint64_t x = prism_rng_below(&rng, n);
        assert_true(x < n);
        low += x < (1ULL << 62);
    }
    double share = (double)low / DRAWS;
    if (fabs(share - 1.0 / 3.0) > 0.02) {
        fail_msg("share below 2^62: %.4f, expected 1/3", share);
    }
}

static void test_normal_moments(void **state)
{
    (void)state;
    enum { N = 100000 };
    prism_rng rng;
    open_test_stream(&rng, 30);
    double sum = 0.0;
    double sum_sq = 0.0;
    size_t within_one = 0;
    for (size_t i = 0; i < N; i++) {
        double x = prism_rng_normal(&rng);
        assert_true(isfinite(x));
        sum += x;
        sum_sq += x * x;
        within_one += fabs(x) < 1.0;
    }
    double mean = sum / N;
    double var = sum_sq / N - mean * mean;
    /* sd of the mean 0.0032, of the variance sqrt(2 / N) = 0.0045, of the share 0.0015. */
    if (fabs(mean) > 0.02 || fabs(var - 1.0) > 0.03) {
        fail_msg("normal draws: mean %.5f, variance %.5f; expected 0 and 1", mean, var);
    }
    double share = (double)within_one / N;
    if (fabs(share - 0.6826894921370859) > 0.01) {
        fail_msg("normal draws: share with |x| < 1 is %.4f, expected 0.6827", share);
    }
}

/* A stream's k-th normal depends only on the stream (no cached second deviate), so reopening
 * the stream and drawing again reproduces every value. */
static void test_normal_reproducible(void **state)
{
    (void)state;
    prism_rng a;
    prism_rng b;
    open_test_stream(&a, 31);
    open_test_stream(&b, 31);
    for (size_t i = 0; i < 1001; i++) {
        double x = prism_rng_normal(&a);
        double y = prism_rng_normal(&b);
        assert_memory_equal(&x, &y, sizeof x);
    }
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void test_shuffle_is_permutation(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint32_t items[N];
    for (uint32_t i = 0; i < N; i++) {
        items[i] = i;
    }
    prism_rng rng;
    open_test_stream(&rng, 40);
    prism_rng_shuffle_u32(&rng, items, N);

    size_t fixed = 0;
    for (uint32_t i = 0; i < N; i++) {
        fixed += items[i] == i;
    }
    /* A random permutation has about one fixed point; an untouched array has 1000. */
    assert_true(fixed < 10);

    qsort(items, N, sizeof items[0], compare_u32);
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(items[i], i);
    }

    /* Empty and one-element arrays are left as they are. */
    uint32_t one[1] = {42};
    prism_rng_shuffle_u32(&rng, one, 1);
    assert_int_equal(one[0], 42);
    prism_rng_shuffle_u32(&rng, NULL, 0);
}

/* All 6 orders of 3 items are equally likely: 60000 shuffles, each order about 10000 times
 * (sd 91); a classic off-by-one in Fisher-Yates skews them far beyond 6 sd. */
static void test_shuffle_uniform(void **state)
{
    (void)state;
    enum { SHUFFLES = 60000 };
    size_t counts[3][3][3] = {{{0}}};
    prism_rng rng;
    open_test_stream(&rng, 41);
    for (size_t s = 0; s < SHUFFLES; s++) {
        uint32_t items[3] = {0, 1, 2};
        prism_rng_shuffle_u32(&rng, items, 3);
        counts[items[0]][items[1]][items[2]]++;
    }
    size_t orders = 0;
    for (size_t a = 0; a < 3; a++) {
        for (size_t b = 0; b < 3; b++) {
            for (size_t c = 0; c < 3; c++) {
                if (a == b || b == c || a == c) {
                    assert_int_equal(counts[a][b][c], 0);
                    continue;
                }
                orders++;
                if (counts[a][b][c] < 10000 - 550 || counts[a][b][c] > 10000 + 550) {
                    fail_msg("order %zu%zu%zu came %zu times, expected about 10000", a, b, c,
                             counts[a][b][c]);
                }
            }
        }
    }
    assert_int_equal(orders, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_matches_xoshiro256starstar),
        cmocka_unit_test(test_same_key_same_sequence),
        cmocka_unit_test(test_key_parts_matter),
        cmocka_unit_test(test_neighbouring_keys_unrelated),
        cmocka_unit_test(test_uniform_range_and_moments),
        cmocka_unit_test(test_below_uniform),
        cmocka_unit_test(test_below_no_modulo_bias),
        cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_normal_reproducible),
        cmocka_unit_test(test_shuffle_is_permutation),
        cmocka_unit_test(test_shuffle_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
