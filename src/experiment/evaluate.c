#include "experiment/evaluate.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/kernels.h"
#include "model/layers.h"
#include "stats/mechanism.h"
#include "stress/disturb.h"

/* Test images are pushed through the network this many at a time. */
enum { EVAL_CHUNK_ROWS = 1000 };

static uint64_t level_key(double level)
{
    uint64_t bits;
    memcpy(&bits, &level, sizeof bits);
    return bits;
}

void prism_mask_stream_open(prism_rng *rng, uint64_t seed, size_t run, prism_test_kind kind,
                            double level, size_t mask_index)
{
    uint64_t coords[4] = {run, (uint64_t)kind, level_key(level), mask_index};
    prism_rng_open(rng, seed, PRISM_RNG_MASK, coords, mask_index == 0 ? 3 : 4);
}

/* ---- Scratch for one model ---- */

/* What evaluating one model needs: the tensor at the site for every test image, and the
 * buffers to run the rest of the network on it chunk by chunk. */
typedef struct evaluator {
    const prism_net *net;
    const prism_site *site;
    size_t width;
    size_t rows;           /* test images */
    const uint8_t *labels; /* [rows] */
    const float *at_site;  /* [rows][width]: owned_site, or the caller's */
    float *owned_site;
    prism_net_workspace ws;
    float *chunk;   /* [EVAL_CHUNK_ROWS][width]: a disturbed chunk */
    float *mask;    /* [width] */
    int *predicted; /* [EVAL_CHUNK_ROWS] */
    prism_disturbance disturbance;
    /* Optional per-image bookkeeping for the report: where the current evaluation counts
     * flipped predictions and per-class hits (NULL: not counted). */
    int *clean_predicted;     /* [rows], set by the first clean pass */
    float *activity;          /* [rows][width]: clean post-activation output of the site layer */
    uint32_t *count_flipped;  /* -> one counter */
    uint32_t *count_classes;  /* -> [classes] counters */
} evaluator;

static void evaluator_destroy(evaluator *e)
{
    prism_net_workspace_destroy(&e->ws);
    prism_disturbance_destroy(&e->disturbance);
    free(e->owned_site);
    free(e->chunk);
    free(e->mask);
    free(e->predicted);
    free(e->clean_predicted);
    free(e->activity);
    *e = (evaluator){0};
}

/* Sets e up for rows test images; at_site is the caller's tensor, or NULL to allocate one. */
static int evaluator_create(evaluator *e, const prism_net *net, const prism_site *site,
                            const float *at_site, const uint8_t *labels, size_t rows,
                            prism_error *err)
{
    *e = (evaluator){.net = net, .site = site, .rows = rows, .labels = labels};
    e->width = net->spec.hidden[site->layer].width;
    if (prism_net_workspace_create(&e->ws, &net->spec, EVAL_CHUNK_ROWS, err) != 0) {
        return -1;
    }
    if (prism_disturbance_create(&e->disturbance, e->width, err) != 0) {
        evaluator_destroy(e);
        return -1;
    }
    if (at_site == NULL) {
        e->owned_site = malloc(rows * e->width * sizeof *e->owned_site);
        at_site = e->owned_site;
    }
    e->at_site = at_site;
    e->chunk = malloc((size_t)EVAL_CHUNK_ROWS * e->width * sizeof *e->chunk);
    e->mask = malloc(e->width * sizeof *e->mask);
    e->predicted = malloc(EVAL_CHUNK_ROWS * sizeof *e->predicted);
    if (e->at_site == NULL || e->chunk == NULL || e->mask == NULL || e->predicted == NULL) {
        evaluator_destroy(e);
        return prism_error_set(err, "out of memory for evaluation buffers");
    }
    return 0;
}

/* Everything before the site is computed once per model and reused for every disturbance. */
static int compute_site_tensor(evaluator *e, const prism_split *test, prism_error *err)
{
    size_t inputs = e->net->spec.inputs;
    float *x = malloc((size_t)EVAL_CHUNK_ROWS * inputs * sizeof *x);
    if (x == NULL) {
        return prism_error_set(err, "out of memory for evaluation buffers");
    }
    /* The test set is read in order, so a chunk's pixels are contiguous. */
    for (size_t start = 0; start < e->rows; start += EVAL_CHUNK_ROWS) {
        size_t rows = e->rows - start < EVAL_CHUNK_ROWS ? e->rows - start : EVAL_CHUNK_ROWS;
        prism_kernel_normalise_pixels(test->pixels + start * inputs, rows * inputs, x);
        prism_net_forward_to_site(e->net, &e->ws, x, rows, e->site,
                                  e->owned_site + start * e->width);
    }
    free(x);
    return 0;
}

