#include "model/layers.h"

#include "model/kernels.h"
#include "model/net.h"

#include <math.h>
#include <string.h>

void prism_linear_forward(const float *x, size_t n, size_t in, const float *w, const float *b,
                          size_t out, float *y)
{
    /* Row by row, each input scaling one column of w into all outputs at once: the innermost
     * loop runs over contiguous outputs and vectorises, and every output is still the plain
     * in-order sum b + x0 w0 + x1 w1 + ... */
    for (size_t i = 0; i < n; i++) {
        float *yr = y + i * out;
        for (size_t o = 0; o < out; o++) {
            yr[o] = b[o];
        }
        for (size_t k = 0; k < in; k++) {
            float xk = x[i * in + k];
            for (size_t o = 0; o < out; o++) {
                yr[o] += xk * w[o * in + k];
            }
        }
    }
}

void prism_linear_backward(const float *x, const float *dy, size_t n, size_t in, const float *w,
                           size_t out, float *dw, float *db, float *dx)
{
    /* y = x w^T + b: dw = dy^T x, db = sum of dy over rows */
    memset(dw, 0, out * in * sizeof *dw);
    memset(db, 0, out * sizeof *db);
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < out; o++) {
            float g = dy[i * out + o];
            db[o] += g;
            for (size_t k = 0; k < in; k++) {
                dw[o * in + k] += g * x[i * in + k];
            }
        }
    }

    if (dx != NULL) {
        prism_linear_input_grad(dy, n, in, w, out, dx);
    }
}

void prism_linear_input_grad(const float *dy, size_t n, size_t in, const float *w, size_t out,
                             float *dx)
{
    /* dx = dy w, accumulated output by output over contiguous rows of w */
    for (size_t i = 0; i < n; i++) {
        float *dxr = dx + i * in;
        for (size_t k = 0; k < in; k++) {
            dxr[k] = 0.0f;
        }
        for (size_t o = 0; o < out; o++) {
            float g = dy[i * out + o];
            for (size_t k = 0; k < in; k++) {
                dxr[k] += g * w[o * in + k];
            }
        }
    }
}

void prism_layernorm_forward(const float *x, size_t n, size_t h, const float *gain,
                             const float *shift, float eps, float *y, float *xhat, float *rstd)
{
    for (size_t i = 0; i < n; i++) {
        const float *row = x + i * h;

        float sum = 0.0f;
        for (size_t j = 0; j < h; j++) {
            sum += row[j];
        }
        float mean = sum / (float)h;

        float sq = 0.0f;
        for (size_t j = 0; j < h; j++) {
            float dev = row[j] - mean;
            sq += dev * dev;
        }
        float r = 1.0f / sqrtf(sq / (float)h + eps);
        rstd[i] = r;

        for (size_t j = 0; j < h; j++) {
            float xh = (row[j] - mean) * r;
            xhat[i * h + j] = xh;
            y[i * h + j] = xh * gain[j] + shift[j];
        }
    }
}

void prism_layernorm_backward(const float *dy, const float *xhat, const float *rstd, size_t n,
                              size_t h, const float *gain, bool accumulate, float *dx,
                              float *dgain, float *dshift)
{
    if (!accumulate) {
        memset(dgain, 0, h * sizeof *dgain);
        memset(dshift, 0, h * sizeof *dshift);
    }
    for (size_t i = 0; i < n; i++) {
        const float *dyr = dy + i * h;
        const float *xr = xhat + i * h;

        /* y = xhat gain + shift: parameter gradients, and g = dL/dxhat */
        float mean_g = 0.0f;
        float mean_gx = 0.0f;
        for (size_t j = 0; j < h; j++) {
            dgain[j] += dyr[j] * xr[j];
            dshift[j] += dyr[j];
            float g = dyr[j] * gain[j];
            mean_g += g;
            mean_gx += g * xr[j];
        }
        mean_g /= (float)h;
        mean_gx /= (float)h;

        /* xhat = (x - mean) rstd: the mean and the variance both depend on every x */
        for (size_t j = 0; j < h; j++) {
            float g = dyr[j] * gain[j];
            dx[i * h + j] = rstd[i] * (g - mean_g - xr[j] * mean_gx);
        }
    }
}

