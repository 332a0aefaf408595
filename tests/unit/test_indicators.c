/* test_indicators.c — unit tests of the seismicity indicators (src/seismo/indicators.c):
 * every indicator hand-computed on a small catalog, the NaN rules, b of synthetic
 * Gutenberg–Richter catalogs recovered within sigma (MLE and least squares), and the
 * no-future-leakage property (events at or after t altered -> features at t unchanged). */
#include <math.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/etas.h"
#include "precursor/indicators.h"
#include "precursor/rng.h"
#include "ptest.h"

#define LN10 2.302585092994046

/* The small catalog (days, magnitude). Evaluated at t = 100: events 0..6 are the past,
 * event 7 (t = 100) is NOT (features use t_i < t strictly). */
static const double T8[8] = {0, 10, 20, 30, 40, 50, 60, 100};
static const double M8[8] = {6.0, 4.0, 6.2, 3.5, 4.4, 4.2, 6.5, 5.0};

static void small_params(prc_ind_params *p)
{
  prc_ind_defaults(p);
  p->n_events = 5, p->dm = 0.1, p->mc_auto = 0, p->mc = 4.0, p->min_events_b = 2;
  p->char_mag = 6.0, p->p_mag = 6.0, p->horizon_days = 10, p->reyes_n = 3, p->reyes_lag = 1;
}

