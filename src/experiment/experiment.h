/* Runs an experiment: trains every (run, variant) model, in parallel across threads, and
 * evaluates each on the test set under every test, level and mask (experiment/evaluate.h).
 * Results are stored by their coordinates, so they do not depend on the number of threads or
 * the order of completion. */
#ifndef PRISM_EXPERIMENT_EXPERIMENT_H
#define PRISM_EXPERIMENT_EXPERIMENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "experiment/config.h"

/* Per-class counts of the test labels are kept so that reports can state accuracy ceilings. */
#define PRISM_RESULTS_MAX_CLASSES 256

typedef struct prism_results {
    size_t runs;
    size_t n_variants;
    size_t n_slots;
    size_t n_masks;       /* masks per (test, level) and model: config->masks */
    double *accuracy_pct; /* [run][variant][slot][mask], percent of test images right */
    double *final_loss;   /* [run][variant], mean batch loss of the last epoch */
    /* What the report needs beyond accuracy (see evaluate.h): */
    size_t n_classes;        /* classes of every model */
    size_t max_site_width;   /* widest site layer over the variants */
    uint32_t *flipped;       /* [run][variant][slot][mask] */
    uint32_t *class_correct; /* [run][variant][slot][mask][class] */
    double *participation;   /* [run][variant] */
    double *importance_gini; /* [run][variant] */
    double *saturated;       /* [run][variant] */
    double *importance;      /* [run][variant][max_site_width], NaN past the variant's width */
    bool *model_done;     /* [run][variant] */
    size_t test_count;    /* test images evaluated */
    size_t test_class_counts[PRISM_RESULTS_MAX_CLASSES]; /* test images per label */
    double train_seconds; /* summed over models (CPU-side work, not wall time) */
    double eval_seconds;
    double wall_seconds;
    double load_seconds;  /* reading the dataset, set by the caller that loaded it */
} prism_results;

/* Reports progress: epochs finished over all models so far, and the total. Called from worker
 * threads, one call at a time. */
typedef void (*prism_progress_callback)(void *context, size_t epochs_done, size_t epochs_total);

typedef struct prism_run_hooks {
    prism_progress_callback on_progress;
    void *context;
    atomic_bool *stop; /* when set, no new model starts; may be NULL */
} prism_run_hooks;

int prism_results_create(prism_results *results, const prism_experiment_config *config,
                         prism_error *err);
void prism_results_destroy(prism_results *results);

/* The n_masks accuracies of one run, variant and slot, mask by mask. */
static inline double *prism_results_accuracy(const prism_results *r, size_t run, size_t variant,
                                             size_t slot)
{
    return &r->accuracy_pct[((run * r->n_variants + variant) * r->n_slots + slot) * r->n_masks];
}

/* The run's value for a slot: the mean of its n_masks accuracies. */
double prism_results_run_mean(const prism_results *results, size_t run, size_t variant,
                              size_t slot);

/* Counts the test labels into results (done by prism_experiment_run and _run_model). */
void prism_results_count_labels(prism_results *results, const prism_split *test);

/* True when every variant of the run finished. */
bool prism_results_run_complete(const prism_results *results, size_t run);

/* Threads actually used for a configured count (0 = one per online processor). */
size_t prism_thread_count(size_t configured, size_t work_items);

int prism_experiment_run(const prism_experiment_config *config, const prism_dataset *dataset,
                         const prism_run_hooks *hooks, prism_results *results, prism_error *err);

/* Trains one model and evaluates it; exposed for tests and benchmarks. */
int prism_experiment_run_model(const prism_experiment_config *config,
                               const prism_dataset *dataset, size_t run, size_t variant,
                               const prism_run_hooks *hooks, prism_results *results,
                               prism_error *err);

#endif
