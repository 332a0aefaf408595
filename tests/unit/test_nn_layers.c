/* test_nn_layers.c — the NN layers: fast path vs _ref, finite-difference gradients,
 * gradient accumulation, layer-specific properties; with PRC_NN_DUMP=dir it also writes
 * every case (inputs, params, output, upstream grad, all grads) for
 * tests/oracle/nn_torch_check.py (PyTorch as the oracle).
 *
 * Tolerances: fast vs _ref |a-b| <= 1e-5 max|b| + 1e-4 |b| (sgemm sums in float, _ref in
 * double); finite differences: central, h = 1e-2, loss = sum(out * R) with R ~ U(-1,1)
 * in double, |fd - an| <= 2e-3 max|an| + 2e-2 |an| (all entries for smooth layers, >= 90 %
 * for layers with kinks: relu, leaky_relu, max-pool, soft_threshold); accumulation:
 * two backward calls give 2x the gradient within 1e-5 relative. */
#include "precursor/error.h"
#include "precursor/nn.h"
#include "precursor/rng.h"
#include "ptest.h"

#include <sys/stat.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum { IN_RAND, IN_LABELS, IN_PROBS, IN_TARGET01 };

typedef struct {
  const char    *layer;
  prc_layer_conf c;
  int            nin;
  int            ndim[3];
  int            shape[3][4];
  int            nograd[3]; /* input i gets no grad buffer */
  int            kind1;     /* content of in[1] */
  int            eval;      /* run in eval mode (random running stats for batchnorm) */
  int            kinked;
} lcase;

static const float cw4[4] = {0.5f, 2.0f, 1.0f, 1.5f};

