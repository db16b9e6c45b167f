#include "train/train.h"

#include <stdlib.h>

#include "core/aligned.h"
#include "data/idx.h"
#include "train/adam.h"

/* Buffers for one training run, freed together. */
typedef struct trainer {
    prism_net_workspace ws;
    prism_adam adam;
    float *grads;
    uint8_t *labels;
    uint32_t *order;
} trainer;

static void trainer_destroy(trainer *t)
{
    prism_net_workspace_destroy(&t->ws);
    prism_adam_destroy(&t->adam);
    free(t->grads);
    free(t->labels);
    free(t->order);
}

static int trainer_create(trainer *t, const prism_net *net, size_t count,
                          const prism_train_config *config, prism_error *err)
{
    *t = (trainer){0};
    if (prism_net_workspace_create(&t->ws, &net->spec, config->batch, err) != 0) {
        return -1;
    }
    if (prism_adam_create(&t->adam, net->n_params, config->lr, err) != 0) {
        trainer_destroy(t);
        return -1;
    }
    t->grads = prism_aligned_floats(net->n_params);
    t->labels = malloc(config->batch);
    t->order = malloc(count * sizeof *t->order);
    if (t->grads == NULL || t->labels == NULL || t->order == NULL) {
        trainer_destroy(t);
        return prism_error_set(err, "out of memory for training buffers (batch %zu)",
                               config->batch);
    }
    return 0;
}

int prism_train(prism_net *net, const prism_split *split, const prism_train_config *config,
                prism_rng *shuffle, prism_epoch_callback on_epoch, void *context,
                prism_train_result *result, prism_error *err)
{
    if (net->spec.inputs != PRISM_IMAGE_PIXELS) {
        return prism_error_set(err, "training: network takes %zu inputs, images have %d pixels",
                               net->spec.inputs, PRISM_IMAGE_PIXELS);
    }
    if (split->count == 0 || config->batch == 0) {
        return prism_error_set(err, "training: no training images or a batch of 0");
    }

    trainer t;
    if (trainer_create(&t, net, split->count, config, err) != 0) {
        return -1;
    }

    double epoch_loss = 0.0;
    for (size_t epoch = 0; epoch < config->epochs; epoch++) {
        /* A fresh permutation each epoch, independent of the previous one. */
        for (size_t i = 0; i < split->count; i++) {
            t.order[i] = (uint32_t)i;
        }
        prism_rng_shuffle_u32(shuffle, t.order, split->count);

        double loss_sum = 0.0;
        size_t batches = 0;
        for (size_t start = 0; start < split->count; start += config->batch) {
            size_t rows = split->count - start < config->batch ? split->count - start
                                                               : config->batch;
            for (size_t i = 0; i < rows; i++) {
                t.labels[i] = split->labels[t.order[start + i]];
            }
            const uint32_t *batch = t.order + start;
            prism_net_forward_gathered(net, &t.ws, split->pixels, batch, rows);
            loss_sum += prism_net_backward_gathered(net, &t.ws, split->pixels, batch, t.labels,
                                                    rows, t.grads);
            prism_adam_step(&t.adam, net->params, t.grads);
            batches++;
        }
        epoch_loss = loss_sum / (double)batches;
        if (on_epoch != NULL) {
            on_epoch(context, epoch, epoch_loss);
        }
    }

    if (result != NULL) {
        result->final_loss = epoch_loss;
    }
    trainer_destroy(&t);
    return 0;
}
