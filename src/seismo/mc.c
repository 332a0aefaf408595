/* mc.c — magnitude of completeness: maximum curvature and Gutenberg–Richter goodness of
 * fit (Wiemer & Wyss 2000). Definitions in include/precursor/mc.h. Kernel layer. */
#include "precursor/mc.h"
#include "precursor/error.h"
#include "precursor/etas.h"

#include <math.h>
#include <stdlib.h>

long prc_mag_bin(double m, double dm) { return (long)floor(m / dm + 0.5 + 1e-9); }

int prc_fmd(const double *mag, size_t n, double dm, long *kmin, int *nbins, long **counts)
{
  long lo = 0, hi = 0;
  int  any = 0;
  if (!(dm > 0)) return prc_seterr("magnitude bin width %g must be > 0", dm);
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(mag[i])) continue;
    long k = prc_mag_bin(mag[i], dm);
    if (!any || k < lo) lo = k;
    if (!any || k > hi) hi = k;
    any = 1;
  }
  if (!any) return prc_seterr("no finite magnitude among %zu events", n);
  if (hi - lo >= 1000000) return prc_seterr("magnitudes span %ld bins of %g: too many", hi - lo + 1, dm);
  long *c = calloc((size_t)(hi - lo + 1), sizeof *c);
  if (!c) return prc_seterr("out of memory");
  for (size_t i = 0; i < n; i++)
    if (isfinite(mag[i])) c[prc_mag_bin(mag[i], dm) - lo]++;
  *kmin = lo, *nbins = (int)(hi - lo + 1), *counts = c;
  return 0;
}

int prc_mc_maxc(const double *mag, size_t n, double dm, double *mc)
{
  long  k0, *c;
  int   nb, best = 0;
  if (prc_fmd(mag, n, dm, &k0, &nb, &c)) return 1;
  for (int i = 1; i < nb; i++)
    if (c[i] > c[best]) best = i;
  *mc = (double)(k0 + best) * dm;
  free(c);
  return 0;
}

int prc_mc_gof(const double *mag, size_t n, double dm, size_t min_events, double *mc, double *R_out, int *level)
{
  long   k0, *c;
  int    nb;
  double maxc;
  if (min_events < 2) return prc_seterr("goodness-of-fit Mc: min_events %zu must be >= 2", min_events);
  if (prc_mc_maxc(mag, n, dm, &maxc) || prc_fmd(mag, n, dm, &k0, &nb, &c)) return 1;
  long *cum = malloc((size_t)(nb + 1) * sizeof *cum); /* cum[i] = events in bins >= i */
  double *R = malloc((size_t)nb * sizeof *R);
  if (!cum || !R) return free(c), free(cum), free(R), prc_seterr("out of memory");
  cum[nb] = 0;
  for (int i = nb - 1; i >= 0; i--) cum[i] = cum[i + 1] + c[i];
  int ncand = 0;
  for (int i = 0; i < nb && (size_t)cum[i] >= min_events; i++, ncand++) {
    double b, mci = (double)(k0 + i) * dm;
    R[i] = NAN;
    if (prc_gr_bvalue_mle(mag, n, mci, dm, &b, NULL)) continue; /* e.g. all at the threshold */
    double sad = 0, sb = 0;
    for (int k = i; k < nb; k++) {
      double S = (double)cum[i] * pow(10.0, -b * (double)(k - i) * dm);
      sad += fabs((double)cum[k] - S), sb += (double)cum[k];
    }
    R[i] = 100.0 - 100.0 * sad / sb;
  }
  int lev = 0, pick = -1;
  for (int want = 95; want >= 90 && pick < 0; want -= 5)
    for (int i = 0; i < ncand; i++)
      if (R[i] >= want) {
        pick = i, lev = want;
        break;
      }
  *mc = pick >= 0 ? (double)(k0 + pick) * dm : maxc;
  if (R_out) *R_out = pick >= 0 ? R[pick] : NAN;
  if (level) *level = lev;
  free(c), free(cum), free(R);
  return 0;
}
