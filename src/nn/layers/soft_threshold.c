/* soft_threshold.c — channel-wise soft thresholding with a learned threshold (DRSN-CW,
 * Zhao et al. 2019) on (N,C,L) or (N,C,H,W):
 *   m = mean over space of |x|          (N,C)
 *   alpha = sigmoid(W2 relu(W1 m + b1) + b2)   in (0,1)
 *   tau = alpha * m,  y = sign(x) max(|x| - tau, 0).
 * Hidden size R = max(1, C / reduction), reduction default 1 (the paper's C).  The
 * paper's batch norm inside the gate is left out (put a batchnorm layer around the
 * block if wanted).  Subgradient 0 at |x| = tau.  The backward's element loops have a
 * branch-free fast path; use_ref runs the straightforward loops. */
#include "../nn_internal.h"

typedef struct {
  float *s, *h, *a, *da, *ds;
  size_t N;
} gate_state;

static int st_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 1, in, 3, 4)) return 1;
  if (in[0]->shape[1] != l->conf.in_ch)
    return prc_seterr("soft_threshold: input has %d channels, layer expects %d",
                      in[0]->shape[1], l->conf.in_ch);
  *nd = in[0]->ndim;
  memcpy(sh, in[0]->shape, sizeof in[0]->shape);
  return 0;
}

static int st_alloc(prc_layer *l, int N)
{
  gate_state *g = l->state;
  if (g->N >= (size_t)N) return 0;
  int C = l->conf.in_ch, R = l->param[0]->shape[0];
  free(g->s);
  g->s = malloc((size_t)N * (4 * C + R) * sizeof(float));
  if (!g->s) return prc_seterr("soft_threshold: no memory");
  g->a = g->s + (size_t)N * C, g->da = g->a + (size_t)N * C, g->ds = g->da + (size_t)N * C;
  g->h = g->ds + (size_t)N * C;
  g->N = (size_t)N;
  return 0;
}

static int st_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  int    N = in[0]->shape[0], C = l->conf.in_ch, R = l->param[0]->shape[0];
  size_t S = prc_nn_inner(in[0], 2);
  if (st_alloc(l, N)) return 1;
  gate_state  *g = l->state;
  const float *x = in[0]->data;
  for (int i = 0; i < N * C; i++) {
    double m = 0;
    for (size_t j = 0; j < S; j++) m += fabs(x[i * S + j]);
    g->s[i] = (float)(m / (double)S);
  }
  prc_nn_mlp2_forward(N, C, R, l->param[0]->data, l->param[1]->data, l->param[2]->data,
                      l->param[3]->data, g->s, g->h, g->a);
  for (int i = 0; i < N * C; i++) {
    float tau = g->a[i] * g->s[i];
    for (size_t j = 0; j < S; j++) {
      float v = x[i * S + j], r = fabsf(v) - tau;
      out->data[i * S + j] = r > 0 ? (v > 0 ? r : -r) : 0.0f;
    }
  }
  return 0;
}

/* Fast path of the two element loops of the backward: the _ref loops' arithmetic written
 * with 0/1 masks instead of branches on the data (random signs mispredict half the time),
 * and the threshold's gradient summed in 4 interleaved double accumulators (only the
 * rounding of that sum differs from the _ref). */
static void st_backward_tau(int NC, size_t S, const float *x, const float *dy, gate_state *g)
{
  for (int i = 0; i < NC; i++) {
    const float *xi = x + i * S, *di = dy + i * S;
    float        tau  = g->a[i] * g->s[i];
    double       t[4] = {0, 0, 0, 0}; /* 4 interleaved sums: no add-latency chain */
    size_t       j    = 0;
    for (; j + 4 <= S; j += 4)
      for (int q = 0; q < 4; q++) {
        float v = xi[j + q], keep = fabsf(v) > tau ? 1.0f : 0.0f;
        float sg = (v > 0 ? 1.0f : 0.0f) - (v < 0 ? 1.0f : 0.0f);
        t[q] -= (double)(keep * sg * di[j + q]); /* exact: keep * sg is 0 or +-1 */
      }
    for (; j < S; j++) {
      float v = xi[j], keep = fabsf(v) > tau ? 1.0f : 0.0f;
      float sg = (v > 0 ? 1.0f : 0.0f) - (v < 0 ? 1.0f : 0.0f);
      t[0] -= (double)(keep * sg * di[j]);
    }
    double dtau = (t[0] + t[1]) + (t[2] + t[3]);
    g->da[i] = (float)(dtau * g->s[i]);
    g->ds[i] = (float)(dtau * g->a[i]);
  }
}

