/* The first-layer kernels: every instruction-set variant this machine can run must give the
 * same bits as every other (so results do not depend on the machine), and agree with a plain
 * double-precision reference within float rounding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "core/rng.h"
#include "data/dataset.h"
#include "model/kernel_variants.h"
#include "model/kernels.h"
#include "model/layers.h"

/* Every variant; usable[v]: this CPU can run it. */
static const prism_kernel_table *const variants = prism_kernel_tables;
static bool usable[PRISM_KERNEL_VARIANTS];

static int setup(void **state)
{
    (void)state;
    for (size_t v = 0; v < PRISM_KERNEL_VARIANTS; v++) {
        usable[v] = prism_kernel_variant_usable(v);
    }
    return 0;
}

static float *random_floats(size_t n, uint64_t key)
{
    prism_rng rng;
    prism_rng_open(&rng, 7, PRISM_RNG_TEST, &key, 1);
    float *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i] = (float)(2.0 * prism_rng_uniform(&rng) - 1.0);
    }
    return v;
}

/* Shapes that exercise every block and every remainder path: the article's, odd widths, a
 * column count that is not a multiple of 16, and fewer rows than one block. */
static const size_t SHAPES[][3] = {
    {512, 784, 10}, {96, 784, 10}, {7, 784, 10}, {13, 100, 7}, {3, 37, 1}, {9, 64, 16},
    {5, 17, 11},
};

static void test_forward_variants_agree(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        size_t n = SHAPES[s][0];
        size_t d = SHAPES[s][1];
        size_t h = SHAPES[s][2];
        float *x = random_floats(n * d, 1 + s);
        float *w = random_floats(h * d, 100 + s);
        float *b = random_floats(h, 200 + s);
        float *ref = malloc(n * h * sizeof *ref);
        float *got = malloc(n * h * sizeof *got);

        variants[0].forward(x, n, d, w, b, h, NULL, ref);
        for (size_t i = 0; i < n; i++) {
            for (size_t o = 0; o < h; o++) {
                double sum = b[o];
                for (size_t k = 0; k < d; k++) {
                    sum += (double)x[i * d + k] * w[o * d + k];
                }
                assert_true(fabs(ref[i * h + o] - sum) <= 1e-5 + 1e-5 * fabs(sum));
            }
        }
        for (int v = 1; v < PRISM_KERNEL_VARIANTS; v++) {
            if (!usable[v]) {
                continue;
            }
            variants[v].forward(x, n, d, w, b, h, NULL, got);
            if (memcmp(ref, got, n * h * sizeof *got) != 0) {
                fail_msg("forward: %s differs from generic for shape %zu x %zu x %zu",
                         variants[v].name, n, d, h);
            }
        }
        free(x);
        free(w);
        free(b);
        free(ref);
        free(got);
    }
}

static void test_weight_grad_variants_agree(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        size_t n = SHAPES[s][0];
        size_t d = SHAPES[s][1];
        size_t h = SHAPES[s][2];
        float *x = random_floats(n * d, 300 + s);
        float *dz = random_floats(n * h, 400 + s);
        float *ref_w = malloc(h * d * sizeof(float));
        float *ref_b = malloc(h * sizeof(float));
        float *got_w = malloc(h * d * sizeof(float));
        float *got_b = malloc(h * sizeof(float));

        variants[0].weight_grad(x, dz, n, d, h, false, ref_w, ref_b);
        for (size_t o = 0; o < h; o++) {
            double bias = 0.0;
            for (size_t i = 0; i < n; i++) {
                bias += dz[i * h + o];
            }
            assert_true(fabs(ref_b[o] - bias) <= 1e-5 + 1e-5 * fabs(bias));
            for (size_t k = 0; k < d; k++) {
                double sum = 0.0;
                for (size_t i = 0; i < n; i++) {
                    sum += (double)dz[i * h + o] * x[i * d + k];
                }
                assert_true(fabs(ref_w[o * d + k] - sum) <= 1e-4 + 1e-5 * fabs(sum));
            }
        }
        for (int v = 1; v < PRISM_KERNEL_VARIANTS; v++) {
            if (!usable[v]) {
                continue;
            }
            variants[v].weight_grad(x, dz, n, d, h, false, got_w, got_b);
            if (memcmp(ref_w, got_w, h * d * sizeof(float)) != 0 ||
                memcmp(ref_b, got_b, h * sizeof(float)) != 0) {
                fail_msg("weight grad: %s differs from generic for shape %zu x %zu x %zu",
                         variants[v].name, n, d, h);
            }
        }
        free(x);
        free(dz);
        free(ref_w);
        free(ref_b);
        free(got_w);
        free(got_b);
    }
}

