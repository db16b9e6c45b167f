/* Times the first layer's two training kernels alone (prism_kernel_pixel_forward and
 * prism_kernel_pixel_weight_grad, every kernel variant this CPU runs) on a dataset's packed
 * training images, read as training reads them: a fresh random order every epoch, parts of 64
 * rows, the images and their table entries requested as far ahead as train/train.c asks.
 * A second pass reads the first 16 images over and over, so that every image is in the core's
 * cache: the gap between the two is what memory costs.
 *
 *   cmake --build build --target bench_first_layer
 *   build/bench_first_layer [DATASET] [EPOCHS] [--csv]      (data/mnist, 5)
 *
 * Prints one line per variant and pass: ns per row for the forward pass and for the weight
 * gradient, the fastest epoch of each (the machine can only slow an epoch down); with --csv the
 * same figures as CSV (variant,images,forward_ns_per_row,weight_grad_ns_per_row). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/aligned.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "model/kernel_variants.h"
#include "model/kernels.h"

enum {
    PART = 64,
    BATCH = 512,
    HIDDEN = 10,
    IMAGES_AHEAD = 4 * PART,  /* train/train.c: PREFETCH_PARTS_AHEAD parts */
    ENTRIES_AHEAD = 8 * PART, /* train/train.c: ENTRY_PARTS_AHEAD parts */
    CACHED_IMAGES = 16,
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fill_small(float *v, size_t n, prism_rng *rng)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = (float)(prism_rng_uniform(rng) * 0.2 - 0.1);
    }
}

typedef struct timing {
    double forward_ns;
    double grad_ns;
} timing;

/* The fastest epoch's ns per row of each kernel; rows index images modulo `images`. */
static timing time_variant(const prism_kernel_table *k, const prism_split *split, size_t images,
                           size_t epochs, const float *grouped, const float *fold_bias,
                           const float *dz, float *sums, float *z, uint32_t *order,
                           prism_rng *rng)
{
    const prism_pixel_groups packed = {split->packed, split->first_group, split->group_masks};
    const size_t d = PRISM_IMAGE_PIXELS;
    size_t count = split->count;
    timing best = {1e30, 1e30};
    float db[HIDDEN];

    for (size_t epoch = 0; epoch < epochs; epoch++) {
        for (size_t i = 0; i < count; i++) {
            order[i] = (uint32_t)(i % images);
        }
        prism_rng_shuffle_u32(rng, order, count);

        double forward_s = 0.0;
        double grad_s = 0.0;
        for (size_t first = 0; first < count; first += PART) {
            size_t n = count - first < PART ? count - first : PART;
            size_t ahead = first + IMAGES_AHEAD;
            size_t ahead_n = ahead + PART <= count ? PART : 0;
            if (first + ENTRIES_AHEAD + PART <= count) {
                prism_kernel_pixel_request_entries(&packed, order + first + ENTRIES_AHEAD, PART);
            }

            double t0 = now_s();
            k->pixel_forward(&packed, order + first, n, d, grouped, fold_bias, HIDDEN,
                             ahead_n > 0 ? order + ahead : NULL, ahead_n, z);
            double t1 = now_s();
            k->pixel_weight_grad(&packed, order + first, n, d, dz, HIDDEN, first % BATCH != 0,
                                 sums, db);
            double t2 = now_s();
            forward_s += t1 - t0;
            grad_s += t2 - t1;
        }
        double forward_ns = forward_s / (double)count * 1e9;
        double grad_ns = grad_s / (double)count * 1e9;
        best.forward_ns = forward_ns < best.forward_ns ? forward_ns : best.forward_ns;
        best.grad_ns = grad_ns < best.grad_ns ? grad_ns : best.grad_ns;
    }
    return best;
}

