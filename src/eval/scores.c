/* scores.c — forecast verification kernels: contingency scores, ROC/AUC, Molchan diagram,
 * binomial bounds, bootstrap intervals, reliability (include/precursor/scores.h,
 * docs/EVALUATION.md). Kernel layer: no MPI. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/rng.h"
#include "precursor/scores.h"

static const char *const score_names[PRC_SC_COUNT] = {"accuracy", "pod",  "specificity", "precision", "far",
                                                      "pofd",     "bias", "hk",          "f1",        "mcc",
                                                      "hss",      "auc",  "ass",         "gain"};

const char *prc_score_name(int id) { return id >= 0 && id < PRC_SC_COUNT ? score_names[id] : "?"; }

/* ---- input checks ------------------------------------------------------------------ */

static int check_units(const char *fn, const double *score, const double *obs, const double *w, const double *tw, size_t n)
{
  if (n > 0 && (!score || !obs)) return prc_seterr("%s: NULL score or observation array with n = %zu", fn, n);
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(score[i])) return prc_seterr("%s: score[%zu] = %g is not finite", fn, i, score[i]);
    if (!(isfinite(obs[i]) && obs[i] >= 0)) return prc_seterr("%s: observation[%zu] = %g: expected a finite count >= 0", fn, i, obs[i]);
    if (w && !(isfinite(w[i]) && w[i] >= 0)) return prc_seterr("%s: weight[%zu] = %g: expected finite and >= 0", fn, i, w[i]);
    if (tw && !(isfinite(tw[i]) && tw[i] >= 0))
      return prc_seterr("%s: space-time weight[%zu] = %g: expected finite and >= 0", fn, i, tw[i]);
  }
  return 0;
}

/* ---- contingency tables ------------------------------------------------------------ */

int prc_ctable_binary(const unsigned char *alarm, const unsigned char *event, const double *weight, size_t n, prc_ctable *t)
{
  memset(t, 0, sizeof *t);
  if (n > 0 && (!alarm || !event)) return prc_seterr("prc_ctable_binary: NULL forecast or observation array with n = %zu", n);
  for (size_t i = 0; i < n; i++) {
    double w = weight ? weight[i] : 1;
    if (!(isfinite(w) && w >= 0)) return prc_seterr("prc_ctable_binary: weight[%zu] = %g: expected finite and >= 0", i, w);
    if (alarm[i]) event[i] ? (t->a += w) : (t->b += w);
    else event[i] ? (t->c += w) : (t->d += w);
  }
  return 0;
}

int prc_ctable_threshold(const double *score, const double *obs, const double *weight, size_t n, double thr, prc_ctable *t)
{
  memset(t, 0, sizeof *t);
  if (check_units("prc_ctable_threshold", score, obs, weight, NULL, n)) return 1;
  if (isnan(thr)) return prc_seterr("prc_ctable_threshold: the threshold is NaN");
  for (size_t i = 0; i < n; i++) {
    double w = weight ? weight[i] : 1;
    if (score[i] >= thr) obs[i] > 0 ? (t->a += w) : (t->b += w);
    else obs[i] > 0 ? (t->c += w) : (t->d += w);
  }
  return 0;
}

static double ratio(double num, double den) { return den > 0 ? num / den : NAN; }

double prc_score_table(const prc_ctable *t, int id)
{
  const double a = t->a, b = t->b, c = t->c, d = t->d, n = a + b + c + d;
  switch (id) {
  case PRC_SC_ACCURACY: return ratio(a + d, n);
  case PRC_SC_POD: return ratio(a, a + c);
  case PRC_SC_SPECIFICITY: return ratio(d, b + d);
  case PRC_SC_PRECISION: return ratio(a, a + b);
  case PRC_SC_FAR: return ratio(b, a + b);
  case PRC_SC_POFD: return ratio(b, b + d);
  case PRC_SC_BIAS: return ratio(a + b, a + c);
  case PRC_SC_HK: return ratio(a, a + c) - ratio(b, b + d); /* NaN if either is */
  case PRC_SC_F1: return ratio(2 * a, 2 * a + b + c);
  case PRC_SC_MCC: {
    double den = (a + b) * (a + c) * (b + d) * (c + d);
    return den > 0 ? (a * d - b * c) / sqrt(den) : NAN;
  }
  case PRC_SC_HSS: return ratio(2 * (a * d - b * c), (a + c) * (c + d) + (a + b) * (b + d));
  default: return NAN;
  }
}

