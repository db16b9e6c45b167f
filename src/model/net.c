#include "model/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/aligned.h"
#include "data/dataset.h"
#include "model/kernels.h"
#include "model/layers.h"

/* A position in the forward pass: stage s (0 linear, 1 norm, 2 activation) of hidden layer l is
 * position 3 l + s. A site names the position whose output the mask multiplies. */
enum { STAGES_PER_LAYER = 3 };

static const char *const NORM_NAMES[PRISM_NORM_COUNT] = {"layernorm", "rmsnorm", "none"};
static const char *const SITE_NAMES[PRISM_SITE_COUNT] = {"pre_norm", "post_norm", "post_act"};

const char *prism_norm_name(prism_norm_kind kind)
{
    return NORM_NAMES[kind];
}

int prism_norm_parse(const char *text, prism_norm_kind *kind, prism_error *err)
{
    for (int k = 0; k < PRISM_NORM_COUNT; k++) {
        if (strcmp(text, NORM_NAMES[k]) == 0) {
            *kind = (prism_norm_kind)k;
            return 0;
        }
    }
    return prism_error_set(err, "unknown normalisation '%s' (expected layernorm, rmsnorm or none)",
                           text);
}

const char *prism_site_name(prism_site_kind kind)
{
    return SITE_NAMES[kind];
}

int prism_site_parse(const char *text, prism_site_kind *kind, prism_error *err)
{
    for (int k = 0; k < PRISM_SITE_COUNT; k++) {
        if (strcmp(text, SITE_NAMES[k]) == 0) {
            *kind = (prism_site_kind)k;
            return 0;
        }
    }
    return prism_error_set(err,
                           "unknown site '%s' (expected pre_norm, post_norm or post_act)", text);
}

prism_net_spec prism_net_spec_article(prism_activation act)
{
    prism_net_spec spec = {.inputs = 784, .classes = 10, .n_hidden = 1};
    spec.hidden[0] = (prism_layer_spec){.width = 10, .act = act, .norm = PRISM_NORM_LAYERNORM};
    return spec;
}

int prism_net_spec_check(const prism_net_spec *spec, prism_error *err)
{
    if (spec->n_hidden < 1 || spec->n_hidden > PRISM_MAX_HIDDEN_LAYERS) {
        return prism_error_set(err, "network: expected 1 to %d hidden layers, found %zu",
                               PRISM_MAX_HIDDEN_LAYERS, spec->n_hidden);
    }
    for (size_t l = 0; l < spec->n_hidden; l++) {
        size_t width = spec->hidden[l].width;
        if (width < 1 || width > PRISM_MAX_WIDTH) {
            return prism_error_set(err, "network: hidden layer %zu: expected a width in 1..%d, "
                                   "found %zu", l + 1, PRISM_MAX_WIDTH, width);
        }
    }
    if (spec->inputs < 1 || spec->classes < 2 || spec->classes > PRISM_MAX_CLASSES) {
        return prism_error_set(err, "network: expected at least 1 input and 2 to %d classes",
                               PRISM_MAX_CLASSES);
    }
    return 0;
}

static size_t layer_in(const prism_net_spec *spec, size_t l)
{
    return l == 0 ? spec->inputs : spec->hidden[l - 1].width;
}

static size_t layer_out(const prism_net_spec *spec, size_t l)
{
    return l == spec->n_hidden ? spec->classes : spec->hidden[l].width;
}

void prism_net_layout(const prism_net_spec *spec, float *flat, prism_layer_view *views)
{
    size_t offset = 0;
    for (size_t l = 0; l <= spec->n_hidden; l++) {
        prism_layer_view *v = &views[l];
        v->in = layer_in(spec, l);
        v->out = layer_out(spec, l);
        v->w = flat ? flat + offset : NULL;
        offset += v->in * v->out;
        v->b = flat ? flat + offset : NULL;
        offset += v->out;
        v->gain = NULL;
        v->shift = NULL;
        if (l == spec->n_hidden || spec->hidden[l].norm == PRISM_NORM_NONE) {
            continue;
        }
        v->gain = flat ? flat + offset : NULL;
        offset += v->out;
        if (spec->hidden[l].norm == PRISM_NORM_LAYERNORM) {
            v->shift = flat ? flat + offset : NULL;
            offset += v->out;
        }
    }
}

