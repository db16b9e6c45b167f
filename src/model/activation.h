/* Element-wise activation functions with their derivatives, in float32 like PyTorch's.
 * Each kind may take one numeric parameter (leaky_relu's slope, elu's alpha, ...). */
#ifndef PRISM_MODEL_ACTIVATION_H
#define PRISM_MODEL_ACTIVATION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef enum prism_activation_kind {
    PRISM_ACT_RELU,
    PRISM_ACT_LEAKY_RELU,
    PRISM_ACT_RELU6,
    PRISM_ACT_ELU,
    PRISM_ACT_SELU,
    PRISM_ACT_CELU,
    PRISM_ACT_GELU,      /* exact form, x * Phi(x) */
    PRISM_ACT_GELU_TANH, /* PyTorch's approximate='tanh' */
    PRISM_ACT_SILU,
    PRISM_ACT_MISH,
    PRISM_ACT_SOFTPLUS,
    PRISM_ACT_SIGMOID,
    PRISM_ACT_HARDSIGMOID,
    PRISM_ACT_TANH,
    PRISM_ACT_HARDTANH,
    PRISM_ACT_SOFTSIGN,
    PRISM_ACT_LECUN_TANH, /* 1.7159 tanh(2x/3) */
    PRISM_ACT_IDENTITY,
    PRISM_ACT_COUNT
} prism_activation_kind;

typedef struct prism_activation {
    prism_activation_kind kind;
    float param; /* meaning depends on kind; the kind's default when not given */
} prism_activation;

/* Static facts about one kind, for parsing, listing and reports. */
typedef struct prism_activation_info {
    const char *name;        /* lower-case name used on the command line and in outputs */
    const char *label;       /* display name for tables ("GELU", "Tanh") */
    const char *formula;     /* one-line definition */
    const char *param_name;  /* NULL when the kind takes no parameter */
    float param_default;
    float param_min;         /* valid parameter range, inclusive min */
    float param_max;         /* inclusive max */
    bool bounded;            /* output range is finite */
    const char *range;       /* output range, e.g. "(-1, 1)" or "[0, inf)" */
    float lower;             /* the bounds of a bounded activation (0 when unbounded) */
    float upper;
} prism_activation_info;

const prism_activation_info *prism_activation_describe(prism_activation_kind kind);

/* Parses "name" or "name:param" (e.g. "leaky_relu:0.1"); checks the parameter's range. */
int prism_activation_parse(const char *text, prism_activation *act, prism_error *err);

/* Writes the canonical text of act ("gelu", "leaky_relu:0.1") into out; returns out. The
 * parameter is written only when it differs from the default. */
const char *prism_activation_format(const prism_activation *act, char *out, size_t out_bytes);

/* y[i] = f(x[i]) for n elements; y may alias x. */
void prism_activation_forward(const prism_activation *act, const float *x, float *y, size_t n);

/* dx[i] = dy[i] * f'(x[i]) where x is the activation's input; dx may alias dy. y is the forward
 * pass's output for x, or NULL: a derivative written in terms of the output (tanh: 1 - y^2,
 * sigmoid: y (1 - y)) takes it from y instead of evaluating the function again, which gives the
 * same bits. */
void prism_activation_backward(const prism_activation *act, const float *x, const float *y,
                               const float *dy, float *dx, size_t n);

#endif