/* ---- Accuracy under one disturbance ---- */

/* Rows [start, start + n) of the test set have their logits in e->ws. */
static size_t count_correct(evaluator *e, const uint8_t *labels, size_t n, size_t start)
{
    prism_argmax_rows(e->ws.logits, n, e->net->spec.classes, e->predicted);
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        bool right = e->predicted[i] == (int)labels[i];
        correct += right;
        if (e->count_classes != NULL && right) {
            e->count_classes[labels[i]]++;
        }
        if (e->count_flipped != NULL && e->clean_predicted != NULL) {
            *e->count_flipped += e->predicted[i] != e->clean_predicted[start + i];
        }
    }
    return correct;
}

/* Accuracy (%) with the site multiplied by mask (NULL: clean). */
static double accuracy_with_mask(evaluator *e, const float *mask)
{
    size_t correct = 0;
    for (size_t start = 0; start < e->rows; start += EVAL_CHUNK_ROWS) {
        size_t rows = e->rows - start < EVAL_CHUNK_ROWS ? e->rows - start : EVAL_CHUNK_ROWS;
        prism_net_forward_from_site(e->net, &e->ws, e->at_site + start * e->width, rows,
                                    e->site, mask);
        correct += count_correct(e, e->labels + start, rows, start);
    }
    return 100.0 * (double)correct / (double)e->rows;
}

/* Accuracy (%) under the built disturbance. Masks go to the network's own masked pass, so
 * their results are bit for bit what they were before disturbances existed; the others form
 * the disturbed chunk first, in order, so that the noise stream is read image by image. */
static double accuracy_disturbed(evaluator *e)
{
    prism_disturbance *d = &e->disturbance;
    if (!prism_disturbance_needs_apply(d)) {
        return accuracy_with_mask(e, prism_disturbance_mask(d));
    }
    size_t correct = 0;
    for (size_t start = 0; start < e->rows; start += EVAL_CHUNK_ROWS) {
        size_t rows = e->rows - start < EVAL_CHUNK_ROWS ? e->rows - start : EVAL_CHUNK_ROWS;
        prism_disturbance_apply(d, e->at_site + start * e->width, rows, e->chunk);
        prism_net_forward_from_site(e->net, &e->ws, e->chunk, rows, e->site, NULL);
        correct += count_correct(e, e->labels + start, rows, start);
    }
    return 100.0 * (double)correct / (double)e->rows;
}

/* importance[i] = clean - accuracy with neuron i alone zeroed, no rescale. */
static void importance_of(evaluator *e, double clean_pct, double *importance)
{
    for (size_t i = 0; i < e->width; i++) {
        e->mask[i] = 1.0f;
    }
    for (size_t i = 0; i < e->width; i++) {
        e->mask[i] = 0.0f;
        importance[i] = clean_pct - accuracy_with_mask(e, e->mask);
        e->mask[i] = 1.0f;
    }
}

int prism_importance_compute(const prism_net *net, const prism_site *site, const float *at_site,
                             const uint8_t *labels, size_t n, double *importance,
                             prism_error *err)
{
    if (n == 0) {
        return prism_error_set(err, "importance: no test images");
    }
    evaluator e;
    if (evaluator_create(&e, net, site, at_site, labels, n, err) != 0) {
        return -1;
    }
    importance_of(&e, accuracy_with_mask(&e, NULL), importance);
    evaluator_destroy(&e);
    return 0;
}

/* ---- One model, every slot ---- */

/* What several slots share, computed the first time one needs it. */
typedef struct model_facts {
    bool have_clean;
    double clean_pct;
    bool have_clean_cell; /* a clean slot's counts are recorded at clean_cell */
    size_t clean_cell;
    bool have_signal;
    prism_site_signal signal;
    uint32_t *ranking; /* [width], NULL until needed */
} model_facts;