static lcase cases[] = {
  {"fc", {.in_ch = 7, .out_ch = 5, .seed = 1}, 1, {2}, {{3, 7}}},
  {"fc", {.in_ch = 15, .out_ch = 4, .seed = 2}, 1, {3}, {{2, 3, 5}}},
  {"conv1d", {.in_ch = 3, .out_ch = 4, .k = {5}, .stride = {2}, .pad = {2}, .seed = 3}, 1, {3}, {{2, 3, 17}}},
  {"conv1d", {.in_ch = 2, .out_ch = 3, .k = {3}, .stride = {3}, .pad = {1}, .dil = {2}, .seed = 4}, 1, {3}, {{1, 2, 30}}},
  {"conv1d", {.in_ch = 5, .out_ch = 2, .k = {4}, .dil = {3}, .no_bias = 1, .seed = 5}, 1, {3}, {{3, 5, 19}}},
  {"conv2d", {.in_ch = 3, .out_ch = 4, .k = {3, 2}, .stride = {2, 1}, .pad = {1, 0}, .dil = {1, 2}, .seed = 6}, 1, {4}, {{2, 3, 9, 11}}},
  {"conv2d", {.in_ch = 2, .out_ch = 3, .k = {3, 3}, .pad = {1, 1}, .seed = 7}, 1, {4}, {{1, 2, 7, 7}}},
  {"conv_transpose2d", {.in_ch = 3, .out_ch = 2, .k = {4, 4}, .stride = {2, 2}, .pad = {1, 1}, .seed = 8}, 1, {4}, {{2, 3, 4, 5}}},
  {"conv_transpose2d", {.in_ch = 2, .out_ch = 3, .k = {3, 2}, .stride = {2, 3}, .pad = {1, 0}, .out_pad = {1, 2}, .dil = {1, 2}, .seed = 9}, 1, {4}, {{1, 2, 3, 3}}},
  {"relu", {0}, 1, {3}, {{2, 3, 7}}, .kinked = 1},
  {"leaky_relu", {.alpha = 0.2f}, 1, {3}, {{2, 3, 7}}, .kinked = 1},
  {"tanh", {0}, 1, {3}, {{2, 3, 7}}},
  {"sigmoid", {0}, 1, {4}, {{2, 3, 2, 3}}},
  {"maxpool1d", {.k = {3}, .stride = {2}, .pad = {1}}, 1, {3}, {{2, 3, 11}}, .kinked = 1},
  {"avgpool1d", {.k = {4}}, 1, {3}, {{2, 2, 13}}},
  {"maxpool2d", {.k = {2, 3}, .stride = {2, 2}, .pad = {1, 1}}, 1, {4}, {{2, 2, 7, 8}}, .kinked = 1},
  {"avgpool2d", {.k = {3, 3}, .stride = {2, 2}, .pad = {1, 1}}, 1, {4}, {{1, 3, 7, 6}}},
  {"global_avgpool", {0}, 1, {4}, {{2, 3, 5, 4}}},
  {"global_avgpool", {0}, 1, {3}, {{2, 3, 9}}},
  {"batchnorm", {.in_ch = 3}, 1, {3}, {{4, 3, 6}}},
  {"batchnorm", {.in_ch = 2, .momentum = 0.3f}, 1, {4}, {{3, 2, 4, 5}}},
  {"batchnorm", {.in_ch = 4}, 1, {2}, {{5, 4}}},
  {"batchnorm", {.in_ch = 3}, 1, {3}, {{2, 3, 5}}, .eval = 1},
  {"add", {0}, 3, {3, 3, 3}, {{2, 3, 5}, {2, 3, 5}, {2, 3, 5}}},
  {"concat", {0}, 2, {3, 3}, {{2, 2, 5}, {2, 3, 5}}},
  {"softmax_ce", {0}, 2, {2, 1}, {{5, 4}, {5}}, {0, 1}, IN_LABELS},
  {"softmax_ce", {.in_ch = 4, .class_weight = cw4}, 2, {2, 1}, {{6, 4}, {6}}, {0, 1}, IN_LABELS},
  {"softmax_ce", {0}, 2, {2, 2}, {{3, 5}, {3, 5}}, {0, 1}, IN_PROBS},
  {"bce_logits", {0}, 2, {2, 2}, {{3, 4}, {3, 4}}, {0, 1}, IN_TARGET01},
  {"kl_distill", {.temperature = 2.0f}, 2, {2, 2}, {{4, 5}, {4, 5}}, {0, 1}},
  {"cosine_loss", {0}, 2, {2, 2}, {{3, 6}, {3, 6}}},
  {"se", {.in_ch = 8, .seed = 10}, 1, {3}, {{2, 8, 9}}},
  {"se", {.in_ch = 4, .reduction = 2, .seed = 11}, 1, {4}, {{2, 4, 3, 5}}},
  {"soft_threshold", {.in_ch = 4, .seed = 12}, 1, {3}, {{2, 4, 10}}, .kinked = 1},
  {"soft_threshold", {.in_ch = 6, .reduction = 2, .seed = 13}, 1, {4}, {{2, 6, 3, 4}}, .kinked = 1},
  /* fast paths (docs/PERFORMANCE.md "NN"): odd sizes, batch 1, edge cases */
  {"conv2d", {.in_ch = 2, .out_ch = 3, .k = {5, 5}, .pad = {2, 2}, .seed = 14}, 1, {4}, {{3, 2, 5, 9}}},           /* same rows, k5 */
  {"conv2d", {.in_ch = 3, .out_ch = 2, .k = {3, 3}, .pad = {2, 2}, .dil = {2, 2}, .seed = 15}, 1, {4}, {{1, 3, 6, 5}}}, /* same, dilated */
  {"conv2d", {.in_ch = 2, .out_ch = 2, .k = {1, 3}, .pad = {0, 1}, .seed = 16}, 1, {4}, {{2, 2, 4, 7}}},           /* same, 1x3 */
  {"conv2d", {.in_ch = 3, .out_ch = 4, .k = {1, 1}, .no_bias = 1, .seed = 17}, 1, {4}, {{2, 3, 4, 5}}},            /* same, 1x1 */
  {"conv2d", {.in_ch = 2, .out_ch = 3, .k = {5, 5}, .pad = {2, 2}, .seed = 18}, 1, {4}, {{1, 2, 2, 3}}},           /* rows fully in padding */
  {"conv2d", {.in_ch = 2, .out_ch = 2, .k = {2, 2}, .pad = {2, 3}, .seed = 19}, 1, {4}, {{2, 2, 3, 4}}},           /* generic, wide padding */
  {"conv2d", {.in_ch = 8, .out_ch = 16, .k = {3, 3}, .stride = {2, 2}, .pad = {1, 1}, .seed = 20}, 1, {4}, {{3, 8, 11, 11}}}, /* DRSN's strided conv */
  {"conv2d", {.in_ch = 1, .out_ch = 8, .k = {3, 3}, .pad = {1, 1}, .seed = 21}, 1, {4}, {{5, 1, 11, 11}}},         /* DRSN's stem */
  {"conv1d", {.in_ch = 5, .out_ch = 4, .k = {7}, .pad = {3}, .seed = 22}, 1, {3}, {{1, 5, 13}}},                   /* 1-D same, batch 1 */
  {"batchnorm", {.in_ch = 3}, 1, {3}, {{1, 3, 7}}},
  {"batchnorm", {.in_ch = 2}, 1, {4}, {{3, 2, 5, 3}}},
  {"batchnorm", {.in_ch = 5}, 1, {4}, {{2, 5, 3, 3}}, .eval = 1},
  {"maxpool1d", {.k = {2}}, 1, {3}, {{3, 4, 13}}, .kinked = 1},
  {"maxpool2d", {.k = {3, 3}, .stride = {1, 1}, .pad = {1, 1}}, 1, {4}, {{1, 2, 5, 6}}, .kinked = 1},
  {"avgpool1d", {.k = {3}, .stride = {2}, .pad = {1}}, 1, {3}, {{1, 3, 12}}},
  {"soft_threshold", {.in_ch = 3, .seed = 23}, 1, {3}, {{1, 3, 5}}, .kinked = 1},
  {"soft_threshold", {.in_ch = 5, .seed = 24}, 1, {4}, {{2, 5, 3, 7}}, .kinked = 1},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

typedef struct {
  prc_layer  *l;
  prc_tensor *in[3], *out;
} inst;

static void fill(prc_tensor *t, prc_rng *r, int kind, int C)
{
  for (size_t i = 0; i < t->size; i++) {
    if (kind == IN_LABELS) t->data[i] = (float)prc_rng_below(r, (uint64_t)C);
    else if (kind == IN_TARGET01) t->data[i] = (float)prc_rng_uniform(r);
    else t->data[i] = (float)(2 * prc_rng_uniform(r) - 1) * 1.5f;
  }
  if (kind == IN_PROBS) { /* rescaled soft labels of a random distribution */
    int n = t->shape[0], c = t->shape[1];
    for (size_t i = 0; i < t->size; i++) t->data[i] = (float)exp(2 * t->data[i]);
    for (int a = 0; a < n; a++) {
      double s = 0;
      for (int b = 0; b < c; b++) s += t->data[a * c + b];
      for (int b = 0; b < c; b++) t->data[a * c + b] /= (float)s;
    }
    prc_nn_soft_labels(t->data, n, c, 2.0, t->data);
  }
}

static int make(const lcase *k, int use_ref, inst *I)
{
  memset(I, 0, sizeof *I);
  if (prc_layer_create(k->layer, &k->c, &I->l)) return 1;
  I->l->use_ref  = use_ref;
  I->l->training = !k->eval;
  prc_rng r;
  prc_rng_seed(&r, 77, (uint64_t)(k - cases));
  for (int i = 0; i < k->nin; i++) {
    I->in[i] = prc_tensor_new(k->ndim[i], k->shape[i], !k->nograd[i]);
    fill(I->in[i], &r, i == 1 ? k->kind1 : IN_RAND, k->shape[0][1]);
  }
  if (k->eval)
    for (int b = 0; b < I->l->nbuf; b++)
      for (size_t j = 0; j < I->l->buf[b]->size; j++)
        I->l->buf[b]->data[j] = b == 0 ? (float)(prc_rng_uniform(&r) - 0.5) : (float)(0.5 + prc_rng_uniform(&r));
  for (int p = 0; p < I->l->nparam; p++) /* perturb the default init (BN gamma=1, beta=0) */
    for (size_t j = 0; j < I->l->param[p]->size; j++)
      I->l->param[p]->data[j] += (float)(0.3 * (prc_rng_uniform(&r) - 0.5));
  int nd, sh[4];
  if (prc_layer_output_shape(I->l, k->nin, (const prc_tensor *const *)I->in, &nd, sh)) return 1;
  I->out = prc_tensor_new(nd, sh, 1);
  prc_rng_seed(&r, 78, (uint64_t)(k - cases));
  for (size_t j = 0; j < I->out->size; j++) I->out->grad[j] = (float)(2 * prc_rng_uniform(&r) - 1);
  return 0;
}

static void drop(inst *I)
{
  prc_layer_destroy(I->l);
  for (int i = 0; i < 3; i++) prc_tensor_free(I->in[i]);
  prc_tensor_free(I->out);
}

static int fwd(const lcase *k, inst *I)
{
  return prc_layer_forward(I->l, k->nin, (const prc_tensor *const *)I->in, I->out);
}
static int bwd(const lcase *k, inst *I) { return prc_layer_backward(I->l, k->nin, I->in, I->out); }

/* max |a-b| relative to max |b| */
static double relerr(const float *a, const float *b, size_t n)
{
  double e = 0, m = 1e-30;
  for (size_t i = 0; i < n; i++) m = fmax(m, fabs(b[i]));
  for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i]) / (m + 1e2 * fabs(b[i])) * 1.0);
  return e;
}