/* ---- ranking ----------------------------------------------------------------------- */

typedef struct {
  double s;
  size_t i;
} ranked;

static int by_score_desc(const void *x, const void *y)
{
  const ranked *p = x, *q = y;
  if (p->s > q->s) return -1;
  if (p->s < q->s) return 1;
  return (p->i > q->i) - (p->i < q->i);
}

/* Units sorted by score, descending (ties by index). Caller frees. */
static ranked *sort_desc(const double *score, size_t n)
{
  ranked *r = malloc((n ? n : 1) * sizeof *r);
  if (!r) {
    prc_seterr("out of memory sorting %zu scores", n);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) r[i].s = score[i], r[i].i = i;
  qsort(r, n, sizeof *r, by_score_desc);
  return r;
}

int prc_roc(const double *score, const double *obs, const double *weight, size_t n, double *thr, double *fpr, double *tpr,
            size_t *npts)
{
  *npts = 0;
  if (check_units("prc_roc", score, obs, weight, NULL, n)) return 1;
  ranked *r = sort_desc(score, n);
  if (!r) return 1;
  size_t k = 0;
  double tp = 0, fp = 0;
  thr[k] = INFINITY, fpr[k] = 0, tpr[k] = 0, k++;
  for (size_t g = 0; g < n;) {
    size_t e = g;
    while (e < n && r[e].s == r[g].s) {
      double w = weight ? weight[r[e].i] : 1;
      obs[r[e].i] > 0 ? (tp += w) : (fp += w);
      e++;
    }
    thr[k] = r[g].s, fpr[k] = fp, tpr[k] = tp, k++;
    g = e;
  }
  free(r);
  if (!(tp > 0 && fp > 0)) return prc_seterr("prc_roc: needs positive and negative units (weights of positives %g, negatives %g)", tp, fp);
  for (size_t j = 0; j < k; j++) fpr[j] /= fp, tpr[j] /= tp; /* the last point is exactly (1, 1) */
  *npts = k;
  return 0;
}

double prc_trapz(const double *x, const double *y, size_t npts)
{
  double s = 0;
  for (size_t k = 1; k < npts; k++) s += (x[k] - x[k - 1]) * (y[k] + y[k - 1]) / 2;
  return s;
}

/* Mann–Whitney from a descending order: for each tie group, its negatives beat none of the
 * positives above and tie with the group's positives. */
static double auc_sorted(const ranked *r, const double *obs, const double *weight, size_t n)
{
  double pos_above = 0, U = 0, P = 0, Q = 0;
  for (size_t g = 0; g < n;) {
    size_t e = g;
    double pg = 0, qg = 0;
    while (e < n && r[e].s == r[g].s) {
      double w = weight ? weight[r[e].i] : 1;
      obs[r[e].i] > 0 ? (pg += w) : (qg += w);
      e++;
    }
    U += qg * (pos_above + 0.5 * pg);
    pos_above += pg, P += pg, Q += qg;
    g = e;
  }
  return P > 0 && Q > 0 ? U / (P * Q) : NAN;
}

int prc_auc_mann_whitney(const double *score, const double *obs, const double *weight, size_t n, double *auc)
{
  *auc = NAN;
  if (check_units("prc_auc_mann_whitney", score, obs, weight, NULL, n)) return 1;
  ranked *r = sort_desc(score, n);
  if (!r) return 1;
  *auc = auc_sorted(r, obs, weight, n);
  free(r);
  return 0;
}

/* ---- Molchan ----------------------------------------------------------------------- */

/* Walk the tie groups in descending order; write cumulative (tau, hits) points if arrays
 * are given; return the trapezoid area under nu(tau) (after normalisation) in *area. */
