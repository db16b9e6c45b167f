/* prism's numerics against PyTorch: the fixtures in tests/fixtures (written by
 * tools/make_fixtures.py with PyTorch 1.13 in float32) are compared tensor by tensor with what
 * the C code computes from the same parameters and inputs.
 *
 * Tolerances, |got - ref| <= atol + rtol |ref|, are stated next to each use. They allow for
 * summation order (PyTorch's BLAS against prism's fixed 16-lane kernels) and libm differences,
 * a few float32 ulps, and stay far below what a wrong formula produces: a missing term in a
 * backward pass or a swapped parameter moves values by percent, not by 1e-5. Run with
 * PRISM_FIXTURE_VERBOSE=1 to see how much room each comparison leaves. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "model/activation.h"
#include "model/kernels.h"
#include "model/layers.h"
#include "model/net.h"
#include "support/fixture.h"
#include "train/adam.h"

/* Network forward intermediates and logits: 784-long dot products summed in another order. */
static const prism_tolerance FORWARD_TOL = {.atol = 2e-6, .rtol = 2e-5};
/* Parameter gradients (typical sizes 1e-4 .. 1e-1). */
static const prism_tolerance GRAD_TOL = {.atol = 1e-6, .rtol = 1e-4};
/* The mean loss: prism accumulates it in double, PyTorch in float32. */
static const prism_tolerance LOSS_TOL = {.atol = 1e-6, .rtol = 1e-5};
/* Parameters after Adam steps: each step moves a parameter by up to lr = 3e-3, so 1e-6 is a
 * thousandth of one step. */
static const prism_tolerance ADAM_TOL = {.atol = 1e-6, .rtol = 0.0};
/* Element-wise activations on hard inputs: values and derivatives. */
static const prism_tolerance ACT_TOL = {.atol = 1e-6, .rtol = 1e-5};
/* prism's exact GELU against float64 x Phi(x) in the left tail: relative accuracy wherever the
 * true value is a normal float32 (down to x = -13; erfc near FLT_MIN loses about 1e-5), where
 * PyTorch's own float32 1 + erf(x / sqrt 2) has cancelled to 0 from x = -5.5 on. Below FLT_MIN
 * an absolute 1e-36 is allowed: an exp that saturates at FLT_MIN instead of flushing to zero
 * leaves values there that no later operation can see. */
static const prism_tolerance GELU_TAIL_TOL = {.atol = 1e-36, .rtol = 1e-4};
/* RMSNorm on hard rows against float64: no subtraction, so relative accuracy throughout. */
static const prism_tolerance RMSNORM_TOL = {.atol = 1e-6, .rtol = 1e-5};
/* Cross-entropy on huge logits: loss and its gradient. */
static const prism_tolerance XENT_LOSS_TOL = {.atol = 1e-6, .rtol = 1e-6};
static const prism_tolerance XENT_GRAD_TOL = {.atol = 1e-7, .rtol = 1e-5};
/* Same arithmetic in the same order must give the same bits. */
static const prism_tolerance EXACT = {.atol = 0.0, .rtol = 0.0};

/* ---- Per-test state, freed by the teardown even when an assertion fails ---- */

enum { MAX_SCRATCH = 16 };

typedef struct numerics_state {
    prism_fixture fx;
    prism_fixture common;
    prism_net net;
    prism_net_workspace ws;
    prism_adam adam;
    void *scratch[MAX_SCRATCH];
    size_t n_scratch;
} numerics_state;

static int state_setup(void **state)
{
    numerics_state *s = calloc(1, sizeof *s);
    *state = s;
    return s != NULL ? 0 : -1;
}

static int state_teardown(void **state)
{
    numerics_state *s = *state;
    prism_fixture_close(&s->fx);
    prism_fixture_close(&s->common);
    prism_net_workspace_destroy(&s->ws);
    prism_net_destroy(&s->net);
    prism_adam_destroy(&s->adam);
    for (size_t i = 0; i < s->n_scratch; i++) {
        free(s->scratch[i]);
    }
    free(s);
    return 0;
}

/* A zeroed array that the teardown frees. */
static void *scratch(numerics_state *s, size_t count, size_t size)
{
    assert_true(s->n_scratch < MAX_SCRATCH);
    void *p = calloc(count + 1, size);
    assert_non_null(p);
    s->scratch[s->n_scratch++] = p;
    return p;
}

/* ---- Networks ---- */

