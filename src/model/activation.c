#include "model/activation.h"

#include "model/kernels.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQRT1_2_F 0.70710678118654752440f
#define INV_SQRT_2PI_F 0.39894228040143267794f
#define SQRT_2_OVER_PI_F 0.79788456080286535588f
#define GELU_TANH_COEFF_F 0.044715f
#define SELU_ALPHA_F 1.6732632423543772848f
#define SELU_SCALE_F 1.0507009873554804934f
#define LECUN_GAIN_F 1.7159f
#define LECUN_RATE_F (2.0f / 3.0f)
#define SOFTPLUS_THRESHOLD_F 20.0f /* PyTorch's default: linear above beta * x > 20 */

static const prism_activation_info ACTIVATIONS[PRISM_ACT_COUNT] = {
    [PRISM_ACT_RELU] = {"relu", "ReLU", "max(0, x)", NULL, 0, 0, 0, false, "[0, inf)"},
    [PRISM_ACT_LEAKY_RELU] = {"leaky_relu", "LeakyReLU", "x if x > 0 else slope * x", "slope",
                              0.01f, 0.0f, 1.0f, false, "(-inf, inf)"},
    [PRISM_ACT_RELU6] = {"relu6", "ReLU6", "min(max(0, x), 6)", NULL, 0, 0, 0, true, "[0, 6]",
                         0.0f, 6.0f},
    [PRISM_ACT_ELU] = {"elu", "ELU", "x if x > 0 else alpha * (exp(x) - 1)", "alpha", 1.0f,
                       1e-6f, 100.0f, false, "(-alpha, inf)"},
    [PRISM_ACT_SELU] = {"selu", "SELU", "1.0507 * (x if x > 0 else 1.6733 * (exp(x) - 1))", NULL,
                        0, 0, 0, false, "(-1.7581, inf)"},
    [PRISM_ACT_CELU] = {"celu", "CELU", "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
                        "alpha", 1.0f, 1e-6f, 100.0f, false, "(-alpha, inf)"},
    [PRISM_ACT_GELU] = {"gelu", "GELU", "x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))", NULL, 0, 0, 0,
                        false, "[-0.17, inf)"},
    [PRISM_ACT_GELU_TANH] = {"gelu_tanh", "GELU-tanh",
                             "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))", NULL, 0, 0, 0,
                             false, "[-0.17, inf)"},
    [PRISM_ACT_SILU] = {"silu", "SiLU", "x * sigmoid(x)", NULL, 0, 0, 0, false, "[-0.28, inf)"},
    [PRISM_ACT_MISH] = {"mish", "Mish", "x * tanh(softplus(x))", NULL, 0, 0, 0, false,
                        "[-0.31, inf)"},
    [PRISM_ACT_SOFTPLUS] = {"softplus", "Softplus", "log(1 + exp(beta x)) / beta", "beta", 1.0f,
                            1e-3f, 100.0f, false, "(0, inf)"},
    [PRISM_ACT_SIGMOID] = {"sigmoid", "Sigmoid", "1 / (1 + exp(-x))", NULL, 0, 0, 0, true,
                           "(0, 1)", 0.0f, 1.0f},
    [PRISM_ACT_HARDSIGMOID] = {"hardsigmoid", "Hardsigmoid", "min(max(0, x / 6 + 1 / 2), 1)",
                               NULL, 0, 0, 0, true, "[0, 1]", 0.0f, 1.0f},
    [PRISM_ACT_TANH] = {"tanh", "Tanh", "tanh(x)", NULL, 0, 0, 0, true, "(-1, 1)", -1.0f, 1.0f},
    [PRISM_ACT_HARDTANH] = {"hardtanh", "Hardtanh", "min(max(-1, x), 1)", NULL, 0, 0, 0, true,
                            "[-1, 1]", -1.0f, 1.0f},
    [PRISM_ACT_SOFTSIGN] = {"softsign", "Softsign", "x / (1 + |x|)", NULL, 0, 0, 0, true,
                            "(-1, 1)", -1.0f, 1.0f},
    [PRISM_ACT_LECUN_TANH] = {"lecun_tanh", "LeCun-tanh", "1.7159 tanh(2x / 3)", NULL, 0, 0, 0,
                              true, "(-1.7159, 1.7159)", -1.7159f, 1.7159f},
    [PRISM_ACT_IDENTITY] = {"identity", "Identity", "x", NULL, 0, 0, 0, false, "(-inf, inf)"},
};

