/* Finite-difference checks of every backward pass: each activation, Linear (and the first-layer
 * kernels), LayerNorm, RMSNorm, softmax cross-entropy, and whole networks.
 *
 * The library computes in float32, so the numeric derivative is taken of float32 functions:
 * the five-point central formula (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h, whose truncation
 * error is O(h^4), on inputs and parameters that lie on a 2^-12 grid so that every step of a
 * power-of-two h is exact. Its rounding error is bounded by fd_tolerance below. Every check
 * also asserts that the gradient it compared is not trivially zero, since zero against zero
 * passes any tolerance. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/dataset.h"
#include "model/activation.h"
#include "model/kernels.h"
#include "model/layers.h"
#include "model/net.h"
#include "support/fixture.h"

enum { GRID_BITS = 12 };
#define TEST_SEED 20240611

/* Relative allowance for what the O(h^4) formula leaves and for the analytic gradient's own
 * float32 rounding. */
#define FD_RTOL 1e-4
/* Rounding of one float32 loss evaluation, in ulps of the loss's scale. One is enough because
 * each scale below is a worst-case sum of magnitudes; the rounding measured is 5 to 50 times
 * smaller than the bound this gives. */
#define ROUND_ULPS 1.0

static const double STENCIL_OFFSET[4] = {-2.0, -1.0, 1.0, 2.0};
static const double STENCIL_WEIGHT[4] = {1.0, -8.0, 8.0, -1.0};

typedef double (*loss_fn)(void *ctx);

/* d loss / d *v by the five-point formula with step h; *v is moved by exact multiples of h and
 * restored. */
static double numeric_derivative(float *v, double h, loss_fn loss, void *ctx)
{
    const float saved = *v;
    double sum = 0.0;
    for (int k = 0; k < 4; k++) {
        *v = (float)((double)saved + STENCIL_OFFSET[k] * h);
        /* An inexact step would bias the quotient: the inputs are on a grid to avoid it. */
        assert_true((double)*v - (double)saved == STENCIL_OFFSET[k] * h);
        sum += STENCIL_WEIGHT[k] * loss(ctx);
    }
    *v = saved;
    return sum / (12.0 * h);
}

/* The tolerance for a numeric derivative of a loss of magnitude `scale` (the sum of the
 * magnitudes it adds up): each evaluation may be off by ROUND_ULPS ulps of the scale, the
 * stencil's weights sum to 18 / 12 in magnitude, and the quotient divides by h. */
static prism_tolerance fd_tolerance(double scale, double h)
{
    return (prism_tolerance){.atol = 1.5 * ROUND_ULPS * FLT_EPSILON * scale / h,
                             .rtol = FD_RTOL};
}

/* Fails the test unless the largest |analytic| reaches min_abs: a gradient that is zero, or
 * near it, would pass any comparison with a numeric derivative that is also near zero. */
static void expect_nontrivial(const char *name, const double *analytic, size_t n,
                              double min_abs)
{
    double largest = 0.0;
    for (size_t i = 0; i < n; i++) {
        largest = fmax(largest, fabs(analytic[i]));
    }
    if (!(largest >= min_abs)) {
        fail_msg("%s: gradient trivially small: largest |g| %g < %g", name, largest, min_abs);
    }
}

/* A uniform value in [lo, hi) rounded to the 2^-GRID_BITS grid. */
static float grid_uniform(prism_rng *rng, double lo, double hi)
{
    double u = lo + (hi - lo) * prism_rng_uniform(rng);
    return (float)ldexp(nearbyint(ldexp(u, GRID_BITS)), -GRID_BITS);
}

static void fill_grid(prism_rng *rng, float *v, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = grid_uniform(rng, lo, hi);
    }
}

static void open_rng(prism_rng *rng, uint64_t which)
{
    prism_rng_open(rng, TEST_SEED, PRISM_RNG_TEST, &which, 1);
}

/* sum r[i] y[i] in double: a loss whose gradient with respect to y is r. */
static double weighted_sum(const float *r, const float *y, size_t n, double *scale)
{
    double sum = 0.0;
    double mag = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)r[i] * (double)y[i];
        mag += fabs((double)r[i] * (double)y[i]);
    }
    if (scale != NULL) {
        *scale = mag;
    }
    return sum;
}

/* ---- Activations ---- */

