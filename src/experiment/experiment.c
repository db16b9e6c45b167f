#include "experiment/experiment.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "experiment/evaluate.h"
#include "train/train.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int prism_results_create(prism_results *results, const prism_experiment_config *config,
                         prism_error *err)
{
    memset(results, 0, sizeof *results);
    results->runs = config->runs;
    results->n_variants = config->n_variants;
    results->n_slots = prism_config_slot_count(config);
    results->n_masks = config->masks;
    if (config->masks < 1) {
        return prism_error_set(err, "masks: expected at least 1, found 0");
    }

    size_t models = config->runs * config->n_variants;
    size_t cells = models * results->n_slots * results->n_masks;
    results->n_classes = config->variants[0].spec.classes;
    for (size_t v = 0; v < config->n_variants; v++) {
        size_t width = config->variants[v].spec.hidden[config->site.layer].width;
        results->max_site_width = width > results->max_site_width ? width
                                                                  : results->max_site_width;
    }
    results->accuracy_pct = calloc(cells, sizeof(double));
    results->final_loss = calloc(models, sizeof(double));
    results->model_done = calloc(models, sizeof(bool));
    results->flipped = calloc(cells, sizeof(uint32_t));
    results->class_correct = calloc(cells * results->n_classes, sizeof(uint32_t));
    results->participation = calloc(models, sizeof(double));
    results->importance_gini = calloc(models, sizeof(double));
    results->saturated = calloc(models, sizeof(double));
    results->importance = calloc(models * (results->max_site_width + 1), sizeof(double));
    if (results->accuracy_pct == NULL || results->final_loss == NULL ||
        results->model_done == NULL || results->flipped == NULL ||
        results->class_correct == NULL || results->participation == NULL ||
        results->importance_gini == NULL || results->saturated == NULL ||
        results->importance == NULL) {
        prism_results_destroy(results);
        return prism_error_set(err, "out of memory for the results of %zu models", models);
    }
    return 0;
}

void prism_results_destroy(prism_results *results)
{
    free(results->accuracy_pct);
    free(results->final_loss);
    free(results->model_done);
    free(results->flipped);
    free(results->class_correct);
    free(results->participation);
    free(results->importance_gini);
    free(results->saturated);
    free(results->importance);
    memset(results, 0, sizeof *results);
}

double prism_results_run_mean(const prism_results *results, size_t run, size_t variant,
                              size_t slot)
{
    const double *acc = prism_results_accuracy(results, run, variant, slot);
    double sum = 0.0;
    for (size_t m = 0; m < results->n_masks; m++) {
        sum += acc[m];
    }
    return sum / (double)results->n_masks;
}

void prism_results_count_labels(prism_results *results, const prism_split *test)
{
    memset(results->test_class_counts, 0, sizeof results->test_class_counts);
    for (size_t i = 0; i < test->count; i++) {
        results->test_class_counts[test->labels[i]]++;
    }
    results->test_count = test->count;
}

bool prism_results_run_complete(const prism_results *results, size_t run)
{
    for (size_t v = 0; v < results->n_variants; v++) {
        if (!results->model_done[run * results->n_variants + v]) {
            return false;
        }
    }
    return true;
}

size_t prism_thread_count(size_t configured, size_t work_items)
{
    size_t threads = configured;
    if (threads == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        threads = online > 0 ? (size_t)online : 1;
    }
    if (threads > work_items) {
        threads = work_items;
    }
    return threads > 0 ? threads : 1;
}

/* FNV-1a: a stable 64-bit key for a string, used to give each variant its own streams. */
static uint64_t text_key(const char *text)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        h = (h ^ *p) * 0x100000001b3ULL;
    }
    return h;
}

/* The key of a network's shape (widths and norms, not activations): in the paired design,
 * variants of the same shape share initial weights and data order. */
static uint64_t shape_key(const prism_net_spec *spec)
{
    uint64_t h = 0x84222325cbf29ce4ULL ^ spec->n_hidden;
    for (size_t l = 0; l < spec->n_hidden; l++) {
        h = (h ^ spec->hidden[l].width) * 0x100000001b3ULL;
        h = (h ^ (uint64_t)spec->hidden[l].norm) * 0x100000001b3ULL;
    }
    return h;
}

/* Shared state of one experiment's workers. */
typedef struct run_state {
    const prism_experiment_config *config;
    const prism_dataset *dataset;
    const prism_run_hooks *hooks;
    prism_results *results;
    atomic_size_t next_item;
    atomic_size_t epochs_done;
    size_t epochs_total;
    pthread_mutex_t lock; /* guards the progress callback, the error and the timings */
    bool failed;
    prism_error error;
} run_state;

typedef struct epoch_context {
    run_state *state;
} epoch_context;

static void on_epoch(void *context, size_t epoch, double mean_loss)
{
    (void)epoch;
    (void)mean_loss;
    run_state *state = ((epoch_context *)context)->state;
    size_t done = atomic_fetch_add(&state->epochs_done, 1) + 1;
    if (state->hooks != NULL && state->hooks->on_progress != NULL) {
        pthread_mutex_lock(&state->lock);
        state->hooks->on_progress(state->hooks->context, done, state->epochs_total);
        pthread_mutex_unlock(&state->lock);
    }
}

