/* indicators.c — seismicity indicators of one cell at one time (include/precursor/indicators.h,
 * docs/INDICATORS.md). Kernel layer: no MPI.
 *
 * Magnitude selection is done on bin indices (prc_mag_bin), so a catalog value 4.15 stored
 * as 4.1499999 belongs to the 4.2 bin whatever rounding the threshold suffers; Mc is always
 * a bin centre kmc * dm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "precursor/error.h"
#include "precursor/indicators.h"
#include "precursor/mc.h"

static const char *const names[PRC_IND_COUNT] = {"T", "Mmean", "dE_sqrt", "b", "b_sigma", "a", "eta", "dM", "mu", "c",
                                                 "x1", "x2", "x3", "x4", "mmax7", "p_bg", "n_days", "mc", "n_window", "n_used", "n_char"};
static const char *const units[PRC_IND_COUNT] = {"days", "magnitude", "erg^(1/2) per day", "1", "1", "1", "1 (log10 count^2)",
                                                 "magnitude", "days", "1", "1", "1", "1", "1", "magnitude", "probability", "days",
                                                 "magnitude", "events", "events", "events"};

const char *prc_ind_name(int k) { return k >= 0 && k < PRC_IND_COUNT ? names[k] : "?"; }
const char *prc_ind_unit(int k) { return k >= 0 && k < PRC_IND_COUNT ? units[k] : "?"; }

void prc_ind_defaults(prc_ind_params *p)
{
  memset(p, 0, sizeof *p);
  p->n_events = 50;
  p->span_days = 365;
  p->dm = 0.1;
  p->mc_auto = 1;
  p->mc = 0;
  p->mc_corr = 0.2;
  p->b_lsq = 0;
  p->min_events_b = 10;
  p->char_mag = 6.5;
  p->p_mag = 6;
  p->horizon_days = 30;
  p->reyes_n = 50;
  p->reyes_lag = 4;
}

int prc_ind_check(const prc_ind_params *p)
{
  char   msg[1024] = "";
  size_t l = 0;
#define BAD(...) l += (size_t)snprintf(msg + l, l < sizeof msg ? sizeof msg - l : 0, __VA_ARGS__)
  if (p->n_events == 1 || p->n_events < 0) BAD(" n_events %d (need >= 2, or 0 for a time span);", p->n_events);
  if (p->n_events == 0 && !(p->span_days > 0 && isfinite(p->span_days))) BAD(" span_days %g (need > 0);", p->span_days);
  if (!(p->dm > 0 && p->dm <= 1)) BAD(" dm %g (need in (0, 1]);", p->dm);
  if (!p->mc_auto && !isfinite(p->mc)) BAD(" mc %g not finite;", p->mc);
  if (p->mc_auto && !isfinite(p->mc_corr)) BAD(" mc_corr %g not finite;", p->mc_corr);
  if (p->min_events_b < 2) BAD(" min_events_b %d (need >= 2);", p->min_events_b);
  if (!isfinite(p->char_mag) || !isfinite(p->p_mag)) BAD(" char_mag/p_mag not finite;");
  if (!(p->horizon_days > 0 && isfinite(p->horizon_days))) BAD(" horizon_days %g (need > 0);", p->horizon_days);
  if (p->reyes_n < 2) BAD(" reyes_n %d (need >= 2);", p->reyes_n);
  if (p->reyes_lag < 1) BAD(" reyes_lag %d (need >= 1);", p->reyes_lag);
#undef BAD
  if (l) return prc_seterr("indicators: invalid parameters:%s", msg);
  return 0;
}

/* Aki–Utsu MLE of the magnitudes in bins >= kmc (threshold kmc dm - dm/2), Shi & Bolt sigma.
 * Returns the count used; b NaN if fewer than 2 or all in the lowest bin. */
static size_t mle_bins(const double *mag, size_t n, long kmc, double dm, double *b, double *sb)
{
  double sum = 0, ss = 0, thr = (double)kmc * dm - 0.5 * dm;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (prc_mag_bin(mag[i], dm) >= kmc) sum += mag[i], k++;
  *b = *sb = NAN;
  if (k < 2) return k;
  double mean = sum / (double)k;
  for (size_t i = 0; i < n; i++)
    if (prc_mag_bin(mag[i], dm) >= kmc) ss += (mag[i] - mean) * (mag[i] - mean);
  if (!(mean > thr)) return k;
  *b = 1.0 / (log(10.0) * (mean - thr));
  *sb = log(10.0) * (*b) * (*b) * sqrt(ss / ((double)k * (double)(k - 1)));
  return k;
}

