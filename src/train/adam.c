#include "train/adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/aligned.h"

int prism_adam_create(prism_adam *adam, size_t n, double lr, prism_error *err)
{
    memset(adam, 0, sizeof *adam);
    adam->lr = lr;
    adam->beta1 = 0.9;
    adam->beta2 = 0.999;
    adam->eps = 1e-8;
    adam->n = n;
    adam->m = prism_aligned_floats(n);
    adam->v = prism_aligned_floats(n);
    if (adam->m == NULL || adam->v == NULL) {
        prism_adam_destroy(adam);
        return prism_error_set(err, "out of memory for Adam state of %zu parameters", n);
    }
    return 0;
}

void prism_adam_destroy(prism_adam *adam)
{
    free(adam->m);
    free(adam->v);
    memset(adam, 0, sizeof *adam);
}

void prism_adam_reset(prism_adam *adam)
{
    memset(adam->m, 0, adam->n * sizeof *adam->m);
    memset(adam->v, 0, adam->n * sizeof *adam->v);
    adam->step = 0;
}

/* Compiled also for AVX-512 and AVX2 and chosen at run time: element-wise IEEE operations, no
 * fused multiply-adds (ISO C mode keeps them apart), so every width gives the same bits. */
__attribute__((target_clones("avx512f", "avx2", "default")))
void prism_adam_step(prism_adam *adam, float *params, const float *grads)
{
    adam->step++;

    /* PyTorch turns each Python scalar into a float32 operand of the tensor operation. */
    const float beta1 = (float)adam->beta1;
    const float one_minus_beta1 = (float)(1.0 - adam->beta1);
    const float beta2 = (float)adam->beta2;
    const float one_minus_beta2 = (float)(1.0 - adam->beta2);
    const double bias1 = 1.0 - pow(adam->beta1, (double)adam->step);
    const double bias2 = 1.0 - pow(adam->beta2, (double)adam->step);
    const float neg_step_size = (float)(-(adam->lr / bias1));
    const float bias2_sqrt = (float)sqrt(bias2);
    const float eps = (float)adam->eps;

    for (size_t i = 0; i < adam->n; i++) {
        float g = grads[i];
        adam->m[i] = adam->m[i] * beta1 + one_minus_beta1 * g;
        adam->v[i] = adam->v[i] * beta2 + one_minus_beta2 * g * g;
        float denom = sqrtf(adam->v[i]) / bias2_sqrt + eps;
        params[i] = params[i] + neg_step_size * (adam->m[i] / denom);
    }
}