typedef struct act_ctx {
    prism_activation act;
    float x;
} act_ctx;

static double act_loss(void *ctx)
{
    act_ctx *c = ctx;
    float y = 0.0f;
    prism_activation_forward(&c->act, &c->x, &y, 1);
    return y;
}

/* Points on a 1/8 grid, each at least 1/8 from every kink (0, +-1, +-3, 6) and from softplus's
 * switch to the identity (20 / beta): the stencil spans 2h = 1/16 either side. Left of about
 * x = -5 the O(h^4) term of tails that decay like exp(-x^2 / 2) outgrows FD_RTOL; the fixtures
 * check those tails against PyTorch instead. */
static const float ACT_POINTS[] = {-4.25f, -2.75f, -1.375f, -0.625f, -0.25f, 0.375f,
                                   0.875f, 1.625f, 2.75f, 4.5f, 6.5f};
enum { N_ACT_POINTS = sizeof ACT_POINTS / sizeof ACT_POINTS[0] };

static void check_activation(const char *text)
{
    const double h = 1.0 / 32.0;
    act_ctx c;
    prism_error err = {{0}};
    assert_int_equal(prism_activation_parse(text, &c.act, &err), 0);

    double analytic[N_ACT_POINTS];
    size_t failed = 0;
    for (size_t i = 0; i < N_ACT_POINTS; i++) {
        c.x = ACT_POINTS[i];
        float one = 1.0f;
        float dx = 0.0f;
        prism_activation_backward(&c.act, &c.x, NULL, &one, &dx, 1);
        analytic[i] = dx;

        double numeric = numeric_derivative(&c.x, h, act_loss, &c);
        float ends[2] = {c.x - 2.0f * (float)h, c.x + 2.0f * (float)h};
        float f_ends[2];
        prism_activation_forward(&c.act, ends, f_ends, 2);
        /* Forms such as 0.5 x (1 + tanh(u)) cancel in float32 where f is small, so the
         * rounding scales with |x| rather than with |f|. */
        double scale = fmax(fmax(fabs((double)f_ends[0]), fabs((double)f_ends[1])),
                            fabs((double)c.x));

        char name[96];
        snprintf(name, sizeof name, "%s'(%g)", text, (double)c.x);
        failed += prism_fixture_compare_double(name, &analytic[i], &numeric, 1,
                                               fd_tolerance(scale, h));
    }
    assert_int_equal(failed, 0);
    /* Every activation has slope at least 1/6 somewhere on these points (hardsigmoid's). */
    expect_nontrivial(text, analytic, N_ACT_POINTS, 0.15);
}

static void test_activation_gradients(void **state)
{
    (void)state;
    /* Every kind at its default parameter ... */
    for (int k = 0; k < PRISM_ACT_COUNT; k++) {
        check_activation(prism_activation_describe((prism_activation_kind)k)->name);
    }
    /* ... and the parametrised ones away from it. */
    static const char *const PARAMETRISED[] = {"leaky_relu:0.1", "leaky_relu:0.3", "elu:0.5",
                                               "elu:2", "celu:2", "celu:0.5", "softplus:2",
                                               "softplus:0.5"};
    for (size_t i = 0; i < sizeof PARAMETRISED / sizeof PARAMETRISED[0]; i++) {
        check_activation(PARAMETRISED[i]);
    }
}

/* ---- Linear and the first-layer kernels ---- */

enum { LIN_N = 5, LIN_IN = 37, LIN_OUT = 7 };

typedef struct linear_ctx {
    bool kernel; /* the first-layer kernel rather than prism_linear_forward */
    float x[LIN_N * LIN_IN];
    float w[LIN_OUT * LIN_IN];
    float b[LIN_OUT];
    float r[LIN_N * LIN_OUT];
    float y[LIN_N * LIN_OUT];
} linear_ctx;

static double linear_loss(void *ctx)
{
    linear_ctx *c = ctx;
    if (c->kernel) {
        prism_kernel_linear_forward(c->x, LIN_N, LIN_IN, c->w, c->b, LIN_OUT, c->y);
    } else {
        prism_linear_forward(c->x, LIN_N, LIN_IN, c->w, c->b, LIN_OUT, c->y);
    }
    return weighted_sum(c->r, c->y, LIN_N * LIN_OUT, NULL);
}