static size_t molchan_walk(const ranked *r, const double *obs, const double *tw, size_t n, double *thr, double *tau, double *nu,
                           double *T, double *N, double *area)
{
  size_t k;
  double ct = 0, ch = 0;
  if (thr) thr[0] = INFINITY, tau[0] = 0, nu[0] = 1;
  k = 1;
  /* first pass: totals in the same order as the cumulative sums, so the last point is exact */
  for (size_t j = 0; j < n; j++) ct += tw ? tw[r[j].i] : 1, ch += obs[r[j].i];
  *T = ct, *N = ch;
  double pt = 0, pn = 1, s = 0;
  ct = ch = 0;
  for (size_t g = 0; g < n;) {
    size_t e = g;
    while (e < n && r[e].s == r[g].s) ct += tw ? tw[r[e].i] : 1, ch += obs[r[e].i], e++;
    double t = *T > 0 ? ct / *T : NAN, v = *N > 0 ? 1 - ch / *N : NAN;
    s += (t - pt) * (v + pn) / 2;
    pt = t, pn = v;
    if (thr) thr[k] = r[g].s, tau[k] = t, nu[k] = v;
    k++;
    g = e;
  }
  *area = s;
  return k;
}

int prc_molchan(const double *score, const double *obs, const double *tau_w, size_t n, double *thr, double *tau, double *nu,
                size_t *npts)
{
  *npts = 0;
  if (check_units("prc_molchan", score, obs, NULL, tau_w, n)) return 1;
  ranked *r = sort_desc(score, n);
  if (!r) return 1;
  double T, N, area;
  size_t k = molchan_walk(r, obs, tau_w, n, thr, tau, nu, &T, &N, &area);
  free(r);
  if (!(N > 0)) return prc_seterr("prc_molchan: no target events (sum of observations is %g)", N);
  if (!(T > 0)) return prc_seterr("prc_molchan: the space-time weights sum to %g, expected > 0", T);
  *npts = k;
  return 0;
}

double prc_molchan_ass(const double *tau, const double *nu, size_t npts) { return 1 - prc_trapz(tau, nu, npts); }

static long double log_pmf(long j, long N, long double lp, long double lq)
{
  return lgammal((long double)N + 1) - lgammal((long double)j + 1) - lgammal((long double)(N - j) + 1) + (long double)j * lp +
         (long double)(N - j) * lq;
}

double prc_binom_sf(long k, long N, double p)
{
  if (k <= 0) return 1;
  if (k > N || N < 0) return 0;
  if (!(p > 0)) return 0;
  if (!(p < 1)) return 1;
  long double lp = logl((long double)p), lq = log1pl(-(long double)p), s = 0;
  for (long j = N; j >= k; j--) s += expl(log_pmf(j, N, lp, lq));
  return (double)s;
}

int prc_molchan_bound(long N, double tau, double alpha, double *nu_crit, long *hstar)
{
  *nu_crit = NAN;
  if (N < 1) return prc_seterr("prc_molchan_bound: N = %ld target events, expected >= 1", N);
  if (!(tau >= 0 && tau <= 1)) return prc_seterr("prc_molchan_bound: tau = %g outside [0, 1]", tau);
  if (!(alpha > 0 && alpha < 1)) return prc_seterr("prc_molchan_bound: alpha = %g outside (0, 1)", alpha);
  long h = N + 1; /* smallest h with P(X >= h) <= alpha; P(X >= N+1) = 0 */
  if (tau <= 0) h = 1;
  else if (tau < 1) {
    long double lp = logl((long double)tau), lq = log1pl(-(long double)tau), s = 0;
    for (long j = N; j >= 1; j--) {
      s += expl(log_pmf(j, N, lp, lq)); /* s = P(X >= j) */
      if (s > (long double)alpha) break;
      h = j;
    }
  }
  if (hstar) *hstar = h;
  *nu_crit = h <= N ? 1 - (double)h / (double)N : NAN;
  return 0;
}

/* ---- all scores at thresholds -------------------------------------------------------- */