static void test_hand_small(void)
{
  prc_ind_params p;
  double         o[PRC_IND_COUNT];
  small_params(&p);
  PT_CHECK(prc_indicators(T8, M8, 8, 100.0, &p, o) == 0, "%s", prc_lasterr());
  /* window = last 5 events before t: #2..#6, t = 20..60, M = 6.2 3.5 4.4 4.2 6.5 */
  PT_NEAR(o[PRC_IND_NWIN], 5, 0, 0);
  /* T = 60 - 20 = 40 days */
  PT_NEAR(o[PRC_IND_T], 40, 0, 0);
  /* Mc = 4.0 (bin 40); 3.5 is below, U = {6.2, 4.4, 4.2, 6.5}, n_used = 4 */
  PT_NEAR(o[PRC_IND_MC], 4.0, 1e-12, 0);
  PT_NEAR(o[PRC_IND_NUSED], 4, 0, 0);
  /* Mmean = 21.3 / 4 = 5.325 */
  PT_NEAR(o[PRC_IND_MMEAN], 5.325, 1e-12, 0);
  /* dE = (10^(5.9+0.75*6.2) + 10^(5.9+0.75*4.4) + 10^(5.9+0.75*4.2) + 10^(5.9+0.75*6.5)) / 40
   *    = (10^10.55 + 10^9.2 + 10^9.05 + 10^10.775) / 40 = 2.4438616e9 erg^(1/2)/day */
  PT_NEAR(o[PRC_IND_DE], (pow(10, 10.55) + pow(10, 9.2) + pow(10, 9.05) + pow(10, 10.775)) / 40, 0, 1e-12);
  PT_NEAR(o[PRC_IND_DE], 2443861623.0755, 0, 1e-10);
  /* b = log10(e) / (5.325 - (4.0 - 0.05)) = 1 / (ln10 * 1.375) = 0.3158505...
   * sum (M - mean)^2 = 0.875^2 + 0.925^2 + 1.125^2 + 1.175^2 = 4.2675,
   * sigma_b = ln10 b^2 sqrt(4.2675 / (4 * 3)) = 0.1369856... */
  PT_NEAR(o[PRC_IND_B], 1.0 / (LN10 * 1.375), 1e-12, 0);
  PT_NEAR(o[PRC_IND_B], 0.31585053229327403, 1e-12, 0);
  PT_NEAR(o[PRC_IND_SB], 0.13698564433288385, 1e-12, 0);
  { /* the same b as the library's Aki–Utsu routine */
    double b, sb;
    PT_CHECK(prc_gr_bvalue_mle(M8 + 2, 5, 4.0, 0.1, &b, &sb) == 0, "%s", prc_lasterr());
    PT_NEAR(o[PRC_IND_B], b, 1e-12, 0);
    PT_NEAR(o[PRC_IND_SB], sb, 1e-12, 0);
  }
  /* a = log10(4) + b * 4.0 = 1.8654621... */
  PT_NEAR(o[PRC_IND_A], 1.8654621205010584, 1e-12, 0);
  /* eta over the 26 bins 4.0..6.5: N = 4 (4.0-4.2), 3 (4.3-4.4), 2 (4.5-6.2), 1 (6.3-6.5);
   * sum (log10 N_k - (a - b M_k))^2 / 25 = 0.0338856... */
  PT_NEAR(o[PRC_IND_ETA], 0.03388564009595234, 1e-12, 0);
  /* dM = 6.5 - a/b = 6.5 - 5.906155 = 0.5938453 */
  PT_NEAR(o[PRC_IND_DM], 0.5938452534601506, 1e-12, 0);
  /* characteristic events (M >= 6) before t: t = 0, 20, 60: intervals 20, 40:
   * mu = 30, sample sd = sqrt((10^2 + 10^2) / 1) = 14.142, c = 0.4714045 */
  PT_NEAR(o[PRC_IND_NCHAR], 3, 0, 0);
  PT_NEAR(o[PRC_IND_MU], 30, 1e-12, 0);
  PT_NEAR(o[PRC_IND_C], sqrt(200.0) / 30, 1e-12, 0);
  /* no event in [93, 100) */
  PT_CHECK(isnan(o[PRC_IND_MMAX7]), "mmax7 = %g", o[PRC_IND_MMAX7]);
  /* p_bg: D = 100 - 20 = 80 days, lambda = 10^(a - 6 b) / 80, P = 1 - exp(-10 lambda) = 0.1101953 */
  PT_NEAR(o[PRC_IND_PBG], 0.11019526530399848, 1e-12, 0);
  /* Reyes (reyes_n = 3, lag 1), Mc 4.0, b_j = 1 / (ln10 (mean_j - 3.95)):
   * b0 {4.4 4.2 6.5} mean 5.0333; b1 {(3.5) 4.4 4.2} mean 4.3; b2 {6.2 (3.5) 4.4} mean 5.3;
   * b3 {4.0 6.2 (3.5)} mean 5.1; b4 {6.0 4.0 6.2} mean 5.4; x_j = b_{j-1} - b_j */
  double bj[5] = {1 / (LN10 * (15.1 / 3 - 3.95)), 1 / (LN10 * 0.35), 1 / (LN10 * 1.35), 1 / (LN10 * 1.15), 1 / (LN10 * 1.45)};
  for (int j = 0; j < 4; j++) PT_NEAR(o[PRC_IND_X1 + j], bj[j] - bj[j + 1], 1e-12, 0);
  PT_NEAR(o[PRC_IND_X1], -0.8399541628018918, 1e-12, 0);
  PT_NEAR(o[PRC_IND_X2], 0.9191417606418009, 1e-12, 0);

  /* at t = 61 the last week [54, 61) holds the M 6.5 of day 60 */
  PT_CHECK(prc_indicators(T8, M8, 8, 61.0, &p, o) == 0, "%s", prc_lasterr());
  PT_NEAR(o[PRC_IND_MMAX7], 6.5, 0, 0);
  /* at t = 60 the event of day 60 is not past and [53, 60) is empty; at t = 57, [50, 57) holds 4.2 */
  PT_CHECK(prc_indicators(T8, M8, 8, 60.0, &p, o) == 0, "%s", prc_lasterr());
  PT_CHECK(isnan(o[PRC_IND_MMAX7]), "mmax7(60) = %g", o[PRC_IND_MMAX7]);
  PT_CHECK(prc_indicators(T8, M8, 8, 57.0, &p, o) == 0, "%s", prc_lasterr());
  PT_NEAR(o[PRC_IND_MMAX7], 4.2, 1e-12, 0);
}

