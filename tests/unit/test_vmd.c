/* test_vmd.c — the VMD kernel (src/signal/vmd.c): FFTW version vs the naive-DFT twin,
 * odd/even lengths, recovery of pure tones, reconstruction with dual ascent, the DC mode,
 * the convergence flag, adaptive K and the correlation split, parameter errors.
 * Tolerances are stated next to each check (measured values in docs/VMD.md). */
#include "precursor/error.h"
#include "precursor/rng.h"
#include "precursor/vmd.h"
#include "ptest.h"

static prc_vmd_params defp(int K)
{
  return (prc_vmd_params){.K = K, .alpha = 1000, .tau = 0, .tol = 1e-7, .max_iter = 500, .init = PRC_VMD_INIT_UNIFORM};
}

static void tones(double *f, int64_t n, int nt, const double *fr, const double *amp, double noise, uint64_t seed)
{
  prc_rng r;
  prc_rng_seed(&r, seed, 1);
  for (int64_t i = 0; i < n; i++) {
    f[i] = noise * prc_rng_normal(&r);
    for (int t = 0; t < nt; t++) f[i] += amp[t] * cos(2 * M_PI * fr[t] * (double)i + 0.3 * t);
  }
}

static void test_fast_vs_ref(void)
{
  const double fr[3] = {0.02, 0.11, 0.31}, amp[3] = {1, 0.6, 0.3};
  double       f[64], u1[4 * 64], u2[4 * 64];
  prc_vmd_ctx *c = prc_vmd_ctx_create();
  int64_t      lens[2] = {41, 64};
  for (int L = 0; L < 2; L++)
    for (int variant = 0; variant < 4; variant++) {
      int64_t        n = lens[L];
      prc_vmd_params p = defp(3);
      p.max_iter = 60, p.alpha = 200;
      if (variant == 1) p.tau = 0.2;
      if (variant == 2) p.init = PRC_VMD_INIT_RANDOM, p.seed = 7;
      if (variant == 3) p.dc = 1, p.init = PRC_VMD_INIT_ZERO, p.K = 4;
      tones(f, n, 3, fr, amp, 0.2, 11);
      prc_vmd_info a, b;
      PT_CHECK(!prc_vmd(c, f, n, &p, u1, &a), "%s", prc_lasterr());
      PT_CHECK(!prc_vmd_ref(f, n, &p, u2, &b), "%s", prc_lasterr());
      PT_CHECK(a.iterations == b.iterations, "n %lld variant %d: iterations %d vs %d", (long long)n, variant, a.iterations, b.iterations);
      double md = 0;
      for (int64_t i = 0; i < p.K * n; i++) md = fmax(md, fabs(u1[i] - u2[i]));
      PT_CHECK(md < 1e-9, "n %lld variant %d: modes differ by %g", (long long)n, variant, md);
      for (int k = 0; k < p.K; k++) PT_NEAR(a.omega[k], b.omega[k], 1e-11, 0);
    }
  prc_vmd_ctx_destroy(c);
}

/* K = 1 with a tiny bandwidth penalty and dual ascent: the mode is the record itself, sample
 * for sample (also the last one: vmdpy loses one sample for odd lengths). */
static void test_lengths(void)
{
  prc_vmd_ctx *c = prc_vmd_ctx_create();
  for (int64_t n = 2; n <= 41; n += 3) {
    double f[48], u[48];
    for (int64_t i = 0; i < n; i++) f[i] = sin(0.7 * (double)i) + 0.01 * (double)(i * i);
    prc_vmd_params p = defp(1);
    p.alpha = 1e-12, p.tau = 1, p.tol = 1e-14, p.max_iter = 100;
    prc_vmd_info inf;
    for (int64_t i = 0; i < n + 1; i++) u[i] = 12345;
    PT_CHECK(!prc_vmd(c, f, n, &p, u, &inf), "%s", prc_lasterr());
    double md = 0;
    for (int64_t i = 0; i < n; i++) md = fmax(md, fabs(u[i] - f[i]));
    PT_CHECK(md < 1e-9, "n = %lld: |u - f| = %g", (long long)n, md);
    PT_CHECK(u[n] == 12345, "n = %lld: wrote past n samples", (long long)n);
  }
  prc_vmd_ctx_destroy(c);
}