size_t prism_net_param_count(const prism_net_spec *spec)
{
    size_t count = 0;
    for (size_t l = 0; l <= spec->n_hidden; l++) {
        size_t out = layer_out(spec, l);
        count += layer_in(spec, l) * out + out;
        if (l < spec->n_hidden && spec->hidden[l].norm == PRISM_NORM_LAYERNORM) {
            count += 2 * out;
        } else if (l < spec->n_hidden && spec->hidden[l].norm == PRISM_NORM_RMSNORM) {
            count += out;
        }
    }
    return count;
}

int prism_net_create(prism_net *net, const prism_net_spec *spec, prism_error *err)
{
    memset(net, 0, sizeof *net);
    if (prism_net_spec_check(spec, err) != 0) {
        return -1;
    }
    net->spec = *spec;
    net->n_params = prism_net_param_count(spec);
    net->params = prism_aligned_floats(net->n_params);
    if (net->params == NULL) {
        return prism_error_set(err, "out of memory for %zu parameters", net->n_params);
    }
    prism_net_layout(spec, net->params, net->layer);
    return 0;
}

void prism_net_destroy(prism_net *net)
{
    free(net->params);
    memset(net, 0, sizeof *net);
}

void prism_net_initialise(prism_net *net, prism_rng *rng)
{
    for (size_t l = 0; l <= net->spec.n_hidden; l++) {
        prism_layer_view *v = &net->layer[l];
        double bound = 1.0 / sqrt((double)v->in);
        for (size_t i = 0; i < v->in * v->out; i++) {
            v->w[i] = (float)(bound * (2.0 * prism_rng_uniform(rng) - 1.0));
        }
        for (size_t o = 0; o < v->out; o++) {
            v->b[o] = (float)(bound * (2.0 * prism_rng_uniform(rng) - 1.0));
        }
        for (size_t o = 0; v->gain != NULL && o < v->out; o++) {
            v->gain[o] = 1.0f;
        }
        for (size_t o = 0; v->shift != NULL && o < v->out; o++) {
            v->shift[o] = 0.0f;
        }
    }
}

int prism_net_workspace_create(prism_net_workspace *ws, const prism_net_spec *spec,
                               size_t max_rows, prism_error *err)
{
    memset(ws, 0, sizeof *ws);
    ws->max_rows = max_rows;

    size_t widest = spec->classes;
    bool ok = true;
    for (size_t l = 0; l < spec->n_hidden; l++) {
        size_t width = spec->hidden[l].width;
        widest = width > widest ? width : widest;
        for (int s = 0; s < STAGES_PER_LAYER; s++) {
            ws->stage[STAGES_PER_LAYER * l + s] = prism_aligned_floats(max_rows * width);
            ok = ok && ws->stage[STAGES_PER_LAYER * l + s] != NULL;
        }
        ws->xhat[l] = prism_aligned_floats(max_rows * width);
        ws->rstd[l] = malloc(max_rows * sizeof(float));
        ok = ok && ws->xhat[l] != NULL && ws->rstd[l] != NULL;
    }
    ws->logits = prism_aligned_floats(max_rows * spec->classes);
    ws->grad_a = prism_aligned_floats(max_rows * widest);
    ws->grad_b = prism_aligned_floats(max_rows * widest);
    ok = ok && ws->logits != NULL && ws->grad_a != NULL && ws->grad_b != NULL;

    if (!ok) {
        prism_net_workspace_destroy(ws);
        return prism_error_set(err, "out of memory for a workspace of %zu rows", max_rows);
    }
    return 0;
}

