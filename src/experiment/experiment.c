#include "experiment/experiment.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "data/idx.h"
#include "model/layers.h"
#include "train/train.h"

/* Test images are pushed through the network this many at a time. */
enum { EVAL_CHUNK_ROWS = 1000 };

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

    size_t models = config->runs * config->n_variants;
    results->accuracy_pct = calloc(models * results->n_slots, sizeof(double));
    results->final_loss = calloc(models, sizeof(double));
    results->model_done = calloc(models, sizeof(bool));
    if (results->accuracy_pct == NULL || results->final_loss == NULL ||
        results->model_done == NULL) {
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
    memset(results, 0, sizeof *results);
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

static uint64_t level_key(double level)
{
    uint64_t bits;
    memcpy(&bits, &level, sizeof bits);
    return bits;
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

/* Counts correct predictions of the logits in ws for rows [start, start + n) of the test set. */
static size_t count_correct(const prism_net_workspace *ws, const uint8_t *labels, size_t n,
                            size_t classes, int *predicted)
{
    prism_argmax_rows(ws->logits, n, classes, predicted);
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        correct += predicted[i] == (int)labels[i];
    }
    return correct;
}

/* Scratch memory for evaluating one model. */
typedef struct evaluator {
    prism_net_workspace ws;
    float *x;        /* [EVAL_CHUNK_ROWS][784] */
    float *at_site;  /* [test count][site width] */
    float *mask;     /* [site width] */
    int *predicted;  /* [EVAL_CHUNK_ROWS] */
    uint32_t *index; /* [EVAL_CHUNK_ROWS] */
    uint8_t *labels; /* [EVAL_CHUNK_ROWS] */
} evaluator;

static void evaluator_destroy(evaluator *e)
{
    prism_net_workspace_destroy(&e->ws);
    free(e->x);
    free(e->at_site);
    free(e->mask);
    free(e->predicted);
    free(e->index);
    free(e->labels);
}

static int evaluator_create(evaluator *e, const prism_net_spec *spec, size_t width,
                            size_t test_count, prism_error *err)
{
    *e = (evaluator){0};
    if (prism_net_workspace_create(&e->ws, spec, EVAL_CHUNK_ROWS, err) != 0) {
        return -1;
    }
    e->x = malloc((size_t)EVAL_CHUNK_ROWS * spec->inputs * sizeof *e->x);
    e->at_site = malloc(test_count * width * sizeof *e->at_site);
    e->mask = malloc(width * sizeof *e->mask);
    e->predicted = malloc(EVAL_CHUNK_ROWS * sizeof *e->predicted);
    e->index = malloc(EVAL_CHUNK_ROWS * sizeof *e->index);
    e->labels = malloc(EVAL_CHUNK_ROWS);
    if (e->x == NULL || e->at_site == NULL || e->mask == NULL || e->predicted == NULL ||
        e->index == NULL || e->labels == NULL) {
        evaluator_destroy(e);
        return prism_error_set(err, "out of memory for evaluation buffers");
    }
    return 0;
}

/* The mask acts at the site, so everything before it is computed once per model and reused for
 * every test and level. */
static void compute_site_tensor(const prism_net *net, evaluator *e, const prism_split *test,
                                const prism_site *site, size_t width)
{
    for (size_t start = 0; start < test->count; start += EVAL_CHUNK_ROWS) {
        size_t rows = test->count - start < EVAL_CHUNK_ROWS ? test->count - start
                                                            : EVAL_CHUNK_ROWS;
        for (size_t i = 0; i < rows; i++) {
            e->index[i] = (uint32_t)(start + i);
        }
        prism_gather_batch(test, e->index, rows, e->x, e->labels);
        prism_net_forward_to_site(net, &e->ws, e->x, rows, site, e->at_site + start * width);
    }
}

static double accuracy_with_mask(const prism_net *net, evaluator *e, const prism_split *test,
                                 const prism_site *site, size_t width, const float *mask)
{
    size_t correct = 0;
    for (size_t start = 0; start < test->count; start += EVAL_CHUNK_ROWS) {
        size_t rows = test->count - start < EVAL_CHUNK_ROWS ? test->count - start
                                                            : EVAL_CHUNK_ROWS;
        prism_net_forward_from_site(net, &e->ws, e->at_site + start * width, rows, site, mask);
        correct += count_correct(&e->ws, test->labels + start, rows, net->spec.classes,
                                 e->predicted);
    }
    return 100.0 * (double)correct / (double)test->count;
}

static int evaluate_model(const prism_experiment_config *config, const prism_net *net,
                          const prism_split *test, size_t run, double *accuracy_row,
                          prism_error *err)
{
    const prism_site *site = &config->site;
    size_t width = net->spec.hidden[site->layer].width;
    evaluator e;
    if (evaluator_create(&e, &net->spec, width, test->count, err) != 0) {
        return -1;
    }
    compute_site_tensor(net, &e, test, site, width);

    size_t slot = 0;
    for (size_t t = 0; t < config->n_tests; t++) {
        const prism_test_plan *plan = &config->tests[t];
        for (size_t j = 0; j < plan->n_levels; j++, slot++) {
            double level = plan->levels[j];
            const float *mask = NULL;
            if (level != 0.0) {
                /* Keyed by run, test and level only: every variant of a run sees this mask. */
                prism_rng rng;
                uint64_t coords[3] = {run, (uint64_t)plan->kind, level_key(level)};
                prism_rng_open(&rng, config->seed, PRISM_RNG_MASK, coords, 3);
                if (prism_mask_build(plan->kind, level, width, &rng, e.mask, err) != 0) {
                    evaluator_destroy(&e);
                    return -1;
                }
                mask = e.mask;
            }
            accuracy_row[slot] = accuracy_with_mask(net, &e, test, site, width, mask);
        }
    }
    evaluator_destroy(&e);
    return 0;
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

    double *row = prism_results_accuracy(results, run, variant, 0);
    int status = evaluate_model(config, &net, &state->dataset->test, run, row, err);
    double evaluated_at = now_seconds();
    prism_net_destroy(&net);
    if (status != 0) {
        return -1;
    }

    size_t model = run * config->n_variants + variant;
    results->final_loss[model] = trained.final_loss;
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
