/* test_scores.c — forecast verification kernels (src/eval/scores.c) against hand-computed
 * contingency tables, closed forms, a direct pair count and scipy.stats.binom. */
#include "ptest.h"

#include "precursor/error.h"
#include "precursor/rng.h"
#include "precursor/scores.h"

#include <stdint.h>

#define NANOK(x) PT_CHECK(isnan(x), "%s = %g, expected NaN", #x, (double)(x))

/* Table 1: a = 20 hits, b = 10 false alarms, c = 5 misses, d = 65 correct negatives, n = 100.
 *   accuracy    = (20+65)/100            = 0.85
 *   POD (A1)    = 20/(20+5)              = 0.8
 *   specificity = 65/(10+65)             = 13/15
 *   precision   = 20/(20+10)             = 2/3
 *   FAR (ratio) = 10/(20+10)             = 1/3
 *   POFD (rate) = 10/(10+65)             = 2/15
 *   bias        = (20+10)/(20+5)         = 1.2
 *   HK          = 0.8 - 2/15 = 12/15 - 2/15 = 2/3
 *   F1          = 40/(40+10+5)           = 8/11
 *   MCC         = (20*65 - 10*5)/sqrt(30*25*75*70) = 1250/sqrt(3937500) = 0.629940788...
 *   HSS         = 2*1250/(25*70 + 30*75) = 2500/4000 = 0.625 */
static void test_table_known_answers(void)
{
  prc_ctable t = {20, 10, 5, 65};
  double     want[PRC_SC_NTABLE] = {0.85, 0.8, 13.0 / 15, 2.0 / 3, 1.0 / 3, 2.0 / 15, 1.2, 2.0 / 3, 8.0 / 11, 1250 / sqrt(3937500.0), 0.625};
  for (int s = 0; s < PRC_SC_NTABLE; s++) PT_NEAR(prc_score_table(&t, s), want[s], 1e-15, 1e-14);
  PT_NEAR(1250 / sqrt(3937500.0), 0.629940788348712, 1e-14, 0); /* the decimal value, by hand (bc -l) */
  /* the same table from 100 binary units, and from the threshold form */
  unsigned char al[100], ev[100];
  double        sc[100], ob[100];
  for (int i = 0; i < 100; i++) {
    al[i] = i < 30, ev[i] = i < 20 || (i >= 30 && i < 35);
    sc[i] = al[i] ? 0.9 : 0.1, ob[i] = ev[i];
  }
  prc_ctable u, v;
  PT_CHECK(!prc_ctable_binary(al, ev, NULL, 100, &u), "%s", prc_lasterr());
  PT_CHECK(u.a == 20 && u.b == 10 && u.c == 5 && u.d == 65, "binary table %g %g %g %g", u.a, u.b, u.c, u.d);
  PT_CHECK(!prc_ctable_threshold(sc, ob, NULL, 100, 0.5, &v), "%s", prc_lasterr());
  PT_CHECK(v.a == 20 && v.b == 10 && v.c == 5 && v.d == 65, "threshold table %g %g %g %g", v.a, v.b, v.c, v.d);
  /* the threshold is inclusive: score >= thr is an alarm */
  PT_CHECK(!prc_ctable_threshold(sc, ob, NULL, 100, 0.9, &v) && v.a == 20 && v.b == 10, "inclusive threshold");
}

/* Weighted table: units (alarm, event, weight) = (1,1,2) (1,0,0.5) (0,1,1) (0,0,3)
 *   a = 2, b = 0.5, c = 1, d = 3, n = 6.5
 *   A = 5/6.5 = 10/13; A1 = 2/3; A2 = 3/3.5 = 6/7; FAR = 0.5/2.5 = 0.2; POFD = 0.5/3.5 = 1/7;
 *   bias = 2.5/3 = 5/6; HK = 2/3 - 1/7 = 11/21; HSS = 2(6 - 0.5)/(3*4 + 2.5*3.5) = 11/20.75 */