const prism_activation_info *prism_activation_describe(prism_activation_kind kind)
{
    if ((int)kind < 0 || kind >= PRISM_ACT_COUNT) {
        return NULL;
    }
    return &ACTIVATIONS[kind];
}

int prism_activation_parse(const char *text, prism_activation *act, prism_error *err)
{
    const char *colon = strchr(text, ':');
    size_t name_len = colon ? (size_t)(colon - text) : strlen(text);

    int found = -1;
    for (int k = 0; k < PRISM_ACT_COUNT; k++) {
        if (strlen(ACTIVATIONS[k].name) == name_len &&
            strncmp(ACTIVATIONS[k].name, text, name_len) == 0) {
            found = k;
            break;
        }
    }
    if (found < 0) {
        return prism_error_set(err,
                               "unknown activation '%.*s' (expected one of the names that "
                               "'prism list activations' shows, e.g. relu, gelu, tanh)",
                               (int)name_len, text);
    }

    const prism_activation_info *info = &ACTIVATIONS[found];
    act->kind = (prism_activation_kind)found;
    act->param = info->param_default;
    if (colon == NULL) {
        return 0;
    }
    if (info->param_name == NULL) {
        return prism_error_set(err, "activation '%s' takes no parameter, found '%s'", info->name,
                               colon + 1);
    }

    char *end = NULL;
    errno = 0;
    double value = strtod(colon + 1, &end);
    if (colon[1] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(value)) {
        return prism_error_set(err, "activation '%s': parameter %s: expected a number, found '%s'",
                               info->name, info->param_name, colon + 1);
    }
    if (value < info->param_min || value > info->param_max) {
        return prism_error_set(err,
                               "activation '%s': parameter %s: expected a value in [%g, %g], "
                               "found %g",
                               info->name, info->param_name, info->param_min, info->param_max,
                               value);
    }
    act->param = (float)value;
    return 0;
}

const char *prism_activation_format(const prism_activation *act, char *out, size_t out_bytes)
{
    const prism_activation_info *info = &ACTIVATIONS[act->kind];
    if (info->param_name != NULL && act->param != info->param_default) {
        snprintf(out, out_bytes, "%s:%g", info->name, act->param);
    } else {
        snprintf(out, out_bytes, "%s", info->name);
    }
    return out;
}

/* Elements are processed in chunks through a stack buffer, so that outputs may alias inputs and
 * the vector functions of model/kernels.h see long runs. */
enum { CHUNK = 256 };