/* The network spec in a fixture's "net" object. */
static void read_spec(const prism_fixture *fx, prism_net_spec *spec)
{
    const cJSON *net = prism_fixture_member(fx, NULL, "net");
    assert_non_null(net);
    double inputs = 0;
    double classes = 0;
    assert_int_equal(prism_fixture_number(fx, net, "inputs", &inputs), 0);
    assert_int_equal(prism_fixture_number(fx, net, "classes", &classes), 0);
    long n_hidden = prism_fixture_length(fx, net, "hidden");
    assert_true(n_hidden >= 1 && n_hidden <= PRISM_MAX_HIDDEN_LAYERS);

    memset(spec, 0, sizeof *spec);
    spec->inputs = (size_t)inputs;
    spec->classes = (size_t)classes;
    spec->n_hidden = (size_t)n_hidden;
    for (long l = 0; l < n_hidden; l++) {
        const cJSON *layer = cJSON_GetArrayItem(prism_fixture_member(fx, net, "hidden"), (int)l);
        double width = 0;
        assert_int_equal(prism_fixture_number(fx, layer, "width", &width), 0);
        const char *norm = prism_fixture_string(fx, layer, "norm");
        const char *act = prism_fixture_string(fx, layer, "act");
        assert_non_null(norm);
        assert_non_null(act);

        prism_error err = {{0}};
        prism_layer_spec *ls = &spec->hidden[l];
        ls->width = (size_t)width;
        assert_int_equal(prism_norm_parse(norm, &ls->norm, &err), 0);
        assert_int_equal(prism_activation_parse(act, &ls->act, &err), 0);
    }
}

/* Compares two flat parameter (or gradient) arrays block by block, so that a failure names the
 * layer and the tensor. Returns the number of failing elements. */
static size_t compare_flat(const char *label, const prism_net_spec *spec, const float *got,
                           const float *ref, prism_tolerance tol)
{
    prism_layer_view g[PRISM_MAX_HIDDEN_LAYERS + 1];
    prism_layer_view r[PRISM_MAX_HIDDEN_LAYERS + 1];
    prism_net_layout(spec, (float *)got, g);
    prism_net_layout(spec, (float *)ref, r);

    size_t failed = 0;
    char name[256];
    for (size_t l = 0; l <= spec->n_hidden; l++) {
        size_t out = r[l].out;
        snprintf(name, sizeof name, "%s layer %zu w", label, l);
        failed += prism_fixture_compare(name, g[l].w, r[l].w, out * r[l].in, tol);
        snprintf(name, sizeof name, "%s layer %zu b", label, l);
        failed += prism_fixture_compare(name, g[l].b, r[l].b, out, tol);
        if (r[l].gain != NULL) {
            snprintf(name, sizeof name, "%s layer %zu gain", label, l);
            failed += prism_fixture_compare(name, g[l].gain, r[l].gain, out, tol);
        }
        if (r[l].shift != NULL) {
            snprintf(name, sizeof name, "%s layer %zu shift", label, l);
            failed += prism_fixture_compare(name, g[l].shift, r[l].shift, out, tol);
        }
    }
    return failed;
}

/* Where a network test takes its parameters and batch from: the fixture itself, or for the
 * article's activations the shared article_common.json. */
typedef struct net_inputs {
    prism_net_spec spec;
    size_t rows;
    float *x;
    uint8_t *labels;
} net_inputs;

/* Creates s->net from the fixture's spec, loads the parameters, and the batch into inputs. */
static void load_net(numerics_state *s, prism_fixture *source, net_inputs *in)
{
    read_spec(&s->fx, &in->spec);
    prism_error err = {{0}};
    assert_int_equal(prism_net_create(&s->net, &in->spec, &err), 0);

    double rows = 0;
    assert_int_equal(prism_fixture_number(source, NULL, "batch", &rows), 0);
    in->rows = (size_t)rows;
    assert_int_equal(prism_net_workspace_create(&s->ws, &in->spec, in->rows, &err), 0);

    const float *params = prism_fixture_floats(source, NULL, "params", s->net.n_params);
    assert_non_null(params);
    memcpy(s->net.params, params, s->net.n_params * sizeof *params);

    size_t pixel_count = in->rows * in->spec.inputs;
    const uint8_t *pixels = prism_fixture_bytes(source, NULL, "pixels", pixel_count);
    assert_non_null(pixels);
    in->x = scratch(s, pixel_count, sizeof *in->x);
    prism_pixels_normalise(pixels, pixel_count, in->x);
    in->labels = prism_fixture_bytes(source, NULL, "labels", in->rows);
    assert_non_null(in->labels);
}

