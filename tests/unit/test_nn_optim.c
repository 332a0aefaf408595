/* test_nn_optim.c — optimisers, learning-rate schedules, fixed-point sums, permutations and
 * the synthetic set (src/nn/optim.c, src/nn/train_util.c).
 *
 * Oracles: closed forms on a quadratic / linear loss (SGD: p_k = p0 (1 - lr a)^k; heavy-ball
 * and nesterov recurrences evaluated in double; Adam with a constant gradient moves by
 * exactly lr g / (|g| + eps) per step; AdamW with a zero gradient decays by (1 - lr wd)^k),
 * schedules by hand, and torch.optim.SGD/Adam/AdamW on the same gradient sequence
 * (tests/oracle/optim_torch.py via /usr/bin/python3; skipped without torch). Tolerances:
 * closed forms 2e-6 relative (float32 arithmetic), PyTorch 1e-5 of max |p|. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "precursor/error.h"
#include "precursor/nn_train.h"
#include "precursor/rng.h"
#include "ptest.h"

static void test_sgd_closed_forms(void)
{
  /* loss 0.5 a p^2 per coordinate: g = a p */
  const double a[3] = {0.5, 2.0, 4.0}, p0 = 1.5, lr = 0.1, mu = 0.9;
  for (int variant = 0; variant < 3; variant++) {
    prc_optim_conf c = {.kind = PRC_OPTIM_SGD, .momentum = variant ? mu : 0, .nesterov = variant == 2};
    prc_optim     *o;
    PT_CHECK(!prc_optim_create(&c, 3, &o), "%s", prc_lasterr());
    float  p[3], g[3];
    double q[3], b[3];
    for (int i = 0; i < 3; i++) p[i] = (float)p0, q[i] = p0, b[i] = 0;
    for (int k = 0; k < 8; k++) {
      for (int i = 0; i < 3; i++) g[i] = (float)(a[i] * p[i]);
      PT_CHECK(!prc_optim_step(o, p, g, lr), "%s", prc_lasterr());
      for (int i = 0; i < 3; i++) {
        double gi = a[i] * q[i];
        if (variant == 0) q[i] -= lr * gi;
        else {
          b[i] = k == 0 ? gi : mu * b[i] + gi;
          q[i] -= lr * (variant == 2 ? gi + mu * b[i] : b[i]);
        }
      }
    }
    for (int i = 0; i < 3; i++) {
      PT_NEAR(p[i], q[i], 2e-6, 2e-6);
      if (variant == 0) PT_NEAR(q[i], p0 * pow(1 - lr * a[i], 8), 1e-12, 1e-12);
    }
    prc_optim_destroy(o);
  }
}

