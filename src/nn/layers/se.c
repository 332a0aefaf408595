/* se.c — squeeze-and-excitation (Hu et al. 2018) on (N,C,L) or (N,C,H,W):
 * s = mean over space, a = sigmoid(W2 relu(W1 s + b1) + b2), y = x * a (per channel).
 * Hidden size R = max(1, C / reduction), reduction default 4.  No separate fast path. */
#include "../nn_internal.h"

typedef struct {
  float *s, *h, *a, *da, *ds;
  size_t N;
} gate_state;

static int gate_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 1, in, 3, 4)) return 1;
  if (in[0]->shape[1] != l->conf.in_ch)
    return prc_seterr("%s: input has %d channels, layer expects %d", l->ops->name,
                      in[0]->shape[1], l->conf.in_ch);
  *nd = in[0]->ndim;
  memcpy(sh, in[0]->shape, sizeof in[0]->shape);
  return 0;
}

static int gate_alloc(prc_layer *l, int N)
{
  gate_state *g = l->state;
  if (g->N >= (size_t)N) return 0;
  int C = l->conf.in_ch, R = l->param[0]->shape[0];
  free(g->s);
  g->s = malloc((size_t)N * (4 * C + R) * sizeof(float));
  if (!g->s) return prc_seterr("%s: no memory", l->ops->name);
  g->a = g->s + (size_t)N * C, g->da = g->a + (size_t)N * C, g->ds = g->da + (size_t)N * C;
  g->h = g->ds + (size_t)N * C;
  g->N = (size_t)N;
  return 0;
}

static void gate_destroy(prc_layer *l)
{
  gate_state *g = l->state;
  if (g) free(g->s);
  free(g);
}

static int se_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  int    N = in[0]->shape[0], C = l->conf.in_ch, R = l->param[0]->shape[0];
  size_t S = prc_nn_inner(in[0], 2);
  if (gate_alloc(l, N)) return 1;
  gate_state *g = l->state;
  const float *x = in[0]->data;
  for (int i = 0; i < N * C; i++) {
    double m = 0;
    for (size_t j = 0; j < S; j++) m += x[i * S + j];
    g->s[i] = (float)(m / (double)S);
  }
  prc_nn_mlp2_forward(N, C, R, l->param[0]->data, l->param[1]->data, l->param[2]->data,
                      l->param[3]->data, g->s, g->h, g->a);
  for (int i = 0; i < N * C; i++)
    for (size_t j = 0; j < S; j++) out->data[i * S + j] = x[i * S + j] * g->a[i];
  return 0;
}

static int se_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  int          N = in[0]->shape[0], C = l->conf.in_ch, R = l->param[0]->shape[0];
  size_t       S = prc_nn_inner(in[0], 2);
  gate_state  *g = l->state;
  const float *x = in[0]->data, *dy = out->grad;
  for (int i = 0; i < N * C; i++) {
    double d = 0;
    for (size_t j = 0; j < S; j++) d += (double)dy[i * S + j] * x[i * S + j];
    g->da[i] = (float)d;
    g->ds[i] = 0;
  }
  prc_nn_mlp2_backward(N, C, R, l->param[0]->data, l->param[2]->data, g->s, g->h, g->a, g->da,
                       l->param[0]->grad, l->param[1]->grad, l->param[2]->grad,
                       l->param[3]->grad, g->ds);
  if (in[0]->grad)
    for (int i = 0; i < N * C; i++) {
      float ds = g->ds[i] / (float)S;
      for (size_t j = 0; j < S; j++) in[0]->grad[i * S + j] += dy[i * S + j] * g->a[i] + ds;
    }
  return 0;
}

static const prc_layer_ops se_ops = {"se", gate_shape, se_forward, se_backward, gate_destroy};

int prc_layer_create_se(const prc_layer_conf *c, prc_layer *l)
{
  l->ops = &se_ops;
  if (c->in_ch < 1) return prc_seterr("se: in_ch must be >= 1");
  if (!l->conf.reduction) l->conf.reduction = 4;
  if (l->conf.reduction < 1) return prc_seterr("se: reduction must be >= 1");
  if (!(l->state = calloc(1, sizeof(gate_state)))) return prc_seterr("se: no memory");
  int R = c->in_ch / l->conf.reduction;
  return prc_nn_mlp2_params(l, c->in_ch, R < 1 ? 1 : R);
}