void prism_rmsnorm_forward(const float *x, size_t n, size_t h, const float *gain, float eps,
                           float *y, float *xhat, float *rstd)
{
    for (size_t i = 0; i < n; i++) {
        const float *row = x + i * h;
        float sq = 0.0f;
        for (size_t j = 0; j < h; j++) {
            sq += row[j] * row[j];
        }
        float r = 1.0f / sqrtf(sq / (float)h + eps);
        rstd[i] = r;
        for (size_t j = 0; j < h; j++) {
            float xh = row[j] * r;
            xhat[i * h + j] = xh;
            y[i * h + j] = xh * gain[j];
        }
    }
}

void prism_rmsnorm_backward(const float *dy, const float *xhat, const float *rstd, size_t n,
                            size_t h, const float *gain, bool accumulate, float *dx,
                            float *dgain)
{
    if (!accumulate) {
        memset(dgain, 0, h * sizeof *dgain);
    }
    for (size_t i = 0; i < n; i++) {
        const float *dyr = dy + i * h;
        const float *xr = xhat + i * h;

        float mean_gx = 0.0f;
        for (size_t j = 0; j < h; j++) {
            dgain[j] += dyr[j] * xr[j];
            mean_gx += dyr[j] * gain[j] * xr[j];
        }
        mean_gx /= (float)h;

        /* xhat = x rstd, rstd = (mean(x^2) + eps)^-1/2: d xhat_j / d x_k = rstd (delta - xhat_j
         * xhat_k / h) */
        for (size_t j = 0; j < h; j++) {
            dx[i * h + j] = rstd[i] * (dyr[j] * gain[j] - xr[j] * mean_gx);
        }
    }
}

void prism_softmax_xent_part(const float *logits, const uint8_t *labels, size_t n,
                             size_t classes, size_t batch_rows, float *dlogits, double *loss_sum)
{
    /* Rows are taken a block at a time so that one call of the vector exp covers many rows. */
    enum { BLOCK_VALUES = 4096 };
    size_t block_rows = BLOCK_VALUES / classes;
    float shifted[BLOCK_VALUES];
    float e[BLOCK_VALUES];
    double total = *loss_sum;
    float inv_rows = 1.0f / (float)batch_rows;

    for (size_t first = 0; first < n; first += block_rows) {
        size_t rows = n - first < block_rows ? n - first : block_rows;

        /* Subtracting each row's maximum makes every exponent <= 0: no overflow for huge
         * logits. */
        for (size_t i = 0; i < rows; i++) {
            const float *z = logits + (first + i) * classes;
            float max = z[0];
            for (size_t c = 1; c < classes; c++) {
                max = z[c] > max ? z[c] : max;
            }
            for (size_t c = 0; c < classes; c++) {
                shifted[i * classes + c] = z[c] - max;
            }
        }
        prism_kernel_map(PRISM_FN_EXP, shifted, e, rows * classes);

        for (size_t i = 0; i < rows; i++) {
            const float *ei = e + i * classes;
            uint8_t label = labels[first + i];
            float sum = 0.0f;
            for (size_t c = 0; c < classes; c++) {
                sum += ei[c];
            }
            total += (double)(logf(sum) - shifted[i * classes + label]);

            if (dlogits != NULL) {
                float *d = dlogits + (first + i) * classes;
                for (size_t c = 0; c < classes; c++) {
                    float onehot = c == label ? 1.0f : 0.0f;
                    d[c] = (ei[c] / sum - onehot) * inv_rows;
                }
            }
        }
    }
    *loss_sum = total;
}

double prism_softmax_xent(const float *logits, const uint8_t *labels, size_t n, size_t classes,
                          float *dlogits)
{
    double total = 0.0;
    prism_softmax_xent_part(logits, labels, n, classes, n, dlogits, &total);
    return total / (double)n;
}

void prism_argmax_rows(const float *logits, size_t n, size_t classes, int *predicted)
{
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * classes;
        int best = 0;
        for (size_t c = 0; c < classes; c++) {
            if (isnan(z[c])) {
                best = -1;
                break;
            }
            if (z[c] > z[best]) {
                best = (int)c;
            }
        }
        predicted[i] = best;
    }
}
