/* Per-model outputs beyond accuracy, for the mechanism and per-class parts of the report:
 *   mechanism.csv   run, activation, width, participation_ratio, importance_gini,
 *                   saturated_share, final_loss, then area_<test> for every test: the model's
 *                   mean accuracy over that test's levels (its robustness)
 *   importance.csv  run, activation, neuron, importance_pct (accuracy points lost when that
 *                   neuron alone is zeroed at the site)
 *   details.csv     test, level, activation, run, mask, flipped_pct (share of test images
 *                   whose prediction differs from the clean one), class_<k>_pct (accuracy on
 *                   the test images of class k)
 * Only complete runs are written. */
#ifndef PRISM_REPORT_MODEL_FILES_H
#define PRISM_REPORT_MODEL_FILES_H

#include "core/error.h"
#include "experiment/config.h"
#include "experiment/experiment.h"

int prism_write_model_files(const char *dir, const prism_experiment_config *config,
                            const prism_results *results, prism_error *err);

#endif