/* Cumulative counts N_k (k = kmc .. kmax) of the magnitudes in bins >= kmc; *K bins. */
static int cum_bins(const double *mag, size_t n, long kmc, double dm, long **N, int *K)
{
  long kmax = kmc - 1;
  for (size_t i = 0; i < n; i++) {
    long k = prc_mag_bin(mag[i], dm);
    if (k >= kmc && k > kmax) kmax = k;
  }
  *K = (int)(kmax - kmc + 1);
  *N = NULL;
  if (*K <= 0) return 0;
  if (*K > 100000) return prc_seterr("indicators: magnitudes span %d bins of %g", *K, dm);
  *N = calloc((size_t)*K + 1, sizeof **N);
  if (!*N) return prc_seterr("out of memory");
  for (size_t i = 0; i < n; i++) {
    long k = prc_mag_bin(mag[i], dm);
    if (k >= kmc) (*N)[k - kmc]++;
  }
  for (int j = *K - 2; j >= 0; j--) (*N)[j] += (*N)[j + 1];
  return 0;
}

static double eta_of(const long *N, int K, long kmc, double dm, double a, double b)
{
  if (K < 2 || !isfinite(a) || !isfinite(b)) return NAN;
  double s = 0;
  for (int j = 0; j < K; j++) {
    double r = log10((double)N[j]) - (a - b * (double)(kmc + j) * dm);
    s += r * r;
  }
  return s / (K - 1);
}