/* Forward pass: every stage of every hidden layer and the logits. */
static void check_forward(numerics_state *s, const net_inputs *in, const char *label)
{
    static const char *const STAGE_KEYS[3] = {"linear", "norm", "act"};
    prism_net_forward(&s->net, &s->ws, in->x, in->rows, NULL, NULL);

    const cJSON *stages = prism_fixture_member(&s->fx, NULL, "stages");
    assert_non_null(stages);
    assert_int_equal(cJSON_GetArraySize(stages), (int)in->spec.n_hidden);
    size_t failed = 0;
    char name[256];
    for (size_t l = 0; l < in->spec.n_hidden; l++) {
        const cJSON *stage = cJSON_GetArrayItem(stages, (int)l);
        size_t count = in->rows * in->spec.hidden[l].width;
        for (size_t k = 0; k < 3; k++) {
            const float *ref = prism_fixture_floats(&s->fx, stage, STAGE_KEYS[k], count);
            assert_non_null(ref);
            snprintf(name, sizeof name, "%s layer %zu %s", label, l, STAGE_KEYS[k]);
            failed += prism_fixture_compare(name, s->ws.stage[3 * l + k], ref, count,
                                            FORWARD_TOL);
        }
    }
    size_t n_logits = in->rows * in->spec.classes;
    const float *logits = prism_fixture_floats(&s->fx, NULL, "logits", n_logits);
    assert_non_null(logits);
    snprintf(name, sizeof name, "%s logits", label);
    failed += prism_fixture_compare(name, s->ws.logits, logits, n_logits, FORWARD_TOL);
    assert_int_equal(failed, 0);
}

/* Backward pass after check_forward: the loss and every parameter gradient, left in grads. */
static void check_backward(numerics_state *s, const net_inputs *in, const char *label,
                           float *grads)
{
    double loss = prism_net_backward(&s->net, &s->ws, in->x, in->labels, in->rows, grads);
    double ref_loss = 0;
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "loss", &ref_loss), 0);
    char name[256];
    snprintf(name, sizeof name, "%s loss", label);
    assert_int_equal(prism_fixture_compare_double(name, &loss, &ref_loss, 1, LOSS_TOL), 0);

    const float *ref = prism_fixture_floats(&s->fx, NULL, "grads", s->net.n_params);
    assert_non_null(ref);
    snprintf(name, sizeof name, "%s grad", label);
    assert_int_equal(compare_flat(name, &in->spec, grads, ref, GRAD_TOL), 0);
}

/* ---- Tests ---- */

/* prism's pixel normalisations, the scalar one and the vectorised kernel that training uses,
 * give torchvision's float32 bits for every byte value. */
static void test_pixel_normalisation(void **state)
{
    numerics_state *s = *state;
    assert_int_equal(prism_fixture_open(&s->fx, "article_common.json"), 0);
    const float *ref = prism_fixture_floats(&s->fx, NULL, "normalised", 256);
    assert_non_null(ref);

    float got[256];
    for (int p = 0; p < 256; p++) {
        got[p] = prism_pixel_normalise((uint8_t)p);
    }
    size_t failed = prism_fixture_compare("prism_pixel_normalise", got, ref, 256, EXACT);

    /* Every byte through the vector part (one call of 256), then through the scalar
     * remainder (calls of one). */
    uint8_t bytes[256];
    float out[256];
    for (int p = 0; p < 256; p++) {
        bytes[p] = (uint8_t)p;
    }
    prism_kernel_normalise_pixels(bytes, 256, out);
    failed += prism_fixture_compare("prism_kernel_normalise_pixels", out, ref, 256, EXACT);
    for (int p = 0; p < 256; p++) {
        prism_kernel_normalise_pixels(&bytes[p], 1, &out[p]);
    }
    failed += prism_fixture_compare("prism_kernel_normalise_pixels remainder", out, ref, 256,
                                    EXACT);
    assert_int_equal(failed, 0);
}

/* The article's network with one activation: forward, backward, the masked forward, and
 * Adam after 1 and 3 steps. */