int main(int argc, char **argv)
{
    const char *dataset_name = "data/mnist";
    long epochs = 5;
    int csv = 0;
    int positional = 0;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
            printf("usage: bench_first_layer [DATASET] [EPOCHS] [--csv]\n"
                   "Times the first layer's training kernels alone on DATASET's training images "
                   "(default data/mnist),\nbest of EPOCHS epochs (default 5, at most 1000).\n");
            return 0;
        }
        if (strcmp(argv[a], "--csv") == 0) {
            csv = 1;
        } else if (positional == 0) {
            dataset_name = argv[a];
            positional++;
        } else if (positional > 1) {
            fprintf(stderr, "bench_first_layer: unexpected argument '%s' (usage: "
                            "bench_first_layer [DATASET] [EPOCHS] [--csv])\n", argv[a]);
            return 2;
        } else {
            positional++;
            char *end = NULL;
            epochs = strtol(argv[a], &end, 10);
            if (end == argv[a] || *end != '\0' || epochs < 1 || epochs > 1000) {
                fprintf(stderr, "bench_first_layer: EPOCHS: expected a whole number in 1..1000, "
                                "found '%s'\n", argv[a]);
                return 2;
            }
        }
    }

    prism_dataset dataset;
    prism_error err;
    if (prism_dataset_load(dataset_name, &dataset, &err) != 0) {
        fprintf(stderr, "bench_first_layer: %s\n", err.message);
        return 1;
    }
    const prism_split *split = &dataset.train;
    const size_t d = PRISM_IMAGE_PIXELS;

    prism_rng rng;
    uint64_t key = 1;
    prism_rng_open(&rng, 1, PRISM_RNG_TEST, &key, 1);
    float *w = prism_aligned_floats(HIDDEN * d);
    float *grouped = prism_aligned_floats(HIDDEN * d);
    float *sums = prism_aligned_floats(HIDDEN * d);
    float *dz = prism_aligned_floats(PART * HIDDEN);
    float *z = prism_aligned_floats(PART * HIDDEN);
    uint32_t *order = malloc(split->count * sizeof *order);
    if (w == NULL || grouped == NULL || sums == NULL || dz == NULL || z == NULL
        || order == NULL) {
        fprintf(stderr, "bench_first_layer: out of memory\n");
        return 1;
    }
    float b[HIDDEN] = {0};
    float fold_bias[HIDDEN];
    fill_small(w, HIDDEN * d, &rng);
    fill_small(dz, PART * HIDDEN, &rng);
    prism_kernel_pixel_group(w, split->group_pixels, d, HIDDEN, grouped);
    prism_kernel_pixel_fold_bias(grouped, b, d, HIDDEN, fold_bias);

    if (csv) {
        printf("variant,images,forward_ns_per_row,weight_grad_ns_per_row\n");
    } else {
        printf("first layer, %zu -> %d, %zu training images in a shuffled order, parts of %d "
               "rows, the fastest of %ld epoch%s\n", d, HIDDEN, split->count, PART, epochs,
               epochs == 1 ? "" : "s");
    }
    for (size_t v = 0; v < PRISM_KERNEL_VARIANTS; v++) {
        if (!prism_kernel_variant_usable(v)) {
            continue;
        }
        const prism_kernel_table *k = &prism_kernel_tables[v];
        size_t passes[2] = {split->count, CACHED_IMAGES};
        for (int p = 0; p < 2; p++) {
            timing t = time_variant(k, split, passes[p], (size_t)epochs, grouped, fold_bias, dz,
                                    sums, z, order, &rng);
            if (csv) {
                printf("%s,%zu,%.1f,%.1f\n", k->name, passes[p], t.forward_ns, t.grad_ns);
            } else {
                printf("  %-9s %-22s forward %7.1f ns/row   weight gradient %7.1f ns/row\n",
                       k->name, p == 0 ? "all images" : "16 images (cached)", t.forward_ns,
                       t.grad_ns);
            }
        }
    }

    free(w);
    free(grouped);
    free(sums);
    free(dz);
    free(z);
    free(order);
    prism_dataset_free(&dataset);
    return 0;
}
