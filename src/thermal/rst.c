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

int prc_rst_mean_local_ref(const float *buf, int nt, int64_t npix, int64_t *qsum, int64_t *cnt)
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

void prc_rst_acc_add_ref(prc_rst_acc *a, const float *buf, int nt, const double *tbar, const int *bin)
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

void prc_rst_background_chan_ref(const prc_rst_acc *a, int window, int circular, int min_samples, float *mean,
                                 float *sd, int32_t *count)
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

void prc_rst_retira_ref(const float *buf, int nt, int64_t npix, const double *tbar, const int *slot, const float *mean,
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

/* ---------------------------------------------------------------------------------------
 * Fast kernels (docs/PERFORMANCE.md). Each performs, for every pixel, exactly the floating-
 * point operations of its _ref twin above, in the same order, so the results are the same
 * bits (tests/unit/test_rst.c compares them bitwise). What changes is the schedule:
 *  - branch-free: every lane computes the update and a select keeps the old state where
 *    the value is missing, so the compiler can vectorise (no mispredicted NaN branches);
 *  - pixel tiles: the time loop runs inside a tile of RST_TILE pixels, so when a block
 *    holds several years the tile's accumulators (or background) stay in cache. Each
 *    pixel still sees its time steps in time order (the folding order is unchanged).
 * Compiled with -O3 (Makefile, per-file flag) for the vectoriser; no FMA contraction
 * (-std=c11 implies -ffp-contract=off), no -ffast-math. */
#include <float.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { RST_TILE = 512, RST_BG_TILE = 64 };

static inline int64_t i64min(int64_t a, int64_t b) { return a < b ? a : b; }

/* llround(v * 2^20) for finite |v| < 2^31, without libm: x + 1.5*2^52 rounds x to the
 * nearest integer (ties to even) exactly while |x| < 2^51 and its bits minus those of
 * 1.5*2^52 are that integer; a tie rounded towards zero is then moved away from zero,
 * which is llround's rule. Returns nonzero if a finite |v| >= 2^31 was seen (the caller
 * redoes the row on the exact scalar path). SSE2 (x86-64 baseline) two doubles at a time. */
static inline int64_t qround_1(float v, int *ok, int *bad)
{
  const double M = 6755399441055744.0; /* 1.5 * 2^52 */
  float        av = fabsf(v);
  *ok = av < 2147483648.0f;                          /* finite and |v| < 2^31 (NaN: false) */
  *bad |= (av >= 2147483648.0f) & (av <= FLT_MAX);   /* finite but out of the fast range */
  double  x = *ok ? (double)v * PRC_RST_FIXED_SCALE : 0.0; /* exact: a power-of-two scaling */
  double  y = x + M, r = y - M, diff = x - r;
  int64_t iy, Mi;
  memcpy(&iy, &y, sizeof iy);
  memcpy(&Mi, &M, sizeof Mi);
  return (iy - Mi) + ((diff == 0.5) & (x > 0)) - ((diff == -0.5) & (x < 0));
}

static int mean_row(const float *restrict b, int64_t np, int64_t *q_out, int64_t *c_out)
{
  int64_t q = 0, c = 0, p = 0;
  int     bad = 0;
#ifdef __SSE2__
  const __m128d M = _mm_set1_pd(6755399441055744.0), lim = _mm_set1_pd(2147483648.0), fmx = _mm_set1_pd(FLT_MAX),
                sc = _mm_set1_pd(PRC_RST_FIXED_SCALE), half = _mm_set1_pd(0.5), mhalf = _mm_set1_pd(-0.5),
                zero = _mm_setzero_pd(), sign = _mm_set1_pd(-0.0);
  __m128i qa = _mm_setzero_si128(), ca = _mm_setzero_si128();
  __m128d ba = _mm_setzero_pd();
  for (; p + 2 <= np; p += 2) {
    __m128d vd = _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)(b + p))));
    __m128d av = _mm_andnot_pd(sign, vd), ok = _mm_cmplt_pd(av, lim);
    ba = _mm_or_pd(ba, _mm_and_pd(_mm_cmpge_pd(av, lim), _mm_cmple_pd(av, fmx)));
    __m128d x = _mm_and_pd(ok, _mm_mul_pd(vd, sc)), y = _mm_add_pd(x, M), diff = _mm_sub_pd(x, _mm_sub_pd(y, M));
    __m128i i = _mm_sub_epi64(_mm_castpd_si128(y), _mm_castpd_si128(M));
    __m128d up = _mm_and_pd(_mm_cmpeq_pd(diff, half), _mm_cmpgt_pd(x, zero));  /* all-ones = -1 */
    __m128d dn = _mm_and_pd(_mm_cmpeq_pd(diff, mhalf), _mm_cmplt_pd(x, zero));
    i = _mm_add_epi64(_mm_sub_epi64(i, _mm_castpd_si128(up)), _mm_castpd_si128(dn));
    qa = _mm_add_epi64(qa, i);
    ca = _mm_sub_epi64(ca, _mm_castpd_si128(ok));
  }
  int64_t lq[2], lc[2];
  _mm_storeu_si128((__m128i *)(void *)lq, qa);
  _mm_storeu_si128((__m128i *)(void *)lc, ca);
  q = lq[0] + lq[1], c = lc[0] + lc[1];
  bad = _mm_movemask_pd(ba) != 0;
