/* batchnorm.c — batch normalisation over (N, spatial) per channel for (N,C), (N,C,L) and
 * (N,C,H,W).  Training: batch mean and biased variance (double accumulation), running
 * stats updated with momentum m: r = (1-m) r + m b, the running variance taking the
 * unbiased batch variance (as PyTorch).  Eval (training = 0): running stats.
 * Params: weight (gamma, init 1), bias (beta, init 0); buffers: running_mean (0),
 * running_var (1).  bn_forward_ref / bn_backward_ref are the straightforward loops (one
 * double accumulator per sum); the fast path below differs only in the order of the sums. */
#include "../nn_internal.h"

typedef struct {
  float  *xhat;
  size_t  n;
  double *invstd; /* per channel, of the last forward */
} bn_state;

static int bn_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 1, in, 2, 4)) return 1;
  if (in[0]->shape[1] != l->conf.in_ch)
    return prc_seterr("batchnorm: input has %d channels, layer expects %d", in[0]->shape[1],
                      l->conf.in_ch);
  *nd = in[0]->ndim;
  memcpy(sh, in[0]->shape, sizeof in[0]->shape);
  return 0;
}

static int bn_forward_ref(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  bn_state    *s = l->state;
  const int    N = in[0]->shape[0], C = l->conf.in_ch;
  const size_t S = prc_nn_inner(in[0], 2);
  const double M = (double)N * S, m = l->conf.momentum, eps = l->conf.eps;
  if (l->training && M < 2) return prc_seterr("batchnorm: training needs more than one value per channel");
  if (s->n < in[0]->size) {
    free(s->xhat);
    if (!(s->xhat = malloc(in[0]->size * sizeof(float)))) return prc_seterr("batchnorm: no memory");
    s->n = in[0]->size;
  }
  const float *x = in[0]->data, *gam = l->param[0]->data, *bet = l->param[1]->data;
  float       *rm = l->buf[0]->data, *rv = l->buf[1]->data;
  for (int c = 0; c < C; c++) {
    double mean, var;
    if (l->training) {
      double sum = 0, sq = 0;
      for (int n = 0; n < N; n++)
        for (size_t j = 0; j < S; j++) sum += x[((size_t)n * C + c) * S + j];
      mean = sum / M;
      for (int n = 0; n < N; n++)
        for (size_t j = 0; j < S; j++) {
          double d = x[((size_t)n * C + c) * S + j] - mean;
          sq += d * d;
        }
      var   = sq / M;
      rm[c] = (float)((1 - m) * rm[c] + m * mean);
      rv[c] = (float)((1 - m) * rv[c] + m * sq / (M - 1));
    } else {
      mean = rm[c], var = rv[c];
    }
    double is    = 1.0 / sqrt(var + eps);
    s->invstd[c] = is;
    for (int n = 0; n < N; n++)
      for (size_t j = 0; j < S; j++) {
        size_t i   = ((size_t)n * C + c) * S + j;
        double xh  = (x[i] - mean) * is;
        s->xhat[i] = (float)xh;
        out->data[i] = (float)(gam[c] * xh + bet[c]);
      }
  }
  return 0;
}

static int bn_backward_ref(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  bn_state    *s = l->state;
  const int    N = in[0]->shape[0], C = l->conf.in_ch;
  const size_t S = prc_nn_inner(in[0], 2);
  const double M = (double)N * S;
  const float *dy = out->grad, *gam = l->param[0]->data;
  float       *dx = in[0]->grad;
  for (int c = 0; c < C; c++) {
    double sdy = 0, sdyx = 0;
    for (int n = 0; n < N; n++)
      for (size_t j = 0; j < S; j++) {
        size_t i = ((size_t)n * C + c) * S + j;
        sdy += dy[i];
        sdyx += (double)dy[i] * s->xhat[i];
      }
    l->param[0]->grad[c] += (float)sdyx;
    l->param[1]->grad[c] += (float)sdy;
    if (!dx) continue;
    double k = gam[c] * s->invstd[c];
    for (int n = 0; n < N; n++)
      for (size_t j = 0; j < S; j++) {
        size_t i = ((size_t)n * C + c) * S + j;
        if (l->training) dx[i] += (float)(k * (dy[i] - sdy / M - s->xhat[i] * sdyx / M));
        else dx[i] += (float)(k * dy[i]);
      }
  }
  return 0;
}

/* ---- fast path ----------------------------------------------------------------------------
 * The same formulas as the _ref loops above, with one difference: the per-channel sums (mean,
 * the two-pass variance, sum dy, sum dy xhat) use 4 interleaved double accumulators instead of
 * one, which removes the add-latency chain (the _ref's sums ran at one add per 4 cycles) and
 * lets gcc pair them into SSE2 vectors; only the rounding of those sums differs (~1e-16
 * relative). The element passes do the _ref's double arithmetic in the same order (the
 * loop-invariant quotients hoisted), so given the same sums they give the same bits. */