/* Every byte value, through the vector part and the scalar tail, must equal the step-by-step
 * float32 formula bit for bit. */
static void test_normalise_exact_for_every_byte(void **state)
{
    (void)state;
    enum { COUNT = 256 + 16 + 5 };
    uint8_t pixels[COUNT];
    for (int i = 0; i < COUNT; i++) {
        pixels[i] = (uint8_t)((i * 7 + 3) % 256);
    }
    for (int v = 0; v < PRISM_KERNEL_VARIANTS; v++) {
        if (!usable[v]) {
            continue;
        }
        float out[COUNT];
        variants[v].normalise(pixels, COUNT, out);
        for (int i = 0; i < COUNT; i++) {
            float want = prism_pixel_normalise(pixels[i]);
            if (memcmp(&want, &out[i], sizeof want) != 0) {
                fail_msg("normalise %s: byte %d gives %a, expected %a", variants[v].name,
                         pixels[i], (double)out[i], (double)want);
            }
        }
    }
    assert_true(prism_pixel_normalise(0) == -1.0f);
    assert_true(prism_pixel_normalise(255) == 1.0f);
}

/* A first layer fed straight from shuffled bytes gives the normalised rows and the products of
 * normalising first and then calling the float kernel, bit for bit, in every variant, with and
 * without a prefetch stream; the shapes cover the fused block (whole blocks of 4 rows and 5
 * outputs, a row left over, h past a block of 5) and the fallback (d not a multiple of 16,
 * h < 5). The stream's lines are requested in order, as far as they go. */
static void test_gather_forward_matches_two_steps(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{32, 784, 10}, {7, 784, 10}, {9, 64, 12}, {6, 37, 3}};
    enum { IMAGES = 50 };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t n = shapes[s][0];
        size_t d = shapes[s][1];
        size_t h = shapes[s][2];
        uint8_t *pixels = malloc(IMAGES * d);
        uint32_t indices[32];
        prism_rng rng;
        uint64_t key = 900 + s;
        prism_rng_open(&rng, 7, PRISM_RNG_TEST, &key, 1);
        for (size_t i = 0; i < IMAGES * d; i++) {
            pixels[i] = (uint8_t)prism_rng_below(&rng, 256);
        }
        for (size_t i = 0; i < n; i++) {
            indices[i] = (uint32_t)prism_rng_below(&rng, IMAGES);
        }
        float *w = random_floats(h * d, 1000 + s);
        float *b = random_floats(h, 1100 + s);
        size_t x_bytes = n * d * sizeof(float);
        size_t z_bytes = n * h * sizeof(float);
        float *x_ref = malloc(x_bytes);
        float *z_ref = malloc(z_bytes);
        float *x = malloc(x_bytes);
        float *z = malloc(z_bytes);
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < d; k++) {
                x_ref[i * d + k] = prism_pixel_normalise(pixels[(size_t)indices[i] * d + k]);
            }
        }
        variants[0].forward(x_ref, n, d, w, b, h, NULL, z_ref);
        for (int v = 0; v < PRISM_KERNEL_VARIANTS; v++) {
            if (!usable[v]) {
                continue;
            }
            for (int streamed = 0; streamed < 2; streamed++) {
                prism_prefetch_stream stream = {pixels, indices, n, d, 0, NULL, 0};
                variants[v].gather_forward(pixels, indices, n, d, w, b, h,
                                           streamed ? &stream : NULL, x, z);
                if (memcmp(x, x_ref, x_bytes) != 0 || memcmp(z, z_ref, z_bytes) != 0) {
                    fail_msg("gather forward: %s%s differs from the two steps for %zu x %zu x "
                             "%zu", variants[v].name, streamed ? " (streamed)" : "", n, d, h);
                }
                assert_true(stream.next_row <= n);
                assert_true(!streamed || d % 16 != 0 || stream.next_row > 0);
            }
        }
        free(pixels);
        free(w);
        free(b);
        free(x_ref);
        free(z_ref);
        free(x);
        free(z);
    }
}