static void test_weighted_table(void)
{
  unsigned char al[4] = {1, 1, 0, 0}, ev[4] = {1, 0, 1, 0};
  double        w[4] = {2, 0.5, 1, 3};
  prc_ctable    t;
  PT_CHECK(!prc_ctable_binary(al, ev, w, 4, &t), "%s", prc_lasterr());
  PT_NEAR(prc_score_table(&t, PRC_SC_ACCURACY), 10.0 / 13, 1e-15, 1e-14);
  PT_NEAR(prc_score_table(&t, PRC_SC_POD), 2.0 / 3, 1e-15, 1e-14);
  PT_NEAR(prc_score_table(&t, PRC_SC_SPECIFICITY), 6.0 / 7, 1e-15, 1e-14);
  PT_NEAR(prc_score_table(&t, PRC_SC_FAR), 0.2, 1e-15, 1e-14);
  PT_NEAR(prc_score_table(&t, PRC_SC_POFD), 1.0 / 7, 1e-15, 1e-14);
  PT_NEAR(prc_score_table(&t, PRC_SC_BIAS), 5.0 / 6, 1e-15, 1e-14);
  PT_NEAR(prc_score_table(&t, PRC_SC_HK), 11.0 / 21, 1e-15, 1e-14);
  PT_NEAR(prc_score_table(&t, PRC_SC_HSS), 11 / 20.75, 1e-15, 1e-14);
  w[1] = -1;
  PT_CHECK(prc_ctable_binary(al, ev, w, 4, &t) && strstr(prc_lasterr(), "weight[1]"), "negative weight: %s", prc_lasterr());
}

/* Degenerate tables -> the NaN rule: a score with a zero denominator is NaN.
 *  no events (a = c = 0, b = 3, d = 7): POD, bias, HK, MCC NaN; precision 0/3 = 0, FAR 1,
 *    POFD 0.3, specificity 0.7, F1 = 0/3 = 0, HSS = 0/(0*7 + 3*10) = 0, accuracy 0.7
 *  no alarms (a = b = 0, c = 4, d = 6): precision, FAR, MCC NaN; POD 0, POFD 0, bias 0,
 *    HK 0, F1 = 0/4 = 0, HSS = 0/(4*10 + 0) = 0
 *  empty table: everything NaN
 *  all units events and alarmed (a = 5): POD 1, precision 1, bias 1; specificity, POFD,
 *    HK, MCC NaN; HSS = 0/(5*0 + 5*0) NaN */
static void test_degenerate_tables(void)
{
  prc_ctable ne = {0, 3, 0, 7}, na = {0, 0, 4, 6}, z = {0, 0, 0, 0}, all = {5, 0, 0, 0};
  NANOK(prc_score_table(&ne, PRC_SC_POD));
  NANOK(prc_score_table(&ne, PRC_SC_BIAS));
  NANOK(prc_score_table(&ne, PRC_SC_HK));
  NANOK(prc_score_table(&ne, PRC_SC_MCC));
  PT_NEAR(prc_score_table(&ne, PRC_SC_PRECISION), 0, 0, 0);
  PT_NEAR(prc_score_table(&ne, PRC_SC_FAR), 1, 0, 0);
  PT_NEAR(prc_score_table(&ne, PRC_SC_POFD), 0.3, 1e-15, 0);
  PT_NEAR(prc_score_table(&ne, PRC_SC_SPECIFICITY), 0.7, 1e-15, 0);
  PT_NEAR(prc_score_table(&ne, PRC_SC_F1), 0, 0, 0);
  PT_NEAR(prc_score_table(&ne, PRC_SC_HSS), 0, 0, 0);
  PT_NEAR(prc_score_table(&ne, PRC_SC_ACCURACY), 0.7, 1e-15, 0);
  NANOK(prc_score_table(&na, PRC_SC_PRECISION));
  NANOK(prc_score_table(&na, PRC_SC_FAR));
  NANOK(prc_score_table(&na, PRC_SC_MCC));
  PT_NEAR(prc_score_table(&na, PRC_SC_POD), 0, 0, 0);
  PT_NEAR(prc_score_table(&na, PRC_SC_POFD), 0, 0, 0);
  PT_NEAR(prc_score_table(&na, PRC_SC_BIAS), 0, 0, 0);
  PT_NEAR(prc_score_table(&na, PRC_SC_HK), 0, 0, 0);
  PT_NEAR(prc_score_table(&na, PRC_SC_F1), 0, 0, 0);
  PT_NEAR(prc_score_table(&na, PRC_SC_HSS), 0, 0, 0);
  for (int s = 0; s < PRC_SC_NTABLE; s++) PT_CHECK(isnan(prc_score_table(&z, s)), "empty table: %s is not NaN", prc_score_name(s));
  PT_NEAR(prc_score_table(&all, PRC_SC_POD), 1, 0, 0);
  PT_NEAR(prc_score_table(&all, PRC_SC_PRECISION), 1, 0, 0);
  PT_NEAR(prc_score_table(&all, PRC_SC_BIAS), 1, 0, 0);
  NANOK(prc_score_table(&all, PRC_SC_SPECIFICITY));
  NANOK(prc_score_table(&all, PRC_SC_POFD));
  NANOK(prc_score_table(&all, PRC_SC_HK));
  NANOK(prc_score_table(&all, PRC_SC_MCC));
  NANOK(prc_score_table(&all, PRC_SC_HSS));
  /* curve functions: no events / no non-events are errors with a message, AUC is NaN */
  double sc[3] = {1, 2, 3}, ob0[3] = {0, 0, 0}, thr[4], x[4], y[4], auc;
  size_t np;
  PT_CHECK(prc_roc(sc, ob0, NULL, 3, thr, x, y, &np) && strstr(prc_lasterr(), "positive and negative"), "%s", prc_lasterr());
  PT_CHECK(prc_molchan(sc, ob0, NULL, 3, thr, x, y, &np) && strstr(prc_lasterr(), "no target events"), "%s", prc_lasterr());
  PT_CHECK(!prc_auc_mann_whitney(sc, ob0, NULL, 3, &auc) && isnan(auc), "AUC without positives = %g", auc);
  double out[PRC_SC_COUNT];
  PT_CHECK(!prc_eval_point(sc, ob0, NULL, NULL, 3, 2, out, NULL), "%s", prc_lasterr());
  NANOK(out[PRC_SC_AUC]);
  NANOK(out[PRC_SC_ASS]);
  NANOK(out[PRC_SC_GAIN]);
  /* bad inputs */
  double bad[3] = {1, NAN, 3}, obn[3] = {0, 0.5, -1};
  PT_CHECK(prc_eval_point(bad, ob0, NULL, NULL, 3, 2, out, NULL) && strstr(prc_lasterr(), "score[1]"), "%s", prc_lasterr());
  PT_CHECK(prc_eval_point(sc, obn, NULL, NULL, 3, 2, out, NULL) && strstr(prc_lasterr(), "observation[2]"), "%s", prc_lasterr());
}