typedef struct {
  double a[4];
} acc4;

/* Accumulator q takes the values j = q mod 4; with SSE2 (the x86-64 baseline) the four
 * accumulators are the lanes of two __m128d registers doing the scalar fallback's double
 * operations in the same order (gcc left the fallback scalar). */
#ifdef __SSE2__
#include <emmintrin.h>
#define LO2(v) _mm_cvtps_pd(v)
#define HI2(v) _mm_cvtps_pd(_mm_movehl_ps((v), (v)))
#endif

static inline void acc_sum(acc4 *A, const float *x, size_t S)
{
  size_t j = 0;
#ifdef __SSE2__
  __m128d a0 = _mm_loadu_pd(A->a), a1 = _mm_loadu_pd(A->a + 2);
  for (; j + 4 <= S; j += 4) {
    __m128 v = _mm_loadu_ps(x + j);
    a0 = _mm_add_pd(a0, LO2(v)), a1 = _mm_add_pd(a1, HI2(v));
  }
  _mm_storeu_pd(A->a, a0), _mm_storeu_pd(A->a + 2, a1);
#else
  for (; j + 4 <= S; j += 4)
    for (int q = 0; q < 4; q++) A->a[q] += x[j + q];
#endif
  for (; j < S; j++) A->a[0] += x[j];
}

static inline void acc_sqdev(acc4 *A, const float *x, size_t S, double mean)
{
  size_t j = 0;
#ifdef __SSE2__
  __m128d a0 = _mm_loadu_pd(A->a), a1 = _mm_loadu_pd(A->a + 2), mu = _mm_set1_pd(mean);
  for (; j + 4 <= S; j += 4) {
    __m128  v  = _mm_loadu_ps(x + j);
    __m128d d0 = _mm_sub_pd(LO2(v), mu), d1 = _mm_sub_pd(HI2(v), mu);
    a0 = _mm_add_pd(a0, _mm_mul_pd(d0, d0)), a1 = _mm_add_pd(a1, _mm_mul_pd(d1, d1));
  }
  _mm_storeu_pd(A->a, a0), _mm_storeu_pd(A->a + 2, a1);
#else
  for (; j + 4 <= S; j += 4)
    for (int q = 0; q < 4; q++) {
      double d = x[j + q] - mean;
      A->a[q] += d * d;
    }
#endif
  for (; j < S; j++) {
    double d = x[j] - mean;
    A->a[0] += d * d;
  }
}

static inline void acc_dot(acc4 *A, acc4 *B, const float *dy, const float *xh, size_t S)
{
  size_t j = 0;
#ifdef __SSE2__
  __m128d a0 = _mm_loadu_pd(A->a), a1 = _mm_loadu_pd(A->a + 2);
  __m128d b0 = _mm_loadu_pd(B->a), b1 = _mm_loadu_pd(B->a + 2);
  for (; j + 4 <= S; j += 4) {
    __m128  d = _mm_loadu_ps(dy + j), h = _mm_loadu_ps(xh + j);
    __m128d d0 = LO2(d), d1 = HI2(d);
    a0 = _mm_add_pd(a0, d0), a1 = _mm_add_pd(a1, d1);
    b0 = _mm_add_pd(b0, _mm_mul_pd(d0, LO2(h))), b1 = _mm_add_pd(b1, _mm_mul_pd(d1, HI2(h)));
  }
  _mm_storeu_pd(A->a, a0), _mm_storeu_pd(A->a + 2, a1);
  _mm_storeu_pd(B->a, b0), _mm_storeu_pd(B->a + 2, b1);
#else
  for (; j + 4 <= S; j += 4)
    for (int q = 0; q < 4; q++) {
      A->a[q] += dy[j + q];
      B->a[q] += (double)dy[j + q] * xh[j + q];
    }
#endif
  for (; j < S; j++) {
    A->a[0] += dy[j];
    B->a[0] += (double)dy[j] * xh[j];
  }
}

static inline double acc_total(const acc4 *A) { return (A->a[0] + A->a[1]) + (A->a[2] + A->a[3]); }