void prism_net_workspace_destroy(prism_net_workspace *ws)
{
    for (size_t p = 0; p < STAGES_PER_LAYER * PRISM_MAX_HIDDEN_LAYERS; p++) {
        free(ws->stage[p]);
    }
    for (size_t l = 0; l < PRISM_MAX_HIDDEN_LAYERS; l++) {
        free(ws->xhat[l]);
        free(ws->rstd[l]);
    }
    free(ws->logits);
    free(ws->grad_a);
    free(ws->grad_b);
    memset(ws, 0, sizeof *ws);
}

const float *prism_net_workspace_activation(const prism_net_workspace *ws, size_t layer)
{
    return ws->stage[STAGES_PER_LAYER * layer + 2];
}

static size_t site_position(const prism_site *site)
{
    return STAGES_PER_LAYER * site->layer + (size_t)site->kind;
}

static void apply_mask(float *t, size_t n, size_t width, const float *mask)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < width; j++) {
            t[i * width + j] *= mask[j];
        }
    }
}

static void linear_forward(const float *in, size_t n, const prism_layer_view *v, float *out)
{
    prism_kernel_linear_forward(in, n, v->in, v->w, v->b, v->out, out);
}

/* Computes position p's output from its input (the previous position's output, or x). */
static void run_stage(const prism_net *net, prism_net_workspace *ws, const float *x, size_t n,
                      size_t p)
{
    size_t l = p / STAGES_PER_LAYER;
    const prism_layer_spec *spec = &net->spec.hidden[l];
    const prism_layer_view *v = &net->layer[l];
    size_t width = spec->width;
    const float *in = p == 0 ? x : ws->stage[p - 1];
    float *out = ws->stage[p];

    switch (p % STAGES_PER_LAYER) {
    case 0:
        linear_forward(in, n, v, out);
        break;
    case 1:
        if (spec->norm == PRISM_NORM_LAYERNORM) {
            prism_kernel_layernorm_forward(in, n, width, v->gain, v->shift, PRISM_NORM_EPS, out,
                                           ws->xhat[l], ws->rstd[l]);
        } else if (spec->norm == PRISM_NORM_RMSNORM) {
            prism_rmsnorm_forward(in, n, width, v->gain, PRISM_NORM_EPS, out, ws->xhat[l],
                                  ws->rstd[l]);
        } else {
            memcpy(out, in, n * width * sizeof *out);
        }
        break;
    default:
        prism_activation_forward(&spec->act, in, out, n * width);
        break;
    }
}

/* Runs positions first..last inclusive, then the output layer when last is the final one. */
static void run_positions(const prism_net *net, prism_net_workspace *ws, const float *x,
                          size_t n, size_t first, size_t last, size_t mask_position,
                          const float *mask)
{
    for (size_t p = first; p <= last; p++) {
        run_stage(net, ws, x, n, p);
        if (mask != NULL && p == mask_position) {
            apply_mask(ws->stage[p], n, net->spec.hidden[p / STAGES_PER_LAYER].width, mask);
        }
    }
}

static void run_output(const prism_net *net, prism_net_workspace *ws, size_t n)
{
    size_t top = net->spec.n_hidden;
    const prism_layer_view *v = &net->layer[top];
    linear_forward(ws->stage[STAGES_PER_LAYER * top - 1], n, v, ws->logits);
}

void prism_net_forward(const prism_net *net, prism_net_workspace *ws, const float *x, size_t n,
                       const prism_site *site, const float *mask)
{
    size_t last = STAGES_PER_LAYER * net->spec.n_hidden - 1;
    size_t mask_position = site != NULL ? site_position(site) : 0;
    run_positions(net, ws, x, n, 0, last, mask_position, site != NULL ? mask : NULL);
    run_output(net, ws, n);
}