static void test_span_window(void)
{
  prc_ind_params p;
  double         o[PRC_IND_COUNT];
  small_params(&p);
  p.n_events = 0, p.span_days = 45; /* [55, 100): only the M 6.5 of day 60 */
  PT_CHECK(prc_indicators(T8, M8, 8, 100.0, &p, o) == 0, "%s", prc_lasterr());
  PT_NEAR(o[PRC_IND_NWIN], 1, 0, 0);
  PT_CHECK(isnan(o[PRC_IND_T]) && isnan(o[PRC_IND_B]) && isnan(o[PRC_IND_DE]), "T %g b %g", o[PRC_IND_T], o[PRC_IND_B]);
  PT_NEAR(o[PRC_IND_MMEAN], 6.5, 1e-12, 0);
  p.span_days = 65; /* [35, 100): 4.4 4.2 6.5, T = 20, b = 1/(ln10 (5.0333 - 3.95)), D = 65 */
  PT_CHECK(prc_indicators(T8, M8, 8, 100.0, &p, o) == 0, "%s", prc_lasterr());
  double b = 1 / (LN10 * (15.1 / 3 - 3.95)), a = log10(3.0) + 4 * b;
  PT_NEAR(o[PRC_IND_T], 20, 0, 0);
  PT_NEAR(o[PRC_IND_B], b, 1e-12, 0);
  PT_NEAR(o[PRC_IND_PBG], 1 - exp(-pow(10, a - 6 * b) / 65 * 10), 1e-12, 0);
}

static void test_lsq(void)
{
  /* magnitudes 4.0 x4, 4.1 x2, 4.2 x1 (dm 0.1, Mc 4.0): N = 7, 3, 1 at M = 4.0, 4.1, 4.2;
   * y = log10 N = 0.845098, 0.477121, 0; slope = (y3 - y1) / 0.2 (three equally spaced x):
   * b = 0.845098 / 0.2 = 4.22549; a = mean(y) + b mean(x) = 0.440740 + 4.22549 * 4.1;
   * residuals r = y - (a - b x) = (+e, -2e, +e) with e = (y1 - 2 y2 + y3)/6 = 0.0149427;
   * eta = 6 e^2 / 2; sb = sqrt(6 e^2 / 1 / 0.02) */
  const double m[7] = {4.0, 4.0, 4.0, 4.0, 4.1, 4.1, 4.2};
  double       b, sb, a, eta;
  int          K;
  PT_CHECK(prc_gr_lsq(m, 7, 4.0, 0.1, &b, &sb, &a, &eta, &K) == 0, "%s", prc_lasterr());
  double y1 = log10(7), y2 = log10(3), e = (y1 - 2 * y2) / 6;
  PT_NEAR(K, 3, 0, 0);
  PT_NEAR(b, y1 / 0.2, 1e-10, 0);
  PT_NEAR(a, (y1 + y2) / 3 + b * 4.1, 1e-10, 0);
  PT_NEAR(eta, 3 * e * e, 1e-12, 0);
  PT_NEAR(sb, sqrt(6 * e * e / 0.02), 1e-9, 0);
  /* a single bin: error */
  PT_CHECK(prc_gr_lsq(m, 4, 4.0, 0.1, &b, &sb, &a, &eta, &K) != 0, "one bin accepted");
}

