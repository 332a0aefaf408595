/* test_em_online.c — the online-learning loss (src/nn/online_loss.c): CE + lambda1 KD (rescaled
 * soft labels) + lambda2 (1 - cos) against closed forms and its gradient against central finite
 * differences in double; KD = 0 gradient when student = teacher; cos term 0 for parallel features. */
#include "precursor/em_online.h"
#include "precursor/rng.h"
#include "ptest.h"

static double total(const float *o, const float *t, const int32_t *y, int N, int C, int F, const prc_online_loss_conf *c)
{
  float  d[4 * 16];
  double tr[3];
  return prc_online_loss(o, t, y, N, C, F, c, d, tr, NULL);
}

static void test_fd(void)
{
  enum { N = 3, C = 4, F = 5, W = C + F };
  float   o[N * W], t[N * W], d[N * W];
  int32_t y[N] = {0, 3, 1};
  prc_rng r;
  prc_rng_seed(&r, 5, 0);
  for (int i = 0; i < N * W; i++) o[i] = (float)prc_rng_normal(&r), t[i] = (float)prc_rng_normal(&r);
  prc_online_loss_conf c = {.lambda1 = 0.7, .lambda2 = 1.3, .omega = 2.0};
  double               tr[3];
  int                  hit;
  prc_online_loss(o, t, y, N, C, F, &c, d, tr, &hit);
  double worst = 0;
  for (int i = 0; i < N * W; i++) {
    const float h = 1e-2f, o0 = o[i];
    o[i] = o0 + h;
    double lp = total(o, t, y, N, C, F, &c);
    o[i] = o0 - h;
    double lm = total(o, t, y, N, C, F, &c);
    o[i] = o0;
    double fd = (lp - lm) / (2 * h);
    worst = fmax(worst, fabs(fd - d[i]));
  }
  PT_CHECK(worst < 2e-4, "finite differences differ from the gradient by %g", worst);
  /* closed form of each term for sample 0 */
  double p[C], s = 0, q[C], qt[C], sq = 0, st = 0;
  for (int i = 0; i < C; i++) p[i] = exp(o[i]), s += p[i], q[i] = exp(o[i] / 2), sq += q[i], qt[i] = exp(t[i] / 2), st += qt[i];
  double ce = -log(p[0] / s), kd = 0, dot = 0, n1 = 0, n2 = 0;
  for (int i = 0; i < C; i++) kd -= qt[i] / st * log(q[i] / sq);
  for (int k = 0; k < F; k++) dot += o[C + k] * t[C + k], n1 += o[C + k] * o[C + k], n2 += t[C + k] * t[C + k];
  double tr1[3];
  prc_online_loss(o, t, y, 1, C, F, &c, d, tr1, NULL);
  PT_NEAR(tr1[0], ce, 1e-6, 1e-6);
  PT_NEAR(tr1[1], kd, 1e-6, 1e-6);
  PT_NEAR(tr1[2], 1 - dot / sqrt(n1 * n2), 1e-6, 1e-6);
  /* the rescaled soft labels: q*_i = p*_i^(1/omega) / sum_j p*_j^(1/omega) */
  double ps[C], sp = 0, a = 0, b = 0;
  for (int i = 0; i < C; i++) ps[i] = exp(t[i]), sp += ps[i];
  for (int i = 0; i < C; i++) a += pow(ps[i] / sp, 0.5);
  b = pow(ps[0] / sp, 0.5) / a;
  PT_NEAR(b, qt[0] / st, 1e-12, 1e-12);
}

static void test_identity(void)
{
  enum { N = 2, C = 3, F = 4, W = C + F };
  float   o[N * W] = {1, 2, 3, 1, 0, 2, 1, -1, 0, 1, 0.5f, 2, 2, 2}, d[N * W];
  int32_t y[N] = {2, 0};
  double  tr[3];
  prc_online_loss_conf c = {.lambda1 = 1, .lambda2 = 1, .omega = 3};
  prc_online_loss(o, o, y, N, C, F, &c, d, tr, NULL);
  PT_NEAR(tr[2], 0, 1e-12, 0);
  float d0[N * W];
  prc_online_loss(o, NULL, y, N, C, F, &c, d0, tr, NULL);
  double diff = 0;
  for (int i = 0; i < N * W; i++) diff = fmax(diff, fabs(d[i] - d0[i]));
  PT_CHECK(diff < 1e-7, "teacher = student must add no gradient (%g)", diff);
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  PT_RUN(test_fd);
  PT_RUN(test_identity);
  return pt_finish();
}