static void test_adam_closed_forms(void)
{
  /* constant gradient: m_hat = g, v_hat = g^2, so every step moves by lr g / (|g| + eps) */
  const float g[4] = {0.3f, -2.0f, 1e-3f, 5.0f};
  prc_optim_conf c = {.kind = PRC_OPTIM_ADAM, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
  prc_optim     *o;
  PT_CHECK(!prc_optim_create(&c, 4, &o), "%s", prc_lasterr());
  float p[4] = {1, 1, 1, 1};
  for (int k = 0; k < 10; k++) prc_optim_step(o, p, g, 0.01);
  for (int i = 0; i < 4; i++) PT_NEAR(p[i], 1 - 10 * 0.01 * g[i] / (fabs(g[i]) + 1e-8), 2e-6, 0);
  prc_optim_destroy(o);
  /* AdamW, zero gradient: pure decoupled decay (1 - lr wd)^k; Adam's L2 would move it by lr */
  c.kind = PRC_OPTIM_ADAMW, c.weight_decay = 0.5;
  PT_CHECK(!prc_optim_create(&c, 4, &o), "%s", prc_lasterr());
  float z[4] = {0}, q[4] = {2, -1, 0.5f, 3};
  prc_optim_decay_none(o);
  prc_optim_decay_range(o, 0, 3); /* the last one keeps its value */
  for (int k = 0; k < 5; k++) prc_optim_step(o, q, z, 0.1);
  const float q0[4] = {2, -1, 0.5f, 3};
  for (int i = 0; i < 3; i++) PT_NEAR(q[i], q0[i] * pow(1 - 0.1 * 0.5, 5), 2e-6, 2e-6);
  PT_CHECK(q[3] == 3.0f, "no decay outside the mask: %g", q[3]);
  prc_optim_destroy(o);
  /* Adam L2, first step, from zero moments: g' = g + wd p, update lr g'/(|g'| + eps) */
  c.kind = PRC_OPTIM_ADAM, c.weight_decay = 0.1;
  PT_CHECK(!prc_optim_create(&c, 1, &o), "%s", prc_lasterr());
  float r = 2, gr = 0.5f;
  prc_optim_step(o, &r, &gr, 0.01);
  PT_NEAR(r, 2 - 0.01 * (0.5 + 0.2) / (0.7 + 1e-8), 1e-6, 0);
  prc_optim_destroy(o);
}

static void test_errors(void)
{
  prc_optim_conf c = {.kind = PRC_OPTIM_SGD, .momentum = 0, .nesterov = 1};
  PT_CHECK(prc_optim_check(&c) != 0 && strstr(prc_lasterr(), "nesterov"), "nesterov without momentum: %s", prc_lasterr());
  c = (prc_optim_conf){.kind = PRC_OPTIM_ADAM, .beta1 = 1.0, .beta2 = 0.9, .eps = 1e-8};
  PT_CHECK(prc_optim_check(&c) != 0 && strstr(prc_lasterr(), "beta1"), "beta1 = 1: %s", prc_lasterr());
  c = (prc_optim_conf){.kind = PRC_OPTIM_ADAM, .beta1 = 0.9, .beta2 = 0.9, .eps = 0};
  PT_CHECK(prc_optim_check(&c) != 0, "eps = 0 accepted");
  prc_lr_sched s = {.kind = PRC_LR_COSINE, .base = 0.1, .warmup = 10, .total = 10};
  PT_CHECK(prc_lr_check(&s) != 0 && strstr(prc_lasterr(), "cosine"), "total <= warmup: %s", prc_lasterr());
  s = (prc_lr_sched){.kind = PRC_LR_STEP, .base = 0.1, .step_size = 0, .gamma = 0.5};
  PT_CHECK(prc_lr_check(&s) != 0, "step size 0 accepted");
  s = (prc_lr_sched){.kind = PRC_LR_CONSTANT, .base = -1};
  PT_CHECK(prc_lr_check(&s) != 0, "negative lr accepted");
  prc_optim *o;
  c = (prc_optim_conf){.kind = PRC_OPTIM_SGD};
  prc_optim_create(&c, 1, &o);
  float p = 1, g = 1;
  PT_CHECK(prc_optim_step(o, &p, &g, NAN) != 0, "NaN lr accepted");
  prc_optim_destroy(o);
}

static void test_schedules(void)
{
  prc_lr_sched s = {.kind = PRC_LR_CONSTANT, .base = 0.1};
  PT_NEAR(prc_lr_at(&s, 0), 0.1, 0, 0);
  PT_NEAR(prc_lr_at(&s, 1000), 0.1, 0, 0);
  s.warmup = 4; /* 0.025 0.05 0.075 0.1 then 0.1 */
  PT_NEAR(prc_lr_at(&s, 0), 0.025, 1e-15, 0);
  PT_NEAR(prc_lr_at(&s, 2), 0.075, 1e-15, 0);
  PT_NEAR(prc_lr_at(&s, 3), 0.1, 1e-15, 0);
  s = (prc_lr_sched){.kind = PRC_LR_STEP, .base = 1, .step_size = 3, .gamma = 0.5};
  const double st[8] = {1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25};
  for (int k = 0; k < 8; k++) PT_NEAR(prc_lr_at(&s, k), st[k], 0, 0);
  s = (prc_lr_sched){.kind = PRC_LR_COSINE, .base = 1, .min_lr = 0.1, .warmup = 2, .total = 12};
  PT_NEAR(prc_lr_at(&s, 1), 1.0, 1e-15, 0);
  PT_NEAR(prc_lr_at(&s, 2), 1.0, 1e-15, 0);  /* start of the decay */
  PT_NEAR(prc_lr_at(&s, 7), 0.55, 1e-15, 0); /* halfway: (1 + 0.1) / 2 */
  PT_NEAR(prc_lr_at(&s, 12), 0.1, 1e-15, 0);
  PT_NEAR(prc_lr_at(&s, 50), 0.1, 1e-15, 0);
  PT_CHECK(!prc_lr_check(&s), "%s", prc_lasterr());
}

/* The gradient sum of data-parallel training: M micro-batch gradients, grouped onto P
 * "ranks" round-robin, summed per rank in int64, then over ranks: the result is bitwise the
 * same for every P and within nterms quanta of the double-precision mean. */
static void test_fixed_point(void)
{
  enum { N = 1000, M = 12 };
  float  *g = malloc(sizeof(float) * N * M);
  prc_rng r;
  prc_rng_seed(&r, 7, 0);
  for (int i = 0; i < N * M; i++) g[i] = (float)(prc_rng_normal(&r) * pow(10.0, (double)(i % 9) - 4));
  double amax = prc_absmax_f(g, (size_t)N * M);
  int    e;
  PT_CHECK(!prc_fx_exponent(amax, M, &e), "%s", prc_lasterr());
  double quantum = ldexp(1.0, -e);
  PT_CHECK(quantum <= M * amax * ldexp(1.0, -61) && quantum >= M * amax * ldexp(1.0, -63), "quantum %g for amax %g", quantum, amax);
  float ref[N], out[N];
  for (int P = 1; P <= 5; P++) {
    int64_t *tot = calloc(N, sizeof(int64_t)), *loc = calloc(N, sizeof(int64_t));
    for (int rk = 0; rk < P; rk++) {
      memset(loc, 0, sizeof(int64_t) * N);
      for (int mb = rk; mb < M; mb += P) prc_fx_add_f(loc, g + (size_t)mb * N, N, e);
      for (int i = 0; i < N; i++) tot[i] += loc[i];
    }
    prc_fx_to_f(tot, N, e, M, P == 1 ? ref : out);
    if (P > 1) PT_CHECK(!memcmp(ref, out, sizeof ref), "P = %d differs from P = 1", P);
    free(tot), free(loc);
  }
  double maxerr = 0;
  for (int i = 0; i < N; i++) {
    double s = 0;
    for (int mb = 0; mb < M; mb++) s += g[(size_t)mb * N + i];
    double d = fabs((double)ref[i] - s / M) - fabs((double)(float)(s / M) - s / M); /* beyond the float rounding */
    if (d > maxerr) maxerr = d;
  }
  PT_CHECK(maxerr <= quantum, "fixed-point mean vs double mean: %g > quantum %g", maxerr, quantum);
  /* extreme values cannot overflow: M copies of +-FLT_MAX */
  float big[2] = {3.4e38f, -3.4e38f};
  PT_CHECK(!prc_fx_exponent(3.4e38, 1000, &e), "%s", prc_lasterr());
  int64_t acc[2] = {0, 0};
  for (int k = 0; k < 1000; k++) prc_fx_add_f(acc, big, 2, e);
  float back[2];
  prc_fx_to_f(acc, 2, e, 1000, back);
  PT_NEAR(back[0], 3.4e38, 0, 1e-6);
  PT_NEAR(back[1], -3.4e38, 0, 1e-6);
  PT_CHECK(prc_fx_exponent(INFINITY, 4, &e) != 0, "infinite max accepted");
  float nanv[3] = {1, NAN, 2};
  PT_CHECK(isinf(prc_absmax_f(nanv, 3)), "NaN not flagged by absmax");
  PT_CHECK(!prc_fx_exponent(0, 4, &e) && e == 0, "zero max");
  free(g);
}

static void test_permutation(void)
{
  enum { N = 257 };
  int64_t a[N], b[N], c[N];
  prc_train_permutation(5, 0, N, a);
  prc_train_permutation(5, 0, N, b);
  prc_train_permutation(5, 1, N, c);
  PT_CHECK(!memcmp(a, b, sizeof a), "not deterministic");
  PT_CHECK(memcmp(a, c, sizeof a), "epochs 0 and 1 give the same order");
  int seen[N] = {0}, fixed = 0;
  for (int i = 0; i < N; i++) {
    PT_CHECK(a[i] >= 0 && a[i] < N && !seen[a[i]], "not a permutation at %d", i);
    if (a[i] >= 0 && a[i] < N) seen[a[i]] = 1;
    fixed += a[i] == i;
  }
  PT_CHECK(fixed < 8, "%d fixed points (expected about 1)", fixed);
}

/* The synthetic set is counter-based (a block equals the same rows of a bigger block) and
 * learnable: the DFT peak of a sample's first channel is at its class frequency. */
static void test_synthetic(void)
{
  enum { C = 2, W = 64, NC = 4, N = 400 };
  float   *x = malloc(sizeof(float) * N * C * W), *x2 = malloc(sizeof(float) * 10 * C * W), *aux = malloc(sizeof(float) * N * 3);
  int32_t  y[N], y2[10];
  PT_CHECK(!prc_train_synth(11, 0, N, C, 1, W, NC, 0.5, 3, x, y, aux), "%s", prc_lasterr());
  PT_CHECK(!prc_train_synth(11, 100, 10, C, 1, W, NC, 0.5, 3, x2, y2, aux), "%s", prc_lasterr());
  PT_CHECK(!memcmp(x + 100 * C * W, x2, sizeof(float) * 10 * C * W) && !memcmp(y + 100, y2, sizeof y2), "not counter-based");
  int cnt[NC] = {0}, right = 0;
  for (int i = 0; i < N; i++) {
    cnt[y[i]]++;
    int    best = -1;
    double bp = -1;
    for (int f = 1; f < W / 2; f++) {
      double re = 0, im = 0;
      for (int w = 0; w < W; w++) re += x[(size_t)i * C * W + w] * cos(2 * M_PI * f * w / W), im += x[(size_t)i * C * W + w] * sin(2 * M_PI * f * w / W);
      if (re * re + im * im > bp) bp = re * re + im * im, best = f;
    }
    right += best == 2 + 3 * y[i];
  }
  for (int k = 0; k < NC; k++) PT_CHECK(cnt[k] > N / NC / 2, "class %d has %d of %d samples", k, cnt[k], N);
  PT_CHECK(right >= 0.95 * N, "class frequency is the spectral peak in only %d of %d samples", right, N);
  PT_CHECK(prc_train_synth(1, 0, 1, C, 1, W, 1, 0.5, 0, x, y, aux) != 0, "1 class accepted");
  free(x), free(x2), free(aux);
}

static int write_f(const char *dir, const char *name, const float *v, size_t n)
{
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  if (!f) return 1;
  size_t w = fwrite(v, sizeof(float), n, f);
  fclose(f);
  return w != n;
}

static void test_torch_oracle(void)
{
  if (access("/usr/bin/python3", X_OK)) PT_SKIP("no /usr/bin/python3");
  enum { N = 40, K = 7 };
  char dir[] = "/tmp/prc-optim-XXXXXX";
  if (!mkdtemp(dir)) PT_SKIP("no temporary folder");
  float   p0[N], g[K * N], mask[N];
  prc_rng r;
  prc_rng_seed(&r, 3, 1);
  for (int i = 0; i < N; i++) p0[i] = (float)prc_rng_normal(&r), mask[i] = (float)(i % 3 != 0);
  for (int i = 0; i < K * N; i++) g[i] = (float)(prc_rng_normal(&r) * (1 + i % 5));
  struct {
    const char    *name, *kind;
    double         lr;
    prc_optim_conf c;
  } cs[] = {
    {"sgd", "sgd", 0.1, {.kind = PRC_OPTIM_SGD}},
    {"sgd_mom", "sgd", 0.05, {.kind = PRC_OPTIM_SGD, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01}},
    {"sgd_nest", "sgd", 0.05, {.kind = PRC_OPTIM_SGD, .momentum = 0.8, .nesterov = 1, .weight_decay = 0.05}},
    {"adam", "adam", 0.01, {.kind = PRC_OPTIM_ADAM, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8}},
    {"adam_l2", "adam", 0.02, {.kind = PRC_OPTIM_ADAM, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-6, .weight_decay = 0.1}},
    {"adamw", "adamw", 0.02, {.kind = PRC_OPTIM_ADAMW, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.3}},
  };
  int  nc = (int)(sizeof cs / sizeof cs[0]);
  char path[512];
  snprintf(path, sizeof path, "%s/case.txt", dir);
  FILE *f = fopen(path, "w");
  fprintf(f, "%d %d\n", N, K);
  for (int i = 0; i < nc; i++)
    fprintf(f, "%s %s %.17g %.17g %.17g %d %.17g %.17g %.17g %.17g\n", cs[i].name, cs[i].kind, cs[i].lr, cs[i].c.momentum,
            cs[i].c.dampening, cs[i].c.nesterov, cs[i].c.beta1, cs[i].c.beta2, cs[i].c.eps, cs[i].c.weight_decay);
  fclose(f);
  PT_CHECK(!write_f(dir, "p0.bin", p0, N) && !write_f(dir, "g.bin", g, K * N) && !write_f(dir, "mask.bin", mask, N), "writing inputs");
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/oracle/optim_torch.py %s >/dev/null 2>&1", dir);
  int rc = system(cmd);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
    PT_SKIP("torch not available");
  }
  PT_CHECK(rc == 0, "oracle failed (status %d)", rc);
  for (int i = 0; i < nc && rc == 0; i++) {
    prc_optim *o;
    PT_CHECK(!prc_optim_create(&cs[i].c, N, &o), "%s", prc_lasterr());
    prc_optim_decay_none(o);
    for (int j = 0; j < N; j++)
      if (mask[j] > 0.5f) prc_optim_decay_range(o, (size_t)j, 1);
    float p[N], t[N];
    memcpy(p, p0, sizeof p);
    for (int k = 0; k < K; k++) prc_optim_step(o, p, g + k * N, cs[i].lr);
    prc_optim_destroy(o);
    snprintf(path, sizeof path, "%s/%s.out.bin", dir, cs[i].name);
    FILE *h = fopen(path, "rb");
    PT_CHECK(h && fread(t, sizeof(float), N, h) == N, "reading %s", path);
    if (h) fclose(h);
    double mx = 0, err = 0;
    for (int j = 0; j < N; j++) mx = fmax(mx, fabs(t[j])), err = fmax(err, fabs((double)p[j] - t[j]));
    PT_CHECK(err <= 1e-5 * mx, "%s: max |c - torch| = %g (max |p| %g)", cs[i].name, err, mx);
    if (getenv("PRC_VERBOSE")) printf("  %s: max |c - torch| / max |p| = %.2e\n", cs[i].name, err / mx);
  }
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) {}
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  PT_RUN(test_sgd_closed_forms);
  PT_RUN(test_adam_closed_forms);
  PT_RUN(test_errors);
  PT_RUN(test_schedules);
  PT_RUN(test_fixed_point);
  PT_RUN(test_permutation);
  PT_RUN(test_synthetic);
  PT_RUN(test_torch_oracle);
  return pt_finish();
}