static void check_article(void **state, const char *act)
{
    numerics_state *s = *state;
    char file[64];
    snprintf(file, sizeof file, "article_%s.json", act);
    assert_int_equal(prism_fixture_open(&s->common, "article_common.json"), 0);
    assert_int_equal(prism_fixture_open(&s->fx, file), 0);

    net_inputs in;
    load_net(s, &s->common, &in);
    assert_int_equal(in.spec.n_hidden, 1);
    assert_int_equal(in.spec.hidden[0].norm, PRISM_NORM_LAYERNORM);

    check_forward(s, &in, file);
    float *grads = scratch(s, s->net.n_params, sizeof *grads);
    check_backward(s, &in, file, grads);

    /* The mask multiplies fc1's output before LayerNorm, as the article's stress tests do. */
    size_t width = in.spec.hidden[0].width;
    size_t n_logits = in.rows * in.spec.classes;
    const float *mask = prism_fixture_floats(&s->common, NULL, "mask", width);
    const float *masked_ref = prism_fixture_floats(&s->fx, NULL, "masked_logits", n_logits);
    assert_non_null(mask);
    assert_non_null(masked_ref);
    prism_site site = {.layer = 0, .kind = PRISM_SITE_PRE_NORM};
    prism_net_forward(&s->net, &s->ws, in.x, in.rows, &site, mask);
    char name[256];
    snprintf(name, sizeof name, "%s masked logits", file);
    assert_int_equal(prism_fixture_compare(name, s->ws.logits, masked_ref, n_logits,
                                           FORWARD_TOL), 0);

    /* The stress tests' split path (run to the site once, then from it per mask) must give
     * the same bits as the one-pass masked forward. */
    float *masked = scratch(s, n_logits, sizeof *masked);
    memcpy(masked, s->ws.logits, n_logits * sizeof *masked);
    float *at_site = scratch(s, in.rows * width, sizeof *at_site);
    prism_net_forward_to_site(&s->net, &s->ws, in.x, in.rows, &site, at_site);
    prism_net_forward_from_site(&s->net, &s->ws, at_site, in.rows, &site, mask);
    snprintf(name, sizeof name, "%s split masked logits", file);
    assert_int_equal(prism_fixture_compare(name, s->ws.logits, masked, n_logits, EXACT), 0);

    /* Adam: PyTorch's defaults apart from the rate, which the fixture states. */
    const cJSON *adam = prism_fixture_member(&s->fx, NULL, "adam");
    assert_non_null(adam);
    double lr = 0;
    double beta1 = 0;
    double beta2 = 0;
    double eps = 0;
    assert_int_equal(prism_fixture_number(&s->fx, adam, "lr", &lr), 0);
    assert_int_equal(prism_fixture_number(&s->fx, adam, "beta1", &beta1), 0);
    assert_int_equal(prism_fixture_number(&s->fx, adam, "beta2", &beta2), 0);
    assert_int_equal(prism_fixture_number(&s->fx, adam, "eps", &eps), 0);
    prism_error err = {{0}};
    assert_int_equal(prism_adam_create(&s->adam, s->net.n_params, lr, &err), 0);
    assert_true(s->adam.beta1 == beta1 && s->adam.beta2 == beta2 && s->adam.eps == eps);

    const float *after_1 = prism_fixture_floats(&s->fx, adam, "after_1", s->net.n_params);
    const float *after_3 = prism_fixture_floats(&s->fx, adam, "after_3", s->net.n_params);
    assert_non_null(after_1);
    assert_non_null(after_3);

    /* Step 1 uses the gradients already checked; steps 2 and 3 recompute them on the same
     * batch, as a training loop would. */
    prism_adam_step(&s->adam, s->net.params, grads);
    snprintf(name, sizeof name, "%s adam step 1", file);
    assert_int_equal(compare_flat(name, &in.spec, s->net.params, after_1, ADAM_TOL), 0);
    for (int step = 2; step <= 3; step++) {
        prism_net_forward(&s->net, &s->ws, in.x, in.rows, NULL, NULL);
        prism_net_backward(&s->net, &s->ws, in.x, in.labels, in.rows, grads);
        prism_adam_step(&s->adam, s->net.params, grads);
    }
    snprintf(name, sizeof name, "%s adam step 3", file);
    assert_int_equal(compare_flat(name, &in.spec, s->net.params, after_3, ADAM_TOL), 0);
}

static void test_article_relu(void **state)
{
    check_article(state, "relu");
}

static void test_article_tanh(void **state)
{
    check_article(state, "tanh");
}

static void test_article_gelu(void **state)
{
    check_article(state, "gelu");
}

static void test_article_gelu_tanh(void **state)
{
    check_article(state, "gelu_tanh");
}