int prism_pixel_layer_create(prism_pixel_layer *pl, const prism_net_spec *spec,
                             prism_error *err)
{
    memset(pl, 0, sizeof *pl);
    size_t width = spec->hidden[0].width;
    if (spec->inputs % PRISM_PIXEL_GROUP != 0
        || spec->inputs / PRISM_PIXEL_GROUP > PRISM_PIXEL_GROUPS_MAX) {
        return prism_error_set(err, "network: %zu inputs; training on pixels needs a multiple of "
                               "%d, at most %d", spec->inputs, PRISM_PIXEL_GROUP,
                               PRISM_PIXEL_GROUPS_MAX * PRISM_PIXEL_GROUP);
    }
    pl->fold_bias = prism_aligned_floats(width);
    pl->sums = prism_aligned_floats(width * spec->inputs);
    if (pl->fold_bias == NULL || pl->sums == NULL) {
        prism_pixel_layer_destroy(pl);
        return prism_error_set(err, "out of memory for the first layer's sums (%zu x %zu)", width,
                               spec->inputs);
    }
    return 0;
}

void prism_pixel_layer_destroy(prism_pixel_layer *pl)
{
    free(pl->fold_bias);
    free(pl->sums);
    memset(pl, 0, sizeof *pl);
}

void prism_net_group_pixels(const prism_net *net, prism_pixel_layer *pl, const uint16_t *order,
                            float *values)
{
    prism_layer_view v[PRISM_MAX_HIDDEN_LAYERS + 1];
    prism_net_layout(&net->spec, values, v);
    prism_kernel_pixel_group(v[0].w, order, v[0].in, v[0].out, pl->sums);
    memcpy(v[0].w, pl->sums, v[0].in * v[0].out * sizeof *pl->sums);
}

void prism_net_ungroup_pixels(const prism_net *net, prism_pixel_layer *pl,
                              const uint16_t *order, float *values)
{
    prism_layer_view v[PRISM_MAX_HIDDEN_LAYERS + 1];
    prism_net_layout(&net->spec, values, v);
    prism_kernel_pixel_ungroup(v[0].w, order, v[0].in, v[0].out, pl->sums);
    memcpy(v[0].w, pl->sums, v[0].in * v[0].out * sizeof *pl->sums);
}

void prism_net_fold_pixels(const prism_net *net, prism_pixel_layer *pl)
{
    const prism_layer_view *v = &net->layer[0];
    prism_kernel_pixel_fold_bias(v->w, v->b, v->in, v->out, pl->fold_bias);
}

void prism_net_forward_pixels(const prism_net *net, prism_net_workspace *ws,
                              prism_pixel_layer *pl, const prism_pixel_rows *rows)
{
    const prism_layer_view *v = &net->layer[0];
    prism_kernel_pixel_forward(&rows->images, rows->indices, rows->n, v->in, v->w,
                               pl->fold_bias, v->out, rows->next, rows->next_n, ws->stage[0]);
    size_t last = STAGES_PER_LAYER * net->spec.n_hidden - 1;
    if (last >= 1) {
        run_positions(net, ws, NULL, rows->n, 1, last, 0, NULL);
    }
    run_output(net, ws, rows->n);
}

void prism_net_unfold_pixel_grad(const prism_net *net, const prism_pixel_layer *pl,
                                 float *grads)
{
    prism_layer_view g[PRISM_MAX_HIDDEN_LAYERS + 1];
    prism_net_layout(&net->spec, grads, g);
    prism_kernel_pixel_unfold_grad(pl->sums, g[0].b, g[0].in, g[0].out, g[0].w);
}

void prism_net_forward_to_site(const prism_net *net, prism_net_workspace *ws, const float *x,
                               size_t n, const prism_site *site, float *out)
{
    size_t p = site_position(site);
    run_positions(net, ws, x, n, 0, p, 0, NULL);
    memcpy(out, ws->stage[p], n * net->spec.hidden[site->layer].width * sizeof *out);
}

void prism_net_forward_from_site(const prism_net *net, prism_net_workspace *ws,
                                 const float *at_site, size_t n, const prism_site *site,
                                 const float *mask)
{
    size_t p = site_position(site);
    size_t width = net->spec.hidden[site->layer].width;
    memcpy(ws->stage[p], at_site, n * width * sizeof *at_site);
    if (mask != NULL) {
        apply_mask(ws->stage[p], n, width, mask);
    }
    size_t last = STAGES_PER_LAYER * net->spec.n_hidden - 1;
    if (p < last) {
        run_positions(net, ws, NULL, n, p + 1, last, 0, NULL);
    }
    run_output(net, ws, n);
}

