/* A multilayer perceptron for 28x28 images: a stack of hidden layers, each
 *     Linear -> [site pre_norm] -> norm -> [site post_norm] -> activation -> [site post_act]
 * followed by a Linear layer to the class logits. The article's network is one hidden layer
 * of width 10 with LayerNorm. All parameters live in one flat float array so that the
 * optimiser, checkpoints and fixtures treat them uniformly. */
#ifndef PRISM_MODEL_NET_H
#define PRISM_MODEL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "model/activation.h"
#include "model/kernels.h"

#define PRISM_MAX_HIDDEN_LAYERS 8
#define PRISM_MAX_WIDTH 4096
#define PRISM_MAX_CLASSES 1024 /* the loss keeps blocks of at least 4 rows on the stack */
#define PRISM_NORM_EPS 1e-5f

typedef enum prism_norm_kind {
    PRISM_NORM_LAYERNORM,
    PRISM_NORM_RMSNORM,
    PRISM_NORM_NONE,
    PRISM_NORM_COUNT
} prism_norm_kind;

/* Where in a hidden layer a stress mask multiplies the signal. */
typedef enum prism_site_kind {
    PRISM_SITE_PRE_NORM,  /* after the Linear layer, before the normalisation (the article) */
    PRISM_SITE_POST_NORM, /* after the normalisation, before the activation */
    PRISM_SITE_POST_ACT,  /* after the activation */
    PRISM_SITE_COUNT
} prism_site_kind;

typedef struct prism_site {
    size_t layer; /* hidden layer index, 0 = first */
    prism_site_kind kind;
} prism_site;

typedef struct prism_layer_spec {
    size_t width;
    prism_activation act;
    prism_norm_kind norm;
} prism_layer_spec;

typedef struct prism_net_spec {
    size_t inputs;  /* 784 for 28x28 images */
    size_t classes; /* 10 */
    size_t n_hidden;
    prism_layer_spec hidden[PRISM_MAX_HIDDEN_LAYERS];
} prism_net_spec;

/* Views of one layer's parameters (or gradients) inside a flat array. gain and shift are NULL
 * where the layer has none (no norm; RMSNorm has no shift; the output layer). */
typedef struct prism_layer_view {
    float *w; /* [out][in] */
    float *b; /* [out] */
    float *gain;
    float *shift;
    size_t in;
    size_t out;
} prism_layer_view;

typedef struct prism_net {
    prism_net_spec spec;
    size_t n_params;
    float *params;
    prism_layer_view layer[PRISM_MAX_HIDDEN_LAYERS + 1]; /* hidden layers, then the output */
} prism_net;

/* Per-batch scratch memory for forward and backward passes of up to max_rows rows. */
typedef struct prism_net_workspace {
    size_t max_rows;
    float *stage[3 * PRISM_MAX_HIDDEN_LAYERS]; /* outputs of linear, norm, activation */
    float *xhat[PRISM_MAX_HIDDEN_LAYERS];
    float *rstd[PRISM_MAX_HIDDEN_LAYERS];
    float *logits;
    float *grad_a; /* gradient w.r.t. a stage output, widest layer */
    float *grad_b;
} prism_net_workspace;

const char *prism_norm_name(prism_norm_kind kind);
int prism_norm_parse(const char *text, prism_norm_kind *kind, prism_error *err);
const char *prism_site_name(prism_site_kind kind);
int prism_site_parse(const char *text, prism_site_kind *kind, prism_error *err);

/* The article's network: 784 -> 10 -> LayerNorm -> act -> 10. */
prism_net_spec prism_net_spec_article(prism_activation act);

/* Checks widths, counts and layer limits. */
int prism_net_spec_check(const prism_net_spec *spec, prism_error *err);

/* Number of parameters of a spec and the views of a flat array laid out for it: for each layer
 * in order w, b, then gain and shift where present. */
size_t prism_net_param_count(const prism_net_spec *spec);
void prism_net_layout(const prism_net_spec *spec, float *flat, prism_layer_view *views);

int prism_net_create(prism_net *net, const prism_net_spec *spec, prism_error *err);
void prism_net_destroy(prism_net *net);

/* PyTorch's default initialisation: Linear weights and biases uniform in
 * [-1/sqrt(fan_in), 1/sqrt(fan_in)); norm gains 1 and shifts 0. */
void prism_net_initialise(prism_net *net, prism_rng *rng);

int prism_net_workspace_create(prism_net_workspace *ws, const prism_net_spec *spec,
                               size_t max_rows, prism_error *err);
void prism_net_workspace_destroy(prism_net_workspace *ws);