/* Scores of (score, obs, w, tw) at nthr thresholds into out[k*PRC_SC_COUNT + s]; r is the
 * descending order. */
static void point_multi(const ranked *r, const double *score, const double *obs, const double *w, const double *tw, size_t n,
                        const double *thr, int nthr, double *out, prc_ctable *ct)
{
  double T, N, area;
  double auc = auc_sorted(r, obs, w, n);
  molchan_walk(r, obs, tw, n, NULL, NULL, NULL, &T, &N, &area);
  double ass = T > 0 && N > 0 ? 1 - area : NAN;
  for (int k = 0; k < nthr; k++) {
    prc_ctable t = {0, 0, 0, 0};
    double     ta = 0, hits = 0;
    for (size_t i = 0; i < n; i++) {
      double wi = w ? w[i] : 1;
      if (score[i] >= thr[k]) {
        obs[i] > 0 ? (t.a += wi) : (t.b += wi);
        ta += tw ? tw[i] : 1, hits += obs[i];
      } else obs[i] > 0 ? (t.c += wi) : (t.d += wi);
    }
    double *o = out + (size_t)k * PRC_SC_COUNT;
    for (int s = 0; s < PRC_SC_NTABLE; s++) o[s] = prc_score_table(&t, s);
    o[PRC_SC_AUC] = auc, o[PRC_SC_ASS] = ass;
    o[PRC_SC_GAIN] = N > 0 && T > 0 && ta > 0 ? (hits / N) / (ta / T) : NAN;
    if (ct) ct[k] = t;
  }
}

int prc_eval_point(const double *score, const double *obs, const double *weight, const double *tau_w, size_t n, double thr,
                   double out[PRC_SC_COUNT], prc_ctable *ct)
{
  for (int s = 0; s < PRC_SC_COUNT; s++) out[s] = NAN;
  if (check_units("prc_eval_point", score, obs, weight, tau_w, n)) return 1;
  if (isnan(thr)) return prc_seterr("prc_eval_point: the threshold is NaN");
  ranked *r = sort_desc(score, n);
  if (!r) return 1;
  point_multi(r, score, obs, weight, tau_w, n, &thr, 1, out, ct);
  free(r);
  return 0;
}

int prc_eval_boot_reps(const double *score, const double *obs, const double *weight, const double *tau_w, size_t n,
                       const double *thr, int nthr, uint64_t seed, long b0, long b1, double *reps)
{
  if (check_units("prc_eval_boot_reps", score, obs, weight, tau_w, n)) return 1;
  if (n == 0) return prc_seterr("prc_eval_boot_reps: no units to resample");
  if (nthr < 1 || !thr) return prc_seterr("prc_eval_boot_reps: no thresholds");
  if (b0 < 0 || b1 < b0) return prc_seterr("prc_eval_boot_reps: bad replicate range [%ld, %ld)", b0, b1);
  double *rs = malloc(n * sizeof *rs), *ro = malloc(n * sizeof *ro), *rw = weight ? malloc(n * sizeof *rw) : NULL;
  double *rt = tau_w ? malloc(n * sizeof *rt) : NULL;
  ranked *r = malloc(n * sizeof *r);
  if (!rs || !ro || !r || (weight && !rw) || (tau_w && !rt)) {
    free(rs), free(ro), free(rw), free(rt), free(r);
    return prc_seterr("prc_eval_boot_reps: out of memory for %zu units", n);
  }
  for (long b = b0; b < b1; b++) {
    prc_rng g;
    prc_rng_seed(&g, seed, (uint64_t)b);
    for (size_t j = 0; j < n; j++) {
      size_t i = (size_t)prc_rng_below(&g, (uint64_t)n);
      rs[j] = score[i], ro[j] = obs[i];
      if (rw) rw[j] = weight[i];
      if (rt) rt[j] = tau_w[i];
    }
    for (size_t j = 0; j < n; j++) r[j].s = rs[j], r[j].i = j;
    qsort(r, n, sizeof *r, by_score_desc);
    point_multi(r, rs, ro, rw, rt, n, thr, nthr, reps + (size_t)(b - b0) * (size_t)nthr * PRC_SC_COUNT, NULL);
  }
  free(rs), free(ro), free(rw), free(rt), free(r);
  return 0;
}

