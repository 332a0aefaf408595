/* loss.c — loss layers; each outputs a 1-element tensor (mean over the batch) and its
 * backward scales by out->grad[0].  Sums and log-sum-exp in double.
 *   softmax_ce   in[0] logits (N,C); in[1] either labels (N) holding class indices, with
 *                optional class weights (weighted mean sum w_y nll / sum w_y, as PyTorch),
 *                or soft targets (N,C) (e.g. prc_nn_soft_labels): -1/N sum q log softmax.
 *   bce_logits   in[0] logits, in[1] targets in [0,1], same shape: mean of
 *                max(x,0) - x t + log(1 + exp(-|x|)).
 *   kl_distill   in[0] student logits (N,C), in[1] teacher logits (N,C), temperature T:
 *                T^2/N sum KL(softmax(t/T) || softmax(s/T)); the teacher gets no gradient.
 *   cosine_loss  in[0], in[1] features (N,...): mean_n (1 - cos(a_n, b_n)); both inputs
 *                receive gradients if they have grad buffers.
 * Only in[0] (and both inputs of cosine_loss) receive gradients. No separate fast path. */
#include "../nn_internal.h"

static int scalar_shape(int *nd, int *sh)
{
  *nd = 1, sh[0] = 1;
  return 0;
}

/* log-softmax of row x (length C) scaled by 1/T into lp (double) */
static void log_softmax(const float *x, int C, double invT, double *lp)
{
  double mx = -INFINITY, s = 0;
  for (int c = 0; c < C; c++) mx = fmax(mx, x[c] * invT);
  for (int c = 0; c < C; c++) s += exp(x[c] * invT - mx);
  double lse = mx + log(s);
  for (int c = 0; c < C; c++) lp[c] = x[c] * invT - lse;
}

/* ---- softmax_ce ------------------------------------------------------------------------ */
typedef struct {
  float *w;
} ce_state;

static int ce_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 2, in, 2, 2)) return 1;
  int N = in[0]->shape[0], C = in[0]->shape[1];
  int soft = in[1]->ndim == 2 && in[1]->shape[0] == N && in[1]->shape[1] == C;
  if (!soft && !(in[1]->ndim == 1 && in[1]->shape[0] == N))
    return prc_seterr("softmax_ce: targets must be (N) labels or (N,C) probabilities");
  if (l->conf.class_weight && l->conf.in_ch != C)
    return prc_seterr("softmax_ce: %d class weights for %d classes", l->conf.in_ch, C);
  if (!soft)
    for (int n = 0; n < N; n++) {
      float y = in[1]->data[n];
      if (!(y >= 0 && y < C && y == (int)y))
        return prc_seterr("softmax_ce: label %g of sample %d is not a class in 0..%d", y, n, C - 1);
    }
  return scalar_shape(nd, sh);
}

/* mode 0: forward (returns loss), mode 1: backward (adds gradient scaled by g) */
static double ce_run(prc_layer *l, const prc_tensor *x, const prc_tensor *t, float *dx, double g)
{
  ce_state *s = l->state;
  int       N = x->shape[0], C = x->shape[1], soft = t->ndim == 2;
  double   *lp = malloc((size_t)C * sizeof(double)), loss = 0, wsum = 0;
  if (!lp) return NAN;
  for (int n = 0; n < N; n++) {
    int y = soft ? 0 : (int)t->data[n];
    wsum += soft ? 1.0 : (s->w ? s->w[y] : 1.0);
  }
  for (int n = 0; n < N; n++) {
    const float *xn = x->data + (size_t)n * C;
    log_softmax(xn, C, 1.0, lp);
    if (soft) {
      const float *q = t->data + (size_t)n * C;
      for (int c = 0; c < C; c++) loss -= q[c] * lp[c];
      if (dx) {
        double qs = 0;
        for (int c = 0; c < C; c++) qs += q[c];
        for (int c = 0; c < C; c++) dx[(size_t)n * C + c] += (float)(g / wsum * (qs * exp(lp[c]) - q[c]));
      }
    } else {
      int    y = (int)t->data[n];
      double w = s->w ? s->w[y] : 1.0;
      loss -= w * lp[y];
      if (dx)
        for (int c = 0; c < C; c++)
          dx[(size_t)n * C + c] += (float)(g * w / wsum * (exp(lp[c]) - (c == y)));
    }
  }
  free(lp);
  return loss / wsum;
}

static int ce_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  double v = ce_run(l, in[0], in[1], NULL, 0);
  if (isnan(v)) return prc_seterr("softmax_ce: no memory or NaN");
  out->data[0] = (float)v;
  return 0;
}

static int ce_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  if (in[0]->grad) ce_run(l, in[0], in[1], in[0]->grad, out->grad[0]);
  return 0;
}

static void ce_destroy(prc_layer *l)
{
  ce_state *s = l->state;
  if (s) free(s->w);
  free(s);
}

/* ---- bce_logits ------------------------------------------------------------------------ */
static int bce_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 2, in, 1, 4)) return 1;
  if (!prc_tensor_same_shape(in[0], in[1])) return prc_seterr("bce_logits: targets differ in shape");
  return scalar_shape(nd, sh);
}

static int bce_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  double s = 0;
  for (size_t i = 0; i < in[0]->size; i++) {
    double x = in[0]->data[i], t = in[1]->data[i];
    s += fmax(x, 0) - x * t + log1p(exp(-fabs(x)));
  }
  out->data[0] = (float)(s / (double)in[0]->size);
  return 0;
}

