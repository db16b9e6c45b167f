#include "stress/mask.h"

#include <math.h>
#include <stdlib.h>

size_t prism_lobotomy_kill_count(size_t width, double level)
{
    double product = (double)width * level;
    double whole = floor(product);
    if (product - whole > 1.0 - 1e-9) {
        whole += 1.0;
    }
    size_t killed = (size_t)whole;
    return killed >= width ? width - 1 : killed;
}

/* Zeroes the neurons order[0..killed) and gives the others the factor that restores energy H. */
static void lobotomy_factors(size_t killed, size_t width, const uint32_t *order, double *m)
{
    double survivor = sqrt((double)width / (double)(width - killed));
    for (size_t i = 0; i < width; i++) {
        m[i] = survivor;
    }
    for (size_t i = 0; i < killed; i++) {
        m[order[i]] = 0.0;
    }
}

static void build_lobotomy(double level, size_t width, prism_rng *rng, double *m,
                           uint32_t *order)
{
    size_t killed = prism_lobotomy_kill_count(width, level);

    /* The first `killed` entries of a random permutation are the victims. */
    for (size_t i = 0; i < width; i++) {
        order[i] = (uint32_t)i;
    }
    for (size_t i = 0; i < killed; i++) {
        size_t j = i + (size_t)prism_rng_below(rng, width - i);
        uint32_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    lobotomy_factors(killed, width, order, m);
}

static void spike_factors(double level, size_t width, size_t victim, double *m)
{
    double rest = sqrt((1.0 - level) * (double)width / (double)(width - 1));
    for (size_t i = 0; i < width; i++) {
        m[i] = rest;
    }
    m[victim] = sqrt(level * (double)width);
}

static void build_noise(double level, size_t width, prism_rng *rng, double *m)
{
    double largest = -INFINITY;
    for (size_t i = 0; i < width; i++) {
        m[i] = prism_rng_normal(rng);
        largest = m[i] > largest ? m[i] : largest;
    }

    /* The draw is reduced by the largest before it is scaled: level * r_i itself overflows to
     * inf for levels near DBL_MAX, and inf - inf is NaN. level * (r_i - max) is <= 0, and
     * exactly 0 for the largest, so exp gives (0, 1] with the largest exactly 1 and the energy
     * is >= 1 for every finite level. */
    double energy = 0.0;
    for (size_t i = 0; i < width; i++) {
        m[i] = exp(level * (m[i] - largest));
        energy += m[i] * m[i];
    }
    double scale = sqrt((double)width / energy);
    for (size_t i = 0; i < width; i++) {
        m[i] *= scale;
    }
}

static void build_dropout(double level, size_t width, prism_rng *rng, double *m)
{
    for (size_t i = 0; i < width; i++) {
        m[i] = prism_rng_uniform(rng) < level ? 0.0 : 1.0;
    }
}

/* The width rule shared by every mask: the layer exists, and a spike has another neuron to
 * take its energy from. */
static int check_width(prism_test_kind kind, size_t width, prism_error *err)
{
    if (width < prism_test_describe(kind)->min_width || width < 1) {
        return prism_error_set(err, "%s mask: a layer of width %zu is too narrow",
                               prism_test_name(kind), width);
    }
    return 0;
}

/* Scratch of a mask in double precision, rounded to float once at the end. */
static int alloc_scratch(size_t width, double **m, uint32_t **order, prism_error *err)
{
    *m = malloc(width * sizeof **m);
    *order = malloc(width * sizeof **order);
    if (*m == NULL || *order == NULL) {
        free(*m);
        free(*order);
        return prism_error_set(err, "out of memory for a mask of width %zu", width);
    }
    return 0;
}

static void finish(const double *m, size_t width, float *mask)
{
    for (size_t i = 0; i < width; i++) {
        mask[i] = (float)m[i];
    }
}

int prism_mask_build(prism_test_kind kind, double level, size_t width, prism_rng *rng,
                     float *mask, prism_error *err)
{
    if (prism_test_check_level(kind, level, err) != 0) {
        return -1;
    }
    if (kind != PRISM_TEST_LOBOTOMY && kind != PRISM_TEST_SPIKE && kind != PRISM_TEST_NOISE &&
        kind != PRISM_TEST_DROPOUT) {
        return prism_error_set(err, "%s is not a random mask (see prism_disturbance_build)",
                               prism_test_name(kind));
    }
    if (check_width(kind, width, err) != 0) {
        return -1;
    }

    double *m;
    uint32_t *order;
    if (alloc_scratch(width, &m, &order, err) != 0) {
        return -1;
    }
    switch (kind) {
    case PRISM_TEST_LOBOTOMY:
        build_lobotomy(level, width, rng, m, order);
        break;
    case PRISM_TEST_SPIKE:
        spike_factors(level, width, (size_t)prism_rng_below(rng, width), m);
        break;
    case PRISM_TEST_NOISE:
        build_noise(level, width, rng, m);
        break;
    default:
        build_dropout(level, width, rng, m);
        break;
    }
    finish(m, width, mask);
    free(m);
    free(order);
    return 0;
}

int prism_mask_build_targeted(prism_test_kind kind, double level, size_t width,
                              const uint32_t *ranking, float *mask, prism_error *err)
{
    if (prism_test_check_level(kind, level, err) != 0) {
        return -1;
    }
    if (kind != PRISM_TEST_LOBOTOMY_TARGETED && kind != PRISM_TEST_SPIKE_TARGETED) {
        return prism_error_set(err, "%s is not a targeted mask", prism_test_name(kind));
    }
    if (check_width(kind, width, err) != 0) {
        return -1;
    }

    double *m;
    uint32_t *order;
    if (alloc_scratch(width, &m, &order, err) != 0) {
        return -1;
    }
    if (kind == PRISM_TEST_LOBOTOMY_TARGETED) {
        lobotomy_factors(prism_lobotomy_kill_count(width, level), width, ranking, m);
    } else {
        spike_factors(level, width, ranking[0], m);
    }
    finish(m, width, mask);
    free(m);
    free(order);
    return 0;
}

typedef struct ranked {
    double importance;
    uint32_t index;
} ranked;

/* Larger importance first, NaN last, then the lower index: a total order, so the ranking is
 * unique. */
static int compare_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa;
    const ranked *b = pb;
    bool a_nan = isnan(a->importance);
    bool b_nan = isnan(b->importance);
    if (a_nan != b_nan) {
        return a_nan ? 1 : -1;
    }
    if (!a_nan && a->importance != b->importance) {
        return a->importance > b->importance ? -1 : 1;
    }
    return a->index < b->index ? -1 : (a->index > b->index);
}

void prism_rank_by_importance(const double *importance, size_t width, uint32_t *ranking)
{
    /* Insertion sort keeps this allocation-free; layers are at most a few thousand wide and
     * a ranking is computed once per model. */
    for (size_t i = 0; i < width; i++) {
        ranked item = {importance[i], (uint32_t)i};
        size_t j = i;
        while (j > 0) {
            ranked prev = {importance[ranking[j - 1]], ranking[j - 1]};
            if (compare_ranked(&prev, &item) <= 0) {
                break;
            }
            ranking[j] = ranking[j - 1];
            j--;
        }
        ranking[j] = item.index;
    }
}