/* Three tones (and a little noise): K = 3 recovers them. */
static void test_tones(void)
{
  enum { N = 1200 };
  const double fr[3] = {0.01, 0.07, 0.2}, amp[3] = {1, 0.5, 0.3};
  static double f[N], u[3 * N], t[N];
  prc_vmd_ctx  *c = prc_vmd_ctx_create();
  for (int odd = 0; odd < 2; odd++) {
    int64_t n = N - odd;
    tones(f, n, 3, fr, amp, 0.05, 3);
    prc_vmd_params p = defp(3);
    prc_vmd_info   inf;
    PT_CHECK(!prc_vmd(c, f, n, &p, u, &inf), "%s", prc_lasterr());
    PT_CHECK(inf.converged, "not converged after %d iterations (diff %g)", inf.iterations, inf.diff);
    for (int k = 0; k < 3; k++) {
      PT_NEAR(inf.omega[k], fr[k], 1e-3, 0); /* within 1e-3 cycles/sample (resolution 1/(2n) = 4e-4) */
      for (int64_t i = 0; i < n; i++) t[i] = amp[k] * cos(2 * M_PI * fr[k] * (double)i + 0.3 * k);
      double r = prc_vmd_corr(u + k * n, t, n);
      PT_CHECK(r > 0.99, "n %lld mode %d: correlation with its tone %.4f", (long long)n, k, r);
    }
  }
  prc_vmd_ctx_destroy(c);
}

/* With dual ascent (tau > 0) the modes add up to the record. */
static void test_reconstruction(void)
{
  enum { N = 500 };
  const double fr[2] = {0.03, 0.17}, amp[2] = {1, 1};
  static double f[N], u[2 * N];
  prc_vmd_ctx  *c = prc_vmd_ctx_create();
  tones(f, N, 2, fr, amp, 0.3, 5);
  prc_vmd_params p = defp(2);
  p.alpha = 100, p.tau = 0.5, p.tol = 1e-10, p.max_iter = 2000;
  prc_vmd_info inf;
  PT_CHECK(!prc_vmd(c, f, N, &p, u, &inf), "%s", prc_lasterr());
  double e = 0, v = 0;
  for (int i = 0; i < N; i++) e += pow(f[i] - u[i] - u[N + i], 2), v += f[i] * f[i];
  PT_CHECK(sqrt(e / v) < 1e-3, "relative reconstruction error %g (iterations %d)", sqrt(e / v), inf.iterations);
  prc_vmd_ctx_destroy(c);
}

static void test_dc(void)
{
  enum { N = 400 };
  static double f[N], u[2 * N];
  for (int i = 0; i < N; i++) f[i] = 3 + cos(2 * M_PI * 0.05 * i);
  prc_vmd_ctx   *c = prc_vmd_ctx_create();
  prc_vmd_params p = defp(2);
  p.dc = 1, p.init = PRC_VMD_INIT_ZERO;
  prc_vmd_info inf;
  PT_CHECK(!prc_vmd(c, f, N, &p, u, &inf), "%s", prc_lasterr());
  PT_CHECK(inf.omega[0] == 0, "DC mode omega %g", inf.omega[0]);
  PT_NEAR(inf.omega[1], 0.05, 1e-3, 0);
  double m0 = 0, dev = 0;
  for (int i = 0; i < N; i++) m0 += u[i] / N;
  for (int i = 0; i < N; i++) dev += pow(u[N + i] - cos(2 * M_PI * 0.05 * i), 2) / N;
  dev = sqrt(dev);
  PT_NEAR(m0, 3, 0.02, 0);
  PT_CHECK(dev < 0.03, "oscillating mode deviates from the cosine by %g", dev);
  prc_vmd_ctx_destroy(c);
}

static void test_convergence_flag(void)
{
  enum { N = 300 };
  static double f[N], u[3 * N];
  const double fr[2] = {0.05, 0.2}, amp[2] = {1, 1};
  tones(f, N, 2, fr, amp, 0.1, 9);
  prc_vmd_ctx   *c = prc_vmd_ctx_create();
  prc_vmd_params p = defp(2);
  prc_vmd_info   inf;
  p.max_iter = 2;
  PT_CHECK(!prc_vmd(c, f, N, &p, u, &inf), "%s", prc_lasterr());
  PT_CHECK(!inf.converged && inf.iterations == 2 && inf.diff > p.tol, "conv %d it %d diff %g", inf.converged, inf.iterations, inf.diff);
  p.max_iter = 500;
  PT_CHECK(!prc_vmd(c, f, N, &p, u, &inf), "%s", prc_lasterr());
  PT_CHECK(inf.converged && inf.iterations < 500 && inf.diff < p.tol, "conv %d it %d diff %g", inf.converged, inf.iterations, inf.diff);
  prc_vmd_ctx_destroy(c);
}

/* Adaptive K and the split: two tones in strong white noise; the smallest K that
 * reconstructs within err_max with separated modes; noise modes have low correlation. */