/* Perfect forecast: 1000 units, events in units 0..49 with the higher scores.
 * POD 1, POFD 0, AUC 1; Molchan: (0,1) -> (tau_pos, 0) -> (1, 0) with tau_pos = 50/1000, so
 * ASS = 1 - tau_pos/2 = 0.975 (it tends to 1 as the events occupy a vanishing part of
 * space-time; with zero space-time weight on the event units the curve drops at the origin
 * and ASS = 1 exactly). Anti-perfect (scores reversed): POD 0, POFD 1, HK -1, AUC 0,
 * Molchan area = (1 - tau_pos) + tau_pos/2 -> ASS = tau_pos/2 = 0.025. */
static void test_perfect_and_anti(void)
{
  enum { N = 1000 };
  static double sc[N], ob[N], an[N], tw[N], thr[N + 1], x[N + 1], y[N + 1];
  for (int i = 0; i < N; i++) ob[i] = i < 50, sc[i] = i < 50 ? 0.9 + i * 1e-4 : 0.5 * i / N, an[i] = -sc[i], tw[i] = i < 50 ? 0 : 1;
  double out[PRC_SC_COUNT];
  size_t np;
  PT_CHECK(!prc_eval_point(sc, ob, NULL, NULL, N, 0.7, out, NULL), "%s", prc_lasterr());
  PT_NEAR(out[PRC_SC_POD], 1, 0, 0);
  PT_NEAR(out[PRC_SC_POFD], 0, 0, 0);
  PT_NEAR(out[PRC_SC_HK], 1, 0, 0);
  PT_NEAR(out[PRC_SC_MCC], 1, 1e-15, 0);
  PT_NEAR(out[PRC_SC_HSS], 1, 1e-15, 0);
  PT_NEAR(out[PRC_SC_AUC], 1, 0, 0);
  PT_NEAR(out[PRC_SC_ASS], 0.975, 1e-14, 0);
  PT_NEAR(out[PRC_SC_GAIN], 1 / 0.05, 1e-12, 0);
  PT_CHECK(!prc_molchan(sc, ob, tw, N, thr, x, y, &np), "%s", prc_lasterr());
  PT_NEAR(x[50], 0, 0, 0); /* all 50 events caught with nothing alarmed: the origin */
  PT_NEAR(y[50], 0, 0, 0);
  PT_NEAR(prc_molchan_ass(x, y, np), 1, 1e-15, 0);
  PT_CHECK(!prc_eval_point(an, ob, NULL, NULL, N, -0.7, out, NULL), "%s", prc_lasterr());
  PT_NEAR(out[PRC_SC_POD], 0, 0, 0);
  PT_NEAR(out[PRC_SC_POFD], 1, 0, 0);
  PT_NEAR(out[PRC_SC_HK], -1, 0, 0);
  PT_NEAR(out[PRC_SC_AUC], 0, 0, 0);
  PT_NEAR(out[PRC_SC_ASS], 0.025, 1e-14, 0);
}