#endif
  for (; p < np; p++) {
    int ok;
    q += qround_1(b[p], &ok, &bad);
    c += ok;
  }
  *q_out = q, *c_out = c;
  return bad;
}

int prc_rst_mean_local(const float *buf, int nt, int64_t npix, int64_t *qsum, int64_t *cnt)
{
  for (int t = 0; t < nt; t++) {
    const float *b = buf + (size_t)t * (size_t)npix;
    if (mean_row(b, npix, qsum + t, cnt + t)) { /* |v| >= 2^31 somewhere: the exact scalar path and its error */
      int64_t q = 0, c = 0;
      for (int64_t p = 0; p < npix; p++) {
        float v = b[p];
        if (!isfinite(v)) continue;
        if (fabsf(v) > 2147483648.0f) return prc_seterr("rst: value %g at time %d, pixel %lld is too large (|v| > 2^31)", (double)v, t, (long long)p);
        q += (int64_t)llround((double)v * PRC_RST_FIXED_SCALE);
        c++;
      }
      qsum[t] = q, cnt[t] = c;
    }
  }
  return 0;
}

/* Welford update of one row of accumulators, the operations of prc_rst_acc_add_ref:
 * n += 1; mean += d / n; m2 += d * (x - mean). Branch-free: SSE2 two pixels at a time,
 * a select keeps the old state of missing pixels (gcc does not if-convert this loop). */
static void acc_row(int32_t *restrict n, double *restrict mu, double *restrict m2, const float *restrict b, int64_t pn,
                    double tb)
{
  int64_t p = 0;
#ifdef __SSE2__
  const __m128d tbv = _mm_set1_pd(tb), one = _mm_set1_pd(1.0), zero = _mm_setzero_pd();
  for (; p + 2 <= pn; p += 2) {
    __m128d x = _mm_sub_pd(_mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)(b + p)))), tbv);
    __m128d ok = _mm_cmpeq_pd(_mm_sub_pd(x, x), zero); /* finite: NaN and inf give NaN */
    __m128d nn = _mm_add_pd(_mm_cvtepi32_pd(_mm_loadl_epi64((const __m128i *)(void *)(n + p))), _mm_and_pd(ok, one));
    __m128d m = _mm_loadu_pd(mu + p), s = _mm_loadu_pd(m2 + p), d = _mm_sub_pd(x, m);
    __m128d mn = _mm_add_pd(m, _mm_div_pd(d, nn)); /* nn = 0 only where !ok: not selected */
    __m128d sn = _mm_add_pd(s, _mm_mul_pd(d, _mm_sub_pd(x, mn)));
    _mm_storel_epi64((__m128i *)(void *)(n + p), _mm_cvtpd_epi32(nn)); /* integers: exact */
    _mm_storeu_pd(mu + p, _mm_or_pd(_mm_and_pd(ok, mn), _mm_andnot_pd(ok, m)));
    _mm_storeu_pd(m2 + p, _mm_or_pd(_mm_and_pd(ok, sn), _mm_andnot_pd(ok, s)));
  }
#endif
  for (; p < pn; p++) {
    float v = b[p];
    if (!isfinite(v)) continue;
    double x = (double)v - tb, d = x - mu[p];
    n[p]++;
    mu[p] += d / n[p];
    m2[p] += d * (x - mu[p]);
  }
}

