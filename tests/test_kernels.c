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
#include "model/net.h"

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
 * column count that is not a multiple of 16, fewer rows than one block, and inputs narrower
 * than a vector (the article's output layer; blocks of 10, 5 and 1 outputs; rows past a
 * multiple of 4). */
static const size_t SHAPES[][3] = {
    {512, 784, 10}, {96, 784, 10}, {7, 784, 10}, {13, 100, 7}, {3, 37, 1}, {9, 64, 16},
    {5, 17, 11},    {64, 10, 10},  {37, 12, 40}, {6, 3, 17},
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

        variants[0].forward(x, n, d, w, b, h, ref);
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
            variants[v].forward(x, n, d, w, b, h, got);
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

/* Bytes like an MNIST image's: whole groups of 16 pixels in order at 0, and many zero pixels in
 * the others. */
static uint8_t *sparse_images(size_t images, size_t d, uint64_t key)
{
    prism_rng rng;
    prism_rng_open(&rng, 7, PRISM_RNG_TEST, &key, 1);
    uint8_t *pixels = malloc(images * d);
    assert_non_null(pixels);
    for (size_t i = 0; i < images * d; i += 16) {
        bool empty = prism_rng_below(&rng, 2) == 0;
        for (size_t k = i; k < i + 16 && k < images * d; k++) {
            bool zero = empty || prism_rng_below(&rng, 2) == 0;
            pixels[k] = zero ? 0 : (uint8_t)(1 + prism_rng_below(&rng, 255));
        }
    }
    return pixels;
}

/* A group order for d pixels: the dataset's tiles for a whole image, else a random
 * permutation, so that no layout step can pass by leaving pixels where they were. */
static void group_order(size_t d, uint64_t key, uint16_t *order)
{
    if (d == PRISM_IMAGE_PIXELS) {
        prism_pixel_tile_order(order);
        return;
    }
    for (size_t k = 0; k < d; k++) {
        order[k] = (uint16_t)k;
    }
    prism_rng rng;
    prism_rng_open(&rng, 7, PRISM_RNG_TEST, &key, 1);
    for (size_t k = d - 1; k > 0; k--) {
        size_t j = (size_t)prism_rng_below(&rng, k + 1);
        uint16_t swap = order[k];
        order[k] = order[j];
        order[j] = swap;
    }
}

/* The mask of a row's groups (in `order`) that hold a non-zero pixel, or of all of them. */
static uint64_t group_mask(const uint8_t *row, const uint16_t *order, size_t d, bool all)
{
    uint64_t mask = 0;
    for (size_t j = 0; j < d; j++) {
        if (all || row[order[j]] != 0) {
            mask |= 1ull << (j / 16);
        }
    }
    return mask;
}

/* Images packed as prism_split_pack packs them, in `order`, with the groups masks name (all of
 * them, or the non-zero ones); *bytes is allocated. */
static prism_pixel_groups pack_images(const uint8_t *pixels, size_t images, size_t d,
                                      const uint16_t *order, const uint64_t *masks,
                                      uint8_t **bytes, uint32_t *first)
{
    *bytes = malloc(images * d);
    assert_non_null(*bytes);
    size_t groups = 0;
    for (size_t j = 0; j < images; j++) {
        first[j] = (uint32_t)groups;
        for (size_t g = 0; g < d / 16; g++) {
            if (masks[j] >> g & 1) {
                for (size_t l = 0; l < 16; l++) {
                    (*bytes)[groups * 16 + l] = pixels[j * d + order[g * 16 + l]];
                }
                groups++;
            }
        }
    }
    return (prism_pixel_groups){*bytes, first, masks};
}

/* The first layer on bytes against plain double-precision sums of the normalised pixels, within
 * float rounding: |error| <= 16 eps sum |terms|. Masks as the data gives them (groups skipped)
 * and all set (nothing skipped) must give the same bits, in every variant, equal to the generic
 * one (a weight gradient that missed a row holding a group would differ between the two); a
 * weight gradient taken in two parts equals one taken at once. Shapes: the article's in tiles,
 * a block of 10 with 5 and 1 left over in a random order, a part of 64 rows, and fewer outputs
 * than a block. */
static void test_pixel_layer(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {
        {32, 784, 10}, {7, 784, 17}, {64, 64, 12}, {5, 32, 3}, {64, 784, 10}};
    enum { IMAGES = 80, ROWS_MAX = 64, H_MAX = 17 };
    const double eps = 0x1p-24;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t n = shapes[s][0];
        size_t d = shapes[s][1];
        size_t h = shapes[s][2];
        uint8_t *pixels = sparse_images(IMAGES, d, 900 + s);
        uint16_t order[784];
        group_order(d, 990 + s, order);
        uint64_t masks[2][IMAGES];
        uint32_t first[2][IMAGES];
        uint8_t *packed[2];
        prism_pixel_groups images[2];
        for (int all = 0; all < 2; all++) {
            for (size_t i = 0; i < IMAGES; i++) {
                masks[all][i] = group_mask(pixels + i * d, order, d, all);
            }
            images[all] = pack_images(pixels, IMAGES, d, order, masks[all], &packed[all],
                                      first[all]);
        }
        prism_rng rng;
        uint64_t key = 950 + s;
        prism_rng_open(&rng, 7, PRISM_RNG_TEST, &key, 1);
        uint32_t indices[ROWS_MAX];
        for (size_t i = 0; i < n; i++) {
            indices[i] = (uint32_t)prism_rng_below(&rng, IMAGES);
        }
        float *w = random_floats(h * d, 1000 + s);
        float *b = random_floats(h, 1100 + s);
        float *dz = random_floats(n * h, 1200 + s);
        float fold_bias[H_MAX];
        float z[ROWS_MAX * H_MAX];
        float z_first[ROWS_MAX * H_MAX];
        float db[H_MAX];
        float db_first[H_MAX];
        float *grouped = malloc(h * d * sizeof *grouped);
        float *dw_grouped = malloc(h * d * sizeof *dw_grouped);
        float *sums = malloc(h * d * sizeof *sums);
        float *dw = malloc(h * d * sizeof *dw);
        float *dw_first = malloc(h * d * sizeof *dw_first);

        for (int v = 0; v < PRISM_KERNEL_VARIANTS; v++) {
            if (!usable[v]) {
                continue;
            }
            const prism_kernel_table *k = &variants[v];
            prism_kernel_pixel_group(w, order, d, h, grouped);
            k->pixel_fold_bias(grouped, b, d, h, fold_bias);
            for (int all = 0; all < 2; all++) {
                k->pixel_forward(&images[all], indices, n, d, grouped, fold_bias, h, indices, n,
                                 z);

                /* The weight gradient at once, then in two parts: rows 0..m-1 and the rest. */
                size_t m = n / 2 + 1;
                k->pixel_weight_grad(&images[all], indices, n, d, dz, h, false, sums, db);
                k->pixel_unfold_grad(sums, db, d, h, dw_grouped);
                prism_kernel_pixel_ungroup(dw_grouped, order, d, h, dw);
                float *part_sums = malloc(h * d * sizeof *part_sums);
                float part_db[H_MAX];
                k->pixel_weight_grad(&images[all], indices, m, d, dz, h, false, part_sums,
                                     part_db);
                k->pixel_weight_grad(&images[all], indices + m, n - m, d, dz + m * h, h, true,
                                     part_sums, part_db);
                if (memcmp(part_sums, sums, h * d * sizeof *sums) != 0
                    || memcmp(part_db, db, h * sizeof *db) != 0) {
                    fail_msg("pixel weight gradient: %s in two parts differs from one, "
                             "%zu x %zu x %zu", k->name, n, d, h);
                }
                free(part_sums);

                if (v == 0 && all == 0) {
                    memcpy(z_first, z, n * h * sizeof *z);
                    memcpy(dw_first, dw, h * d * sizeof *dw);
                    memcpy(db_first, db, h * sizeof *db);
                } else if (memcmp(z, z_first, n * h * sizeof *z) != 0
                           || memcmp(dw, dw_first, h * d * sizeof *dw) != 0
                           || memcmp(db, db_first, h * sizeof *db) != 0) {
                    fail_msg("pixel layer: %s with %s masks differs from generic with the data's, "
                             "%zu x %zu x %zu", k->name, all ? "full" : "the data's", n, d, h);
                }
            }
        }

        for (size_t i = 0; i < n; i++) {
            const uint8_t *row = pixels + (size_t)indices[i] * d;
            for (size_t o = 0; o < h; o++) {
                double sum = b[o];
                double size = fabs(b[o]);
                for (size_t k = 0; k < d; k++) {
                    double x = prism_pixel_normalise(row[k]);
                    sum += (double)w[o * d + k] * x;
                    size += fabs((double)w[o * d + k]) * (fabs(x) + 1.0);
                }
                if (fabs(z_first[i * h + o] - sum) > 16 * eps * size) {
                    fail_msg("pixel forward %zu x %zu x %zu: z[%zu][%zu] = %.9g, expected %.9g",
                             n, d, h, i, o, (double)z_first[i * h + o], sum);
                }
            }
        }
        for (size_t o = 0; o < h; o++) {
            for (size_t k = 0; k < d; k++) {
                double sum = 0.0;
                double size = 0.0;
                for (size_t i = 0; i < n; i++) {
                    double x = prism_pixel_normalise(pixels[(size_t)indices[i] * d + k]);
                    sum += (double)dz[i * h + o] * x;
                    size += fabs((double)dz[i * h + o]) * (fabs(x) + 1.0);
                }
                if (fabs(dw_first[o * d + k] - sum) > 16 * eps * size) {
                    fail_msg("pixel weight gradient %zu x %zu x %zu: dw[%zu][%zu] = %.9g, "
                             "expected %.9g", n, d, h, o, k, (double)dw_first[o * d + k], sum);
                }
            }
        }
        free(pixels);
        free(packed[0]);
        free(packed[1]);
        free(w);
        free(b);
        free(dz);
        free(grouped);
        free(dw_grouped);
        free(sums);
        free(dw);
        free(dw_first);
    }
}