/* ROC with ties: scores {3,3,2,2,1}, events {1,0,1,1,0}: P = 3, Q = 2.
 *   thr inf: (0, 0); thr 3: one pos + one neg -> (1/2, 1/3); thr 2: two pos -> (1/2, 1);
 *   thr 1: (1, 1). Trapezoids: 1/2*(1/3)/2 + 0 + 1/2*1 = 7/12.
 *   Pair count: (3,3) tie 1/2, (3,1) 1, (2,3) 0, (2,1) 1, (2,3) 0, (2,1) 1 -> 3.5/6 = 7/12. */
static void test_roc_ties(void)
{
  double sc[5] = {3, 3, 2, 2, 1}, ob[5] = {1, 0, 1, 1, 0}, thr[6], x[6], y[6], auc;
  size_t np;
  PT_CHECK(!prc_roc(sc, ob, NULL, 5, thr, x, y, &np), "%s", prc_lasterr());
  PT_CHECK(np == 4, "%zu points", np);
  double wx[4] = {0, 0.5, 0.5, 1}, wy[4] = {0, 1.0 / 3, 1, 1}, wt[4] = {INFINITY, 3, 2, 1};
  for (size_t k = 0; k < 4 && np == 4; k++) {
    PT_NEAR(x[k], wx[k], 1e-15, 0);
    PT_NEAR(y[k], wy[k], 1e-15, 0);
    PT_CHECK(thr[k] == wt[k], "thr[%zu] = %g", k, thr[k]);
  }
  PT_NEAR(prc_trapz(x, y, np), 7.0 / 12, 1e-15, 0);
  PT_CHECK(!prc_auc_mann_whitney(sc, ob, NULL, 5, &auc), "%s", prc_lasterr());
  PT_NEAR(auc, 7.0 / 12, 1e-15, 0);
  /* Molchan of the same units (uniform weights, N = 3): (0,1) (2/5, 2/3) (4/5, 0) (1, 0):
   * area = 2/5*(1+2/3)/2 + 2/5*(2/3)/2 + 0 = 1/3 + 2/15 = 7/15 -> ASS = 8/15 */
  PT_CHECK(!prc_molchan(sc, ob, NULL, 5, thr, x, y, &np), "%s", prc_lasterr());
  PT_CHECK(np == 4 && x[1] == 0.4 && fabs(y[1] - 2.0 / 3) < 1e-15 && x[2] == 0.8 && y[2] == 0 && x[3] == 1 && y[3] == 0,
           "molchan points");
  PT_NEAR(prc_molchan_ass(x, y, np), 8.0 / 15, 1e-15, 0);
}

/* AUC three ways on random weighted data with many ties: ROC trapezoids, the rank-based
 * Mann–Whitney statistic, and a direct O(n^2) count over all (positive, negative) pairs. */