/* The row-wise layers 16 rows at a time give the bits of model/layers.c's loops in every
 * variant: row counts below, at and past a block of 16, widths 1, 10 and 16, parameter gradients
 * started and continued, a NaN and a huge logit. */
static void test_row_layers_match_reference(void **state)
{
    (void)state;
    static const size_t rows[] = {1, 16, 37};
    static const size_t widths[] = {1, 10, 16};
    for (size_t a = 0; a < 3; a++) {
        for (size_t b = 0; b < 3; b++) {
            size_t n = rows[a];
            size_t h = widths[b];
            float *x = random_floats(n * h, 500 + a * 3 + b);
            float *dy = random_floats(n * h, 600 + a * 3 + b);
            float *gain = random_floats(h, 700 + b);
            float *shift = random_floats(h, 800 + b);
            uint8_t labels[37];
            for (size_t i = 0; i < n; i++) {
                labels[i] = (uint8_t)((i * 7) % h);
                x[i * h] *= 40.0f; /* spread logits: exp of large negatives */
            }
            if (n > 3 && h > 1) {
                x[3 * h + 1] = NAN;
            }
            size_t bytes = n * h * sizeof(float);
            float *ref_y = malloc(bytes);
            float *ref_xhat = malloc(bytes);
            float *ref_dx = malloc(bytes);
            float *got_y = malloc(bytes);
            float *got_xhat = malloc(bytes);
            float *got_dx = malloc(bytes);
            float *ref_dlogits = malloc(bytes);
            float *got_dlogits = malloc(bytes);
            float ref_rstd[37];
            float got_rstd[37];
            float ref_dgain[16];
            float ref_dshift[16];
            float got_dgain[16];
            float got_dshift[16];

            prism_layernorm_forward(x, n, h, gain, shift, 1e-5f, ref_y, ref_xhat, ref_rstd);
            prism_layernorm_backward(dy, ref_xhat, ref_rstd, n, h, gain, false, ref_dx,
                                     ref_dgain, ref_dshift);
            prism_layernorm_backward(dy, ref_xhat, ref_rstd, n, h, gain, true, ref_dx,
                                     ref_dgain, ref_dshift);
            double ref_loss = 0.25;
            prism_softmax_xent_part(x, labels, n, h, 512, ref_dlogits, &ref_loss);

            for (int v = 0; v < PRISM_KERNEL_VARIANTS; v++) {
                if (!usable[v]) {
                    continue;
                }
                variants[v].layernorm_forward(x, n, h, gain, shift, 1e-5f, got_y, got_xhat,
                                              got_rstd);
                variants[v].layernorm_backward(dy, got_xhat, got_rstd, n, h, gain, false,
                                               got_dx, got_dgain, got_dshift);
                variants[v].layernorm_backward(dy, got_xhat, got_rstd, n, h, gain, true,
                                               got_dx, got_dgain, got_dshift);
                double got_loss = 0.25;
                variants[v].softmax_xent(x, labels, n, h, 512, got_dlogits, &got_loss);
                if (memcmp(ref_y, got_y, bytes) != 0 || memcmp(ref_xhat, got_xhat, bytes) != 0 ||
                    memcmp(ref_rstd, got_rstd, n * sizeof(float)) != 0 ||
                    memcmp(ref_dgain, got_dgain, h * sizeof(float)) != 0 ||
                    memcmp(ref_dshift, got_dshift, h * sizeof(float)) != 0 ||
                    memcmp(ref_dx, got_dx, bytes) != 0 ||
                    memcmp(ref_dlogits, got_dlogits, bytes) != 0 ||
                    memcmp(&ref_loss, &got_loss, sizeof ref_loss) != 0) {
                    fail_msg("row layers: %s differs from layers.c for %zu rows of %zu",
                             variants[v].name, n, h);
                }
            }
            free(x);
            free(dy);
            free(gain);
            free(shift);
            free(ref_y);
            free(ref_xhat);
            free(ref_dx);
            free(got_y);
            free(got_xhat);
            free(got_dx);
            free(ref_dlogits);
            free(got_dlogits);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_variants_agree),
        cmocka_unit_test(test_weight_grad_variants_agree),
        cmocka_unit_test(test_normalise_exact_for_every_byte),
        cmocka_unit_test(test_gather_forward_matches_two_steps),
        cmocka_unit_test(test_row_layers_match_reference),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