/* A self-contained network fixture: forward and backward. */
static void check_net(void **state, const char *file)
{
    numerics_state *s = *state;
    assert_int_equal(prism_fixture_open(&s->fx, file), 0);
    net_inputs in;
    load_net(s, &s->fx, &in);
    check_forward(s, &in, file);
    float *grads = scratch(s, s->net.n_params, sizeof *grads);
    check_backward(s, &in, file, grads);
}

/* 784 -> 12 (layernorm, gelu) -> 8 (rmsnorm, tanh) -> 10. */
static void test_net_mixed(void **state)
{
    check_net(state, "net_mixed.json");
}

/* 100 -> 12 (none, elu:0.5) -> 40 (none, softplus:2) -> 10. */
static void test_net_plain(void **state)
{
    check_net(state, "net_plain.json");
}

/* Every activation (and four non-default parameters) on zero, tiny values, kinks and tails; the
 * gradient taken from the forward pass's output has the same bits as the one from the input. */
static void test_activations_hard_inputs(void **state)
{
    numerics_state *s = *state;
    assert_int_equal(prism_fixture_open(&s->fx, "activations.json"), 0);
    long n = prism_fixture_length(&s->fx, NULL, "x");
    assert_true(n > 0);
    const float *x = prism_fixture_floats(&s->fx, NULL, "x", (size_t)n);
    assert_non_null(x);
    float *y = scratch(s, (size_t)n, sizeof *y);
    float *dx = scratch(s, (size_t)n, sizeof *dx);
    float *dx_from = scratch(s, (size_t)n, sizeof *dx_from);
    float *ones = scratch(s, (size_t)n, sizeof *ones);
    for (long i = 0; i < n; i++) {
        ones[i] = 1.0f;
    }

    bool seen[PRISM_ACT_COUNT] = {false};
    size_t failed = 0;
    const cJSON *cases = prism_fixture_member(&s->fx, NULL, "cases");
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, cases) {
        const char *text = prism_fixture_string(&s->fx, item, "name");
        assert_non_null(text);
        prism_activation act;
        prism_error err = {{0}};
        assert_int_equal(prism_activation_parse(text, &act, &err), 0);
        seen[act.kind] = true;

        const float *y_ref = prism_fixture_floats(&s->fx, item, "y", (size_t)n);
        const float *dx_ref = prism_fixture_floats(&s->fx, item, "dx", (size_t)n);
        assert_non_null(y_ref);
        assert_non_null(dx_ref);
        prism_activation_forward(&act, x, y, (size_t)n);
        prism_activation_backward(&act, x, NULL, ones, dx, (size_t)n);
        prism_activation_backward(&act, x, y, ones, dx_from, (size_t)n);
        if (memcmp(dx, dx_from, (size_t)n * sizeof *dx) != 0) {
            fail_msg("%s: the gradient from the output differs from the one from the input",
                     text);
        }

        char name[128];
        snprintf(name, sizeof name, "%s y", text);
        failed += prism_fixture_compare(name, y, y_ref, (size_t)n, ACT_TOL);
        snprintf(name, sizeof name, "%s dx", text);
        failed += prism_fixture_compare(name, dx, dx_ref, (size_t)n, ACT_TOL);
    }
    assert_int_equal(failed, 0);
    for (int k = 0; k < PRISM_ACT_COUNT; k++) {
        if (!seen[k]) {
            fail_msg("activation %s has no fixture case",
                     prism_activation_describe((prism_activation_kind)k)->name);
        }
    }
}

/* Exact GELU keeps its relative accuracy in the far left tail, where PyTorch's float32
 * 1 + erf(x / sqrt 2) has already cancelled to 0 (the references are float64 through erfc). */
