/* rst.c — RST kernels: fixed-point spatial mean, Welford per-bin accumulation, Chan
 * merging over slot windows, RETIRA, and the straightforward reference. */
#include "precursor/rst.h"
#include "precursor/error.h"
#include "precursor/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int prc_rst_bin(double t, int monthly)
{
  if (!monthly) return prc_time_doy(t) - 1;
  int64_t  y;
  unsigned m, d;
  prc_civil_from_days((int64_t)floor(t / PRC_DAY), &y, &m, &d);
  return (int)m - 1;
}

int prc_rst_mean_local(const float *buf, int nt, int64_t npix, int64_t *qsum, int64_t *cnt)
{
  /* |v| <= 2^31 keeps one term below 2^51 and 2^12 such terms cannot overflow; the sum of
   * npix terms is safe while npix * 2^51 < 2^63, i.e. for any tile below 4096 x 2^20 px
   * at the extreme value, and for any real grid of temperatures (~2^28.6 per term). */
  for (int t = 0; t < nt; t++) {
    const float *b = buf + (size_t)t * (size_t)npix;
    int64_t      q = 0, c = 0;
    for (int64_t p = 0; p < npix; p++) {
      float v = b[p];
      if (!isfinite(v)) continue;
      if (fabsf(v) > 2147483648.0f) return prc_seterr("rst: value %g at time %d, pixel %lld is too large (|v| > 2^31)", (double)v, t, (long long)p);
      q += (int64_t)llround((double)v * PRC_RST_FIXED_SCALE);
      c++;
    }
    qsum[t] = q;
    cnt[t] = c;
  }
  return 0;
}

int prc_rst_acc_init(prc_rst_acc *a, int nbins, int64_t npix)
{
  size_t n = (size_t)nbins * (size_t)(npix > 0 ? npix : 1);
  memset(a, 0, sizeof *a);
  a->nbins = nbins;
  a->npix = npix;
  a->n = calloc(n, sizeof *a->n);
  a->mean = calloc(n, sizeof *a->mean);
  a->m2 = calloc(n, sizeof *a->m2);
  if (!a->n || !a->mean || !a->m2) {
    prc_rst_acc_free(a);
    return prc_seterr("rst: out of memory for %d x %lld background accumulators (%.1f MB)", nbins, (long long)npix,
                      (double)n * 20 / 1e6);
  }
  return 0;
}

void prc_rst_acc_free(prc_rst_acc *a)
{
  free(a->n), free(a->mean), free(a->m2);
  memset(a, 0, sizeof *a);
}

void prc_rst_acc_add(prc_rst_acc *a, const float *buf, int nt, const double *tbar, const int *bin)
{
  const int64_t np = a->npix;
  for (int t = 0; t < nt; t++) {
    if (bin[t] < 0 || !isfinite(tbar[t])) continue;
    const float *b = buf + (size_t)t * (size_t)np;
    int32_t     *n = a->n + (size_t)bin[t] * (size_t)np;
    double      *mu = a->mean + (size_t)bin[t] * (size_t)np, *m2 = a->m2 + (size_t)bin[t] * (size_t)np, tb = tbar[t];
    for (int64_t p = 0; p < np; p++) {
      float v = b[p];
      if (!isfinite(v)) continue;
      double x = (double)v - tb, d = x - mu[p];
      n[p]++;
      mu[p] += d / n[p];
      m2[p] += d * (x - mu[p]);
    }
  }
}

void prc_rst_background(const prc_rst_acc *a, int window, int circular, int min_samples, float *mean, float *sd,
                        int32_t *count)
{
  const int64_t np = a->npix;
  const int     nb = a->nbins;
  for (int s = 0; s < nb; s++)
    for (int64_t p = 0; p < np; p++) {
      double n = 0, mu = 0, m2 = 0;
      int all = circular && 2 * window + 1 >= nb; /* the window covers every bin: each once */
      for (int k = all ? 0 : -window; k <= (all ? nb - 1 : window); k++) {
        int b = all ? k : s + k;
        if (circular) b = ((b % nb) + nb) % nb;
        else if (b < 0 || b >= nb) continue;
        size_t i = (size_t)b * (size_t)np + (size_t)p;
        double nb_ = a->n[i];
        if (!nb_) continue;
        double d = a->mean[i] - mu, nn = n + nb_; /* Chan et al. pairwise merge */
        mu += d * nb_ / nn;
        m2 += a->m2[i] + d * d * n * nb_ / nn;
        n = nn;
      }
      size_t o = (size_t)s * (size_t)np + (size_t)p;
      count[o] = (int32_t)n;
      if (n >= min_samples && n > 0) {
        mean[o] = (float)mu;
        sd[o] = (float)sqrt(m2 / n);
      } else {
        mean[o] = sd[o] = NAN;
      }
    }
}

void prc_rst_retira(const float *buf, int nt, int64_t npix, const double *tbar, const int *slot, const float *mean,
                    const float *sd, float *r)
{
  for (int t = 0; t < nt; t++) {
    const float *b = buf + (size_t)t * (size_t)npix;
    float       *o = r + (size_t)t * (size_t)npix;
    const float *mu = mean + (size_t)slot[t] * (size_t)npix, *sg = sd + (size_t)slot[t] * (size_t)npix;
    double       tb = tbar[t];
    for (int64_t p = 0; p < npix; p++) {
      float v = b[p];
      o[p] = (isfinite(v) && isfinite(tb) && sg[p] > 0) ? (float)(((double)v - tb - mu[p]) / sg[p]) : NAN;
    }
  }
}

/* circular distance between bins */
static int bin_dist(int a, int b, int nb, int circular)
{
  int d = abs(a - b);
  return circular && nb - d < d ? nb - d : d;
}

void prc_rst_background_ref(const float *stack, int nt, int64_t npix, const double *tbar, const int *bin, int nbins,
                            int window, int circular, int min_samples, float *mean, float *sd, int32_t *count)
{
  double *x = malloc(sizeof(double) * (size_t)(nt > 0 ? nt : 1));
  for (int s = 0; s < nbins; s++)
    for (int64_t p = 0; p < npix; p++) {
      int n = 0;
      for (int t = 0; t < nt; t++) {
        float v = stack[(size_t)t * (size_t)npix + (size_t)p];
        if (bin[t] < 0 || !isfinite(v) || !isfinite(tbar[t]) || bin_dist(bin[t], s, nbins, circular) > window) continue;
        x[n++] = (double)v - tbar[t];
      }
      double mu = 0, ss = 0;
      for (int i = 0; i < n; i++) mu += x[i];
      mu = n ? mu / n : 0;
      for (int i = 0; i < n; i++) ss += (x[i] - mu) * (x[i] - mu);
      size_t o = (size_t)s * (size_t)npix + (size_t)p;
      count[o] = n;
      mean[o] = n >= min_samples && n > 0 ? (float)mu : NAN;
      sd[o] = n >= min_samples && n > 0 ? (float)sqrt(ss / n) : NAN;
    }
  free(x);
}