static void test_nan_rules(void)
{
  prc_ind_params p;
  double         o[PRC_IND_COUNT];
  small_params(&p);
  /* t = 45: only 5 events before t (0..4) -> window full; t = 35: 4 events < n -> undefined */
  PT_CHECK(prc_indicators(T8, M8, 8, 35.0, &p, o) == 0, "%s", prc_lasterr());
  PT_NEAR(o[PRC_IND_NWIN], 4, 0, 0);
  PT_NEAR(o[PRC_IND_NUSED], 0, 0, 0);
  for (int k = PRC_IND_T; k <= PRC_IND_DM; k++) PT_CHECK(isnan(o[k]), "%s = %g, expected NaN", prc_ind_name(k), o[k]);
  PT_CHECK(isnan(o[PRC_IND_PBG]) && isnan(o[PRC_IND_MC]), "p_bg %g mc %g", o[PRC_IND_PBG], o[PRC_IND_MC]);
  /* mu from 2 characteristic events (t = 0, 20), c needs 3 */
  PT_NEAR(o[PRC_IND_MU], 20, 0, 0);
  PT_CHECK(isnan(o[PRC_IND_C]), "c = %g", o[PRC_IND_C]);
  /* too few used events for b: Mmean defined, b NaN */
  p.min_events_b = 5;
  PT_CHECK(prc_indicators(T8, M8, 8, 100.0, &p, o) == 0, "%s", prc_lasterr());
  PT_NEAR(o[PRC_IND_MMEAN], 5.325, 1e-12, 0);
  PT_CHECK(isnan(o[PRC_IND_B]) && isnan(o[PRC_IND_ETA]) && isnan(o[PRC_IND_DM]) && isnan(o[PRC_IND_PBG]) && isnan(o[PRC_IND_X1]),
           "b %g", o[PRC_IND_B]);
  /* all events at one time: T = 0 -> dE NaN */
  const double tt[3] = {5, 5, 5}, mm[3] = {4.0, 4.5, 5.0};
  small_params(&p);
  p.n_events = 3;
  PT_CHECK(prc_indicators(tt, mm, 3, 6.0, &p, o) == 0, "%s", prc_lasterr());
  PT_NEAR(o[PRC_IND_T], 0, 0, 0);
  PT_CHECK(isnan(o[PRC_IND_DE]) && isfinite(o[PRC_IND_B]), "dE %g b %g", o[PRC_IND_DE], o[PRC_IND_B]);
  /* no event at all */
  PT_CHECK(prc_indicators(NULL, NULL, 0, 6.0, &p, o) == 0, "%s", prc_lasterr());
  PT_NEAR(o[PRC_IND_NWIN], 0, 0, 0);
  PT_NEAR(o[PRC_IND_NCHAR], 0, 0, 0);
  /* bad parameters and unsorted times are errors */
  p.n_events = 1;
  PT_CHECK(prc_indicators(tt, mm, 3, 6.0, &p, o) != 0 && strstr(prc_lasterr(), "n_events 1"), "%s", prc_lasterr());
  small_params(&p);
  const double tu[3] = {5, 4, 6};
  PT_CHECK(prc_indicators(tu, mm, 3, 7.0, &p, o) != 0 && strstr(prc_lasterr(), "not sorted"), "%s", prc_lasterr());
}

/* NaN-aware equality of two indicator vectors */
static int same(const double *x, const double *y)
{
  for (int k = 0; k < PRC_IND_COUNT; k++)
    if (!(x[k] == y[k] || (isnan(x[k]) && isnan(y[k])))) return 0;
  return 1;
}

static void test_no_leakage(void)
{
  /* 3000 events over 1000 days; features at many t must not change when every event at or
   * after t is replaced (shuffled magnitudes, new times, extra events) */
  enum { N = 3000, NX = 4000 };
  static double t[NX], m[NX], t2[NX], m2[NX];
  prc_rng       r;
  prc_rng_seed(&r, 7, 0);
  for (int i = 0; i < N; i++) t[i] = 1000.0 * i / N + 0.1 * prc_rng_uniform(&r), m[i] = 0.1 * floor(10 * (3.0 - log10(prc_rng_uniform_pos(&r))) + 0.5);
  prc_ind_params p;
  prc_ind_defaults(&p);
  p.char_mag = 5.0, p.reyes_lag = 4;
  int bad = 0, checked = 0;
  for (int mode = 0; mode < 2; mode++) {
    p.n_events = mode ? 0 : 50, p.span_days = 30;
    for (double te = 50; te < 1000; te += 37.3) {
      double o1[PRC_IND_COUNT], o2[PRC_IND_COUNT];
      PT_CHECK(prc_indicators(t, m, N, te, &p, o1) == 0, "%s", prc_lasterr());
      int k = 0;
      while (k < N && t[k] < te) t2[k] = t[k], m2[k] = m[k], k++;
      int n2 = k;
      for (int i = k; i < NX; i++) { /* a different future: times after te, other magnitudes */
        t2[n2] = te + (i - k) * 0.05 * prc_rng_uniform(&r) + (i - k) * 0.01;
        m2[n2++] = 3.0 + 5.0 * prc_rng_uniform(&r);
      }
      PT_CHECK(prc_indicators(t2, m2, (size_t)n2, te, &p, o2) == 0, "%s", prc_lasterr());
      bad += !same(o1, o2), checked++;
      PT_CHECK(isfinite(o1[PRC_IND_B]), "b at %g not finite", te);
    }
  }
  PT_CHECK(bad == 0 && checked > 40, "%d of %d evaluation times changed when the future changed", bad, checked);
}

