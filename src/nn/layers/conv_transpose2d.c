/* conv_transpose2d.c — transposed 2-D convolution (DCGAN generator): x (N,Cin,H,W),
 * weight (Cin,Cout,kh,kw) as in PyTorch, y (N,Cout,Ho,Wo) with
 * Ho = (H-1) sh - 2 ph + dh (kh-1) + out_pad + 1.  It is the data gradient of the conv
 * with geometry (input Cout x Ho x Wo, output Cin x H x W), so it reuses the conv kernels
 * (fast: sgemm + col2im; _ref: direct loops). */
#include "../nn_internal.h"

static int ct_geom(const prc_layer *l, int nin, const prc_tensor *const *in, prc_convgeom *g)
{
  const prc_layer_conf *c = &l->conf;
  if (prc_nn_check_in(l, nin, 1, in, 4, 4)) return 1;
  if (in[0]->shape[1] != c->in_ch)
    return prc_seterr("conv_transpose2d: input has %d channels, layer expects %d",
                      in[0]->shape[1], c->in_ch);
  g->N = in[0]->shape[0], g->K = c->in_ch, g->C = c->out_ch;
  g->Ho = in[0]->shape[2], g->Wo = in[0]->shape[3];
  g->kh = c->k[0], g->kw = c->k[1], g->sh = c->stride[0], g->sw = c->stride[1];
  g->ph = c->pad[0], g->pw = c->pad[1], g->dh = c->dil[0], g->dw = c->dil[1];
  g->H = (g->Ho - 1) * g->sh - 2 * g->ph + g->dh * (g->kh - 1) + c->out_pad[0] + 1;
  g->W = (g->Wo - 1) * g->sw - 2 * g->pw + g->dw * (g->kw - 1) + c->out_pad[1] + 1;
  if (g->H < 1 || g->W < 1) return prc_seterr("conv_transpose2d: output would be empty");
  return 0;
}

static int ct_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  prc_convgeom g = {0};
  if (ct_geom(l, nin, in, &g)) return 1;
  *nd = 4, sh[0] = g.N, sh[1] = g.C, sh[2] = g.H, sh[3] = g.W;
  return 0;
}

static int ct_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  prc_convgeom g = {0};
  if (ct_geom(l, nin, in, &g)) return 1;
  memset(out->data, 0, out->size * sizeof(float));
  int rc = (l->use_ref ? prc_conv_backward_data_ref : prc_conv_backward_data)(
      &g, in[0]->data, l->param[0]->data, out->data);
  if (!rc && !l->conf.no_bias) {
    size_t S = (size_t)g.H * g.W;
    for (int n = 0; n < g.N; n++)
      for (int c = 0; c < g.C; c++)
        for (size_t j = 0; j < S; j++) out->data[((size_t)n * g.C + c) * S + j] += l->param[1]->data[c];
  }
  return rc;
}

static int ct_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  prc_convgeom g = {0};
  if (ct_geom(l, nin, (const prc_tensor *const *)in, &g)) return 1;
  if (!l->conf.no_bias) {
    size_t S = (size_t)g.H * g.W;
    for (int c = 0; c < g.C; c++) {
      double s = 0;
      for (int n = 0; n < g.N; n++)
        for (size_t j = 0; j < S; j++) s += out->grad[((size_t)n * g.C + c) * S + j];
      l->param[1]->grad[c] += (float)s;
    }
  }
  int rc = (l->use_ref ? prc_conv_backward_weight_ref : prc_conv_backward_weight)(
      &g, out->grad, in[0]->data, l->param[0]->grad, NULL);
  if (!rc && in[0]->grad)
    rc = (l->use_ref ? prc_conv_forward_ref : prc_conv_forward)(&g, out->grad, l->param[0]->data,
                                                                NULL, in[0]->grad, 1);
  return rc;
}

static const prc_layer_ops ct_ops = {"conv_transpose2d", ct_shape, ct_forward, ct_backward, NULL};

int prc_layer_create_conv_transpose2d(const prc_layer_conf *c0, prc_layer *l)
{
  prc_layer_conf *c = &l->conf;
  l->ops            = &ct_ops;
  for (int d = 0; d < 2; d++) {
    if (!c->stride[d]) c->stride[d] = 1;
    if (!c->dil[d]) c->dil[d] = 1;
    if (c->k[d] < 1 || c->pad[d] < 0 || c->out_pad[d] < 0 ||
        c->out_pad[d] >= (c->stride[d] > c->dil[d] ? c->stride[d] : c->dil[d]))
      return prc_seterr("conv_transpose2d: need k >= 1, pad >= 0, 0 <= out_pad < max(stride, dilation)");
  }
  if (c->in_ch < 1 || c->out_ch < 1) return prc_seterr("conv_transpose2d: need in_ch, out_ch >= 1");
  int ws[4] = {c->in_ch, c->out_ch, c->k[0], c->k[1]}, bs[1] = {c->out_ch};
  if (prc_nn_add_param(l, "weight", 4, ws)) return 1;
  if (!c->no_bias && prc_nn_add_param(l, "bias", 1, bs)) return 1;
  double bound = 1.0 / sqrt((double)c->out_ch * c->k[0] * c->k[1]);
  prc_nn_init_uniform(l->param[0]->data, l->param[0]->size, bound, c->seed, 0);
  if (!c->no_bias) prc_nn_init_uniform(l->param[1]->data, l->param[1]->size, bound, c->seed, 1);
  return 0;
}