static double worst_ref, worst_fd, worst_acc;

static void test_fast_vs_ref(void)
{
  for (int ci = 0; ci < NCASES; ci++) {
    const lcase *k = &cases[ci];
    inst         A, B;
    PT_CHECK(!make(k, 0, &A) && !make(k, 1, &B), "%s: %s", k->layer, prc_lasterr());
    PT_CHECK(!fwd(k, &A) && !fwd(k, &B) && !bwd(k, &A) && !bwd(k, &B), "%s: %s", k->layer, prc_lasterr());
    double e = relerr(A.out->data, B.out->data, A.out->size);
    for (int i = 0; i < k->nin; i++)
      if (A.in[i]->grad) e = fmax(e, relerr(A.in[i]->grad, B.in[i]->grad, A.in[i]->size));
    for (int p = 0; p < A.l->nparam; p++)
      e = fmax(e, relerr(A.l->param[p]->grad, B.l->param[p]->grad, A.l->param[p]->size));
    PT_CHECK(e <= 1e-5, "case %d %s: fast vs ref error %.3g", ci, k->layer, e);
    worst_ref = fmax(worst_ref, e);
    drop(&A), drop(&B);
  }
  fprintf(stderr, "  fast vs ref: worst scaled error %.3g\n", worst_ref);
}