static int prepare_facts(evaluator *e, prism_test_kind kind, double level, model_facts *facts,
                         prism_error *err)
{
    const prism_test_info *info = prism_test_describe(kind);
    if (prism_test_level_is_clean(kind, level)) {
        return 0; /* evaluate_slot measures it once, with its counts */
    }
    if (info->targeted && !facts->have_clean) {
        facts->clean_pct = accuracy_with_mask(e, NULL);
        facts->have_clean = true;
    }
    if (info->uses_signal_power && !facts->have_signal) {
        prism_site_signal_measure(e->at_site, e->rows, e->width, &facts->signal);
        facts->have_signal = true;
    }
    if (info->targeted && facts->ranking == NULL) {
        double *importance = malloc(e->width * sizeof *importance);
        facts->ranking = malloc(e->width * sizeof *facts->ranking);
        if (importance == NULL || facts->ranking == NULL) {
            free(importance);
            return prism_error_set(err, "out of memory for the importance of %zu neurons",
                                   e->width);
        }
        importance_of(e, facts->clean_pct, importance);
        prism_rank_by_importance(importance, e->width, facts->ranking);
        free(importance);
    }
    return 0;
}

static void fill(double *acc, size_t n, double value)
{
    for (size_t m = 0; m < n; m++) {
        acc[m] = value;
    }
}

/* Points the evaluator's counters at one (slot, mask) of details, zeroed; or at nothing. */
static void count_into(evaluator *e, prism_model_details *details, size_t cell)
{
    if (details == NULL) {
        e->count_flipped = NULL;
        e->count_classes = NULL;
        return;
    }
    e->count_flipped = &details->flipped[cell];
    e->count_classes = &details->class_correct[cell * details->classes];
    *e->count_flipped = 0;
    memset(e->count_classes, 0, details->classes * sizeof *e->count_classes);
}

static void copy_cell(prism_model_details *details, size_t from, size_t to)
{
    details->flipped[to] = details->flipped[from];
    memcpy(&details->class_correct[to * details->classes],
           &details->class_correct[from * details->classes],
           details->classes * sizeof *details->class_correct);
}

/* Copies the counts of `from` to cells from + 1 .. from + n - 1 (evaluations that stand for
 * every mask index). */
static void copy_counts(prism_model_details *details, size_t from, size_t n)
{
    for (size_t m = 1; details != NULL && m < n; m++) {
        copy_cell(details, from, from + m);
    }
}

/* Fills acc[masks] (and the slot's counts) for one (test, level). */
static int evaluate_slot(evaluator *e, const prism_experiment_config *config, size_t run,
                         prism_test_kind kind, double level, model_facts *facts, double *acc,
                         prism_model_details *details, size_t first_cell, prism_error *err)
{
    count_into(e, NULL, 0);
    if (prepare_facts(e, kind, level, facts, err) != 0) {
        return -1;
    }
    /* Every test's clean level is the same measurement: it is made once per model, and
     * later clean slots copy its accuracy and counts. */
    if (prism_test_level_is_clean(kind, level)) {
        if (facts->have_clean_cell || (facts->have_clean && details == NULL)) {
            fill(acc, config->masks, facts->clean_pct);
            for (size_t m = 0; details != NULL && m < config->masks; m++) {
                copy_cell(details, facts->clean_cell, first_cell + m);
            }
            return 0;
        }
        count_into(e, details, first_cell);
        facts->clean_pct = accuracy_with_mask(e, NULL);
        facts->have_clean = true;
        facts->have_clean_cell = details != NULL;
        facts->clean_cell = first_cell;
        fill(acc, config->masks, facts->clean_pct);
        copy_counts(details, first_cell, config->masks);
        return 0;
    }
    /* Targeted tests draw nothing: one evaluation stands for every mask index. */
    if (prism_test_level_is_deterministic(kind, level)) {
        if (prism_disturbance_build(&e->disturbance, kind, level, &facts->signal,
                                    facts->ranking, NULL, err) != 0) {
            return -1;
        }
        count_into(e, details, first_cell);
        fill(acc, config->masks, accuracy_disturbed(e));
        copy_counts(details, first_cell, config->masks);
        return 0;
    }
    for (size_t m = 0; m < config->masks; m++) {
        prism_rng rng;
        prism_mask_stream_open(&rng, config->seed, run, kind, level, m);
        if (prism_disturbance_build(&e->disturbance, kind, level, &facts->signal,
                                    facts->ranking, &rng, err) != 0) {
            return -1;
        }
        count_into(e, details, first_cell + m);
        acc[m] = accuracy_disturbed(e);
    }
    return 0;
}