int prc_gr_lsq(const double *mag, size_t n, double mc, double dm, double *b, double *sb, double *a, double *eta, int *K)
{
  long *N;
  long  kmc = prc_mag_bin(mc, dm);
  if (!(dm > 0)) return prc_seterr("gr_lsq: bin width %g must be > 0", dm);
  if (cum_bins(mag, n, kmc, dm, &N, K)) return 1;
  if (*K < 2) return free(N), prc_seterr("gr_lsq: %d magnitude bin(s) >= Mc %g: need at least 2", *K, mc);
  double sx = 0, sy = 0, sxx = 0, sxy = 0, nK = *K;
  for (int j = 0; j < *K; j++) {
    double x = (double)(kmc + j) * dm, y = log10((double)N[j]);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  double den = nK * sxx - sx * sx, slope = (nK * sxy - sx * sy) / den;
  *b = -slope;
  *a = (sy - slope * sx) / nK;
  double rss = 0;
  for (int j = 0; j < *K; j++) {
    double r = log10((double)N[j]) - (*a - *b * (double)(kmc + j) * dm);
    rss += r * r;
  }
  *eta = rss / (nK - 1);
  /* standard error of the slope: sqrt(rss/(K-2) / Sxx), NaN with 2 bins (exact fit) */
  *sb = *K > 2 ? sqrt(rss / (nK - 2) / (sxx - sx * sx / nK)) : NAN;
  free(N);
  return 0;
}

/* Number of times < t (times sorted ascending). */
static size_t count_before(const double *time, size_t n, double t)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (time[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

int prc_indicators(const double *time, const double *mag, size_t n, double t, const prc_ind_params *p, double *out)
{
  if (!p || !out || (n && (!time || !mag))) return prc_seterr("indicators: NULL argument");
  if (prc_ind_check(p)) return 1;
  if (!isfinite(t)) return prc_seterr("indicators: evaluation time %g is not finite", t);
  for (int k = 0; k < PRC_IND_COUNT; k++) out[k] = NAN;
  const size_t nb = count_before(time, n, t); /* events [0, nb) are the past; nothing else is read */
  for (size_t i = 1; i < nb; i++)
    if (!(time[i] >= time[i - 1])) return prc_seterr("indicators: event times not sorted at index %zu", i);
  const double dm = p->dm;

  /* max magnitude in the last 7 days; characteristic events over the whole past */
  double mm7 = -INFINITY, last = NAN, s1 = 0, s2 = 0;
  long   nch = 0;
  for (size_t i = nb; i-- > 0 && time[i] >= t - 7.0;)
    if (mag[i] > mm7) mm7 = mag[i];
  out[PRC_IND_MMAX7] = isfinite(mm7) ? mm7 : NAN;
  for (size_t i = 0; i < nb; i++)
    if (mag[i] >= p->char_mag) {
      if (nch > 0) {
        double d = time[i] - last;
        s1 += d, s2 += d * d;
      }
      last = time[i], nch++;
    }
  out[PRC_IND_NCHAR] = (double)nch;
  if (nch >= 2) {
    double ni = (double)(nch - 1), mu = s1 / ni;
    out[PRC_IND_MU] = mu;
    if (nch >= 3 && mu > 0) {
      double var = (s2 - ni * mu * mu) / (ni - 1);
      out[PRC_IND_C] = sqrt(var > 0 ? var : 0) / mu;
    }
  }

  /* the window W = [w0, nb) */
  size_t w0;
  double D; /* observation period for the background rate */
  if (p->n_events > 0) {
    if (nb < (size_t)p->n_events) {
      out[PRC_IND_NWIN] = (double)nb;
      out[PRC_IND_NUSED] = 0;
      return 0;
    }
    w0 = nb - (size_t)p->n_events;
    D = t - time[w0];
  } else {
    w0 = count_before(time, nb, t - p->span_days);
    D = p->span_days;
  }
  const size_t nw = nb - w0;
  out[PRC_IND_NWIN] = (double)nw;
  out[PRC_IND_NUSED] = 0;
  out[PRC_IND_DAYS] = D;
  if (nw == 0) return 0;
  const double *wm = mag + w0, *wt = time + w0;

  long kmc;
  if (p->mc_auto) {
    double m0;
    if (prc_mc_maxc(wm, nw, dm, &m0)) return 1;
    kmc = prc_mag_bin(m0 + p->mc_corr, dm);
  } else
    kmc = prc_mag_bin(p->mc, dm);
  const double Mc = (double)kmc * dm;
  out[PRC_IND_MC] = Mc;

  /* T over the whole window; magnitude statistics over U (bins >= kmc) */
  out[PRC_IND_T] = nw >= 2 ? wt[nw - 1] - wt[0] : NAN;
  double sm = 0, se = 0, mmax = -INFINITY;
  size_t nu = 0;
  for (size_t i = 0; i < nw; i++)
    if (prc_mag_bin(wm[i], dm) >= kmc) {
      nu++, sm += wm[i], se += pow(10.0, 0.5 * (11.8 + 1.5 * wm[i]));
      if (wm[i] > mmax) mmax = wm[i];
    }
  out[PRC_IND_NUSED] = (double)nu;
  if (nu == 0) return 0;
  out[PRC_IND_MMEAN] = sm / (double)nu;
  if (out[PRC_IND_T] > 0) out[PRC_IND_DE] = se / out[PRC_IND_T];
  if (nu < (size_t)p->min_events_b) return 0;

  double b, sb, a = NAN, eta = NAN;
  if (p->b_lsq) {
    int K;
    if (prc_gr_lsq(wm, nw, Mc, dm, &b, &sb, &a, &eta, &K)) b = sb = a = eta = NAN;
  } else {
    mle_bins(wm, nw, kmc, dm, &b, &sb);
    if (isfinite(b)) {
      long *N;
      int   K;
      a = log10((double)nu) + b * Mc;
      if (cum_bins(wm, nw, kmc, dm, &N, &K)) return 1;
      eta = eta_of(N, K, kmc, dm, a, b);
      free(N);
    }
  }
  if (!isfinite(b) || !(b > 0)) return 0;
  out[PRC_IND_B] = b, out[PRC_IND_SB] = sb, out[PRC_IND_A] = a, out[PRC_IND_ETA] = eta;
  out[PRC_IND_DM] = mmax - a / b;
  if (D > 0) out[PRC_IND_PBG] = 1.0 - exp(-pow(10.0, a - b * p->p_mag) / D * p->horizon_days);

  /* Reyes increments: b_j over the reyes_n events ending reyes_lag*j events before t */
  double bj[5];
  for (int j = 0; j < 5; j++) {
    size_t shift = (size_t)p->reyes_lag * (size_t)j, end;
    double sbj;
    bj[j] = NAN;
    if (nb < shift + (size_t)p->reyes_n) continue;
    end = nb - shift;
    size_t k = mle_bins(mag + end - p->reyes_n, (size_t)p->reyes_n, kmc, dm, &bj[j], &sbj);
    if (k < (size_t)p->min_events_b) bj[j] = NAN;
  }
  for (int j = 1; j < 5; j++) out[PRC_IND_X1 + j - 1] = bj[j - 1] - bj[j];
  return 0;
}
