/* fc.c — fully connected layer: y (N,O) = x (N,F) W^T + b, W (O,F) as in PyTorch.
 * Inputs of rank > 2 are flattened: F = prod(shape[1:]).  Fast path: OpenBLAS sgemm;
 * _ref: loops with double accumulators. */
#include "../nn_internal.h"

#include <cblas.h>

static int fc_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 1, in, 2, 4)) return 1;
  if ((int)prc_nn_inner(in[0], 1) != l->conf.in_ch)
    return prc_seterr("fc: input has %zu features, layer expects %d", prc_nn_inner(in[0], 1),
                      l->conf.in_ch);
  *nd   = 2;
  sh[0] = in[0]->shape[0];
  sh[1] = l->conf.out_ch;
  return 0;
}

static int fc_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  const int    N = in[0]->shape[0], F = l->conf.in_ch, O = l->conf.out_ch;
  const float *x = in[0]->data, *w = l->param[0]->data;
  const float *b = l->conf.no_bias ? NULL : l->param[1]->data;
  float       *y = out->data;
  if (l->use_ref) {
    for (int n = 0; n < N; n++)
      for (int o = 0; o < O; o++) {
        double s = b ? b[o] : 0.0;
        for (int f = 0; f < F; f++) s += (double)x[(size_t)n * F + f] * w[(size_t)o * F + f];
        y[(size_t)n * O + o] = (float)s;
      }
    return 0;
  }
  for (int n = 0; n < N; n++)
    for (int o = 0; o < O; o++) y[(size_t)n * O + o] = b ? b[o] : 0.0f;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, O, F, 1.0f, x, F, w, F, 1.0f, y, O);
  return 0;
}

static int fc_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  const int    N = in[0]->shape[0], F = l->conf.in_ch, O = l->conf.out_ch;
  const float *x = in[0]->data, *w = l->param[0]->data, *dy = out->grad;
  float       *dx = in[0]->grad, *dw = l->param[0]->grad;
  float       *db = l->conf.no_bias ? NULL : l->param[1]->grad;
  if (db)
    for (int o = 0; o < O; o++) {
      double s = 0;
      for (int n = 0; n < N; n++) s += dy[(size_t)n * O + o];
      db[o] += (float)s;
    }
  if (l->use_ref) {
    for (int o = 0; o < O; o++)
      for (int f = 0; f < F; f++) {
        double s = 0;
        for (int n = 0; n < N; n++) s += (double)dy[(size_t)n * O + o] * x[(size_t)n * F + f];
        dw[(size_t)o * F + f] += (float)s;
      }
    if (dx)
      for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++) {
          double s = 0;
          for (int o = 0; o < O; o++) s += (double)dy[(size_t)n * O + o] * w[(size_t)o * F + f];
          dx[(size_t)n * F + f] += (float)s;
        }
    return 0;
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, F, N, 1.0f, dy, O, x, F, 1.0f, dw, F);
  if (dx)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, F, O, 1.0f, dy, O, w, F, 1.0f, dx,
                F);
  return 0;
}

static const prc_layer_ops fc_ops = {"fc", fc_shape, fc_forward, fc_backward, NULL};

int prc_layer_create_fc(const prc_layer_conf *c, prc_layer *l)
{
  l->ops = &fc_ops;
  if (c->in_ch < 1 || c->out_ch < 1)
    return prc_seterr("fc: in_ch %d and out_ch %d must be >= 1", c->in_ch, c->out_ch);
  int ws[2] = {c->out_ch, c->in_ch}, bs[1] = {c->out_ch};
  if (prc_nn_add_param(l, "weight", 2, ws)) return 1;
  if (!c->no_bias && prc_nn_add_param(l, "bias", 1, bs)) return 1;
  double bound = 1.0 / sqrt((double)c->in_ch);
  prc_nn_init_uniform(l->param[0]->data, l->param[0]->size, bound, c->seed, 0);
  if (!c->no_bias) prc_nn_init_uniform(l->param[1]->data, l->param[1]->size, bound, c->seed, 1);
  return 0;
}