static int by_double(const void *x, const void *y)
{
  double p = *(const double *)x, q = *(const double *)y;
  return (p > q) - (p < q);
}

static double quantile_sorted(const double *v, long m, double q)
{
  double h = (double)(m - 1) * q, f = floor(h);
  long   i = (long)f;
  if (i >= m - 1) return v[m - 1];
  return v[i] + (h - f) * (v[i + 1] - v[i]);
}

int prc_percentile_ci(const double *x, long B, size_t stride, double level, double *lo, double *hi, long *nvalid)
{
  *lo = *hi = NAN;
  if (nvalid) *nvalid = 0;
  if (B < 1) return prc_seterr("prc_percentile_ci: B = %ld replicates, expected >= 1", B);
  if (!(level > 0 && level < 1)) return prc_seterr("prc_percentile_ci: level = %g outside (0, 1)", level);
  double *v = malloc((size_t)B * sizeof *v);
  if (!v) return prc_seterr("prc_percentile_ci: out of memory");
  long m = 0;
  for (long b = 0; b < B; b++)
    if (isfinite(x[(size_t)b * stride])) v[m++] = x[(size_t)b * stride];
  if (m > 0) {
    qsort(v, (size_t)m, sizeof *v, by_double);
    *lo = quantile_sorted(v, m, (1 - level) / 2);
    *hi = quantile_sorted(v, m, (1 + level) / 2);
  }
  if (nvalid) *nvalid = m;
  free(v);
  return 0;
}

int prc_eval_bootstrap(const double *score, const double *obs, const double *weight, const double *tau_w, size_t n, double thr,
                       long B, double level, uint64_t seed, double *lo, double *hi, long *nvalid)
{
  if (B < 1) return prc_seterr("prc_eval_bootstrap: B = %ld replicates, expected >= 1", B);
  if (!(level > 0 && level < 1)) return prc_seterr("prc_eval_bootstrap: level = %g outside (0, 1)", level);
  double *reps = malloc((size_t)B * PRC_SC_COUNT * sizeof *reps);
  if (!reps) return prc_seterr("prc_eval_bootstrap: out of memory for %ld replicates", B);
  int rc = prc_eval_boot_reps(score, obs, weight, tau_w, n, &thr, 1, seed, 0, B, reps);
  for (int s = 0; !rc && s < PRC_SC_COUNT; s++)
    rc = prc_percentile_ci(reps + s, B, PRC_SC_COUNT, level, lo + s, hi + s, nvalid ? nvalid + s : NULL);
  free(reps);
  return rc;
}

/* ---- reliability --------------------------------------------------------------------- */

int prc_reliability(const double *prob, const double *obs, const double *weight, size_t n, int nbins, double *count,
                    double *mean_prob, double *obs_freq)
{
  if (nbins < 1) return prc_seterr("prc_reliability: %d bins, expected >= 1", nbins);
  if (check_units("prc_reliability", prob, obs, weight, NULL, n)) return 1;
  for (int k = 0; k < nbins; k++) count[k] = mean_prob[k] = obs_freq[k] = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(prob[i] >= 0 && prob[i] <= 1))
      return prc_seterr("prc_reliability: forecast[%zu] = %g is not a probability in [0, 1]", i, prob[i]);
    int    k = (int)(prob[i] * nbins);
    double w = weight ? weight[i] : 1;
    if (k >= nbins) k = nbins - 1;
    count[k] += w, mean_prob[k] += w * prob[i], obs_freq[k] += obs[i] > 0 ? w : 0;
  }
  for (int k = 0; k < nbins; k++) {
    mean_prob[k] = count[k] > 0 ? mean_prob[k] / count[k] : NAN;
    obs_freq[k] = count[k] > 0 ? obs_freq[k] / count[k] : NAN;
  }
  return 0;
}