enum { CHECK_MAX = 512 };

/* Numeric derivatives of the context's loss for every element of v[n], compared with
 * analytic[n]; the largest |analytic| must reach min_abs. */
static void check_all(const char *name, float *v, size_t n, const float *analytic_f,
                      double h, loss_fn loss, void *ctx, double scale, double min_abs)
{
    double analytic[CHECK_MAX];
    double numeric[CHECK_MAX];
    assert_true(n <= CHECK_MAX);
    for (size_t i = 0; i < n; i++) {
        analytic[i] = analytic_f[i];
        numeric[i] = numeric_derivative(&v[i], h, loss, ctx);
    }
    assert_int_equal(prism_fixture_compare_double(name, analytic, numeric, n,
                                                  fd_tolerance(scale, h)), 0);
    expect_nontrivial(name, analytic, n, min_abs);
}

static void test_linear_gradients(void **state)
{
    (void)state;
    /* A linear loss has no truncation error, so a large step keeps rounding small. */
    const double h = 0.25;
    static linear_ctx c;
    prism_rng rng;
    open_rng(&rng, 1);
    fill_grid(&rng, c.x, LIN_N * LIN_IN, -1.0, 1.0);
    fill_grid(&rng, c.w, LIN_OUT * LIN_IN, -0.5, 0.5);
    fill_grid(&rng, c.b, LIN_OUT, -0.5, 0.5);
    fill_grid(&rng, c.r, LIN_N * LIN_OUT, -1.0, 1.0);

    /* y = x w^T + b, loss = sum r y: dL/dy = r */
    float dw[LIN_OUT * LIN_IN];
    float db[LIN_OUT];
    float dx[LIN_N * LIN_IN];
    c.kernel = false;
    /* Each y is a sum of LIN_IN products: its rounding scales with their magnitudes. */
    double scale = 0.0;
    for (size_t i = 0; i < LIN_N; i++) {
        for (size_t o = 0; o < LIN_OUT; o++) {
            double terms = fabs((double)c.b[o]);
            for (size_t k = 0; k < LIN_IN; k++) {
                terms += fabs((double)c.x[i * LIN_IN + k] * (double)c.w[o * LIN_IN + k]);
            }
            scale += fabs((double)c.r[i * LIN_OUT + o]) * terms;
        }
    }
    prism_linear_backward(c.x, c.r, LIN_N, LIN_IN, c.w, LIN_OUT, dw, db, dx);
    check_all("linear dw", c.w, LIN_OUT * LIN_IN, dw, h, linear_loss, &c, scale, 0.5);
    check_all("linear db", c.b, LIN_OUT, db, h, linear_loss, &c, scale, 0.5);
    check_all("linear dx", c.x, LIN_N * LIN_IN, dx, h, linear_loss, &c, scale, 0.5);

    /* The first-layer kernels, on odd sizes (5 rows, 37 inputs, 7 outputs) that leave a
     * remainder in every blocking they use. */
    float kdw[LIN_OUT * LIN_IN];
    float kdb[LIN_OUT];
    c.kernel = true;
    prism_kernel_linear_weight_grad(c.x, c.r, LIN_N, LIN_IN, LIN_OUT, false, kdw, kdb);
    check_all("kernel dw", c.w, LIN_OUT * LIN_IN, kdw, h, linear_loss, &c, scale, 0.5);
    check_all("kernel db", c.b, LIN_OUT, kdb, h, linear_loss, &c, scale, 0.5);
}

/* ---- LayerNorm and RMSNorm ---- */

enum { NORM_N = 3, NORM_H = 10 };

typedef struct norm_ctx {
    bool rms;
    float x[NORM_N * NORM_H];
    float gain[NORM_H];
    float shift[NORM_H];
    float r[NORM_N * NORM_H];
    float y[NORM_N * NORM_H];
    float xhat[NORM_N * NORM_H];
    float rstd[NORM_N];
} norm_ctx;

static double norm_loss(void *ctx)
{
    norm_ctx *c = ctx;
    if (c->rms) {
        prism_rmsnorm_forward(c->x, NORM_N, NORM_H, c->gain, PRISM_NORM_EPS, c->y, c->xhat,
                              c->rstd);
    } else {
        prism_layernorm_forward(c->x, NORM_N, NORM_H, c->gain, c->shift, PRISM_NORM_EPS, c->y,
                                c->xhat, c->rstd);
    }
    return weighted_sum(c->r, c->y, NORM_N * NORM_H, NULL);
}