/* The backward pass over n rows, the first layer's input either floats x or, when x is NULL,
 * the pixel rows of `pixel`. */
static void backward(const prism_net *net, prism_net_workspace *ws, const float *x,
                     prism_pixel_layer *pixel, const prism_pixel_rows *rows,
                     const uint8_t *labels, size_t n, size_t batch_rows, bool first,
                     float *grads, double *loss_sum)
{
    const prism_net_spec *spec = &net->spec;
    prism_layer_view g[PRISM_MAX_HIDDEN_LAYERS + 1];
    prism_net_layout(spec, grads, g);
    bool add = !first;

    /* loss = mean cross-entropy of logits over the batch; dlogits into grad_b */
    size_t top = spec->n_hidden;
    prism_kernel_softmax_xent(ws->logits, labels, n, spec->classes, batch_rows, ws->grad_b,
                              loss_sum);

    /* logits = a_top w^T + b: parameter gradients and d a_top into grad_a */
    const prism_layer_view *v = &net->layer[top];
    const float *a_top = ws->stage[STAGES_PER_LAYER * top - 1];
    prism_kernel_linear_weight_grad(a_top, ws->grad_b, n, v->in, v->out, add, g[top].w,
                                    g[top].b);
    prism_kernel_linear_input_grad(ws->grad_b, n, v->in, v->w, v->out, ws->grad_a);

    for (size_t l = top; l-- > 0;) {
        const prism_layer_spec *ls = &spec->hidden[l];
        size_t width = ls->width;
        size_t base = STAGES_PER_LAYER * l;

        /* a = act(u): grad_a holds dL/da, grad_b gets dL/du */
        prism_activation_backward(&ls->act, ws->stage[base + 1], ws->stage[base + 2],
                                  ws->grad_a, ws->grad_b, n * width);

        /* u = norm(z): grad_b becomes dL/dz in place */
        if (ls->norm == PRISM_NORM_LAYERNORM) {
            prism_kernel_layernorm_backward(ws->grad_b, ws->xhat[l], ws->rstd[l], n, width,
                                            net->layer[l].gain, add, ws->grad_b, g[l].gain,
                                            g[l].shift);
        } else if (ls->norm == PRISM_NORM_RMSNORM) {
            prism_rmsnorm_backward(ws->grad_b, ws->xhat[l], ws->rstd[l], n, width,
                                   net->layer[l].gain, add, ws->grad_b, g[l].gain);
        }

        /* z = in w^T + b; the input gradient is needed only above the first layer */
        const prism_layer_view *lv = &net->layer[l];
        if (l == 0 && x == NULL) {
            prism_kernel_pixel_weight_grad(&rows->images, rows->indices, n, lv->in, ws->grad_b,
                                           width, add, pixel->sums, g[l].b);
            continue;
        }
        const float *in = l == 0 ? x : ws->stage[base - 1];
        prism_kernel_linear_weight_grad(in, ws->grad_b, n, lv->in, width, add, g[l].w, g[l].b);
        if (l > 0) {
            prism_kernel_linear_input_grad(ws->grad_b, n, lv->in, lv->w, width, ws->grad_a);
        }
    }
}

void prism_net_backward_pixels(const prism_net *net, prism_net_workspace *ws,
                               prism_pixel_layer *pl, const prism_pixel_rows *rows,
                               const uint8_t *labels, size_t batch_rows, bool first,
                               float *grads, double *loss_sum)
{
    backward(net, ws, NULL, pl, rows, labels, rows->n, batch_rows, first, grads, loss_sum);
}

double prism_net_backward(const prism_net *net, prism_net_workspace *ws, const float *x,
                          const uint8_t *labels, size_t n, float *grads)
{
    double loss_sum = 0.0;
    backward(net, ws, x, NULL, NULL, labels, n, n, true, grads, &loss_sum);
    return loss_sum / (double)n;
}