static void st_backward_dx(int NC, size_t S, const float *x, const float *dy,
                           const gate_state *g, float *dx)
{
  for (int i = 0; i < NC; i++) {
    const float *xi = x + i * S, *di = dy + i * S;
    float       *gi  = dx + i * S;
    float        tau = g->a[i] * g->s[i], dm = g->ds[i] / (float)S;
    for (size_t j = 0; j < S; j++) {
      float v = xi[j], keep = fabsf(v) > tau ? 1.0f : 0.0f;
      float sg = (v > 0 ? 1.0f : 0.0f) - (v < 0 ? 1.0f : 0.0f);
      gi[j] += keep * di[j] + dm * sg;
    }
  }
}

static int st_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  int          N = in[0]->shape[0], C = l->conf.in_ch, R = l->param[0]->shape[0];
  size_t       S = prc_nn_inner(in[0], 2);
  gate_state  *g = l->state;
  const float *x = in[0]->data, *dy = out->grad;
  if (!l->use_ref) {
    st_backward_tau(N * C, S, x, dy, g);
    prc_nn_mlp2_backward(N, C, R, l->param[0]->data, l->param[2]->data, g->s, g->h, g->a, g->da,
                         l->param[0]->grad, l->param[1]->grad, l->param[2]->grad,
                         l->param[3]->grad, g->ds);
    if (in[0]->grad) st_backward_dx(N * C, S, x, dy, g, in[0]->grad);
    return 0;
  }
  /* _ref: the straightforward loops */
  for (int i = 0; i < N * C; i++) {
    float  tau  = g->a[i] * g->s[i];
    double dtau = 0;
    for (size_t j = 0; j < S; j++) {
      float v = x[i * S + j];
      if (fabsf(v) > tau) dtau -= v > 0 ? dy[i * S + j] : -dy[i * S + j];
    }
    g->da[i] = (float)(dtau * g->s[i]);
    g->ds[i] = (float)(dtau * g->a[i]); /* direct path tau = alpha * m */
  }
  prc_nn_mlp2_backward(N, C, R, l->param[0]->data, l->param[2]->data, g->s, g->h, g->a, g->da,
                       l->param[0]->grad, l->param[1]->grad, l->param[2]->grad,
                       l->param[3]->grad, g->ds);
  if (in[0]->grad)
    for (int i = 0; i < N * C; i++) {
      float tau = g->a[i] * g->s[i], dm = g->ds[i] / (float)S;
      for (size_t j = 0; j < S; j++) {
        float v = x[i * S + j], sg = v > 0 ? 1.0f : (v < 0 ? -1.0f : 0.0f);
        in[0]->grad[i * S + j] += (fabsf(v) > tau ? dy[i * S + j] : 0.0f) + dm * sg;
      }
    }
  return 0;
}

static void st_destroy(prc_layer *l)
{
  gate_state *g = l->state;
  if (g) free(g->s);
  free(g);
}

static const prc_layer_ops st_ops = {"soft_threshold", st_shape, st_forward, st_backward, st_destroy};

int prc_layer_create_soft_threshold(const prc_layer_conf *c, prc_layer *l)
{
  l->ops = &st_ops;
  if (c->in_ch < 1) return prc_seterr("soft_threshold: in_ch must be >= 1");
  if (!l->conf.reduction) l->conf.reduction = 1;
  if (l->conf.reduction < 1) return prc_seterr("soft_threshold: reduction must be >= 1");
  if (!(l->state = calloc(1, sizeof(gate_state)))) return prc_seterr("soft_threshold: no memory");
  int R = c->in_ch / l->conf.reduction;
  return prc_nn_mlp2_params(l, c->in_ch, R < 1 ? 1 : R);
}