static void setup_norm(norm_ctx *c, bool rms, uint64_t which)
{
    prism_rng rng;
    open_rng(&rng, which);
    c->rms = rms;
    fill_grid(&rng, c->x, NORM_N * NORM_H, -2.0, 2.0);
    /* One row with an offset, so that the mean's part of the backward pass matters. */
    for (size_t j = 0; j < NORM_H; j++) {
        c->x[NORM_H + j] += 3.0f;
    }
    fill_grid(&rng, c->gain, NORM_H, 0.5, 1.5);
    fill_grid(&rng, c->shift, NORM_H, -0.5, 0.5);
    fill_grid(&rng, c->r, NORM_N * NORM_H, -1.0, 1.0);
}

static void test_layernorm_gradients(void **state)
{
    (void)state;
    const double h = 1.0 / 64.0;
    static norm_ctx c;
    setup_norm(&c, false, 2);
    norm_loss(&c);
    double scale = 0.0;
    weighted_sum(c.r, c.y, NORM_N * NORM_H, &scale);

    /* y = xhat gain + shift with loss sum r y: dL/dy = r */
    float dx[NORM_N * NORM_H];
    float dgain[NORM_H];
    float dshift[NORM_H];
    prism_layernorm_backward(c.r, c.xhat, c.rstd, NORM_N, NORM_H, c.gain, false, dx, dgain,
                             dshift);
    check_all("layernorm dx", c.x, NORM_N * NORM_H, dx, h, norm_loss, &c, scale, 0.1);
    check_all("layernorm dgain", c.gain, NORM_H, dgain, h, norm_loss, &c, scale, 0.1);
    check_all("layernorm dshift", c.shift, NORM_H, dshift, h, norm_loss, &c, scale, 0.1);
}

static void test_rmsnorm_gradients(void **state)
{
    (void)state;
    const double h = 1.0 / 64.0;
    static norm_ctx c;
    setup_norm(&c, true, 3);
    norm_loss(&c);
    double scale = 0.0;
    weighted_sum(c.r, c.y, NORM_N * NORM_H, &scale);

    float dx[NORM_N * NORM_H];
    float dgain[NORM_H];
    prism_rmsnorm_backward(c.r, c.xhat, c.rstd, NORM_N, NORM_H, c.gain, false, dx, dgain);
    check_all("rmsnorm dx", c.x, NORM_N * NORM_H, dx, h, norm_loss, &c, scale, 0.1);
    check_all("rmsnorm dgain", c.gain, NORM_H, dgain, h, norm_loss, &c, scale, 0.1);
}

/* ---- Softmax cross-entropy ---- */

enum { XENT_N = 4, XENT_CLASSES = 10 };

typedef struct xent_ctx {
    float logits[XENT_N * XENT_CLASSES];
    uint8_t labels[XENT_N];
} xent_ctx;

static double xent_loss(void *ctx)
{
    xent_ctx *c = ctx;
    return prism_softmax_xent(c->logits, c->labels, XENT_N, XENT_CLASSES, NULL);
}

static void test_xent_gradients(void **state)
{
    (void)state;
    const double h = 1.0 / 32.0;
    static xent_ctx c;
    prism_rng rng;
    open_rng(&rng, 4);
    fill_grid(&rng, c.logits, XENT_N * XENT_CLASSES, -4.0, 4.0);
    for (size_t i = 0; i < XENT_N; i++) {
        c.labels[i] = (uint8_t)prism_rng_below(&rng, XENT_CLASSES);
    }
    /* A row with a large common offset: the gradient must not depend on it. */
    for (size_t j = 0; j < XENT_CLASSES; j++) {
        c.logits[XENT_CLASSES + j] += 64.0f;
    }

    float dlogits[XENT_N * XENT_CLASSES];
    double loss = prism_softmax_xent(c.logits, c.labels, XENT_N, XENT_CLASSES, dlogits);
    /* The loss is a difference of values up to the largest logit: rounding scales with it. */
    double scale = loss + 68.0;
    check_all("xent dlogits", c.logits, XENT_N * XENT_CLASSES, dlogits, h, xent_loss, &c,
              scale, 0.1);
}

