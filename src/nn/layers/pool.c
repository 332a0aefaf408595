/* pool.c — max and average pooling, 1-D (N,C,L) and 2-D (N,C,H,W), with kernel, stride
 * (default = kernel) and zero padding (pad <= k/2, as in PyTorch).  Average pooling counts
 * the padding in the divisor (PyTorch's count_include_pad=True); max pooling ignores
 * padded cells.  Max backward routes to the first arg-max saved by forward.
 * The forward has a fast path (window clamped once per output, same bits as the direct
 * loop, which is the _ref); the backward is a single direct loop. */
#include "../nn_internal.h"

typedef struct {
  int   *argmax;
  size_t n;
} pool_state;

typedef struct {
  int N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo;
} pgeom;

static int pool_dims(const prc_layer *l) { return strstr(l->ops->name, "1d") ? 1 : 2; }
static int pool_is_max(const prc_layer *l) { return l->ops->name[0] == 'm'; }

static int pool_geom(const prc_layer *l, int nin, const prc_tensor *const *in, pgeom *g)
{
  int dims = pool_dims(l);
  if (prc_nn_check_in(l, nin, 1, in, dims + 2, dims + 2)) return 1;
  const prc_tensor     *x = in[0];
  const prc_layer_conf *c = &l->conf;
  g->N = x->shape[0], g->C = x->shape[1];
  if (dims == 1) {
    g->H = 1, g->W = x->shape[2], g->kh = 1, g->kw = c->k[0], g->sh = 1, g->sw = c->stride[0];
    g->ph = 0, g->pw = c->pad[0];
  } else {
    g->H = x->shape[2], g->W = x->shape[3], g->kh = c->k[0], g->kw = c->k[1];
    g->sh = c->stride[0], g->sw = c->stride[1], g->ph = c->pad[0], g->pw = c->pad[1];
  }
  int eh = g->H + 2 * g->ph - g->kh, ew = g->W + 2 * g->pw - g->kw;
  if (eh < 0 || ew < 0) return prc_seterr("%s: input smaller than the window", l->ops->name);
  g->Ho = eh / g->sh + 1, g->Wo = ew / g->sw + 1;
  return 0;
}

static int pool_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  pgeom g = {0};
  if (pool_geom(l, nin, in, &g)) return 1;
  *nd   = in[0]->ndim;
  sh[0] = g.N, sh[1] = g.C;
  if (*nd == 3) sh[2] = g.Wo;
  else sh[2] = g.Ho, sh[3] = g.Wo;
  return 0;
}

/* Fast path of the forward: per output the window is clamped to the input once (no bounds
 * test per cell), the first valid cell seeds the max; the cells are visited in the same
 * order with the same arithmetic as the _ref loop below, so the output and the arg-max are
 * the same bits (max: first arg-max; avg: double sum / (kh kw)). */
static void pool_forward_fast(const pgeom *g, int max, const float *x, float *y, int *argmax)
{
  const double cnt = (double)(g->kh * g->kw);
  size_t       o     = 0;
  for (int nc = 0; nc < g->N * g->C; nc++) {
    const float *xp = x + (size_t)nc * g->H * g->W;
    for (int oh = 0; oh < g->Ho; oh++) {
      int h0 = oh * g->sh - g->ph, i0 = h0 < 0 ? 0 : h0, i1 = h0 + g->kh;
      if (i1 > g->H) i1 = g->H;
      for (int ow = 0; ow < g->Wo; ow++, o++) {
        int w0 = ow * g->sw - g->pw, j0 = w0 < 0 ? 0 : w0, j1 = w0 + g->kw;
        if (j1 > g->W) j1 = g->W;
        if (max) {
          int   am = i0 * g->W + j0;
          float m  = xp[am];
          for (int i = i0; i < i1; i++)
            for (int j = (i == i0 ? j0 + 1 : j0); j < j1; j++) {
              float v    = xp[i * g->W + j];
              int   take = v > m;
              m          = take ? v : m;
              am         = take ? i * g->W + j : am;
            }
          y[o] = m, argmax[o] = am;
        } else {
          double acc = 0;
          for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++) acc += xp[i * g->W + j];
          y[o] = (float)(acc / cnt);
        }
      }
    }
  }
}

