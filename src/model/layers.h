/* The layers of the network other than the first-layer kernels, each with its backward pass.
 * Shapes are written [rows][columns], row-major. */
#ifndef PRISM_MODEL_LAYERS_H
#define PRISM_MODEL_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The Linear layer written plainly: y[n][out] = x[n][in] . w[out][in]^T + b[out]. The network
 * runs every Linear layer through model/kernels.h; these loops are the reference the kernels
 * are checked against (gradient checks and tests), not a second code path. */
void prism_linear_forward(const float *x, size_t n, size_t in, const float *w, const float *b,
                          size_t out, float *y);

/* From dy[n][out]: dw[out][in] = dy^T x and db[out] = sum_n dy (both overwritten), and, when
 * dx is not NULL, dx[n][in] = dy . w. */
void prism_linear_backward(const float *x, const float *dy, size_t n, size_t in, const float *w,
                           size_t out, float *dw, float *db, float *dx);

/* dx[n][in] = dy[n][out] . w[out][in]: the input gradient of a Linear layer. */
void prism_linear_input_grad(const float *dy, size_t n, size_t in, const float *w, size_t out,
                             float *dx);

/* LayerNorm over each row of width h: xhat = (x - mean) / sqrt(var + eps) with the biased
 * variance, computed in two passes (mean first, then the mean of squared deviations) so that a
 * large common offset does not cancel; y = xhat * gain + shift. Keeps xhat[n][h] and
 * rstd[n] for the backward pass. y may alias x. */
void prism_layernorm_forward(const float *x, size_t n, size_t h, const float *gain,
                             const float *shift, float eps, float *y, float *xhat, float *rstd);

/* dx[n][h] = rstd (g - mean(g) - xhat mean(g xhat)) where g = dy * gain; dx may alias dy.
 * Overwrites dgain and dshift, or, when `accumulate`, continues their in-order sums over rows
 * (a batch taken in parts in order gives the bits of the whole batch). */
void prism_layernorm_backward(const float *dy, const float *xhat, const float *rstd, size_t n,
                              size_t h, const float *gain, bool accumulate, float *dx,
                              float *dgain, float *dshift);

/* RMSNorm: y = x / sqrt(mean(x^2) + eps) * gain (no shift). Keeps xhat and rstd. */
void prism_rmsnorm_forward(const float *x, size_t n, size_t h, const float *gain, float eps,
                           float *y, float *xhat, float *rstd);

/* dx = rstd (g - xhat mean(g xhat)) with g = dy * gain; dx may alias dy. Overwrites dgain or,
 * when `accumulate`, continues its sums as prism_layernorm_backward does. */
void prism_rmsnorm_backward(const float *dy, const float *xhat, const float *rstd, size_t n,
                            size_t h, const float *gain, bool accumulate, float *dx,
                            float *dgain);

/* Mean softmax cross-entropy over n rows of `classes` logits, computed as
 * logsumexp(z) - z[label] with the row maximum subtracted first, so huge logits neither
 * overflow nor lose the answer. When dlogits is not NULL it receives
 * (softmax(z) - onehot(label)) / n. Returns the mean loss (accumulated in double). */
double prism_softmax_xent(const float *logits, const uint8_t *labels, size_t n, size_t classes,
                          float *dlogits);

/* The same for n rows that are part of a batch of batch_rows: dlogits gets
 * (softmax(z) - onehot(label)) / batch_rows and each row's loss is added to *loss_sum in order. */
void prism_softmax_xent_part(const float *logits, const uint8_t *labels, size_t n,
                             size_t classes, size_t batch_rows, float *dlogits, double *loss_sum);

/* Index of the largest logit in each row; the first one on ties, as torch.argmax. A row with
 * a NaN gets -1 so it is counted wrong rather than read as class 0. */
void prism_argmax_rows(const float *logits, size_t n, size_t classes, int *predicted);

#endif