/* ---- Whole networks ---- */

enum { NET_ROWS = 4, PICKS_PER_TENSOR = 4 };

typedef struct net_ctx {
    prism_net net;
    prism_net_workspace ws;
    float *x;
    uint8_t labels[NET_ROWS];
    float *grads;
} net_ctx;

static int net_setup(void **state)
{
    net_ctx *c = calloc(1, sizeof *c);
    *state = c;
    return c != NULL ? 0 : -1;
}

static int net_teardown(void **state)
{
    net_ctx *c = *state;
    prism_net_workspace_destroy(&c->ws);
    prism_net_destroy(&c->net);
    free(c->x);
    free(c->grads);
    free(c);
    return 0;
}

static double net_loss(void *ctx)
{
    net_ctx *c = ctx;
    prism_net_forward(&c->net, &c->ws, c->x, NET_ROWS, NULL, NULL);
    return prism_softmax_xent(c->ws.logits, c->labels, NET_ROWS, c->net.spec.classes, NULL);
}

/* Builds the network with PyTorch-style initial weights moved onto the grid, gains and shifts
 * away from 1 and 0, and a batch of random pixels. */
static void build_net(net_ctx *c, const prism_net_spec *spec, uint64_t which)
{
    prism_error err = {{0}};
    assert_int_equal(prism_net_create(&c->net, spec, &err), 0);
    assert_int_equal(prism_net_workspace_create(&c->ws, spec, NET_ROWS, &err), 0);
    prism_rng rng;
    open_rng(&rng, which);
    prism_net_initialise(&c->net, &rng);
    for (size_t i = 0; i < c->net.n_params; i++) {
        c->net.params[i] = (float)ldexp(nearbyint(ldexp(c->net.params[i], GRID_BITS)),
                                        -GRID_BITS);
    }
    for (size_t l = 0; l < spec->n_hidden; l++) {
        prism_layer_view *v = &c->net.layer[l];
        if (v->gain != NULL) {
            fill_grid(&rng, v->gain, v->out, 0.75, 1.25);
        }
        if (v->shift != NULL) {
            fill_grid(&rng, v->shift, v->out, -0.25, 0.25);
        }
    }

    size_t count = NET_ROWS * spec->inputs;
    c->x = malloc(count * sizeof *c->x);
    c->grads = calloc(c->net.n_params, sizeof *c->grads);
    assert_true(c->x != NULL && c->grads != NULL);
    uint8_t *pixels = malloc(count);
    assert_non_null(pixels);
    for (size_t i = 0; i < count; i++) {
        pixels[i] = (uint8_t)prism_rng_below(&rng, 256);
    }
    prism_pixels_normalise(pixels, count, c->x);
    free(pixels);
    for (size_t i = 0; i < NET_ROWS; i++) {
        c->labels[i] = (uint8_t)prism_rng_below(&rng, spec->classes);
    }
}

/* Checks PICKS_PER_TENSOR parameters of one tensor: the one with the largest gradient and
 * random others. */
static size_t check_net_tensor(net_ctx *c, const char *name, float *params, const float *grads,
                               size_t n, prism_rng *rng, double h, double min_abs)
{
    size_t picks[PICKS_PER_TENSOR];
    picks[0] = 0;
    for (size_t i = 1; i < n; i++) {
        picks[0] = fabsf(grads[i]) > fabsf(grads[picks[0]]) ? i : picks[0];
    }
    for (size_t k = 1; k < PICKS_PER_TENSOR; k++) {
        picks[k] = (size_t)prism_rng_below(rng, n);
    }

    double analytic[PICKS_PER_TENSOR];
    double numeric[PICKS_PER_TENSOR];
    for (size_t k = 0; k < PICKS_PER_TENSOR; k++) {
        analytic[k] = grads[picks[k]];
        numeric[k] = numeric_derivative(&params[picks[k]], h, net_loss, c);
    }
    /* The loss subtracts logits after the row maximum: its rounding scales with the loss and
     * the largest logit. */
    double scale = net_loss(c);
    for (size_t i = 0; i < NET_ROWS * c->net.spec.classes; i++) {
        scale = fmax(scale, fabs((double)c->ws.logits[i]));
    }
    size_t failed = prism_fixture_compare_double(name, analytic, numeric, PICKS_PER_TENSOR,
                                                 fd_tolerance(scale, h));
    expect_nontrivial(name, analytic, PICKS_PER_TENSOR, min_abs);
    return failed;
}

