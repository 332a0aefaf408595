/* test_baselines.c — the study's reference forecasters (src/eval/baselines.c): closed forms
 * for standardisation and climatology, the logistic regression's optimality conditions
 * (penalised score equations = 0), a closed-form optimum for one binary feature, and errors.
 * The comparison with an independent optimiser (scipy L-BFGS) is in tests/cli/test_study.sh. */
#include "ptest.h"

#include "precursor/baselines.h"
#include "precursor/error.h"
#include "precursor/rng.h"

#include <string.h>

static void test_standardize(void)
{
  /* column 0: 1, 2, 3, NaN (row 3 unused anyway), 100 (row 4 not used) -> mean 2, sd sqrt(2/3) */
  double        X[10] = {1, 5, 2, NAN, 3, 5, NAN, 5, 100, 7}, m[2], s[2], Z[10];
  unsigned char use[5] = {1, 1, 1, 1, 0};
  PT_CHECK(!prc_standardize_fit(X, 5, 2, use, m, s), "%s", prc_lasterr());
  PT_NEAR(m[0], 2, 1e-15, 0);
  PT_NEAR(s[0], sqrt(2.0 / 3), 1e-15, 0);
  PT_NEAR(m[1], 5, 1e-15, 0); /* constant among the used rows: sd 0 */
  PT_NEAR(s[1], 0, 0, 0);
  prc_standardize_apply(X, 5, 2, m, s, Z);
  PT_NEAR(Z[0], -1 / sqrt(2.0 / 3), 1e-15, 0);
  PT_NEAR(Z[6], 0, 0, 0); /* NaN -> the training mean */
  PT_NEAR(Z[9], 0, 0, 0); /* sd 0 column -> 0 */
  PT_NEAR(Z[8], 98 / sqrt(2.0 / 3), 1e-12, 0);
}

static void test_climatology(void)
{
  /* cell 3: rows 0-3 train (1 positive of 4); cell 7: rows 4-5 train (2 of 2), row 6 test;
   * cell 9: no training rows. pbar = 3/6. prior 2: p3 = (1 + 1)/(4 + 2) = 1/3,
   * p7 = (2 + 1)/(2 + 2) = 3/4, p9 = 1/2. prior 0: 1/4, 1, 1/2. */
  double        cell[8] = {3, 3, 3, 3, 7, 7, 7, 9}, y[8] = {1, 0, 0, 0, 1, 1, 0, 1}, p[8];
  unsigned char use[8] = {1, 1, 1, 1, 1, 1, 0, 0};
  PT_CHECK(!prc_climatology(cell, y, use, 8, 2, p), "%s", prc_lasterr());
  double want[8] = {1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0.75, 0.75, 0.75, 0.5};
  for (int i = 0; i < 8; i++) PT_NEAR(p[i], want[i], 1e-15, 0);
  PT_CHECK(!prc_climatology(cell, y, use, 8, 0, p), "%s", prc_lasterr());
  PT_NEAR(p[0], 0.25, 1e-15, 0);
  PT_NEAR(p[6], 1, 1e-15, 0);
  PT_NEAR(p[7], 0.5, 1e-15, 0);
  PT_CHECK(prc_climatology(cell, y, use, 8, -1, p) && strstr(prc_lasterr(), "prior"), "negative prior accepted");
  unsigned char none[8] = {0};
  PT_CHECK(prc_climatology(cell, y, none, 8, 1, p) && strstr(prc_lasterr(), "no training rows"), "no rows accepted");
}

/* One binary feature z in {0, 1}, no penalty: the optimum reproduces the two group rates,
 * b0 = logit(rate at z = 0), b0 + b1 = logit(rate at z = 1). */
static void test_logreg_closed_form(void)
{
  enum { N = 50 };
  double Z[N], y[N], b[2], nll;
  int    it;
  for (int i = 0; i < N; i++) Z[i] = i < 20, y[i] = i < 20 ? (i < 15) : (i < 28); /* 15/20 and 8/30 */
  PT_CHECK(!prc_logreg_fit(Z, y, NULL, N, 1, 0, 100, 1e-12, b, &it, &nll), "%s", prc_lasterr());
  PT_NEAR(b[0], log(8.0 / 22), 1e-10, 0);
  PT_NEAR(b[0] + b[1], log(15.0 / 5), 1e-10, 0);
  double want = -(15 * log(0.75) + 5 * log(0.25) + 8 * log(8.0 / 30) + 22 * log(22.0 / 30)) / N;
  PT_NEAR(nll, want, 1e-12, 0);
  PT_CHECK(it >= 2 && it < 30, "Newton steps %d", it);
}

