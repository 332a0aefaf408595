/* conv.c — conv1d (N,C,L) and conv2d (N,C,H,W) layers with stride, zero padding and
 * dilation; weight (K,C,k) / (K,C,kh,kw) as in PyTorch.  The kernels are in
 * ../conv_kernels.c (im2col + sgemm, and the direct-loop _ref). */
#include "../nn_internal.h"

/* dims = 1 or 2 */
static int conv_geom(const prc_layer *l, const prc_tensor *x, int dims, prc_convgeom *g)
{
  const prc_layer_conf *c = &l->conf;
  if (x->ndim != dims + 2)
    return prc_seterr("%s: input has %d dimensions, expected %d", l->ops->name, x->ndim,
                      dims + 2);
  if (x->shape[1] != c->in_ch)
    return prc_seterr("%s: input has %d channels, layer expects %d", l->ops->name,
                      x->shape[1], c->in_ch);
  g->N = x->shape[0];
  g->C = c->in_ch;
  g->K = c->out_ch;
  if (dims == 1) {
    g->H = 1, g->W = x->shape[2], g->kh = 1, g->kw = c->k[0], g->sh = 1, g->sw = c->stride[0];
    g->ph = 0, g->pw = c->pad[0], g->dh = 1, g->dw = c->dil[0];
  } else {
    g->H = x->shape[2], g->W = x->shape[3], g->kh = c->k[0], g->kw = c->k[1];
    g->sh = c->stride[0], g->sw = c->stride[1], g->ph = c->pad[0], g->pw = c->pad[1];
    g->dh = c->dil[0], g->dw = c->dil[1];
  }
  int eh = g->H + 2 * g->ph - g->dh * (g->kh - 1) - 1;
  int ew = g->W + 2 * g->pw - g->dw * (g->kw - 1) - 1;
  if (eh < 0 || ew < 0)
    return prc_seterr("%s: input %dx%d too small for kernel %dx%d (dilation %d,%d, pad %d,%d)",
                      l->ops->name, g->H, g->W, g->kh, g->kw, g->dh, g->dw, g->ph, g->pw);
  g->Ho = eh / g->sh + 1;
  g->Wo = ew / g->sw + 1;
  return 0;
}

static int dims_of(const prc_layer *l) { return l->ops->name[4] == '1' ? 1 : 2; }

static int conv_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  prc_convgeom g = {0};
  int          dims = dims_of(l);
  if (nin != 1) return prc_seterr("%s: %d inputs, expected 1", l->ops->name, nin);
  if (conv_geom(l, in[0], dims, &g)) return 1;
  *nd   = dims + 2;
  sh[0] = g.N, sh[1] = g.K;
  if (dims == 1) sh[2] = g.Wo;
  else sh[2] = g.Ho, sh[3] = g.Wo;
  return 0;
}

static int conv_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  prc_convgeom g = {0};
  if (conv_geom(l, in[0], dims_of(l), &g)) return 1;
  g.chunked = l->training; /* see conv_kernels.c: batch-independent bits in eval mode */
  const float *b = l->conf.no_bias ? NULL : l->param[1]->data;
  if (l->use_ref) return prc_conv_forward_ref(&g, in[0]->data, l->param[0]->data, b, out->data, 0);
  if (!l->state && !(l->state = calloc(1, sizeof(prc_conv_keep)))) return prc_seterr("%s: out of memory", l->ops->name);
  /* training: the columns stay for the weight gradient of the next backward */
  return prc_conv_forward_keep(&g, in[0]->data, l->param[0]->data, b, out->data, 0, l->state);
}

static int conv_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  prc_convgeom g = {0};
  if (conv_geom(l, in[0], dims_of(l), &g)) return 1;
  g.chunked = l->training;
  float *db = l->conf.no_bias ? NULL : l->param[1]->grad;
  int    rc = l->use_ref ? prc_conv_backward_weight_ref(&g, in[0]->data, out->grad, l->param[0]->grad, db)
                             : prc_conv_backward_weight_kept(&g, in[0]->data, out->grad, l->param[0]->grad, db, l->state);
  if (!rc && in[0]->grad)
    rc = (l->use_ref ? prc_conv_backward_data_ref : prc_conv_backward_data)(
        &g, out->grad, l->param[0]->data, in[0]->grad);
  return rc;
}

static void conv_destroy(prc_layer *l)
{
  prc_conv_keep *k = l->state;
  if (k) free(k->buf);
  free(k);
  l->state = NULL;
}

static const prc_layer_ops conv1d_ops = {"conv1d", conv_shape, conv_forward, conv_backward, conv_destroy};
static const prc_layer_ops conv2d_ops = {"conv2d", conv_shape, conv_forward, conv_backward, conv_destroy};

static int conv_create(prc_layer_conf *c, prc_layer *l, int dims)
{
  for (int d = 0; d < 2; d++) {
    if (!c->stride[d]) c->stride[d] = 1;
    if (!c->dil[d]) c->dil[d] = 1;
  }
  if (dims == 1) c->k[1] = 1;
  if (c->in_ch < 1 || c->out_ch < 1 || c->k[0] < 1 || c->k[1] < 1 || c->stride[0] < 1 ||
      c->stride[1] < 1 || c->dil[0] < 1 || c->dil[1] < 1 || c->pad[0] < 0 || c->pad[1] < 0)
    return prc_seterr("%s: need in_ch, out_ch, k >= 1, stride, dilation >= 1, pad >= 0",
                      l->ops->name);
  int ws[4] = {c->out_ch, c->in_ch, c->k[0], c->k[1]}, bs[1] = {c->out_ch};
  if (prc_nn_add_param(l, "weight", dims + 2, ws)) return 1;
  if (!c->no_bias && prc_nn_add_param(l, "bias", 1, bs)) return 1;
  double bound = 1.0 / sqrt((double)c->in_ch * c->k[0] * c->k[1]);
  prc_nn_init_uniform(l->param[0]->data, l->param[0]->size, bound, c->seed, 0);
  if (!c->no_bias) prc_nn_init_uniform(l->param[1]->data, l->param[1]->size, bound, c->seed, 1);
  return 0;
}

int prc_layer_create_conv1d(const prc_layer_conf *c, prc_layer *l)
{
  l->ops = &conv1d_ops;
  return conv_create(&l->conf, l, 1);
}

int prc_layer_create_conv2d(const prc_layer_conf *c, prc_layer *l)
{
  l->ops = &conv2d_ops;
  return conv_create(&l->conf, l, 2);
}
