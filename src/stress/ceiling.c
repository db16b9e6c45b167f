#include "stress/ceiling.h"

#include <math.h>
#include <stdbool.h>

#include "stress/mask.h"

/* Most neurons that can be non-zero after the disturbance, for any input. */
static size_t nonzero_bound(prism_test_kind kind, double level, size_t width)
{
    if (width <= 1 || prism_test_level_is_clean(kind, level)) {
        return width;
    }
    switch (kind) {
    case PRISM_TEST_LOBOTOMY:
    case PRISM_TEST_LOBOTOMY_TARGETED:
        return width - prism_lobotomy_kill_count(width, level);
    case PRISM_TEST_SPIKE:
    case PRISM_TEST_SPIKE_TARGETED:
        return level == 1.0 ? 1 : width; /* the others get sqrt(0) = 0 exactly */
    default:
        return width;
    }
}

prism_ceiling prism_ceiling_find(prism_test_kind kind, double level,
                                 const prism_layer_spec *layer, prism_site_kind site_kind)
{
    prism_ceiling none = {0, NULL};
    if (site_kind != PRISM_SITE_PRE_NORM || layer->norm == PRISM_NORM_NONE) {
        return none;
    }
    if (nonzero_bound(kind, level, layer->width) > 1) {
        return none;
    }
    if (layer->norm == PRISM_NORM_LAYERNORM && layer->width == 1) {
        return (prism_ceiling){1, "LayerNorm of a single neuron is 0 for every image, so one "
                                  "class is predicted"};
    }
    if (layer->norm == PRISM_NORM_LAYERNORM) {
        return (prism_ceiling){2, "one neuron is left before LayerNorm, which then maps every "
                                  "image to one of two vectors (the survivor's sign), so at "
                                  "most two classes can be predicted (exact as eps -> 0)"};
    }
    return (prism_ceiling){2, "one neuron is left before RMSNorm, which then maps every image "
                              "to one of two vectors (the survivor's sign), so at most two "
                              "classes can be predicted (exact as eps -> 0)"};
}

double prism_ceiling_pct(const size_t *counts, size_t n_classes, size_t max_classes)
{
    size_t total = 0;
    for (size_t c = 0; c < n_classes; c++) {
        total += counts[c];
    }
    if (total == 0 || max_classes == 0) {
        return NAN;
    }

    /* Take the largest remaining count max_classes times; classes are few, so no sort. */
    bool taken[256] = {false};
    size_t kept = 0;
    for (size_t round = 0; round < max_classes && round < n_classes; round++) {
        size_t best = n_classes;
        for (size_t c = 0; c < n_classes && c < 256; c++) {
            if (!taken[c] && (best == n_classes || counts[c] > counts[best])) {
                best = c;
            }
        }
        if (best == n_classes) {
            break;
        }
        taken[best] = true;
        kept += counts[best];
    }
    return 100.0 * (double)kept / (double)total;
}