static double lossR(const lcase *k, inst *I, const float *R)
{
  if (fwd(k, I)) return NAN;
  double s = 0;
  for (size_t j = 0; j < I->out->size; j++) s += (double)I->out->data[j] * R[j];
  return s;
}

/* check entries of one array (data x with analytic gradient an) by central differences */
static void fd_array(const lcase *k, inst *I, const float *R, float *x, const float *an, size_t n,
                     int *nbad, int *nchk, double *worst)
{
  double gmax = 1e-6;
  for (size_t j = 0; j < n; j++) gmax = fmax(gmax, fabs(an[j]));
  size_t step = n > 24 ? n / 24 : 1;
  for (size_t j = 0; j < n; j += step) {
    const float h = 1e-2f, x0 = x[j];
    x[j]      = x0 + h;
    double lp = lossR(k, I, R);
    x[j]      = x0 - h;
    double lm = lossR(k, I, R);
    x[j]      = x0;
    double fd = (lp - lm) / (2 * (double)h), tol = 2e-3 * gmax + 2e-2 * fabs(an[j]);
    double err = fabs(fd - an[j]);
    (*nchk)++;
    if (!(err <= tol)) (*nbad)++;
    else *worst = fmax(*worst, err / (gmax + 1e-30));
  }
}

static void test_finite_differences(void)
{
  for (int ci = 0; ci < NCASES; ci++) {
    const lcase *k = &cases[ci];
    inst         I;
    PT_CHECK(!make(k, 1, &I), "%s: %s", k->layer, prc_lasterr());
    PT_CHECK(!fwd(k, &I) && !bwd(k, &I), "%s: %s", k->layer, prc_lasterr());
    float *R = malloc(I.out->size * sizeof(float));
    memcpy(R, I.out->grad, I.out->size * sizeof(float));
    int    nbad = 0, nchk = 0;
    double w = 0;
    for (int i = 0; i < k->nin; i++)
      if (I.in[i]->grad) fd_array(k, &I, R, I.in[i]->data, I.in[i]->grad, I.in[i]->size, &nbad, &nchk, &w);
    for (int p = 0; p < I.l->nparam; p++)
      fd_array(k, &I, R, I.l->param[p]->data, I.l->param[p]->grad, I.l->param[p]->size, &nbad, &nchk, &w);
    int allowed = k->kinked ? nchk / 10 : 0;
    if (nbad || w > 5e-3) fprintf(stderr, "  case %d %s: %d/%d off, worst %.3g\n", ci, k->layer, nbad, nchk, w);
    PT_CHECK(nbad <= allowed, "case %d %s: %d of %d finite-difference checks off", ci, k->layer, nbad, nchk);
    worst_fd = fmax(worst_fd, w);
    free(R);
    drop(&I);
  }
  fprintf(stderr, "  finite differences: worst scaled error among passing entries %.3g\n", worst_fd);
}

static void test_backward_accumulates(void)
{
  for (int ci = 0; ci < NCASES; ci++) {
    const lcase *k = &cases[ci];
    for (int ref = 0; ref < 2; ref++) {
      inst A, B;
      PT_CHECK(!make(k, ref, &A) && !make(k, ref, &B), "%s", prc_lasterr());
      fwd(k, &A), bwd(k, &A);
      fwd(k, &B), bwd(k, &B), bwd(k, &B);
      double e = 0;
      for (int i = 0; i < k->nin; i++)
        if (A.in[i]->grad)
          for (size_t j = 0; j < A.in[i]->size; j++) A.in[i]->grad[j] *= 2;
      for (int i = 0; i < k->nin; i++)
        if (A.in[i]->grad) e = fmax(e, relerr(B.in[i]->grad, A.in[i]->grad, A.in[i]->size));
      for (int p = 0; p < A.l->nparam; p++) {
        for (size_t j = 0; j < A.l->param[p]->size; j++) A.l->param[p]->grad[j] *= 2;
        e = fmax(e, relerr(B.l->param[p]->grad, A.l->param[p]->grad, A.l->param[p]->size));
      }
      PT_CHECK(e <= 1e-5, "case %d %s ref=%d: accumulation error %.3g", ci, k->layer, ref, e);
      worst_acc = fmax(worst_acc, e);
      drop(&A), drop(&B);
    }
  }
  fprintf(stderr, "  accumulation: worst scaled error %.3g\n", worst_acc);
}