static void test_gr_synthetic(void)
{
  /* direct GR sampling, b = 1, M >= 2.95 continuous, rounded to 0.1 -> binned GR from 3.0 */
  enum { N = 5000 };
  static double t[N], m[N];
  prc_rng       r;
  prc_rng_seed(&r, 11, 3);
  for (int i = 0; i < N; i++) t[i] = i, m[i] = 0.1 * floor(10 * (2.95 - log10(prc_rng_uniform_pos(&r)) / 1.0) + 0.5);
  prc_ind_params p;
  prc_ind_defaults(&p);
  p.n_events = N, p.mc_auto = 0, p.mc = 3.0;
  double o[PRC_IND_COUNT];
  PT_CHECK(prc_indicators(t, m, N, N + 1.0, &p, o) == 0, "%s", prc_lasterr());
  PT_CHECK(fabs(o[PRC_IND_B] - 1.0) <= 2 * o[PRC_IND_SB], "b = %g +- %g, expected 1", o[PRC_IND_B], o[PRC_IND_SB]);
  PT_NEAR(o[PRC_IND_SB], 1.0 / sqrt(N), 0.003, 0);
  /* Mc auto: MAXC = 3.0 (+0.2) and b still recovered */
  p.mc_auto = 1;
  PT_CHECK(prc_indicators(t, m, N, N + 1.0, &p, o) == 0, "%s", prc_lasterr());
  PT_NEAR(o[PRC_IND_MC], 3.2, 1e-9, 0);
  PT_CHECK(fabs(o[PRC_IND_B] - 1.0) <= 2.5 * o[PRC_IND_SB], "b(Mc auto) = %g +- %g", o[PRC_IND_B], o[PRC_IND_SB]);
  /* least squares roughly agrees (it is biased by the sparse top bins) */
  p.b_lsq = 1;
  PT_CHECK(prc_indicators(t, m, N, N + 1.0, &p, o) == 0, "%s", prc_lasterr());
  PT_CHECK(fabs(o[PRC_IND_B] - 1.0) < 0.15, "b(LSQ) = %g", o[PRC_IND_B]);
  /* ETAS generator with K = 0 (pure Poisson background, continuous magnitudes, b = 1.2) */
  prc_etas_params ep;
  prc_etas_catalog c;
  prc_etas_defaults(&ep);
  ep.K = 0, ep.b = 1.2, ep.mu = 5, ep.m_c = 3.0;
  PT_CHECK(prc_etas_generate(&ep, 42, &c) == 0, "%s", prc_lasterr());
  /* bin the continuous magnitudes M >= 3.0 as 0.1 floor(10 M): bin 3.0 holds [3.0, 3.1), so
   * the binned law starts at bin 3.0 with the Aki–Utsu threshold 2.95 */
  p.b_lsq = 0, p.mc_auto = 0, p.mc = 3.0, p.dm = 0.1, p.n_events = (int)c.n;
  for (size_t i = 0; i < c.n; i++) c.mag[i] = 0.1 * floor(10 * c.mag[i] + 1e-9);
  PT_CHECK(prc_indicators(c.t, c.mag, c.n, ep.t1 + 1, &p, o) == 0, "%s", prc_lasterr());
  PT_CHECK(c.n > 4000 && fabs(o[PRC_IND_B] - 1.2) <= 2.5 * o[PRC_IND_SB], "ETAS K=0: n %zu b = %g +- %g, expected 1.2", c.n,
           o[PRC_IND_B], o[PRC_IND_SB]);
  prc_etas_catalog_free(&c);
}

int main(void)
{
  pt_prog = "test_indicators";
  PT_RUN(test_hand_small);
  PT_RUN(test_span_window);
  PT_RUN(test_lsq);
  PT_RUN(test_nan_rules);
  PT_RUN(test_no_leakage);
  PT_RUN(test_gr_synthetic);
  return pt_finish();
}
