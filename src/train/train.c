#include "train/train.h"

#include <stdlib.h>

#include "core/aligned.h"
#include "data/idx.h"
#include "model/kernels.h"
#include "train/adam.h"

/* Rows of a batch taken through the network at a time: their packed images (64 x about 300
 * bytes for MNIST) stay in the core's cache from the forward pass to the weight gradient. Any
 * size up to PRISM_PIXEL_ROWS_MAX gives the same bits. */
enum { PART_ROWS = PRISM_PIXEL_ROWS_MAX };

/* Images are requested from memory into the core's L2 this many parts before their turn (256
 * rows, about 75 KB for MNIST): the shuffled order makes every image a fresh trip to memory,
 * and the hardware cannot guess the next one. Making those requests needs each image's place
 * and mask, themselves in tables too large for the core's caches (720 KB for MNIST), so those
 * entries are requested twice as far ahead; measured with the kernels alone on MNIST in a
 * shuffled order, that took the forward pass from 103 to 88 ns a row. */
enum { PREFETCH_PARTS_AHEAD = 4, ENTRY_PARTS_AHEAD = 2 * PREFETCH_PARTS_AHEAD };

/* Buffers for one training run, freed together. */
typedef struct trainer {
    prism_net_workspace ws;
    prism_pixel_layer pixel;
    prism_adam adam;
    size_t part_rows;
    float *grads;
    uint8_t *labels;
    uint32_t *order;
} trainer;

static void trainer_destroy(trainer *t)
{
    prism_net_workspace_destroy(&t->ws);
    prism_pixel_layer_destroy(&t->pixel);
    prism_adam_destroy(&t->adam);
    free(t->grads);
    free(t->labels);
    free(t->order);
}

static int trainer_create(trainer *t, const prism_net *net, size_t count,
                          const prism_train_config *config, prism_error *err)
{
    *t = (trainer){0};
    t->part_rows = config->batch < PART_ROWS ? config->batch : PART_ROWS;
    if (prism_net_workspace_create(&t->ws, &net->spec, t->part_rows, err) != 0) {
        return -1;
    }
    if (prism_pixel_layer_create(&t->pixel, &net->spec, err) != 0) {
        trainer_destroy(t);
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

/* How many of a part's rows lie at `at` of the `left` rows still to come. */
static size_t rows_from(size_t at, size_t left, size_t part_rows)
{
    if (at >= left) {
        return 0;
    }
    return left - at < part_rows ? left - at : part_rows;
}

/* Gradients of one batch of `rows` images, a part at a time; returns the sum of the rows'
 * losses. `left` images of the epoch's order start at batch (the batch and those after it). */
static double train_batch(const prism_net *net, trainer *t, const prism_split *split,
                          const uint32_t *batch, size_t rows, size_t left)
{
    double loss_sum = 0.0;
    prism_net_fold_pixels(net, &t->pixel);
    for (size_t first = 0; first < rows; first += t->part_rows) {
        size_t n = rows - first < t->part_rows ? rows - first : t->part_rows;

        /* The parts PREFETCH_PARTS_AHEAD and ENTRY_PARTS_AHEAD after this one, which may lie
         * in a later batch. */
        size_t ahead = first + PREFETCH_PARTS_AHEAD * t->part_rows;
        size_t ahead_n = rows_from(ahead, left, t->part_rows);
        size_t entries = first + ENTRY_PARTS_AHEAD * t->part_rows;
        size_t entries_n = rows_from(entries, left, t->part_rows);

        prism_pixel_rows part = {{split->packed, split->first_group, split->group_masks},
                                 batch + first, n,
                                 ahead_n > 0 ? batch + ahead : NULL, ahead_n};
        if (entries_n > 0) {
            prism_kernel_pixel_request_entries(&part.images, batch + entries, entries_n);
        }
        prism_net_forward_pixels(net, &t->ws, &t->pixel, &part);
        prism_net_backward_pixels(net, &t->ws, &t->pixel, &part, t->labels + first, rows,
                                  first == 0, t->grads, &loss_sum);
    }
    prism_net_unfold_pixel_grad(net, &t->pixel, t->grads);
    return loss_sum;
}

int prism_train(prism_net *net, const prism_split *split, const prism_train_config *config,
                prism_rng *shuffle, prism_epoch_callback on_epoch, void *context,
                prism_train_result *result, prism_error *err)
{
    if (net->spec.inputs != PRISM_IMAGE_PIXELS) {
        return prism_error_set(err, "training: network takes %zu inputs, images have %d pixels",
                               net->spec.inputs, PRISM_IMAGE_PIXELS);
    }
    if (split->packed == NULL) {
        return prism_error_set(err, "training: the training images are not packed "
                               "(prism_split_pack)");
    }
    if (split->count == 0 || config->batch == 0) {
        return prism_error_set(err, "training: no training images or a batch of 0");
    }

    trainer t;
    if (trainer_create(&t, net, split->count, config, err) != 0) {
        return -1;
    }

    /* The first layer's weights stay grouped while training (model/net.h); the optimiser's state
     * starts at 0 and acts weight by weight, so it needs no regrouping. */
    const uint16_t *group_pixels = split->group_pixels;
    prism_net_group_pixels(net, &t.pixel, group_pixels, net->params);

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
            size_t left = split->count - start;
            loss_sum += train_batch(net, &t, split, t.order + start, rows, left) / (double)rows;
            prism_adam_step(&t.adam, net->params, t.grads);
            batches++;
        }
        epoch_loss = loss_sum / (double)batches;
        if (on_epoch != NULL) {
            prism_net_ungroup_pixels(net, &t.pixel, group_pixels, net->params);
            on_epoch(context, epoch, epoch_loss);
            prism_net_group_pixels(net, &t.pixel, group_pixels, net->params);
        }
    }
    prism_net_ungroup_pixels(net, &t.pixel, group_pixels, net->params);

    if (result != NULL) {
        result->final_loss = epoch_loss;
    }
    trainer_destroy(&t);
    return 0;
}