static void test_dropout(void)
{
  int            sh[2] = {200, 100};
  prc_layer_conf c     = {.p = 0.3f, .seed = 5};
  prc_layer     *l;
  PT_CHECK(!prc_layer_create("dropout", &c, &l), "%s", prc_lasterr());
  prc_tensor *x = prc_tensor_new(2, sh, 1), *y = prc_tensor_new(2, sh, 1);
  for (size_t i = 0; i < x->size; i++) x->data[i] = 1.0f, y->grad[i] = 1.0f;
  prc_layer_forward(l, 1, (const prc_tensor *const *)&x, y);
  size_t kept = 0;
  double sum  = 0;
  for (size_t i = 0; i < x->size; i++) {
    PT_CHECK(y->data[i] == 0.0f || fabsf(y->data[i] - 1 / 0.7f) < 1e-6f, "value %g", y->data[i]);
    kept += y->data[i] != 0;
    sum += y->data[i];
  }
  /* kept ~ Binomial(20000, 0.7): sd 65 */
  PT_NEAR((double)kept, 14000, 350, 0);
  PT_NEAR(sum / x->size, 1.0, 0.03, 0);
  prc_layer_backward(l, 1, &x, y);
  for (size_t i = 0; i < x->size; i++) PT_CHECK(x->grad[i] == y->data[i], "grad = mask");
  /* reproducible: a new layer with the same seed draws the same first mask */
  prc_layer  *l2;
  prc_tensor *y2 = prc_tensor_new(2, sh, 0);
  prc_layer_create("dropout", &c, &l2);
  prc_layer_forward(l2, 1, (const prc_tensor *const *)&x, y2);
  PT_CHECK(!memcmp(y->data, y2->data, x->size * sizeof(float)), "same seed, same mask");
  /* eval: identity */
  l2->training = 0;
  prc_layer_forward(l2, 1, (const prc_tensor *const *)&x, y2);
  PT_CHECK(!memcmp(x->data, y2->data, x->size * sizeof(float)), "eval is identity");
  prc_layer_destroy(l), prc_layer_destroy(l2);
  prc_tensor_free(x), prc_tensor_free(y), prc_tensor_free(y2);
}

static void test_batchnorm_running_stats(void)
{
  int            sh[3] = {4, 2, 5};
  prc_layer_conf c     = {.in_ch = 2, .momentum = 0.25f};
  prc_layer     *l;
  PT_CHECK(!prc_layer_create("batchnorm", &c, &l), "%s", prc_lasterr());
  prc_tensor *x = prc_tensor_new(3, sh, 0), *y = prc_tensor_new(3, sh, 0);
  for (size_t i = 0; i < x->size; i++) x->data[i] = (float)(i % 7) + (i / 5 % 2 ? 10.0f : 0.0f);
  prc_layer_forward(l, 1, (const prc_tensor *const *)&x, y);
  for (int ch = 0; ch < 2; ch++) {
    double s = 0, q = 0;
    for (int n = 0; n < 4; n++)
      for (int j = 0; j < 5; j++) s += x->data[(n * 2 + ch) * 5 + j];
    double mean = s / 20;
    for (int n = 0; n < 4; n++)
      for (int j = 0; j < 5; j++) q += pow(x->data[(n * 2 + ch) * 5 + j] - mean, 2);
    PT_NEAR(l->buf[0]->data[ch], 0.25 * mean, 1e-6, 1e-6);
    PT_NEAR(l->buf[1]->data[ch], 0.75 + 0.25 * q / 19, 1e-6, 1e-6);
    double ym = 0, yq = 0;
    for (int n = 0; n < 4; n++)
      for (int j = 0; j < 5; j++) ym += y->data[(n * 2 + ch) * 5 + j] / 20.0;
    for (int n = 0; n < 4; n++)
      for (int j = 0; j < 5; j++) yq += pow(y->data[(n * 2 + ch) * 5 + j] - ym, 2) / 20.0;
    PT_NEAR(ym, 0, 1e-6, 0);
    PT_NEAR(yq, q / 20 / (q / 20 + 1e-5), 1e-5, 0);
  }
  prc_layer_destroy(l);
  prc_tensor_free(x), prc_tensor_free(y);
}

/* The conv fast path (conv_kernels.c), unchunked (eval mode): a sample's output and data
 * gradient are the same bits whether it is computed in a batch or alone. Chunked (training:
 * one sgemm per chunk of samples; one full chunk, or full chunks plus a partial one): the
 * output, the data and weight gradients (also y += with add = 1) agree with the _ref within
 * the fast-vs-ref tolerance. */
