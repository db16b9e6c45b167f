/* Adam with PyTorch's semantics (torch.optim.Adam, no weight decay, no amsgrad): moments kept
 * in float32, bias corrections computed in double from the step count, and the update
 * p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
#ifndef PRISM_TRAIN_ADAM_H
#define PRISM_TRAIN_ADAM_H

#include <stddef.h>

#include "core/error.h"

typedef struct prism_adam {
    double lr;
    double beta1;
    double beta2;
    double eps;
    size_t n;
    long step;
    float *m; /* first moment [n] */
    float *v; /* second moment [n] */
} prism_adam;

int prism_adam_create(prism_adam *adam, size_t n, double lr, prism_error *err);
void prism_adam_destroy(prism_adam *adam);

/* Clears both moments and the step count. */
void prism_adam_reset(prism_adam *adam);

/* One update of params[n] from grads[n]. */
void prism_adam_step(prism_adam *adam, float *params, const float *grads);

#endif