/* The tiles: lane l of tile g is the pixel at row 4 (g / 7) + l / 4, column 4 (g % 7) + l % 4,
 * and every pixel appears once. */
static void test_tile_order(void **state)
{
    (void)state;
    uint16_t order[PRISM_IMAGE_PIXELS];
    prism_pixel_tile_order(order);
    static const size_t at[][2] = {{0, 0}, {3, 3}, {4, 28}, {15, 87}, {16, 4}, {20, 32}, {111, 111},
                                   {112, 112}, {783, 783}};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        assert_int_equal(order[at[i][0]], at[i][1]);
    }
    bool seen[PRISM_IMAGE_PIXELS] = {false};
    for (size_t j = 0; j < PRISM_IMAGE_PIXELS; j++) {
        assert_true(order[j] < PRISM_IMAGE_PIXELS && !seen[order[j]]);
        seen[order[j]] = true;
    }
}

/* The dataset's packed form: bit g of an image's mask set exactly when tile g holds a pixel
 * that is not 0, those tiles stored in order from the image's first group, each in the tile
 * order. */
static void test_split_pack(void **state)
{
    (void)state;
    enum { IMAGES = 20 };
    prism_split split = {.pixels = sparse_images(IMAGES, 784, 77), .count = IMAGES};
    memset(split.pixels + 5 * 784, 0, 784);
    split.pixels[5 * 784 + 783] = 9; /* the last pixel alone in its tile, the last tile */
    memset(split.pixels + 7 * 784, 0, 784);
    prism_error err;
    assert_int_equal(prism_split_pack(&split, &err), 0);
    uint16_t order[PRISM_IMAGE_PIXELS];
    prism_pixel_tile_order(order);
    assert_memory_equal(split.group_pixels, order, sizeof order);
    for (size_t i = 0; i < IMAGES; i++) {
        const uint8_t *image = split.pixels + i * 784;
        uint64_t mask = group_mask(image, order, 784, false);
        assert_true(split.group_masks[i] == mask);
        const uint8_t *at = split.packed + (size_t)split.first_group[i] * 16;
        for (size_t g = 0; g < 49; g++) {
            if (mask >> g & 1) {
                for (size_t l = 0; l < 16; l++) {
                    assert_int_equal(at[l], image[order[g * 16 + l]]);
                }
                at += 16;
            }
        }
        if (i + 1 < IMAGES) {
            assert_ptr_equal(at, split.packed + (size_t)split.first_group[i + 1] * 16);
        }
    }
    size_t groups = 0;
    for (size_t i = 0; i < IMAGES; i++) {
        groups += (size_t)__builtin_popcountll(split.group_masks[i]);
    }
    assert_int_equal(split.packed_groups, groups);
    assert_true(split.group_masks[5] == 1ull << 48);
    assert_true(split.group_masks[7] == 0);
    prism_split_free_packed(&split);
    assert_null(split.packed);
    assert_null(split.group_pixels);
    free(split.pixels);
}

