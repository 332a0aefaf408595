/* merge.c — residual add (y = sum of >= 2 same-shaped inputs) and concat (along the channel
 * dimension 1 of >= 2 inputs that agree in every other dimension). */
#include "../nn_internal.h"

static int add_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (nin < 2) return prc_seterr("add: needs at least 2 inputs, got %d", nin);
  for (int i = 1; i < nin; i++)
    if (!prc_tensor_same_shape(in[0], in[i])) return prc_seterr("add: input %d has another shape", i);
  *nd = in[0]->ndim;
  memcpy(sh, in[0]->shape, sizeof in[0]->shape);
  return 0;
}

static int add_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  memcpy(out->data, in[0]->data, out->size * sizeof(float));
  for (int k = 1; k < nin; k++)
    for (size_t i = 0; i < out->size; i++) out->data[i] += in[k]->data[i];
  return 0;
}

static int add_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  for (int k = 0; k < nin; k++)
    if (in[k]->grad)
      for (size_t i = 0; i < out->size; i++) in[k]->grad[i] += out->grad[i];
  return 0;
}

static int cat_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (nin < 2) return prc_seterr("concat: needs at least 2 inputs, got %d", nin);
  *nd = in[0]->ndim;
  if (*nd < 2) return prc_seterr("concat: inputs need a channel dimension");
  memcpy(sh, in[0]->shape, sizeof in[0]->shape);
  for (int k = 1; k < nin; k++) {
    if (in[k]->ndim != *nd) return prc_seterr("concat: input %d has another rank", k);
    for (int d = 0; d < *nd; d++)
      if (d != 1 && in[k]->shape[d] != sh[d])
        return prc_seterr("concat: input %d differs in dimension %d", k, d);
    sh[1] += in[k]->shape[1];
  }
  return 0;
}

/* dir 0: copy inputs into out; dir 1: add out->grad into the inputs' grads */
static void cat_move(int nin, prc_tensor *const *in, const prc_tensor *out, int dir)
{
  const int    N = out->shape[0], Cout = out->shape[1];
  const size_t S = prc_nn_inner(out, 2);
  int          c0 = 0;
  for (int k = 0; k < nin; k++) {
    int Ck = in[k]->shape[1];
    for (int n = 0; n < N; n++) {
      size_t ob = ((size_t)n * Cout + c0) * S, ib = (size_t)n * Ck * S, len = (size_t)Ck * S;
      if (dir == 0) memcpy(out->data + ob, in[k]->data + ib, len * sizeof(float));
      else if (in[k]->grad)
        for (size_t i = 0; i < len; i++) in[k]->grad[ib + i] += out->grad[ob + i];
    }
    c0 += Ck;
  }
}

static int cat_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  cat_move(nin, (prc_tensor *const *)in, out, 0);
  return 0;
}

static int cat_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  cat_move(nin, in, out, 1);
  return 0;
}

static const prc_layer_ops add_ops = {"add", add_shape, add_forward, add_backward, NULL};
static const prc_layer_ops cat_ops = {"concat", cat_shape, cat_forward, cat_backward, NULL};

int prc_layer_create_add(const prc_layer_conf *c, prc_layer *l) { l->ops = &add_ops; return 0; }
int prc_layer_create_concat(const prc_layer_conf *c, prc_layer *l) { l->ops = &cat_ops; return 0; }