static void test_auc_vs_pair_count(void)
{
  enum { N = 1500 };
  static double sc[N], ob[N], w[N], thr[N + 1], x[N + 1], y[N + 1];
  prc_rng       r;
  prc_rng_seed(&r, 7, 3);
  for (int i = 0; i < N; i++) {
    ob[i] = prc_rng_uniform(&r) < 0.2;
    sc[i] = floor((prc_rng_uniform(&r) + 0.3 * ob[i]) * 20) / 20; /* ties */
    w[i] = 0.5 + prc_rng_uniform(&r);
  }
  for (int weighted = 0; weighted < 2; weighted++) {
    const double *ww = weighted ? w : NULL;
    long double   U = 0, P = 0, Q = 0;
    for (int i = 0; i < N; i++) {
      if (!(ob[i] > 0)) continue;
      for (int j = 0; j < N; j++) {
        if (ob[j] > 0) continue;
        long double wij = (long double)(ww ? w[i] * w[j] : 1);
        U += sc[i] > sc[j] ? wij : sc[i] == sc[j] ? wij / 2 : 0;
      }
    }
    for (int i = 0; i < N; i++) ob[i] > 0 ? (P += ww ? w[i] : 1) : (Q += ww ? w[i] : 1);
    double direct = (double)(U / (P * Q)), mw;
    size_t np;
    PT_CHECK(!prc_roc(sc, ob, ww, N, thr, x, y, &np), "%s", prc_lasterr());
    PT_CHECK(!prc_auc_mann_whitney(sc, ob, ww, N, &mw), "%s", prc_lasterr());
    PT_NEAR(prc_trapz(x, y, np), direct, 1e-12, 0);
    PT_NEAR(mw, direct, 1e-12, 0);
    PT_CHECK(direct > 0.7, "the informative forecast has AUC %g", direct);
  }
}

/* A random forecast (independent of the events): 20 000 units, 10 % events. Under the null,
 * sd(AUC) = sqrt((n1+n0+1)/(12 n1 n0)) = 0.0068 and sd(ASS) ~ 1/sqrt(12 N) = 0.0065
 * (N = 2000 events): the tolerance 0.03 is > 4 sd. Molchan points lie near nu = 1 - tau. */
static void test_random_forecast(void)
{
  enum { N = 20000 };
  static double sc[N], ob[N], thr[N + 1], x[N + 1], y[N + 1];
  prc_rng       r;
  prc_rng_seed(&r, 2024, 1);
  for (int i = 0; i < N; i++) sc[i] = prc_rng_uniform(&r), ob[i] = prc_rng_uniform(&r) < 0.1;
  double out[PRC_SC_COUNT];
  size_t np;
  PT_CHECK(!prc_eval_point(sc, ob, NULL, NULL, N, 0.5, out, NULL), "%s", prc_lasterr());
  PT_NEAR(out[PRC_SC_AUC], 0.5, 0.03, 0);
  PT_NEAR(out[PRC_SC_ASS], 0.5, 0.03, 0);
  PT_NEAR(out[PRC_SC_HK], 0, 0.05, 0);
  PT_NEAR(out[PRC_SC_GAIN], 1, 0.1, 0);
  PT_CHECK(!prc_molchan(sc, ob, NULL, N, thr, x, y, &np), "%s", prc_lasterr());
  double dmax = 0;
  for (size_t k = 0; k < np; k++) dmax = fmax(dmax, fabs(y[k] - (1 - x[k])));
  PT_CHECK(dmax < 0.05, "Molchan curve of a random forecast departs %g from nu = 1 - tau", dmax);
}

/* Binomial tail and the Molchan random-guess bounds against scipy.stats.binom, run by
 * /usr/bin/python3 here (h* = the smallest h with sf(h-1) <= alpha, by scanning all h). */