/* Forward pass over n <= max_rows rows of x[n][inputs]; logits land in ws->logits[n][classes].
 * When mask is not NULL, the tensor at `site` is multiplied column-wise by mask[width]. Every
 * intermediate stays in ws for a following backward pass. */
void prism_net_forward(const prism_net *net, prism_net_workspace *ws, const float *x, size_t n,
                       const prism_site *site, const float *mask);

/* The gradient of the mean cross-entropy of the last forward pass (no mask) w.r.t. every
 * parameter, written into grads (flat, same layout). Returns the loss. */
double prism_net_backward(const prism_net *net, prism_net_workspace *ws, const float *x,
                          const uint8_t *labels, size_t n, float *grads);

/* Training feeds the first layer straight from the byte dataset, with the normalisation folded
 * into its products and the all-0 groups of pixels skipped (prism_kernel_pixel_forward in
 * model/kernels.h): the results are those of normalising first, up to rounding. While it does,
 * the first layer's weights (in the parameters, in their gradient and in the optimiser's state,
 * which acts weight by weight) are kept in the kernels' grouped layout, put there once before
 * the first batch and back after the last. It takes a mini-batch a part of at most
 * PRISM_PIXEL_ROWS_MAX rows at a time, so that a part's images stay in the core's cache from
 * the forward pass to the weight gradient:
 *     prism_net_group_pixels                     once, before training;
 *     prism_net_fold_pixels                      once per batch, before its first part;
 *     prism_net_forward_pixels, prism_net_backward_pixels    for each part, in order;
 *     prism_net_unfold_pixel_grad                once per batch, after its last part;
 *     prism_net_ungroup_pixels                   once, after training.
 * Sums over rows continue in order from part to part, so any part size gives the same bits. */
typedef struct prism_pixel_layer {
    float *fold_bias; /* [width of the first hidden layer]: b - the sum of each weight row */
    float *sums;      /* [width x inputs], grouped: the batch's sums of dz times pixel */
} prism_pixel_layer;

/* The images that a part reads: row i is image indices[i] of a packed byte dataset (spec.inputs
 * pixels each). The next_n images of a later part (next) are requested from memory on the way;
 * next_n may be 0. */
typedef struct prism_pixel_rows {
    prism_pixel_groups images;
    const uint32_t *indices;
    size_t n;
    const uint32_t *next;
    size_t next_n;
} prism_pixel_rows;

int prism_pixel_layer_create(prism_pixel_layer *pl, const prism_net_spec *spec,
                             prism_error *err);
void prism_pixel_layer_destroy(prism_pixel_layer *pl);

/* Puts the first layer's weights in `values` (net->params, or an array laid out like it) into
 * the grouped layout for the packed images' group order, and back; pl->sums is their
 * scratch. */
void prism_net_group_pixels(const prism_net *net, prism_pixel_layer *pl, const uint16_t *order,
                            float *values);
void prism_net_ungroup_pixels(const prism_net *net, prism_pixel_layer *pl,
                              const uint16_t *order, float *values);

void prism_net_fold_pixels(const prism_net *net, prism_pixel_layer *pl);

/* prism_net_forward (no mask) on the rows. */
void prism_net_forward_pixels(const prism_net *net, prism_net_workspace *ws,
                              prism_pixel_layer *pl, const prism_pixel_rows *rows);

/* The backward pass of the last forward pass, whose rows are one part of a batch of batch_rows:
 * the gradients of the batch's mean loss are written into grads for the first part and added
 * for the others (the first layer's weights into pl->sums until prism_net_unfold_pixel_grad);
 * each row's loss is added to *loss_sum. */
void prism_net_backward_pixels(const prism_net *net, prism_net_workspace *ws,
                               prism_pixel_layer *pl, const prism_pixel_rows *rows,
                               const uint8_t *labels, size_t batch_rows, bool first,
                               float *grads, double *loss_sum);

void prism_net_unfold_pixel_grad(const prism_net *net, const prism_pixel_layer *pl,
                                 float *grads);

/* The output of hidden layer `layer`'s activation in the last pass that reached it. */
const float *prism_net_workspace_activation(const prism_net_workspace *ws, size_t layer);

/* Runs layers up to `site` and copies the tensor there to out[n][width]. */
void prism_net_forward_to_site(const prism_net *net, prism_net_workspace *ws, const float *x,
                               size_t n, const prism_site *site, float *out);

/* Starts from the tensor at `site` (at_site[n][width], not modified), multiplies it by mask
 * when mask is not NULL, and runs the rest of the network; logits land in ws->logits. */
void prism_net_forward_from_site(const prism_net *net, prism_net_workspace *ws,
                                 const float *at_site, size_t n, const prism_site *site,
                                 const float *mask);

#endif