/* One clean pass that keeps each image's prediction (flips are counted against it) and the
 * site layer's post-activation activity (for the participation ratio and saturation). */
static int clean_pass(evaluator *e, prism_error *err)
{
    e->clean_predicted = malloc(e->rows * sizeof *e->clean_predicted);
    e->activity = malloc(e->rows * e->width * sizeof *e->activity);
    if (e->clean_predicted == NULL || e->activity == NULL) {
        return prism_error_set(err, "out of memory for the clean predictions of %zu images",
                               e->rows);
    }
    for (size_t start = 0; start < e->rows; start += EVAL_CHUNK_ROWS) {
        size_t rows = e->rows - start < EVAL_CHUNK_ROWS ? e->rows - start : EVAL_CHUNK_ROWS;
        prism_net_forward_from_site(e->net, &e->ws, e->at_site + start * e->width, rows,
                                    e->site, NULL);
        prism_argmax_rows(e->ws.logits, rows, e->net->spec.classes, e->clean_predicted + start);
        memcpy(e->activity + start * e->width,
               prism_net_workspace_activation(&e->ws, e->site->layer),
               rows * e->width * sizeof *e->activity);
    }
    return 0;
}

/* Participation ratio, saturation and importances of the site layer. */
static int measure_mechanism(evaluator *e, model_facts *facts, prism_model_details *details,
                             prism_error *err)
{
    const prism_layer_spec *layer = &e->net->spec.hidden[e->site->layer];
    if (prism_participation_ratio(e->activity, e->rows, e->width,
                                  &details->participation_ratio, err) != 0) {
        return -1;
    }

    const prism_activation_info *info = prism_activation_describe(layer->act.kind);
    details->saturated_share = NAN;
    if (info->bounded) {
        double margin = PRISM_SATURATION_MARGIN * (double)(info->upper - info->lower);
        details->saturated_share = prism_saturation_share(e->activity, e->rows * e->width,
                                                          info->lower, info->upper, margin);
    }

    details->importance_gini = NAN;
    for (size_t i = 0; i < e->width; i++) {
        details->importance[i] = NAN;
    }
    if (e->width <= PRISM_IMPORTANCE_MAX_WIDTH) {
        if (!facts->have_clean) {
            facts->clean_pct = accuracy_with_mask(e, NULL);
            facts->have_clean = true;
        }
        importance_of(e, facts->clean_pct, details->importance);
        details->importance_gini = prism_gini(details->importance, e->width);
    }
    return 0;
}

int prism_evaluate_model(const prism_experiment_config *config, const prism_net *net,
                         const prism_split *test, size_t run, double *accuracy,
                         prism_model_details *details, prism_error *err)
{
    if (test->count == 0) {
        return prism_error_set(err, "evaluation: the test set is empty");
    }
    evaluator e;
    if (evaluator_create(&e, net, &config->site, NULL, test->labels, test->count, err) != 0) {
        return -1;
    }
    model_facts facts = {0};
    int status = compute_site_tensor(&e, test, err);
    if (status == 0 && details != NULL) {
        status = clean_pass(&e, err);
        if (status == 0) {
            status = measure_mechanism(&e, &facts, details, err);
        }
    }

    size_t slot = 0;
    for (size_t t = 0; t < config->n_tests && status == 0; t++) {
        const prism_test_plan *plan = &config->tests[t];
        for (size_t j = 0; j < plan->n_levels && status == 0; j++, slot++) {
            status = evaluate_slot(&e, config, run, plan->kind, plan->levels[j], &facts,
                                   accuracy + slot * config->masks, details,
                                   slot * config->masks, err);
            if (status != 0) {
                prism_error_prefix(err, "%s level %g", prism_test_name(plan->kind),
                                   plan->levels[j]);
            }
        }
    }
    free(facts.ranking);
    evaluator_destroy(&e);
    return status;
}