static void test_binomial_bounds_vs_scipy(void)
{
  const char *py =
    "/usr/bin/python3 -c '\n"
    "from scipy.stats import binom\n"
    "cases=[(1,0.01,0.05),(5,0.1,0.05),(5,0.1,0.01),(10,0.3,0.05),(10,0.3,0.01),(20,0.05,0.05),(20,0.5,0.01),(37,0.2,0.05),\n"
    "       (100,0.1,0.05),(100,0.1,0.01),(250,0.42,0.01),(1000,0.02,0.05),(8,0.9,0.05),(3,0.0,0.05),(4,0.95,0.01)]\n"
    "for N,t,a in cases:\n"
    "  h=next((h for h in range(0,N+2) if binom.sf(h-1,N,t)<=a),N+1)\n"
    "  print(N,repr(t),repr(a),h,repr(float(binom.sf(h-1,N,t))),repr(float(binom.sf(h-2,N,t))))\n"
    "' 2>/dev/null";
  FILE *f = popen(py, "r");
  if (!f) PT_SKIP("cannot run /usr/bin/python3");
  long   N, h, hs, rows = 0;
  double t, a, sf_h, sf_h1, nu;
  while (fscanf(f, "%ld %lf %lf %ld %lf %lf", &N, &t, &a, &h, &sf_h, &sf_h1) == 6) {
    rows++;
    PT_CHECK(!prc_molchan_bound(N, t, a, &nu, &hs), "%s", prc_lasterr());
    PT_CHECK(hs == h, "N=%ld tau=%g alpha=%g: h* = %ld, scipy %ld", N, t, a, hs, h);
    if (h <= N) PT_NEAR(nu, 1 - (double)h / N, 1e-15, 0);
    else PT_CHECK(isnan(nu), "N=%ld tau=%g: nu_crit %g, expected NaN", N, t, nu);
    PT_NEAR(prc_binom_sf(h, N, t), sf_h, 1e-300, 1e-9);
    PT_NEAR(prc_binom_sf(h - 1, N, t), sf_h1, 1e-300, 1e-9);
  }
  int rc = pclose(f);
  if (rows == 0 || rc != 0) PT_SKIP("scipy not available (python exit %d, %ld rows)", rc, rows);
  PT_CHECK(rows == 15, "%ld rows from scipy", rows);
  /* closed forms: P(X >= 1) = 1 - (1-p)^N, P(X >= N) = p^N */
  PT_NEAR(prc_binom_sf(1, 30, 0.07), 1 - pow(0.93, 30), 0, 1e-13);
  PT_NEAR(prc_binom_sf(30, 30, 0.6), pow(0.6, 30), 0, 1e-12);
  PT_CHECK(prc_molchan_bound(10, 0.5, 0, &nu, NULL) && strstr(prc_lasterr(), "alpha"), "alpha = 0 refused");
  PT_CHECK(prc_molchan_bound(10, 1.5, 0.05, &nu, NULL) && strstr(prc_lasterr(), "tau"), "tau = 1.5 refused");
}

/* Bootstrap: identical for a seed (bitwise), different for another seed, and the percentile
 * intervals contain the point estimates on an informative forecast. */
static void test_bootstrap(void)
{
  enum { N = 800, B = 300 };
  static double sc[N], ob[N], tw[N];
  prc_rng       r;
  prc_rng_seed(&r, 99, 0);
  for (int i = 0; i < N; i++) {
    ob[i] = prc_rng_uniform(&r) < 0.15;
    sc[i] = prc_rng_uniform(&r) * 0.7 + 0.3 * ob[i];
    tw[i] = 1 + (i % 7);
  }
  double lo1[PRC_SC_COUNT], hi1[PRC_SC_COUNT], lo2[PRC_SC_COUNT], hi2[PRC_SC_COUNT], lo3[PRC_SC_COUNT], hi3[PRC_SC_COUNT],
    pt[PRC_SC_COUNT];
  long nv[PRC_SC_COUNT];
  PT_CHECK(!prc_eval_point(sc, ob, NULL, tw, N, 0.5, pt, NULL), "%s", prc_lasterr());
  PT_CHECK(!prc_eval_bootstrap(sc, ob, NULL, tw, N, 0.5, B, 0.95, 5, lo1, hi1, nv), "%s", prc_lasterr());
  PT_CHECK(!prc_eval_bootstrap(sc, ob, NULL, tw, N, 0.5, B, 0.95, 5, lo2, hi2, NULL), "%s", prc_lasterr());
  PT_CHECK(!prc_eval_bootstrap(sc, ob, NULL, tw, N, 0.5, B, 0.95, 6, lo3, hi3, NULL), "%s", prc_lasterr());
  PT_CHECK(!memcmp(lo1, lo2, sizeof lo1) && !memcmp(hi1, hi2, sizeof hi1), "same seed, different intervals");
  PT_CHECK(memcmp(lo1, lo3, sizeof lo1), "another seed gives the same intervals");
  for (int s = 0; s < PRC_SC_COUNT; s++) {
    PT_CHECK(nv[s] == B, "%s: %ld valid replicates", prc_score_name(s), nv[s]);
    PT_CHECK(lo1[s] <= pt[s] && pt[s] <= hi1[s], "%s = %g outside its interval [%g, %g]", prc_score_name(s), pt[s], lo1[s], hi1[s]);
    PT_CHECK(hi1[s] - lo1[s] < 0.5 * fmax(1, fabs(pt[s])), "%s: interval [%g, %g] too wide", prc_score_name(s), lo1[s], hi1[s]);
  }
  /* replicates split into ranges equal the whole (what the stage does across ranks) */
  double thr[2] = {0.4, 0.6}, *all = malloc(sizeof(double) * 20 * 2 * PRC_SC_COUNT), *part = malloc(sizeof(double) * 20 * 2 * PRC_SC_COUNT);
  PT_CHECK(!prc_eval_boot_reps(sc, ob, NULL, tw, N, thr, 2, 5, 0, 20, all), "%s", prc_lasterr());
  PT_CHECK(!prc_eval_boot_reps(sc, ob, NULL, tw, N, thr, 2, 5, 0, 7, part), "%s", prc_lasterr());
  PT_CHECK(!prc_eval_boot_reps(sc, ob, NULL, tw, N, thr, 2, 5, 7, 20, part + 7 * 2 * PRC_SC_COUNT), "%s", prc_lasterr());
  PT_CHECK(!memcmp(all, part, sizeof(double) * 20 * 2 * PRC_SC_COUNT), "replicate ranges differ from the whole");
  free(all), free(part);
  /* percentile rule: numpy.percentile([1..5], [2.5, 97.5]) = 1.1, 4.9; NaN ignored */
  double v[6] = {5, NAN, 1, 3, 2, 4}, lo, hi;
  long   m;
  PT_CHECK(!prc_percentile_ci(v, 6, 1, 0.95, &lo, &hi, &m), "%s", prc_lasterr());
  PT_NEAR(lo, 1.1, 1e-14, 0);
  PT_NEAR(hi, 4.9, 1e-14, 0);
  PT_CHECK(m == 5, "%ld valid", m);
  PT_CHECK(prc_eval_bootstrap(sc, ob, NULL, tw, N, 0.5, 0, 0.95, 5, lo1, hi1, NULL) && strstr(prc_lasterr(), "B = 0"), "B = 0 refused");
}