static void test_conv_batch_independent(void)
{
  const prc_convgeom G[] = {
    {.N = 7, .C = 8, .H = 11, .W = 11, .K = 16, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1},
    {.N = 20, .C = 8, .H = 16, .W = 16, .K = 5, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1},
    {.N = 9, .C = 3, .H = 9, .W = 10, .K = 4, .kh = 3, .kw = 2, .sh = 2, .sw = 2, .ph = 1, .pw = 0, .dh = 1, .dw = 2},
    {.N = 6, .C = 5, .H = 1, .W = 57, .K = 6, .kh = 1, .kw = 7, .sh = 1, .sw = 2, .ph = 0, .pw = 3, .dh = 1, .dw = 1},
    /* stride 2, the vectorised gather/scatter (ConvNetQuake: k 3, pad 1; an odd width, no pad) */
    {.N = 5, .C = 3, .H = 1, .W = 1000, .K = 8, .kh = 1, .kw = 3, .sh = 1, .sw = 2, .ph = 0, .pw = 1, .dh = 1, .dw = 1},
    {.N = 4, .C = 2, .H = 1, .W = 37, .K = 3, .kh = 1, .kw = 4, .sh = 1, .sw = 2, .ph = 0, .pw = 0, .dh = 1, .dw = 1},
  };
  prc_rng r;
  prc_rng_seed(&r, 91, 0);
  for (size_t t = 0; t < sizeof G / sizeof G[0]; t++) {
    prc_convgeom g = G[t];
    g.Ho = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
    g.Wo = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
    const size_t xs = (size_t)g.C * g.H * g.W, ys = (size_t)g.K * g.Ho * g.Wo, nw = (size_t)g.K * g.C * g.kh * g.kw;
    float *x = malloc(xs * g.N * 4), *dy = malloc(ys * g.N * 4), *w = malloc(nw * 4), *b = malloc(g.K * 4);
    float *y = malloc(ys * g.N * 4), *y1 = malloc(ys * 4), *ya = malloc(ys * g.N * 4), *yr = malloc(ys * g.N * 4);
    float *dx = calloc(xs * g.N, 4), *dx1 = calloc(xs, 4), *dw = calloc(nw, 4), *dwr = calloc(nw, 4);
    float *db = calloc(g.K, 4), *dbr = calloc(g.K, 4);
    for (size_t i = 0; i < xs * g.N; i++) x[i] = (float)(2 * prc_rng_uniform(&r) - 1);
    for (size_t i = 0; i < ys * g.N; i++) dy[i] = (float)(2 * prc_rng_uniform(&r) - 1), ya[i] = yr[i] = (float)prc_rng_uniform(&r);
    for (size_t i = 0; i < nw; i++) w[i] = (float)(prc_rng_uniform(&r) - 0.5);
    for (int i = 0; i < g.K; i++) b[i] = (float)(prc_rng_uniform(&r) - 0.5);
    float *dxr = calloc(xs * g.N, 4), *dxc = calloc(xs * g.N, 4), *yc = malloc(ys * g.N * 4);
    PT_CHECK(!prc_conv_forward(&g, x, w, b, y, 0) && !prc_conv_backward_data(&g, dy, w, dx), "%s", prc_lasterr());
    prc_convgeom g1 = g;
    g1.N            = 1;
    int same_y = 1, same_dx = 1;
    for (int n = 0; n < g.N; n++) {
      memset(dx1, 0, xs * 4);
      PT_CHECK(!prc_conv_forward(&g1, x + n * xs, w, b, y1, 0) && !prc_conv_backward_data(&g1, dy + n * ys, w, dx1), "%s", prc_lasterr());
      same_y &= !memcmp(y1, y + n * ys, ys * 4);
      same_dx &= !memcmp(dx1, dx + n * xs, xs * 4);
    }
    PT_CHECK(same_y && same_dx, "geometry %zu: batch vs single samples differ (y %d, dx %d)", t, !same_y, !same_dx);
    /* chunked: y, dx, y += (add = 1), dw, db against the direct loops */
    g.chunked = 1;
    PT_CHECK(!prc_conv_forward(&g, x, w, b, yc, 0) && !prc_conv_backward_data(&g, dy, w, dxc), "%s", prc_lasterr());
    PT_CHECK(!prc_conv_backward_data_ref(&g, dy, w, dxr), "%s", prc_lasterr());
    PT_CHECK(!prc_conv_forward(&g, x, w, b, ya, 1) && !prc_conv_forward_ref(&g, x, w, b, yr, 1), "%s", prc_lasterr());
    PT_CHECK(!prc_conv_backward_weight(&g, x, dy, dw, db) && !prc_conv_backward_weight_ref(&g, x, dy, dwr, dbr), "%s", prc_lasterr());
    double e = fmax(relerr(ya, yr, ys * g.N), fmax(relerr(dw, dwr, nw), relerr(db, dbr, g.K)));
    e        = fmax(e, fmax(relerr(yc, y, ys * g.N), relerr(dxc, dxr, xs * g.N)));
    PT_CHECK(e <= 1e-5, "geometry %zu: chunked vs ref error %.3g", t, e);
    /* columns kept by a strided forward for the weight gradient: the same bits as recomputing
     * them, and really used (given another x, the kept columns of the first win); one-shot */
    {
      prc_conv_keep k = {0};
      float *yk = malloc(ys * g.N * 4), *dw1 = calloc(nw, 4), *db1 = calloc(g.K, 4), *dwk = calloc(nw, 4), *dbk = calloc(g.K, 4);
      float *x2 = malloc(xs * g.N * 4);
      for (size_t i = 0; i < xs * g.N; i++) x2[i] = -x[i];
      const int strided = g.sh > 1 || g.sw > 1; /* only strided convolutions keep their columns */
      PT_CHECK(!prc_conv_forward_keep(&g, x, w, b, yk, 0, &k) && k.valid == strided, "geometry %zu: kept %d, strided %d", t, k.valid,
               strided);
      PT_CHECK(!memcmp(yk, yc, ys * g.N * 4), "geometry %zu: forward_keep output differs", t);
      PT_CHECK(!prc_conv_backward_weight(&g, x, dy, dw1, db1), "%s", prc_lasterr());
      PT_CHECK(!prc_conv_backward_weight_kept(&g, strided ? x2 : x, dy, dwk, dbk, &k) && !k.valid, "geometry %zu: kept backward", t);
      PT_CHECK(!memcmp(dw1, dwk, nw * 4) && !memcmp(db1, dbk, g.K * 4), "geometry %zu: kept columns give another dw", t);
      prc_convgeom ge = g;
      ge.chunked      = 0; /* eval mode keeps nothing */
      PT_CHECK(!prc_conv_forward_keep(&ge, x, w, b, yk, 0, &k) && !k.valid, "geometry %zu: eval mode kept columns", t);
      free(k.buf), free(yk), free(dw1), free(db1), free(dwk), free(dbk), free(x2);
    }
    free(dxr), free(dxc), free(yc);
    free(x), free(dy), free(w), free(b), free(y), free(y1), free(ya), free(yr);
    free(dx), free(dx1), free(dw), free(dwr), free(db), free(dbr);
  }
}

