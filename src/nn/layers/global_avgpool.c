/* global_avgpool.c — mean over all spatial positions: (N,C,...) -> (N,C).  Sums in double. */
#include "../nn_internal.h"

static int gap_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 1, in, 3, 4)) return 1;
  *nd = 2, sh[0] = in[0]->shape[0], sh[1] = in[0]->shape[1];
  return 0;
}

static int gap_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  size_t S = prc_nn_inner(in[0], 2), NC = (size_t)in[0]->shape[0] * in[0]->shape[1];
  for (size_t i = 0; i < NC; i++) {
    double s = 0;
    for (size_t j = 0; j < S; j++) s += in[0]->data[i * S + j];
    out->data[i] = (float)(s / (double)S);
  }
  return 0;
}

static int gap_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  if (!in[0]->grad) return 0;
  size_t S = prc_nn_inner(in[0], 2), NC = (size_t)in[0]->shape[0] * in[0]->shape[1];
  for (size_t i = 0; i < NC; i++) {
    float g = out->grad[i] / (float)S;
    for (size_t j = 0; j < S; j++) in[0]->grad[i * S + j] += g;
  }
  return 0;
}

static const prc_layer_ops gap_ops = {"global_avgpool", gap_shape, gap_forward, gap_backward, NULL};

int prc_layer_create_global_avgpool(const prc_layer_conf *c, prc_layer *l)
{
  l->ops = &gap_ops;
  return 0;
}
