/* test_eof.c — EOF kernels (OpenBLAS paths) against straightforward triple loops, and the
 * filtered index against its definition. */
#include "ptest.h"

#include "precursor/eof.h"
#include "precursor/rng.h"

enum { NP = 53, NA = 29, M = 3 };

static void fill(double *a, size_t n, uint64_t seed)
{
  prc_rng r;
  prc_rng_seed(&r, seed, 0);
  for (size_t i = 0; i < n; i++) a[i] = prc_rng_normal(&r);
}

static void test_gram_vs_ref(void)
{
  static double A[NP * NA], C[NA * NA], Cr[NA * NA];
  fill(A, NP * NA, 1);
  prc_eof_gram(A, NP, NA, C);
  prc_eof_gram_ref(A, NP, NA, Cr);
  double e = 0, sym = 0;
  for (int i = 0; i < NA * NA; i++) e = fmax(e, fabs(C[i] - Cr[i]));
  for (int i = 0; i < NA; i++)
    for (int j = 0; j < NA; j++) sym = fmax(sym, fabs(C[i * NA + j] - C[j * NA + i]));
  PT_NEAR(e, 0, 1e-12, 0);
  PT_CHECK(sym == 0, "Gram matrix not symmetric (%g)", sym);
  prc_eof_gram(A, 0, NA, C); /* a rank with no pixels contributes zeros */
  for (int i = 0; i < NA * NA; i++) PT_CHECK(C[i] == 0, "empty tile gave %g", C[i]);
}

static void test_project_vs_ref(void)
{
  static double A[NP * NA], V[NA * M], c[NP * M], cr[NP * M];
  fill(A, NP * NA, 2);
  fill(V, NA * M, 3);
  prc_eof_project(A, NP, NA, V, M, c);
  prc_eof_project_ref(A, NP, NA, V, M, cr);
  double e = 0;
  for (int i = 0; i < NP * M; i++) e = fmax(e, fabs(c[i] - cr[i]));
  PT_NEAR(e, 0, 1e-12, 0);
}

/* r = (a - sum_k coef V) / sd with a = v - tbar - mean; undefined where v or sd are */
static void test_retira_definition(void)
{
  enum { NT = 4, N = 5 };
  float  buf[NT * N], mean[N], sd[N], r[NT * N];
  double tb[NT] = {280, 281, NAN, 279}, V[NT * 2], coef[N * 2], A[NT * N];
  int    slot[NT] = {0, 0, 0, 0};
  for (int p = 0; p < N; p++) mean[p] = 0.5f * p, sd[p] = p == 3 ? 0 : 1.5f;
  for (int i = 0; i < NT * N; i++) buf[i] = (float)(280 + 0.37 * i);
  buf[6] = NAN;
  fill(V, NT * 2, 4);
  fill(coef, N * 2, 5);
  prc_eof_anomaly(buf, NT, N, tb, slot, mean, A);
  prc_eof_retira(buf, NT, N, tb, slot, mean, sd, coef, V, NT, 2, 0, r);
  for (int t = 0; t < NT; t++)
    for (int p = 0; p < N; p++) {
      int    i = t * N + p, def = isfinite(buf[i]) && isfinite(tb[t]) && sd[p] > 0;
      double want = ((double)buf[i] - tb[t] - mean[p] - coef[p] * V[t] - coef[N + p] * V[NT + t]) / sd[p];
      if (!def) PT_CHECK(isnan(r[i]), "r[%d,%d] should be NaN, got %g", t, p, r[i]);
      else PT_NEAR(r[i], want, 1e-5, 1e-6);
      if (!isfinite(buf[i]) || !isfinite(tb[t])) PT_CHECK(A[i] == 0, "missing value gave anomaly %g", A[i]);
    }
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  PT_RUN(test_gram_vs_ref);
  PT_RUN(test_project_vs_ref);
  PT_RUN(test_retira_definition);
  return pt_finish();
}