static void test_gelu_tail_accuracy(void **state)
{
    numerics_state *s = *state;
    assert_int_equal(prism_fixture_open(&s->fx, "activations.json"), 0);
    long n = prism_fixture_length(&s->fx, NULL, "x");
    assert_true(n > 0);
    const float *x = prism_fixture_floats(&s->fx, NULL, "x", (size_t)n);
    assert_non_null(x);

    const cJSON *gelu = NULL;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, prism_fixture_member(&s->fx, NULL, "cases")) {
        const char *text = prism_fixture_string(&s->fx, item, "name");
        if (text != NULL && strcmp(text, "gelu") == 0) {
            gelu = item;
        }
    }
    assert_non_null(gelu);
    const float *y_ref = prism_fixture_floats(&s->fx, gelu, "y_f64", (size_t)n);
    const float *dx_ref = prism_fixture_floats(&s->fx, gelu, "dx_f64", (size_t)n);
    assert_non_null(y_ref);
    assert_non_null(dx_ref);

    float *y = scratch(s, (size_t)n, sizeof *y);
    float *dx = scratch(s, (size_t)n, sizeof *dx);
    float *ones = scratch(s, (size_t)n, sizeof *ones);
    for (long i = 0; i < n; i++) {
        ones[i] = 1.0f;
    }
    prism_activation act = {.kind = PRISM_ACT_GELU};
    prism_activation_forward(&act, x, y, (size_t)n);
    prism_activation_backward(&act, x, NULL, ones, dx, (size_t)n);
    size_t failed = prism_fixture_compare("gelu y vs float64", y, y_ref, (size_t)n,
                                          GELU_TAIL_TOL);
    failed += prism_fixture_compare("gelu dx vs float64", dx, dx_ref, (size_t)n, GELU_TAIL_TOL);
    assert_int_equal(failed, 0);

    /* The fixture must reach the tail where float32 1 + erf has cancelled (x <= -8) with
     * values the tolerance still checks relatively, or this test proves nothing. */
    bool tail = false;
    for (long i = 0; i < n; i++) {
        tail = tail || (x[i] <= -8.0f && fabs((double)y_ref[i]) > 1e3 * GELU_TAIL_TOL.atol);
    }
    assert_true(tail);
}

/* The hard-rows fixture: x[rows][width], gain, shift, dy. */
typedef struct norm_rows {
    size_t rows;
    size_t width;
    float eps;
    const float *x;
    const float *gain;
    const float *shift;
    const float *dy;
} norm_rows;

static void load_norm_rows(numerics_state *s, norm_rows *r)
{
    assert_int_equal(prism_fixture_open(&s->fx, "norm_rows.json"), 0);
    double rows = 0;
    double width = 0;
    double eps = 0;
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "rows", &rows), 0);
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "width", &width), 0);
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "eps", &eps), 0);
    r->rows = (size_t)rows;
    r->width = (size_t)width;
    r->eps = (float)eps;
    assert_true(r->eps == PRISM_NORM_EPS);
    size_t count = r->rows * r->width;
    r->x = prism_fixture_floats(&s->fx, NULL, "x", count);
    r->gain = prism_fixture_floats(&s->fx, NULL, "gain", r->width);
    r->shift = prism_fixture_floats(&s->fx, NULL, "shift", r->width);
    r->dy = prism_fixture_floats(&s->fx, NULL, "dy", count);
    assert_true(r->x != NULL && r->gain != NULL && r->shift != NULL && r->dy != NULL);
}

static double max_abs(const float *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        m = fmax(m, fabs((double)v[i]));
    }
    return m;
}

/* LayerNorm against float64 on rows with a 1e4 offset, constant rows, a spread under
 * sqrt(eps), wide mixed signs. A float32 row whose values sit near c can only hold them to
 * ulp(c), and the row mean carries that rounding into every x - mean; so the absolute error
 * allowed in xhat for a row is ROW_ULPS * FLT_EPSILON * max|x| * rstd (about 5e-3 on the 1e4
 * row, 1e-5 on ordinary rows), on top of a few float32 ulps of the result. A one-pass
 * variance E[x^2] - mean^2 misses this by orders of magnitude on the offset rows (its
 * variance error there is about ulp(1e8) = 8), and a wrong backward formula by far more. */