static float sigmoid_f(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* softplus with PyTorch's threshold: linear once beta * x exceeds it, where log1p(exp) would
 * equal x in float anyway and exp could overflow. */
static float softplus_f(float x, float beta)
{
    float bx = x * beta;
    if (bx > SOFTPLUS_THRESHOLD_F) {
        return x;
    }
    return log1pf(expf(bx)) / beta;
}

/* Compiled also for AVX-512 and AVX2 and chosen at run time, as prism_adam_step is: each element
 * goes through the same IEEE operations (no fused multiply-adds: ISO C mode keeps them apart)
 * and the same scalar libm calls whatever the vector width, so every machine gets the same
 * bits. */
__attribute__((target_clones("avx512f", "avx2", "default")))
void prism_activation_forward(const prism_activation *act, const float *x, float *y, size_t n)
{
    const float p = act->param;
    switch (act->kind) {
    case PRISM_ACT_RELU:
        for (size_t i = 0; i < n; i++) {
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        }
        break;
    case PRISM_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) {
            y[i] = x[i] > 0.0f ? x[i] : x[i] * p;
        }
        break;
    case PRISM_ACT_RELU6:
        for (size_t i = 0; i < n; i++) {
            y[i] = fminf(fmaxf(x[i], 0.0f), 6.0f);
        }
        break;
    case PRISM_ACT_ELU:
        for (size_t i = 0; i < n; i++) {
            y[i] = x[i] > 0.0f ? x[i] : p * expm1f(x[i]);
        }
        break;
    case PRISM_ACT_SELU:
        for (size_t i = 0; i < n; i++) {
            y[i] = SELU_SCALE_F * (x[i] > 0.0f ? x[i] : SELU_ALPHA_F * expm1f(x[i]));
        }
        break;
    case PRISM_ACT_CELU:
        for (size_t i = 0; i < n; i++) {
            y[i] = x[i] > 0.0f ? x[i] : p * expm1f(x[i] / p);
        }
        break;
    case PRISM_ACT_GELU:
        /* erfc keeps the tail accurate: 1 + erf(x / sqrt 2) cancels to 0 for x below about -5.5
         * in float, while erfc(-x / sqrt 2) stays a normal number down to x of about -13. */
        for (size_t start = 0; start < n; start += CHUNK) {
            size_t m = n - start < CHUNK ? n - start : CHUNK;
            float t[CHUNK];
            for (size_t i = 0; i < m; i++) {
                t[i] = -x[start + i] * SQRT1_2_F;
            }
            prism_kernel_map(PRISM_FN_ERFC, t, t, m);
            for (size_t i = 0; i < m; i++) {
                y[start + i] = 0.5f * x[start + i] * t[i];
            }
        }
        break;
    case PRISM_ACT_GELU_TANH:
        for (size_t start = 0; start < n; start += CHUNK) {
            size_t m = n - start < CHUNK ? n - start : CHUNK;
            float t[CHUNK];
            for (size_t i = 0; i < m; i++) {
                float v = x[start + i];
                t[i] = SQRT_2_OVER_PI_F * (v + GELU_TANH_COEFF_F * v * v * v);
            }
            prism_kernel_map(PRISM_FN_TANH, t, t, m);
            for (size_t i = 0; i < m; i++) {
                y[start + i] = 0.5f * x[start + i] * (1.0f + t[i]);
            }
        }
        break;
    case PRISM_ACT_SILU:
        for (size_t i = 0; i < n; i++) {
            y[i] = x[i] * sigmoid_f(x[i]);
        }
        break;
    case PRISM_ACT_MISH:
        for (size_t i = 0; i < n; i++) {
            y[i] = x[i] * tanhf(softplus_f(x[i], 1.0f));
        }
        break;
    case PRISM_ACT_SOFTPLUS:
        for (size_t i = 0; i < n; i++) {
            y[i] = softplus_f(x[i], p);
        }
        break;
    case PRISM_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            y[i] = sigmoid_f(x[i]);
        }
        break;
    case PRISM_ACT_HARDSIGMOID:
        for (size_t i = 0; i < n; i++) {
            y[i] = fminf(fmaxf(x[i] / 6.0f + 0.5f, 0.0f), 1.0f);
        }
        break;
    case PRISM_ACT_TANH:
        prism_kernel_map(PRISM_FN_TANH, x, y, n);
        break;
    case PRISM_ACT_HARDTANH:
        for (size_t i = 0; i < n; i++) {
            y[i] = fminf(fmaxf(x[i], -1.0f), 1.0f);
        }
        break;
    case PRISM_ACT_SOFTSIGN:
        for (size_t i = 0; i < n; i++) {
            y[i] = x[i] / (1.0f + fabsf(x[i]));
        }
        break;
    case PRISM_ACT_LECUN_TANH:
        for (size_t i = 0; i < n; i++) {
            y[i] = LECUN_GAIN_F * tanhf(LECUN_RATE_F * x[i]);
        }
        break;
    case PRISM_ACT_IDENTITY:
    case PRISM_ACT_COUNT:
        if (y != x) {
            memmove(y, x, n * sizeof *y);
        }
        break;
    }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void prism_activation_backward(const prism_activation *act, const float *x, const float *y,
                               const float *dy, float *dx, size_t n)
{
    const float p = act->param;
    switch (act->kind) {
    case PRISM_ACT_RELU:
        /* d/dx max(0, x): 1 above 0, and 0 at 0 as in PyTorch */
        for (size_t i = 0; i < n; i++) {
            dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
        }
        break;
    case PRISM_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) {
            dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * p;
        }
        break;
    case PRISM_ACT_RELU6:
        /* clamp passes the gradient only strictly inside (0, 6) */
        for (size_t i = 0; i < n; i++) {
            dx[i] = (x[i] > 0.0f && x[i] < 6.0f) ? dy[i] : 0.0f;
        }
        break;
    case PRISM_ACT_ELU:
        /* d/dx alpha (exp(x) - 1) = alpha exp(x) */
        for (size_t i = 0; i < n; i++) {
            dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * p * expf(x[i]);
        }
        break;
    case PRISM_ACT_SELU:
        for (size_t i = 0; i < n; i++) {
            float slope = x[i] > 0.0f ? SELU_SCALE_F : SELU_SCALE_F * SELU_ALPHA_F * expf(x[i]);
            dx[i] = dy[i] * slope;
        }
        break;
    case PRISM_ACT_CELU:
        /* d/dx alpha (exp(x / alpha) - 1) = exp(x / alpha) */
        for (size_t i = 0; i < n; i++) {
            dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * expf(x[i] / p);
        }
        break;
    case PRISM_ACT_GELU:
        /* d/dx x Phi(x) = Phi(x) + x phi(x) */
        for (size_t start = 0; start < n; start += CHUNK) {
            size_t m = n - start < CHUNK ? n - start : CHUNK;
            float cdf[CHUNK];
            float pdf[CHUNK];
            for (size_t i = 0; i < m; i++) {
                float v = x[start + i];
                cdf[i] = -v * SQRT1_2_F;
                pdf[i] = -0.5f * v * v;
            }
            prism_kernel_map(PRISM_FN_ERFC, cdf, cdf, m);
            prism_kernel_map(PRISM_FN_EXP, pdf, pdf, m);
            for (size_t i = 0; i < m; i++) {
                float v = x[start + i];
                dx[start + i] = dy[start + i] * (0.5f * cdf[i] + v * INV_SQRT_2PI_F * pdf[i]);
            }
        }
        break;
    case PRISM_ACT_GELU_TANH:
        /* y = 0.5 x (1 + t), t = tanh(u), u = c (x + k x^3):
         * dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2) */
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            float t = tanhf(SQRT_2_OVER_PI_F * (v + GELU_TANH_COEFF_F * v * v * v));
            float du = SQRT_2_OVER_PI_F * (1.0f + 3.0f * GELU_TANH_COEFF_F * v * v);
            dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
        }
        break;
    case PRISM_ACT_SILU:
        /* d/dx x s(x) = s (1 + x (1 - s)) */
        for (size_t i = 0; i < n; i++) {
            float s = sigmoid_f(x[i]);
            dx[i] = dy[i] * s * (1.0f + x[i] * (1.0f - s));
        }
        break;
    case PRISM_ACT_MISH:
        /* d/dx x tanh(sp(x)) = tanh(sp) + x (1 - tanh(sp)^2) sigmoid(x) */
        for (size_t i = 0; i < n; i++) {
            float t = tanhf(softplus_f(x[i], 1.0f));
            dx[i] = dy[i] * (t + x[i] * (1.0f - t * t) * sigmoid_f(x[i]));
        }
        break;
    case PRISM_ACT_SOFTPLUS:
        /* d/dx log(1 + exp(b x)) / b = sigmoid(b x); 1 on the linear part */
        for (size_t i = 0; i < n; i++) {
            float bx = x[i] * p;
            dx[i] = bx > SOFTPLUS_THRESHOLD_F ? dy[i] : dy[i] * sigmoid_f(bx);
        }
        break;
    case PRISM_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            float s = y != NULL ? y[i] : sigmoid_f(x[i]);
            dx[i] = dy[i] * s * (1.0f - s);
        }
        break;
    case PRISM_ACT_HARDSIGMOID:
        for (size_t i = 0; i < n; i++) {
            dx[i] = (x[i] > -3.0f && x[i] < 3.0f) ? dy[i] / 6.0f : 0.0f;
        }
        break;
    case PRISM_ACT_TANH:
        for (size_t start = 0; start < n; start += CHUNK) {
            size_t m = n - start < CHUNK ? n - start : CHUNK;
            float t[CHUNK];
            if (y != NULL) {
                memcpy(t, y + start, m * sizeof *t);
            } else {
                prism_kernel_map(PRISM_FN_TANH, x + start, t, m);
            }
            for (size_t i = 0; i < m; i++) {
                dx[start + i] = dy[start + i] * (1.0f - t[i] * t[i]);
            }
        }
        break;
    case PRISM_ACT_HARDTANH:
        for (size_t i = 0; i < n; i++) {
            dx[i] = (x[i] > -1.0f && x[i] < 1.0f) ? dy[i] : 0.0f;
        }
        break;
    case PRISM_ACT_SOFTSIGN:
        /* d/dx x / (1 + |x|) = 1 / (1 + |x|)^2 */
        for (size_t i = 0; i < n; i++) {
            float d = 1.0f + fabsf(x[i]);
            dx[i] = dy[i] / (d * d);
        }
        break;
    case PRISM_ACT_LECUN_TANH:
        for (size_t i = 0; i < n; i++) {
            float t = tanhf(LECUN_RATE_F * x[i]);
            dx[i] = dy[i] * LECUN_GAIN_F * LECUN_RATE_F * (1.0f - t * t);
        }
        break;
    case PRISM_ACT_IDENTITY:
    case PRISM_ACT_COUNT:
        if (dx != dy) {
            memmove(dx, dy, n * sizeof *dx);
        }
        break;
    }
}