void prc_rst_acc_add(prc_rst_acc *a, const float *buf, int nt, const double *tbar, const int *bin)
{
  const int64_t np = a->npix;
  for (int64_t p0 = 0; p0 < np; p0 += RST_TILE) {
    int64_t pn = i64min(RST_TILE, np - p0);
    for (int t = 0; t < nt; t++) {
      if (bin[t] < 0 || !isfinite(tbar[t])) continue;
      size_t o = (size_t)bin[t] * (size_t)np + (size_t)p0;
      acc_row(a->n + o, a->mean + o, a->m2 + o, buf + (size_t)t * (size_t)np + (size_t)p0, pn, tbar[t]);
    }
  }
}

static void merge_row(double *restrict N, double *restrict MU, double *restrict M2, const int32_t *restrict bn,
                      const double *restrict bm, const double *restrict bs, int64_t pn)
{
  for (int64_t p = 0; p < pn; p++) {
    double nb_ = bn[p], n = N[p], m = MU[p], s = M2[p];
    double d = bm[p] - m, nn = n + nb_; /* Chan et al. pairwise merge, as in the _ref */
    double mn = m + d * nb_ / nn;
    double sn = s + (bs[p] + d * d * n * nb_ / nn);
    int    ok = nb_ != 0;
    MU[p] = ok ? mn : m;
    M2[p] = ok ? sn : s;
    N[p] = ok ? nn : n;
  }
}

void prc_rst_background(const prc_rst_acc *a, int window, int circular, int min_samples, float *mean, float *sd,
                        int32_t *count)
{
  const int64_t np = a->npix;
  const int     nb = a->nbins;
  const int     all = circular && 2 * window + 1 >= nb; /* the window covers every bin: each once */
  double        N[RST_BG_TILE], MU[RST_BG_TILE], M2[RST_BG_TILE];
  for (int64_t p0 = 0; p0 < np; p0 += RST_BG_TILE) {
    int64_t pn = i64min(RST_BG_TILE, np - p0);
    for (int s = 0; s < nb; s++) {
      for (int64_t p = 0; p < pn; p++) N[p] = MU[p] = M2[p] = 0;
      for (int k = all ? 0 : -window; k <= (all ? nb - 1 : window); k++) {
        int b = all ? k : s + k;
        if (circular) b = ((b % nb) + nb) % nb;
        else if (b < 0 || b >= nb) continue;
        size_t i = (size_t)b * (size_t)np + (size_t)p0;
        merge_row(N, MU, M2, a->n + i, a->mean + i, a->m2 + i, pn);
      }
      size_t o = (size_t)s * (size_t)np + (size_t)p0;
      for (int64_t p = 0; p < pn; p++) {
        double n = N[p];
        int    def = n >= min_samples && n > 0;
        count[o + p] = (int32_t)n;
        mean[o + p] = def ? (float)MU[p] : NAN;
        sd[o + p] = def ? (float)sqrt(M2[p] / n) : NAN;
      }
    }
  }
}

static void retira_row(float *restrict o, const float *restrict b, const float *restrict mu, const float *restrict sg,
                       int64_t pn, double tb)
{
  for (int64_t p = 0; p < pn; p++) {
    float  v = b[p], m = mu[p], s = sg[p];
    double q = ((double)v - tb - m) / s;
    o[p] = (fabsf(v) <= FLT_MAX && s > 0) ? (float)q : NAN;
  }
}

void prc_rst_retira(const float *buf, int nt, int64_t npix, const double *tbar, const int *slot, const float *mean,
                    const float *sd, float *r)
{
  for (int64_t p0 = 0; p0 < npix; p0 += RST_TILE) {
    int64_t pn = i64min(RST_TILE, npix - p0);
    for (int t = 0; t < nt; t++) {
      float *o = r + (size_t)t * (size_t)npix + (size_t)p0;
      if (!isfinite(tbar[t])) {
        for (int64_t p = 0; p < pn; p++) o[p] = NAN;
        continue;
      }
      size_t m = (size_t)slot[t] * (size_t)npix + (size_t)p0;
      retira_row(o, buf + (size_t)t * (size_t)npix + (size_t)p0, mean + m, sd + m, pn, tbar[t]);
    }
  }
}