static void test_layernorm_hard_rows(void **state)
{
    enum { ROW_ULPS = 4 };
    numerics_state *s = *state;
    norm_rows r;
    load_norm_rows(s, &r);
    const cJSON *ln = prism_fixture_member(&s->fx, NULL, "layernorm");
    assert_non_null(ln);
    size_t count = r.rows * r.width;
    const float *y_ref = prism_fixture_floats(&s->fx, ln, "y", count);
    const float *dx_ref = prism_fixture_floats(&s->fx, ln, "dx", count);
    const float *dgain_ref = prism_fixture_floats(&s->fx, ln, "dgain", r.width);
    const float *dshift_ref = prism_fixture_floats(&s->fx, ln, "dshift", r.width);
    assert_true(y_ref && dx_ref && dgain_ref && dshift_ref);

    float *y = scratch(s, count, sizeof *y);
    float *xhat = scratch(s, count, sizeof *xhat);
    float *rstd = scratch(s, r.rows, sizeof *rstd);
    float *dx = scratch(s, count, sizeof *dx);
    float *dgain = scratch(s, r.width, sizeof *dgain);
    float *dshift = scratch(s, r.width, sizeof *dshift);
    prism_layernorm_forward(r.x, r.rows, r.width, r.gain, r.shift, r.eps, y, xhat, rstd);
    prism_layernorm_backward(r.dy, xhat, rstd, r.rows, r.width, r.gain, false, dx, dgain,
                             dshift);

    double gain_max = max_abs(r.gain, r.width);
    double dgain_atol = 1e-6;
    size_t failed = 0;
    char name[64];
    for (size_t i = 0; i < r.rows; i++) {
        const float *xr = r.x + i * r.width;
        double xhat_err = ROW_ULPS * FLT_EPSILON * max_abs(xr, r.width) * rstd[i];
        double dy_max = max_abs(r.dy + i * r.width, r.width);

        /* y = xhat gain + shift */
        prism_tolerance y_tol = {.atol = 1e-6 + xhat_err * gain_max, .rtol = 1e-5};
        snprintf(name, sizeof name, "layernorm row %zu y", i);
        failed += prism_fixture_compare(name, y + i * r.width, y_ref + i * r.width, r.width,
                                        y_tol);

        /* dx = rstd (g - mean(g) - xhat mean(g xhat)): xhat's error enters twice, scaled by
         * rstd and |g| <= |dy| |gain| */
        prism_tolerance dx_tol = {.atol = 1e-6 + 2.0 * rstd[i] * xhat_err * dy_max * gain_max,
                                  .rtol = 1e-5};
        snprintf(name, sizeof name, "layernorm row %zu dx", i);
        failed += prism_fixture_compare(name, dx + i * r.width, dx_ref + i * r.width, r.width,
                                        dx_tol);

        /* dgain = sum over rows of dy xhat */
        dgain_atol += xhat_err * dy_max;
    }
    prism_tolerance dgain_tol = {.atol = dgain_atol, .rtol = 1e-5};
    failed += prism_fixture_compare("layernorm dgain", dgain, dgain_ref, r.width, dgain_tol);
    failed += prism_fixture_compare("layernorm dshift", dshift, dshift_ref, r.width, ACT_TOL);
    assert_int_equal(failed, 0);
}

/* RMSNorm against float64 on the same rows. */
static void test_rmsnorm_hard_rows(void **state)
{
    numerics_state *s = *state;
    norm_rows r;
    load_norm_rows(s, &r);
    const cJSON *rms = prism_fixture_member(&s->fx, NULL, "rmsnorm");
    assert_non_null(rms);
    size_t count = r.rows * r.width;
    const float *y_ref = prism_fixture_floats(&s->fx, rms, "y", count);
    const float *dx_ref = prism_fixture_floats(&s->fx, rms, "dx", count);
    const float *dgain_ref = prism_fixture_floats(&s->fx, rms, "dgain", r.width);
    assert_true(y_ref && dx_ref && dgain_ref);

    float *y = scratch(s, count, sizeof *y);
    float *xhat = scratch(s, count, sizeof *xhat);
    float *rstd = scratch(s, r.rows, sizeof *rstd);
    float *dx = scratch(s, count, sizeof *dx);
    float *dgain = scratch(s, r.width, sizeof *dgain);
    prism_rmsnorm_forward(r.x, r.rows, r.width, r.gain, r.eps, y, xhat, rstd);
    prism_rmsnorm_backward(r.dy, xhat, rstd, r.rows, r.width, r.gain, false, dx, dgain);

    size_t failed = prism_fixture_compare("rmsnorm y", y, y_ref, count, RMSNORM_TOL);
    failed += prism_fixture_compare("rmsnorm dx", dx, dx_ref, count, RMSNORM_TOL);
    failed += prism_fixture_compare("rmsnorm dgain", dgain, dgain_ref, r.width, RMSNORM_TOL);
    assert_int_equal(failed, 0);
}

/* Cross-entropy with logits of 1e4, -1e4, 88, 100 and ties: each row's loss, the mean, and the
 * gradient of the mean. */