static int bce_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  if (!in[0]->grad) return 0;
  double g = out->grad[0] / (double)in[0]->size;
  for (size_t i = 0; i < in[0]->size; i++)
    in[0]->grad[i] += (float)(g * (prc_nn_sigmoid(in[0]->data[i]) - in[1]->data[i]));
  return 0;
}

/* ---- kl_distill ------------------------------------------------------------------------ */
static int kl_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 2, in, 2, 2)) return 1;
  if (!prc_tensor_same_shape(in[0], in[1])) return prc_seterr("kl_distill: teacher differs in shape");
  return scalar_shape(nd, sh);
}

static double kl_run(prc_layer *l, const prc_tensor *s, const prc_tensor *t, float *ds, double g)
{
  int     N = s->shape[0], C = s->shape[1];
  double  T = l->conf.temperature, loss = 0;
  double *ls = malloc(2 * (size_t)C * sizeof(double)), *lt = ls + C;
  if (!ls) return NAN;
  for (int n = 0; n < N; n++) {
    log_softmax(s->data + (size_t)n * C, C, 1.0 / T, ls);
    log_softmax(t->data + (size_t)n * C, C, 1.0 / T, lt);
    for (int c = 0; c < C; c++) {
      loss += exp(lt[c]) * (lt[c] - ls[c]);
      if (ds) ds[(size_t)n * C + c] += (float)(g * T / N * (exp(ls[c]) - exp(lt[c])));
    }
  }
  free(ls);
  return loss * T * T / N;
}

static int kl_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  double v = kl_run(l, in[0], in[1], NULL, 0);
  if (isnan(v)) return prc_seterr("kl_distill: no memory or NaN");
  out->data[0] = (float)v;
  return 0;
}

static int kl_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  if (in[0]->grad) kl_run(l, in[0], in[1], in[0]->grad, out->grad[0]);
  return 0;
}

/* ---- cosine_loss ----------------------------------------------------------------------- */
static int cos_shape(prc_layer *l, int nin, const prc_tensor *const *in, int *nd, int *sh)
{
  if (prc_nn_check_in(l, nin, 2, in, 2, 4)) return 1;
  if (!prc_tensor_same_shape(in[0], in[1])) return prc_seterr("cosine_loss: inputs differ in shape");
  return scalar_shape(nd, sh);
}

static double cos_run(const prc_tensor *a, const prc_tensor *b, float *da, float *db, double g)
{
  int    N = a->shape[0];
  size_t D = prc_nn_inner(a, 1);
  double loss = 0;
  for (int n = 0; n < N; n++) {
    const float *x = a->data + n * D, *y = b->data + n * D;
    double       xy = 0, xx = 0, yy = 0;
    for (size_t i = 0; i < D; i++) xy += (double)x[i] * y[i], xx += (double)x[i] * x[i], yy += (double)y[i] * y[i];
    double nx = fmax(sqrt(xx), 1e-8), ny = fmax(sqrt(yy), 1e-8), cs = xy / (nx * ny);
    loss += 1 - cs;
    for (size_t i = 0; i < D; i++) {
      if (da) da[n * D + i] -= (float)(g / N * (y[i] / (nx * ny) - cs * x[i] / (nx * nx)));
      if (db) db[n * D + i] -= (float)(g / N * (x[i] / (nx * ny) - cs * y[i] / (ny * ny)));
    }
  }
  return loss / N;
}

static int cos_forward(prc_layer *l, int nin, const prc_tensor *const *in, prc_tensor *out)
{
  out->data[0] = (float)cos_run(in[0], in[1], NULL, NULL, 0);
  return 0;
}

static int cos_backward(prc_layer *l, int nin, prc_tensor *const *in, const prc_tensor *out)
{
  cos_run(in[0], in[1], in[0]->grad, in[1]->grad, out->grad[0]);
  return 0;
}

static const prc_layer_ops ce_ops  = {"softmax_ce", ce_shape, ce_forward, ce_backward, ce_destroy};
static const prc_layer_ops bce_ops = {"bce_logits", bce_shape, bce_forward, bce_backward, NULL};
static const prc_layer_ops kl_ops  = {"kl_distill", kl_shape, kl_forward, kl_backward, NULL};
static const prc_layer_ops cos_ops = {"cosine_loss", cos_shape, cos_forward, cos_backward, NULL};

int prc_layer_create_softmax_ce(const prc_layer_conf *c, prc_layer *l)
{
  l->ops      = &ce_ops;
  ce_state *s = calloc(1, sizeof *s);
  if (!(l->state = s)) return prc_seterr("softmax_ce: no memory");
  if (c->class_weight) {
    if (c->in_ch < 1) return prc_seterr("softmax_ce: class weights need in_ch = number of classes");
    if (!(s->w = malloc((size_t)c->in_ch * sizeof(float)))) return prc_seterr("softmax_ce: no memory");
    memcpy(s->w, c->class_weight, (size_t)c->in_ch * sizeof(float));
    l->conf.class_weight = s->w;
  }
  return 0;
}
int prc_layer_create_bce_logits(const prc_layer_conf *c, prc_layer *l) { l->ops = &bce_ops; return 0; }
int prc_layer_create_cosine_loss(const prc_layer_conf *c, prc_layer *l) { l->ops = &cos_ops; return 0; }
int prc_layer_create_kl_distill(const prc_layer_conf *c, prc_layer *l)
{
  l->ops = &kl_ops;
  if (l->conf.temperature == 0) l->conf.temperature = 1;
  if (!(l->conf.temperature > 0)) return prc_seterr("kl_distill: temperature must be > 0");
  return 0;
}