/* Max-pool with many ties (values in {0, 1, 2}) and padding: fast and _ref forwards pick the
 * same (first) arg-max, so outputs and gradients are the same bits. */
static void test_pool_ties(void)
{
  const lcase pc[] = {
    {"maxpool1d", {.k = {3}, .stride = {2}, .pad = {1}}, 1, {3}, {{3, 2, 14}}},
    {"maxpool2d", {.k = {3, 2}, .stride = {1, 2}, .pad = {1, 1}}, 1, {4}, {{2, 3, 5, 7}}},
    {"avgpool2d", {.k = {2, 3}, .stride = {2, 1}, .pad = {1, 1}}, 1, {4}, {{1, 2, 6, 5}}},
  };
  for (size_t t = 0; t < sizeof pc / sizeof pc[0]; t++) {
    inst A, B;
    PT_CHECK(!make(&pc[t], 0, &A) && !make(&pc[t], 1, &B), "%s", prc_lasterr());
    for (size_t i = 0; i < A.in[0]->size; i++)
      A.in[0]->data[i] = B.in[0]->data[i] = (float)((i * 7 + i / 3) % 3);
    PT_CHECK(!fwd(&pc[t], &A) && !fwd(&pc[t], &B) && !bwd(&pc[t], &A) && !bwd(&pc[t], &B), "%s", prc_lasterr());
    PT_CHECK(!memcmp(A.out->data, B.out->data, A.out->size * 4) &&
                 !memcmp(A.in[0]->grad, B.in[0]->grad, A.in[0]->size * 4),
             "%s: fast and ref differ with ties", pc[t].layer);
    drop(&A), drop(&B);
  }
}

static void test_errors(void)
{
  prc_layer     *l;
  prc_layer_conf c = {.in_ch = 3, .out_ch = 2, .k = {5}};
  PT_CHECK(prc_layer_create("nope", &c, &l) && strstr(prc_lasterr(), "unknown layer"), "%s", prc_lasterr());
  prc_layer_conf bad = {.in_ch = 3, .out_ch = 2};
  PT_CHECK(prc_layer_create("conv1d", &bad, &l) && l == NULL, "k = 0 rejected");
  prc_layer_conf bd = {.p = 1.0f};
  PT_CHECK(prc_layer_create("dropout", &bd, &l), "p = 1 rejected");
  PT_CHECK(!prc_layer_create("conv1d", &c, &l), "%s", prc_lasterr());
  int         sh[3] = {1, 4, 9}, sh2[3] = {1, 3, 3}, nd, osh[4];
  prc_tensor *x = prc_tensor_new(3, sh, 0), *x2 = prc_tensor_new(3, sh2, 0);
  PT_CHECK(prc_layer_output_shape(l, 1, (const prc_tensor *const *)&x, &nd, osh) &&
               strstr(prc_lasterr(), "channels"), "%s", prc_lasterr());
  PT_CHECK(prc_layer_output_shape(l, 1, (const prc_tensor *const *)&x2, &nd, osh) &&
               strstr(prc_lasterr(), "too small"), "%s", prc_lasterr());
  prc_layer_destroy(l);
  prc_tensor_free(x), prc_tensor_free(x2);
  const char *const *names = prc_layer_names();
  int n = 0;
  while (names[n]) n++;
  PT_CHECK(n == 23, "%d registered layers", n);
}