static int bn_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  if (l->use_ref) return bn_forward_ref(l, nin, in, out);
  bn_state    *s = l->state;
  const int    N = in[0]->shape[0], C = l->conf.in_ch;
  const size_t S = prc_nn_inner(in[0], 2);
  const double M = (double)N * S, m = l->conf.momentum, eps = l->conf.eps;
  if (l->training && M < 2) return prc_seterr("batchnorm: training needs more than one value per channel");
  if (s->n < in[0]->size) {
    free(s->xhat);
    if (!(s->xhat = malloc(in[0]->size * sizeof(float)))) return prc_seterr("batchnorm: no memory");
    s->n = in[0]->size;
  }
  const float *x = in[0]->data, *gam = l->param[0]->data, *bet = l->param[1]->data;
  float       *rm = l->buf[0]->data, *rv = l->buf[1]->data;
  for (int c = 0; c < C; c++) {
    double mean, var;
    if (l->training) {
      acc4 A = {{0}}, Q = {{0}};
      for (int n = 0; n < N; n++) acc_sum(&A, x + ((size_t)n * C + c) * S, S);
      mean = acc_total(&A) / M;
      for (int n = 0; n < N; n++) acc_sqdev(&Q, x + ((size_t)n * C + c) * S, S, mean);
      double sq = acc_total(&Q);
      var   = sq / M;
      rm[c] = (float)((1 - m) * rm[c] + m * mean);
      rv[c] = (float)((1 - m) * rv[c] + m * sq / (M - 1));
    } else {
      mean = rm[c], var = rv[c];
    }
    double is = 1.0 / sqrt(var + eps), ga = gam[c], be = bet[c];
    s->invstd[c] = is;
    for (int n = 0; n < N; n++) {
      const size_t o  = ((size_t)n * C + c) * S;
      const float *xi = x + o;
      float       *hi = s->xhat + o, *yi = out->data + o;
      for (size_t j = 0; j < S; j++) {
        double xh = (xi[j] - mean) * is;
        hi[j]     = (float)xh;
        yi[j]     = (float)(ga * xh + be);
      }
    }
  }
  return 0;
}

static int bn_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  if (l->use_ref) return bn_backward_ref(l, nin, in, out);
  bn_state    *s = l->state;
  const int    N = in[0]->shape[0], C = l->conf.in_ch;
  const size_t S = prc_nn_inner(in[0], 2);
  const double M = (double)N * S;
  const float *dy = out->grad, *gam = l->param[0]->data;
  float       *dx = in[0]->grad;
  for (int c = 0; c < C; c++) {
    acc4 A = {{0}}, B = {{0}};
    for (int n = 0; n < N; n++) {
      const size_t o = ((size_t)n * C + c) * S;
      acc_dot(&A, &B, dy + o, s->xhat + o, S);
    }
    double sdy = acc_total(&A), sdyx = acc_total(&B);
    l->param[0]->grad[c] += (float)sdyx;
    l->param[1]->grad[c] += (float)sdy;
    if (!dx) continue;
    const double k = gam[c] * s->invstd[c], a = sdy / M, b = sdyx / M;
    for (int n = 0; n < N; n++) {
      const size_t o  = ((size_t)n * C + c) * S;
      const float *di = dy + o, *hi = s->xhat + o;
      float       *gi = dx + o;
      if (l->training)
        for (size_t j = 0; j < S; j++) gi[j] += (float)(k * (di[j] - a - hi[j] * b));
      else
        for (size_t j = 0; j < S; j++) gi[j] += (float)(k * di[j]);
    }
  }
  return 0;
}

static void bn_destroy(prc_layer *l)
{
  bn_state *s = l->state;
  if (s) free(s->xhat), free(s->invstd);
  free(s);
}

static const prc_layer_ops bn_ops = {"batchnorm", bn_shape, bn_forward, bn_backward, bn_destroy};

int prc_layer_create_batchnorm(const prc_layer_conf *c0, prc_layer *l)
{
  prc_layer_conf *c = &l->conf;
  l->ops            = &bn_ops;
  if (c->in_ch < 1) return prc_seterr("batchnorm: in_ch must be >= 1");
  if (c->momentum == 0) c->momentum = 0.1f;
  if (c->eps == 0) c->eps = 1e-5f;
  if (!(c->momentum > 0 && c->momentum <= 1 && c->eps > 0))
    return prc_seterr("batchnorm: need 0 < momentum <= 1 and eps > 0");
  bn_state *s = calloc(1, sizeof *s);
  if (!s || !(s->invstd = calloc((size_t)c->in_ch, sizeof(double)))) {
    free(s);
    return prc_seterr("batchnorm: no memory");
  }
  l->state = s;
  int sh[1] = {c->in_ch};
  if (prc_nn_add_param(l, "weight", 1, sh) || prc_nn_add_param(l, "bias", 1, sh) ||
      prc_nn_add_buf(l, "running_mean", 1, sh) || prc_nn_add_buf(l, "running_var", 1, sh))
    return 1;
  for (int i = 0; i < c->in_ch; i++) l->param[0]->data[i] = 1.0f, l->buf[1]->data[i] = 1.0f;
  return 0;
}