/* The network's training path on packed pixels, one batch of 40 rows in parts of 32 and 8,
 * against prism_net_forward and prism_net_backward on the normalised rows: the loss and every
 * gradient within 1e-4 relative + 1e-6 absolute (the fold rounds differently; sums over 40 rows
 * of terms below 1). */
static void test_net_pixel_path(void **state)
{
    (void)state;
    enum { IMAGES = 60, ROWS = 40, PART = 32 };
    prism_split split = {.pixels = sparse_images(IMAGES, 784, 31), .count = IMAGES};
    prism_error err;
    assert_int_equal(prism_split_pack(&split, &err), 0);

    prism_activation gelu;
    assert_int_equal(prism_activation_parse("gelu", &gelu, &err), 0);
    prism_net_spec spec = prism_net_spec_article(gelu);
    spec.hidden[0].width = 12;
    prism_net net;
    assert_int_equal(prism_net_create(&net, &spec, &err), 0);
    prism_rng rng;
    uint64_t key = 5;
    prism_rng_open(&rng, 7, PRISM_RNG_TEST, &key, 1);
    prism_net_initialise(&net, &rng);

    uint32_t indices[ROWS];
    uint8_t labels[ROWS];
    float *x = malloc(ROWS * 784 * sizeof *x);
    for (size_t i = 0; i < ROWS; i++) {
        indices[i] = (uint32_t)prism_rng_below(&rng, IMAGES);
        labels[i] = (uint8_t)prism_rng_below(&rng, 10);
        prism_kernel_normalise_pixels(split.pixels + (size_t)indices[i] * 784, 784, x + i * 784);
    }

    prism_net_workspace ws;
    assert_int_equal(prism_net_workspace_create(&ws, &spec, ROWS, &err), 0);
    float *expected = malloc(net.n_params * sizeof *expected);
    prism_net_forward(&net, &ws, x, ROWS, NULL, NULL);
    double expected_loss = prism_net_backward(&net, &ws, x, labels, ROWS, expected);

    prism_pixel_layer pl;
    assert_int_equal(prism_pixel_layer_create(&pl, &spec, &err), 0);
    float *grads = malloc(net.n_params * sizeof *grads);
    double loss_sum = 0.0;
    float *start = malloc(net.n_params * sizeof *start);
    assert_non_null(start);
    memcpy(start, net.params, net.n_params * sizeof *start);
    prism_net_group_pixels(&net, &pl, split.group_pixels, net.params);
    prism_net_fold_pixels(&net, &pl);
    for (size_t first = 0; first < ROWS; first += PART) {
        size_t n = ROWS - first < PART ? ROWS - first : PART;
        prism_pixel_rows part = {{split.packed, split.first_group, split.group_masks},
                                 indices + first, n, NULL, 0};
        prism_net_forward_pixels(&net, &ws, &pl, &part);
        prism_net_backward_pixels(&net, &ws, &pl, &part, labels + first, ROWS, first == 0, grads,
                                  &loss_sum);
    }
    prism_net_unfold_pixel_grad(&net, &pl, grads);
    prism_net_ungroup_pixels(&net, &pl, split.group_pixels, grads);
    prism_net_ungroup_pixels(&net, &pl, split.group_pixels, net.params);
    assert_memory_equal(net.params, start, net.n_params * sizeof *start);
    free(start);

    assert_true(fabs(loss_sum / ROWS - expected_loss) <= 1e-5 * fabs(expected_loss));
    for (size_t p = 0; p < net.n_params; p++) {
        if (fabs(grads[p] - expected[p]) > 1e-4 * fabs(expected[p]) + 1e-6) {
            fail_msg("pixel path: gradient %zu is %.9g, normalising first gives %.9g", p,
                     (double)grads[p], (double)expected[p]);
        }
    }
    prism_pixel_layer_destroy(&pl);
    prism_net_workspace_destroy(&ws);
    prism_net_destroy(&net);
    prism_split_free_packed(&split);
    free(split.pixels);
    free(x);
    free(expected);
    free(grads);
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
        cmocka_unit_test(test_pixel_layer),
        cmocka_unit_test(test_tile_order),
        cmocka_unit_test(test_split_pack),
        cmocka_unit_test(test_net_pixel_path),
        cmocka_unit_test(test_row_layers_match_reference),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