static int pool_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  pgeom g = {0};
  if (pool_geom(l, nin, in, &g)) return 1;
  pool_state *s   = l->state;
  int         max = pool_is_max(l);
  if (max && s->n < out->size) {
    free(s->argmax);
    if (!(s->argmax = malloc(out->size * sizeof(int)))) return prc_seterr("pool: no memory");
    s->n = out->size;
  }
  const float *x = in[0]->data;
  float       *y = out->data;
  if (!l->use_ref) {
    pool_forward_fast(&g, max, x, y, s->argmax);
    return 0;
  }
  size_t o = 0; /* _ref: the straightforward loop */
  for (int nc = 0; nc < g.N * g.C; nc++) {
    const float *xp = x + (size_t)nc * g.H * g.W;
    for (int oh = 0; oh < g.Ho; oh++)
      for (int ow = 0; ow < g.Wo; ow++, o++) {
        double acc = 0;
        float  m   = -INFINITY;
        int    am  = -1;
        for (int i = 0; i < g.kh; i++) {
          int ih = oh * g.sh - g.ph + i;
          if (ih < 0 || ih >= g.H) continue;
          for (int j = 0; j < g.kw; j++) {
            int iw = ow * g.sw - g.pw + j;
            if (iw < 0 || iw >= g.W) continue;
            float v = xp[ih * g.W + iw];
            if (max) { /* selects, not a branch on the data (cmov: no mispredictions) */
              int take = (v > m) | (am < 0);
              m  = take ? v : m;
              am = take ? ih * g.W + iw : am;
            } else
              acc += v;
          }
        }
        if (max) y[o] = m, s->argmax[o] = am;
        else y[o] = (float)(acc / (g.kh * g.kw));
      }
  }
  return 0;
}

static int pool_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  pgeom g = {0};
  if (pool_geom(l, nin, (const prc_tensor *const *)in, &g)) return 1;
  pool_state  *s  = l->state;
  const float *dy = out->grad;
  float       *dx = in[0]->grad;
  if (!dx) return 0;
  size_t o = 0;
  float  inv = 1.0f / (float)(g.kh * g.kw);
  for (int nc = 0; nc < g.N * g.C; nc++) {
    float *dp = dx + (size_t)nc * g.H * g.W;
    for (int oh = 0; oh < g.Ho; oh++)
      for (int ow = 0; ow < g.Wo; ow++, o++) {
        if (pool_is_max(l)) {
          dp[s->argmax[o]] += dy[o];
          continue;
        }
        for (int i = 0; i < g.kh; i++) {
          int ih = oh * g.sh - g.ph + i;
          if (ih < 0 || ih >= g.H) continue;
          for (int j = 0; j < g.kw; j++) {
            int iw = ow * g.sw - g.pw + j;
            if (iw >= 0 && iw < g.W) dp[ih * g.W + iw] += dy[o] * inv;
          }
        }
      }
  }
  return 0;
}

static void pool_destroy(prc_layer *l)
{
  pool_state *s = l->state;
  if (s) free(s->argmax);
  free(s);
}

#define POOL_OPS(nm) \
  static const prc_layer_ops nm##_ops = {#nm, pool_shape, pool_forward, pool_backward, pool_destroy};
POOL_OPS(maxpool1d)
POOL_OPS(avgpool1d)
POOL_OPS(maxpool2d)
POOL_OPS(avgpool2d)

static int pool_create(prc_layer *l, const prc_layer_ops *ops, int dims)
{
  prc_layer_conf *c = &l->conf;
  l->ops            = ops;
  if (!(l->state = calloc(1, sizeof(pool_state)))) return prc_seterr("pool: no memory");
  if (dims == 1) c->k[1] = 1, c->stride[1] = 1, c->pad[1] = 0;
  for (int d = 0; d < 2; d++) {
    if (c->k[d] < 1) return prc_seterr("%s: kernel size must be >= 1", ops->name);
    if (!c->stride[d]) c->stride[d] = c->k[d];
    if (c->stride[d] < 1 || c->pad[d] < 0 || 2 * c->pad[d] > c->k[d])
      return prc_seterr("%s: need stride >= 1 and 0 <= pad <= k/2", ops->name);
  }
  return 0;
}

int prc_layer_create_maxpool1d(const prc_layer_conf *c, prc_layer *l) { return pool_create(l, &maxpool1d_ops, 1); }
int prc_layer_create_avgpool1d(const prc_layer_conf *c, prc_layer *l) { return pool_create(l, &avgpool1d_ops, 1); }
int prc_layer_create_maxpool2d(const prc_layer_conf *c, prc_layer *l) { return pool_create(l, &maxpool2d_ops, 2); }
int prc_layer_create_avgpool2d(const prc_layer_conf *c, prc_layer *l) { return pool_create(l, &avgpool2d_ops, 2); }