static void check_net(void **state, const prism_net_spec *spec, const char *label,
                      uint64_t which)
{
    const double h = 1.0 / 64.0;
    net_ctx *c = *state;
    build_net(c, spec, which);
    net_loss(c);
    prism_net_backward(&c->net, &c->ws, c->x, c->labels, NET_ROWS, c->grads);

    prism_layer_view g[PRISM_MAX_HIDDEN_LAYERS + 1];
    prism_net_layout(spec, c->grads, g);
    prism_rng rng;
    open_rng(&rng, 100 + which);
    size_t failed = 0;
    char name[128];
    for (size_t l = 0; l <= spec->n_hidden; l++) {
        prism_layer_view *p = &c->net.layer[l];
        size_t out = p->out;
        snprintf(name, sizeof name, "%s layer %zu w", label, l);
        failed += check_net_tensor(c, name, p->w, g[l].w, out * p->in, &rng, h, 1e-3);
        snprintf(name, sizeof name, "%s layer %zu b", label, l);
        failed += check_net_tensor(c, name, p->b, g[l].b, out, &rng, h, 1e-3);
        if (p->gain != NULL) {
            snprintf(name, sizeof name, "%s layer %zu gain", label, l);
            failed += check_net_tensor(c, name, p->gain, g[l].gain, out, &rng, h, 1e-3);
        }
        if (p->shift != NULL) {
            snprintf(name, sizeof name, "%s layer %zu shift", label, l);
            failed += check_net_tensor(c, name, p->shift, g[l].shift, out, &rng, h, 1e-3);
        }
    }
    assert_int_equal(failed, 0);
}

static prism_activation activation(const char *text)
{
    prism_activation act;
    prism_error err = {{0}};
    assert_int_equal(prism_activation_parse(text, &act, &err), 0);
    return act;
}

/* The article's network with smooth activations (ReLU's kink would put a finite difference
 * across a corner wherever a pre-activation sits within 2h of zero). */
static void test_net_article_tanh(void **state)
{
    prism_net_spec spec = prism_net_spec_article(activation("tanh"));
    check_net(state, &spec, "article tanh", 10);
}

static void test_net_article_gelu(void **state)
{
    prism_net_spec spec = prism_net_spec_article(activation("gelu"));
    check_net(state, &spec, "article gelu", 11);
}

/* Two hidden layers with both norms and two more activations. */
static void test_net_mixed(void **state)
{
    prism_net_spec spec = {.inputs = 784, .classes = 10, .n_hidden = 2};
    spec.hidden[0] = (prism_layer_spec){16, activation("gelu_tanh"), PRISM_NORM_RMSNORM};
    spec.hidden[1] = (prism_layer_spec){8, activation("silu"), PRISM_NORM_LAYERNORM};
    check_net(state, &spec, "mixed", 12);
}

/* No normalisation, so the linear layers' input gradients meet the activations directly.
 * Smooth activations only: ELU's second derivative jumps at 0, which puts an O(h) error into a
 * finite difference whose stencil straddles it. */
static void test_net_plain(void **state)
{
    prism_net_spec spec = {.inputs = 50, .classes = 10, .n_hidden = 2};
    spec.hidden[0] = (prism_layer_spec){12, activation("mish"), PRISM_NORM_NONE};
    spec.hidden[1] = (prism_layer_spec){6, activation("softplus:2"), PRISM_NORM_NONE};
    check_net(state, &spec, "plain", 13);
}

#define NET_TEST(fn) cmocka_unit_test_setup_teardown(fn, net_setup, net_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation_gradients),
        cmocka_unit_test(test_linear_gradients),
        cmocka_unit_test(test_layernorm_gradients),
        cmocka_unit_test(test_rmsnorm_gradients),
        cmocka_unit_test(test_xent_gradients),
        NET_TEST(test_net_article_tanh),
        NET_TEST(test_net_article_gelu),
        NET_TEST(test_net_mixed),
        NET_TEST(test_net_plain),
    };
    return cmocka_run_group_tests_name("gradcheck", tests, NULL, NULL);
}
