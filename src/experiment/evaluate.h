/* Evaluation of one trained model under every stress test, level and mask of an experiment.
 * The tensor at the site is computed once per model for the whole test set; each disturbance
 * then acts on it and only the rest of the network runs again.
 *
 * Random disturbances draw from a stream keyed by (seed, run, test kind, level[, mask index]),
 * never by the model, so the models of a run see the same masks (and the same additive noise
 * draws, scaled to each model's signal). Mask index 0 is keyed exactly as when there was one
 * mask per level, (run, kind, level); indices 1.. add the index as a fourth coordinate, so
 * raising --masks adds masks without changing the first. Clean levels and targeted tests draw
 * nothing: they are evaluated once and their accuracy stands for every mask index. */
#ifndef PRISM_EXPERIMENT_EVALUATE_H
#define PRISM_EXPERIMENT_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "experiment/config.h"
#include "model/net.h"

/* Opens the stream of mask `mask_index` (0-based) of one run, test and level. */
void prism_mask_stream_open(prism_rng *rng, uint64_t seed, size_t run, prism_test_kind kind,
                            double level, size_t mask_index);

/* Neuron importances are measured (one pass over the test set per neuron) only for site layers
 * up to this wide; wider ones report NaN. */
#define PRISM_IMPORTANCE_MAX_WIDTH 256

/* Saturated: an output within this share of the activation's range from either bound. */
#define PRISM_SATURATION_MARGIN 0.05

/* What a model's evaluation records beyond accuracy, for the report's mechanism and
 * per-class sections. Arrays are the caller's. */
typedef struct prism_model_details {
    size_t classes;
    uint32_t *flipped;        /* [slot][mask]: predictions that differ from the clean ones */
    uint32_t *class_correct;  /* [slot][mask][classes] */
    double participation_ratio; /* of the site layer's clean post-activation activity */
    double importance_gini;   /* Gini coefficient of the importances; NaN if not measured */
    double saturated_share;   /* bounded activations: share of saturated outputs; else NaN */
    double *importance;       /* [site width]: accuracy points lost when that neuron alone is
                                 zeroed at the site; NaN when the layer is too wide */
} prism_model_details;

/* Evaluates net on the test split for every slot of config and every mask:
 * accuracy[slot * config->masks + mask], in percent of test images right. When details is not
 * NULL it is filled too. */
int prism_evaluate_model(const prism_experiment_config *config, const prism_net *net,
                         const prism_split *test, size_t run, double *accuracy,
                         prism_model_details *details, prism_error *err);

/* The importance of each neuron at `site`, as the targeted tests define it (stress/disturb.h):
 * importance[width] = clean accuracy - accuracy with that neuron alone zeroed, in percentage
 * points, from the tensor at_site[n][width] already computed at the site and the labels[n]. */
int prism_importance_compute(const prism_net *net, const prism_site *site, const float *at_site,
                             const uint8_t *labels, size_t n, double *importance,
                             prism_error *err);

#endif