static int run_model(run_state *state, size_t run, size_t variant, prism_error *err)
{
    const prism_experiment_config *config = state->config;
    const prism_variant *v = &config->variants[variant];
    prism_results *results = state->results;

    prism_net net;
    if (prism_net_create(&net, &v->spec, err) != 0) {
        return -1;
    }

    uint64_t key = config->design == PRISM_DESIGN_PAIRED ? shape_key(&v->spec)
                                                         : text_key(v->name);
    uint64_t coords[2] = {run, key};
    prism_rng init_rng;
    prism_rng shuffle_rng;
    prism_rng_open(&init_rng, config->seed, PRISM_RNG_INIT, coords, 2);
    prism_rng_open(&shuffle_rng, config->seed, PRISM_RNG_SHUFFLE, coords, 2);
    prism_net_initialise(&net, &init_rng);

    double start = now_seconds();
    epoch_context context = {state};
    prism_train_result trained;
    if (prism_train(&net, &state->dataset->train, &config->train, &shuffle_rng, on_epoch,
                    &context, &trained, err) != 0) {
        prism_net_destroy(&net);
        return -1;
    }
    double trained_at = now_seconds();

    size_t model = run * config->n_variants + variant;
    size_t first_cell = model * results->n_slots * results->n_masks;
    size_t width_max = results->max_site_width;
    double *importance = results->importance + model * width_max;
    for (size_t i = 0; i < width_max; i++) {
        importance[i] = NAN;
    }
    prism_model_details details = {
        .classes = results->n_classes,
        .flipped = results->flipped + first_cell,
        .class_correct = results->class_correct + first_cell * results->n_classes,
        .importance = importance,
    };
    double *row = prism_results_accuracy(results, run, variant, 0);
    int status = prism_evaluate_model(config, &net, &state->dataset->test, run, row, &details,
                                      err);
    double evaluated_at = now_seconds();
    prism_net_destroy(&net);
    if (status != 0) {
        return -1;
    }

    results->final_loss[model] = trained.final_loss;
    results->participation[model] = details.participation_ratio;
    results->importance_gini[model] = details.importance_gini;
    results->saturated[model] = details.saturated_share;
    pthread_mutex_lock(&state->lock);
    results->model_done[model] = true;
    results->train_seconds += trained_at - start;
    results->eval_seconds += evaluated_at - trained_at;
    pthread_mutex_unlock(&state->lock);
    return 0;
}

static bool should_stop(run_state *state)
{
    if (state->hooks != NULL && state->hooks->stop != NULL && atomic_load(state->hooks->stop)) {
        return true;
    }
    pthread_mutex_lock(&state->lock);
    bool failed = state->failed;
    pthread_mutex_unlock(&state->lock);
    return failed;
}

static void *worker(void *arg)
{
    run_state *state = arg;
    size_t n_variants = state->config->n_variants;
    size_t items = state->config->runs * n_variants;

    while (!should_stop(state)) {
        size_t item = atomic_fetch_add(&state->next_item, 1);
        if (item >= items) {
            break;
        }
        prism_error err;
        if (run_model(state, item / n_variants, item % n_variants, &err) != 0) {
            pthread_mutex_lock(&state->lock);
            if (!state->failed) {
                state->failed = true;
                state->error = err;
            }
            pthread_mutex_unlock(&state->lock);
        }
    }
    return NULL;
}

int prism_experiment_run_model(const prism_experiment_config *config,
                               const prism_dataset *dataset, size_t run, size_t variant,
                               const prism_run_hooks *hooks, prism_results *results,
                               prism_error *err)
{
    prism_results_count_labels(results, &dataset->test);
    run_state state = {.config = config, .dataset = dataset, .hooks = hooks,
                       .results = results, .epochs_total = config->train.epochs};
    pthread_mutex_init(&state.lock, NULL);
    int status = run_model(&state, run, variant, err);
    pthread_mutex_destroy(&state.lock);
    return status;
}

int prism_experiment_run(const prism_experiment_config *config, const prism_dataset *dataset,
                         const prism_run_hooks *hooks, prism_results *results, prism_error *err)
{
    if (prism_config_check(config, err) != 0) {
        return -1;
    }
    prism_results_count_labels(results, &dataset->test);
    size_t items = config->runs * config->n_variants;
    size_t n_threads = prism_thread_count(config->threads, items);

    run_state state = {.config = config, .dataset = dataset, .hooks = hooks,
                       .results = results, .epochs_total = items * config->train.epochs};
    atomic_init(&state.next_item, 0);
    atomic_init(&state.epochs_done, 0);
    pthread_mutex_init(&state.lock, NULL);

    double start = now_seconds();
    pthread_t *threads = calloc(n_threads, sizeof *threads);
    size_t started = 0;
    if (threads != NULL) {
        for (; started < n_threads; started++) {
            if (pthread_create(&threads[started], NULL, worker, &state) != 0) {
                break;
            }
        }
    }
    if (started == 0) {
        worker(&state); /* no thread could be started: do the work on this one */
    }
    for (size_t i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    free(threads);
    results->wall_seconds = now_seconds() - start;
    pthread_mutex_destroy(&state.lock);

    if (state.failed) {
        if (err != NULL) {
            *err = state.error;
        }
        return -1;
    }
    return 0;
}
