/* Mini-batch training of one network: a fresh random order of the training set each epoch,
 * batches taken in that order with a short last batch averaged over its own size, mean
 * cross-entropy, and one Adam step per batch. */
#ifndef PRISM_TRAIN_TRAIN_H
#define PRISM_TRAIN_TRAIN_H

#include <stddef.h>

#include "core/error.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "model/net.h"

typedef struct prism_train_config {
    size_t epochs;
    size_t batch;
    double lr;
} prism_train_config;

/* Called after each epoch with the epoch's mean batch loss; may be NULL. */
typedef void (*prism_epoch_callback)(void *context, size_t epoch, double mean_loss);

typedef struct prism_train_result {
    double final_loss; /* mean batch loss over the last epoch */
} prism_train_result;

/* Trains net (already initialised) on split. shuffle supplies every epoch's order. */
int prism_train(prism_net *net, const prism_split *split, const prism_train_config *config,
                prism_rng *shuffle, prism_epoch_callback on_epoch, void *context,
                prism_train_result *result, prism_error *err);

#endif