/* Reliability, 10 bins: p = {0.05, 0.15, 0.12, 0.95, 1.0, 0.5}, events {0,1,0,1,1,0}:
 *   bin 0: {0.05} count 1, mean 0.05, freq 0; bin 1: {0.15, 0.12} count 2, mean 0.135, freq 0.5
 *   bin 5: {0.5} count 1, freq 0; bin 9: {0.95, 1.0 (last bin closed)} count 2, mean 0.975, freq 1;
 *   other bins empty: count 0, mean and freq NaN. */
static void test_reliability(void)
{
  double p[6] = {0.05, 0.15, 0.12, 0.95, 1.0, 0.5}, ob[6] = {0, 1, 0, 1, 1, 0}, c[10], m[10], f[10];
  PT_CHECK(!prc_reliability(p, ob, NULL, 6, 10, c, m, f), "%s", prc_lasterr());
  double wc[10] = {1, 2, 0, 0, 0, 1, 0, 0, 0, 2}, wm[10] = {0.05, 0.135, NAN, NAN, NAN, 0.5, NAN, NAN, NAN, 0.975},
         wf[10] = {0, 0.5, NAN, NAN, NAN, 0, NAN, NAN, NAN, 1};
  for (int k = 0; k < 10; k++) {
    PT_CHECK(c[k] == wc[k], "bin %d count %g", k, c[k]);
    if (isnan(wm[k])) PT_CHECK(isnan(m[k]) && isnan(f[k]), "bin %d should be empty", k);
    else {
      PT_NEAR(m[k], wm[k], 1e-15, 0);
      PT_NEAR(f[k], wf[k], 1e-15, 0);
    }
  }
  p[2] = 1.2;
  PT_CHECK(prc_reliability(p, ob, NULL, 6, 10, c, m, f) && strstr(prc_lasterr(), "forecast[2]"), "p > 1 refused: %s", prc_lasterr());
}

int main(int argc, char **argv)
{
  (void)argc;
  pt_set_prog(argv[0]);
  PT_RUN(test_table_known_answers);
  PT_RUN(test_weighted_table);
  PT_RUN(test_degenerate_tables);
  PT_RUN(test_perfect_and_anti);
  PT_RUN(test_roc_ties);
  PT_RUN(test_auc_vs_pair_count);
  PT_RUN(test_random_forecast);
  PT_RUN(test_binomial_bounds_vs_scipy);
  PT_RUN(test_bootstrap);
  PT_RUN(test_reliability);
  return pt_finish();
}