static void test_xent_huge_logits(void **state)
{
    numerics_state *s = *state;
    assert_int_equal(prism_fixture_open(&s->fx, "xent_huge.json"), 0);
    double rows_d = 0;
    double classes_d = 0;
    double loss_ref = 0;
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "rows", &rows_d), 0);
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "classes", &classes_d), 0);
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "loss", &loss_ref), 0);
    size_t rows = (size_t)rows_d;
    size_t classes = (size_t)classes_d;
    const float *logits = prism_fixture_floats(&s->fx, NULL, "logits", rows * classes);
    const uint8_t *labels = prism_fixture_bytes(&s->fx, NULL, "labels", rows);
    const float *row_loss = prism_fixture_floats(&s->fx, NULL, "row_loss", rows);
    const float *dlogits_ref = prism_fixture_floats(&s->fx, NULL, "dlogits", rows * classes);
    assert_true(logits && labels && row_loss && dlogits_ref);

    size_t failed = 0;
    char name[64];
    for (size_t i = 0; i < rows; i++) {
        double got = prism_softmax_xent(logits + i * classes, labels + i, 1, classes, NULL);
        double ref = row_loss[i];
        snprintf(name, sizeof name, "xent row %zu loss", i);
        failed += prism_fixture_compare_double(name, &got, &ref, 1, XENT_LOSS_TOL);
    }

    float *dlogits = scratch(s, rows * classes, sizeof *dlogits);
    double loss = prism_softmax_xent(logits, labels, rows, classes, dlogits);
    failed += prism_fixture_compare_double("xent mean loss", &loss, &loss_ref, 1,
                                           XENT_LOSS_TOL);
    failed += prism_fixture_compare("xent dlogits", dlogits, dlogits_ref, rows * classes,
                                    XENT_GRAD_TOL);
    assert_int_equal(failed, 0);
}

/* Adam alone, on gradients from 0 through sub-eps sizes (1e-12 .. 1e-8, where the placement of
 * eps decides the step) to 50, with signs flipping between steps. */
static void test_adam_steps(void **state)
{
    numerics_state *s = *state;
    assert_int_equal(prism_fixture_open(&s->fx, "adam.json"), 0);
    double n_d = 0;
    double steps_d = 0;
    double lr = 0;
    double eps = 0;
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "n", &n_d), 0);
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "steps", &steps_d), 0);
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "lr", &lr), 0);
    assert_int_equal(prism_fixture_number(&s->fx, NULL, "eps", &eps), 0);
    size_t n = (size_t)n_d;
    size_t steps = (size_t)steps_d;
    assert_int_equal(prism_fixture_length(&s->fx, NULL, "grads"), (long)steps);
    assert_int_equal(prism_fixture_length(&s->fx, NULL, "after"), (long)steps);

    const float *start = prism_fixture_floats(&s->fx, NULL, "params", n);
    assert_non_null(start);
    float *params = scratch(s, n, sizeof *params);
    memcpy(params, start, n * sizeof *params);
    prism_error err = {{0}};
    assert_int_equal(prism_adam_create(&s->adam, n, lr, &err), 0);
    assert_true(s->adam.eps == eps);

    const cJSON *grads = prism_fixture_member(&s->fx, NULL, "grads");
    const cJSON *after = prism_fixture_member(&s->fx, NULL, "after");
    size_t failed = 0;
    for (size_t t = 0; t < steps; t++) {
        char name[64];
        snprintf(name, sizeof name, "grads[%zu]", t);
        const float *g = prism_fixture_array_floats(&s->fx, cJSON_GetArrayItem(grads, (int)t),
                                                    name, n);
        snprintf(name, sizeof name, "after[%zu]", t);
        const float *ref = prism_fixture_array_floats(&s->fx, cJSON_GetArrayItem(after, (int)t),
                                                      name, n);
        assert_non_null(g);
        assert_non_null(ref);

        prism_adam_step(&s->adam, params, g);
        snprintf(name, sizeof name, "adam params after step %zu", t + 1);
        failed += prism_fixture_compare(name, params, ref, n, ADAM_TOL);
    }
    assert_int_equal(failed, 0);
}

#define NUMERICS_TEST(fn) cmocka_unit_test_setup_teardown(fn, state_setup, state_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        NUMERICS_TEST(test_pixel_normalisation),
        NUMERICS_TEST(test_article_relu),
        NUMERICS_TEST(test_article_tanh),
        NUMERICS_TEST(test_article_gelu),
        NUMERICS_TEST(test_article_gelu_tanh),
        NUMERICS_TEST(test_net_mixed),
        NUMERICS_TEST(test_net_plain),
        NUMERICS_TEST(test_activations_hard_inputs),
        NUMERICS_TEST(test_gelu_tail_accuracy),
        NUMERICS_TEST(test_layernorm_hard_rows),
        NUMERICS_TEST(test_rmsnorm_hard_rows),
        NUMERICS_TEST(test_xent_huge_logits),
        NUMERICS_TEST(test_adam_steps),
    };
    return cmocka_run_group_tests_name("numerics", tests, NULL, NULL);
}
