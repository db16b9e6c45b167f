/* Ceilings: where a test, its level and the site leave the network able to predict only a few
 * distinct classes, whatever its weights, accuracy cannot exceed the share of the test images
 * in that many most frequent classes. Reports flag such cells with the ceiling, so that a low
 * accuracy there is read as forced by the test rather than as a property of the activation.
 *
 * The case handled: at the pre_norm site of a layer with LayerNorm or RMSNorm, a disturbance
 * that leaves at most one neuron non-zero for every image. That is a lobotomy (random or
 * targeted) that kills H - 1 neurons, a spike (random or targeted) at level 1 (all energy in
 * one neuron, the others times 0), or any test on a layer of width 1. With x = a e_j (one
 * non-zero entry a at neuron j), LayerNorm gives
 *     (x - mean) / sqrt(var + eps) = t (e_j - 1/H) H / sqrt(H - 1),
 *     t = s / sqrt(s^2 + eps), s = a sqrt(H - 1) / H,
 * and RMSNorm gives x / sqrt(a^2 / H + eps) = t sqrt(H) e_j with s = a / sqrt(H). As eps -> 0,
 * t = sign(a): every image reaches the rest of the network as one of two vectors, so at most
 * two classes can be predicted. With eps = 1e-5, t differs from sign(a) only when |s| is
 * comparable to sqrt(eps) ~ 0.003 (or a = 0), so the bound holds up to the few images whose
 * surviving value is that close to 0. LayerNorm of a width-1 layer is exactly 0 for every
 * input (x - mean = 0), so such a network predicts one class, at every level, exactly. */
#ifndef PRISM_STRESS_CEILING_H
#define PRISM_STRESS_CEILING_H

#include <stddef.h>

#include "model/net.h"
#include "stress/test.h"

typedef struct prism_ceiling {
    size_t max_classes; /* distinct classes the network can predict; 0: no ceiling known */
    const char *reason; /* one sentence saying why; NULL when there is no ceiling */
} prism_ceiling;

/* The ceiling that `kind` at `level` leaves when applied at site `site_kind` of a hidden layer
 * described by `layer`. A clean level leaves one only on a width-1 LayerNorm layer. */
prism_ceiling prism_ceiling_find(prism_test_kind kind, double level,
                                 const prism_layer_spec *layer, prism_site_kind site_kind);

/* The highest accuracy, in percent, of any classifier that predicts at most max_classes
 * distinct classes on a test set with counts[n_classes] images per class: the share of the
 * max_classes most frequent classes. n_classes is at most 256 (labels are bytes). NaN when there
 * are no images or max_classes is 0. */
double prism_ceiling_pct(const size_t *counts, size_t n_classes, size_t max_classes);

#endif