static void test_adaptive(void)
{
  enum { N = 2000 };
  static double f[N], u[8 * N], den[N], clean[N];
  const double fr[3] = {0.01, 0.06, 0.15}, amp[3] = {1, 0.7, 0.5};
  tones(f, N, 3, fr, amp, 0.0, 1);
  prc_vmd_ctx     *c = prc_vmd_ctx_create();
  prc_vmd_params   p = defp(1);
  prc_vmd_select   s = {.kmin = 1, .kmax = 6, .err_max = 0.05, .sep_min = 0.25, .corr_rel = 0.1, .corr_abs = 0};
  prc_vmd_result   r;
  PT_CHECK(!prc_vmd_denoise(c, f, N, &p, &s, u, den, &r), "%s", prc_lasterr());
  PT_CHECK(r.k_chosen == 3 && r.rule == 1, "chose K = %d by rule %d (err %g %g %g)", r.k_chosen, r.rule, r.err[0], r.err[1], r.err[2]);
  /* white noise: denoised closer to the clean signal than the input */
  memcpy(clean, f, sizeof f);
  prc_rng g;
  prc_rng_seed(&g, 4, 4);
  for (int i = 0; i < N; i++) f[i] += 1.0 * prc_rng_normal(&g);
  s.err_max = 0.3, s.kmax = 8;
  PT_CHECK(!prc_vmd_denoise(c, f, N, &p, &s, u, den, &r), "%s", prc_lasterr());
  double before = prc_vmd_corr(f, clean, N), after = prc_vmd_corr(den, clean, N);
  PT_CHECK(after > before + 0.1, "corr with clean: before %.3f after %.3f; K %d rule %d", before, after, r.k_chosen, r.rule);
  /* the split: a weak high-frequency component (correlation ~0.05 < max/10) is dropped */
  const double fr2[2] = {0.02, 0.4}, amp2[2] = {1, 0.07};
  tones(f, N, 2, fr2, amp2, 0.0, 1);
  s.kmin = s.kmax = 2;
  PT_CHECK(!prc_vmd_denoise(c, f, N, &p, &s, u, den, &r), "%s", prc_lasterr());
  PT_CHECK(r.k_chosen == 2 && r.kept[0] && !r.kept[1] && r.corr[1] < 0.1 * r.corr[0], "kept %d %d corr %g %g", r.kept[0],
           r.kept[1], r.corr[0], r.corr[1]);
  PT_NEAR(r.info.omega[1], 0.4, 1e-3, 0);
  prc_vmd_ctx_destroy(c);
}

static void test_errors(void)
{
  double         f[8] = {1, 2, 3, 4, 5, 6, 7, 8}, u[64];
  prc_vmd_ctx   *c = prc_vmd_ctx_create();
  prc_vmd_params p = defp(0);
  PT_CHECK(prc_vmd(c, f, 8, &p, u, NULL) && strstr(prc_lasterr(), "K = 0"), "%s", prc_lasterr());
  p = defp(2), p.alpha = -1;
  PT_CHECK(prc_vmd(c, f, 8, &p, u, NULL) && strstr(prc_lasterr(), "alpha"), "%s", prc_lasterr());
  p = defp(2), p.tol = 0;
  PT_CHECK(prc_vmd(c, f, 8, &p, u, NULL) && strstr(prc_lasterr(), "tol"), "%s", prc_lasterr());
  p = defp(2);
  PT_CHECK(prc_vmd(c, f, 1, &p, u, NULL) && strstr(prc_lasterr(), "at least 2"), "%s", prc_lasterr());
  f[3] = NAN;
  PT_CHECK(prc_vmd(c, f, 8, &p, u, NULL) && strstr(prc_lasterr(), "finite"), "%s", prc_lasterr());
  prc_vmd_select s = {.kmin = 4, .kmax = 2, .err_max = 0.1, .sep_min = 0.1, .corr_rel = 0.1};
  PT_CHECK(prc_vmd_select_check(&s) && strstr(prc_lasterr(), "K_min"), "%s", prc_lasterr());
  prc_vmd_ctx_destroy(c);
}

int main(int argc, char **argv)
{
  pt_set_prog(argv[0]);
  PT_RUN(test_fast_vs_ref);
  PT_RUN(test_lengths);
  PT_RUN(test_tones);
  PT_RUN(test_reconstruction);
  PT_RUN(test_dc);
  PT_RUN(test_convergence_flag);
  PT_RUN(test_adaptive);
  PT_RUN(test_errors);
  return pt_finish();
}