/* Random problem with a penalty: the penalised score equations hold at the returned optimum,
 * and rows with use = 0 are ignored (changing them changes nothing). */
static void test_logreg_optimality(void)
{
  enum { N = 400, P = 3 };
  double   Z[N * P], y[N], b[P + 1], b2[P + 1], l2 = 2.5;
  unsigned char use[N];
  prc_rng  r;
  prc_rng_seed(&r, 11, 0);
  for (int i = 0; i < N; i++) {
    double e = -1;
    for (int j = 0; j < P; j++) Z[i * P + j] = prc_rng_normal(&r), e += (j + 1) * 0.7 * Z[i * P + j];
    y[i] = prc_rng_uniform(&r) < 1 / (1 + exp(-e));
    use[i] = i % 5 != 0;
  }
  PT_CHECK(!prc_logreg_fit(Z, y, use, N, P, l2, 100, 1e-12, b, NULL, NULL), "%s", prc_lasterr());
  double g[P + 1] = {0};
  for (int i = 0; i < N; i++) {
    if (!use[i]) continue;
    double e = b[0];
    for (int j = 0; j < P; j++) e += b[j + 1] * Z[i * P + j];
    double res = y[i] - 1 / (1 + exp(-e));
    g[0] += res;
    for (int j = 0; j < P; j++) g[j + 1] += res * Z[i * P + j];
  }
  for (int j = 1; j <= P; j++) g[j] -= l2 * b[j];
  for (int j = 0; j <= P; j++) PT_NEAR(g[j], 0, 1e-8, 0);
  for (int i = 0; i < N; i += 5) y[i] = 1 - y[i], Z[i * P] = 1e6; /* unused rows */
  PT_CHECK(!prc_logreg_fit(Z, y, use, N, P, l2, 100, 1e-12, b2, NULL, NULL), "%s", prc_lasterr());
  PT_CHECK(!memcmp(b, b2, sizeof b), "unused rows changed the fit");
  double pr[2];
  prc_logreg_predict(Z, 2, P, b, pr);
  double e = b[0] + b[1] * Z[P] + b[2] * Z[P + 1] + b[3] * Z[P + 2];
  PT_NEAR(pr[1], 1 / (1 + exp(-e)), 1e-15, 0);
}

static void test_logreg_errors(void)
{
  double Z[4] = {0, 1, 2, 3}, y[4] = {0, 0, 0, 0}, b[2];
  PT_CHECK(prc_logreg_fit(Z, y, NULL, 4, 1, 0, 50, 1e-10, b, NULL, NULL) && strstr(prc_lasterr(), "one class"), "%s", prc_lasterr());
  /* the intercept is not penalised: one class has its optimum at -infinity even with l2 > 0 */
  PT_CHECK(prc_logreg_fit(Z, y, NULL, 4, 1, 1, 200, 1e-10, b, NULL, NULL) && strstr(prc_lasterr(), "no convergence"), "one class, l2 > 0: %s",
           prc_lasterr());
  y[2] = 3;
  PT_CHECK(prc_logreg_fit(Z, y, NULL, 4, 1, 1, 50, 1e-10, b, NULL, NULL) && strstr(prc_lasterr(), "label 2 is 3"), "%s", prc_lasterr());
  y[2] = 1;
  PT_CHECK(prc_logreg_fit(Z, y, NULL, 4, 1, -1, 50, 1e-10, b, NULL, NULL) && strstr(prc_lasterr(), "bad parameters"), "%s", prc_lasterr());
  /* separable classes without penalty: the optimum is at infinity -> no convergence, an error */
  double ys[4] = {0, 0, 1, 1};
  PT_CHECK(prc_logreg_fit(Z, ys, NULL, 4, 1, 0, 30, 1e-10, b, NULL, NULL), "separable data without penalty accepted");
  double br, ll, p[4] = {0.1, 0.2, 0.9, 0.5}, yy[4] = {0, 0, 1, 1};
  PT_CHECK(!prc_brier_logloss(p, yy, NULL, 4, &br, &ll), "%s", prc_lasterr());
  PT_NEAR(br, (0.01 + 0.04 + 0.01 + 0.25) / 4, 1e-15, 0);
  PT_NEAR(ll, -(log(0.9) + log(0.8) + log(0.9) + log(0.5)) / 4, 1e-15, 0);
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  PT_RUN(test_standardize);
  PT_RUN(test_climatology);
  PT_RUN(test_logreg_closed_form);
  PT_RUN(test_logreg_optimality);
  PT_RUN(test_logreg_errors);
  return pt_finish();
}