/* ---- dump for the PyTorch oracle --------------------------------------------------------- */
static void wr(const char *dir, int ci, const char *what, const float *a, size_t n)
{
  char p[4200];
  snprintf(p, sizeof p, "%s/%02d_%s.f32", dir, ci, what);
  FILE *f = fopen(p, "wb");
  if (f) fwrite(a, sizeof(float), n, f), fclose(f);
}

static void shape_str(FILE *m, const char *key, const prc_tensor *t)
{
  fprintf(m, " %s=", key);
  for (int d = 0; d < t->ndim; d++) fprintf(m, "%s%d", d ? "x" : "", t->shape[d]);
}

static int dump(const char *dir)
{
  mkdir(dir, 0777);
  char p[4200];
  snprintf(p, sizeof p, "%s/manifest.txt", dir);
  FILE *m = fopen(p, "w");
  if (!m) return 1;
  for (int ci = 0; ci < NCASES; ci++) {
    const lcase *k = &cases[ci];
    inst         I;
    if (make(k, 0, &I)) return 1;
    const prc_layer_conf *c = &I.l->conf;
    fprintf(m, "case=%02d layer=%s nin=%d training=%d k=%d,%d stride=%d,%d pad=%d,%d dil=%d,%d "
               "out_pad=%d,%d alpha=%.9g momentum=%.9g eps=%.9g T=%.9g nparam=%d nbuf=%d",
            ci, k->layer, k->nin, I.l->training, c->k[0], c->k[1], c->stride[0], c->stride[1],
            c->pad[0], c->pad[1], c->dil[0], c->dil[1], c->out_pad[0], c->out_pad[1], c->alpha,
            c->momentum, c->eps, c->temperature, I.l->nparam, I.l->nbuf);
    if (c->class_weight) fprintf(m, " cw=%g,%g,%g,%g", cw4[0], cw4[1], cw4[2], cw4[3]);
    char key[32];
    for (int i = 0; i < k->nin; i++) {
      snprintf(key, sizeof key, "in%d", i);
      shape_str(m, key, I.in[i]);
      wr(dir, ci, key, I.in[i]->data, I.in[i]->size);
      fprintf(m, " grad%d=%d", i, I.in[i]->grad != NULL);
    }
    for (int pi = 0; pi < I.l->nparam; pi++) {
      snprintf(key, sizeof key, "p%d", pi);
      shape_str(m, key, I.l->param[pi]);
      wr(dir, ci, key, I.l->param[pi]->data, I.l->param[pi]->size);
    }
    for (int b = 0; b < I.l->nbuf; b++) {
      snprintf(key, sizeof key, "b%d", b);
      shape_str(m, key, I.l->buf[b]);
      wr(dir, ci, key, I.l->buf[b]->data, I.l->buf[b]->size);
    }
    if (fwd(k, &I) || bwd(k, &I)) return 1;
    shape_str(m, "out", I.out);
    fputc('\n', m);
    wr(dir, ci, "out", I.out->data, I.out->size);
    wr(dir, ci, "dout", I.out->grad, I.out->size);
    for (int i = 0; i < k->nin; i++)
      if (I.in[i]->grad) {
        snprintf(key, sizeof key, "gin%d", i);
        wr(dir, ci, key, I.in[i]->grad, I.in[i]->size);
      }
    for (int pi = 0; pi < I.l->nparam; pi++) {
      snprintf(key, sizeof key, "gp%d", pi);
      wr(dir, ci, key, I.l->param[pi]->grad, I.l->param[pi]->size);
    }
    for (int b = 0; b < I.l->nbuf; b++) {
      snprintf(key, sizeof key, "b%d_after", b);
      wr(dir, ci, key, I.l->buf[b]->data, I.l->buf[b]->size);
    }
    drop(&I);
  }
  fclose(m);
  return 0;
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  const char *d = getenv("PRC_NN_DUMP");
  if (d) {
    if (dump(d)) {
      fprintf(stderr, "dump failed: %s\n", prc_lasterr());
      return 1;
    }
    printf("dumped %d cases to %s\n", NCASES, d);
    return 0;
  }
  PT_RUN(test_fast_vs_ref);
  PT_RUN(test_finite_differences);
  PT_RUN(test_backward_accumulates);
  PT_RUN(test_dropout);
  PT_RUN(test_batchnorm_running_stats);
  PT_RUN(test_conv_batch_independent);
  PT_RUN(test_pool_ties);
  PT_RUN(test_errors);
  return pt_finish();
}
