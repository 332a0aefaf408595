/* rst.c — RST kernels: fixed-point spatial mean, shifted-sum per-bin accumulation, plain
 * window sums per slot, RETIRA, and the straightforward reference. */
#include "precursor/rst.h"
#include "precursor/error.h"
#include "precursor/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

void *prc_rst_alloc(size_t bytes)
{
  const size_t huge = (size_t)2 << 20;
  if (bytes < huge) return calloc(bytes ? bytes : 1, 1);
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* zero pages */
  if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE); /* advice only: without transparent huge pages it is a no-op */
#endif
  return p;
}

void prc_rst_free(void *p, size_t bytes)
{
  if (!p) return;
  if (bytes < ((size_t)2 << 20)) free(p);
  else munmap(p, bytes);
}

int prc_rst_acc_init(prc_rst_acc *a, int nbins, int64_t npix)
{
  size_t n = (size_t)nbins * (size_t)(npix > 0 ? npix : 1);
  memset(a, 0, sizeof *a);
  a->nbins = nbins;
  a->npix = npix;
  a->n = prc_rst_alloc(n * sizeof *a->n); /* zeroed */
  a->s1 = prc_rst_alloc(n * sizeof *a->s1);
  a->s2 = prc_rst_alloc(n * sizeof *a->s2);
  a->shift = malloc(sizeof *a->shift * (size_t)(npix > 0 ? npix : 1));
  if (!a->n || !a->s1 || !a->s2 || !a->shift) {
    prc_rst_acc_free(a);
    return prc_seterr("rst: out of memory for %d x %lld background accumulators (%.1f MB)", nbins, (long long)npix,
                      (double)n * 20 / 1e6);
  }
  for (int64_t p = 0; p < npix; p++) a->shift[p] = NAN;
  return 0;
}

void prc_rst_acc_free(prc_rst_acc *a)
{
  size_t n = (size_t)a->nbins * (size_t)(a->npix > 0 ? a->npix : 1);
  prc_rst_free(a->n, n * sizeof *a->n), prc_rst_free(a->s1, n * sizeof *a->s1), prc_rst_free(a->s2, n * sizeof *a->s2);
  free(a->shift);
  memset(a, 0, sizeof *a);
}

void prc_rst_acc_add_ref(prc_rst_acc *a, const float *buf, int nt, const double *tbar, const int *bin)
{
  const int64_t np = a->npix;
  for (int t = 0; t < nt; t++) {
    if (bin[t] < 0 || !isfinite(tbar[t])) continue;
    const float *b = buf + (size_t)t * (size_t)np;
    int32_t     *n = a->n + (size_t)bin[t] * (size_t)np;
    double      *s1 = a->s1 + (size_t)bin[t] * (size_t)np, *s2 = a->s2 + (size_t)bin[t] * (size_t)np, tb = tbar[t];
    for (int64_t p = 0; p < np; p++) {
      float v = b[p];
      if (!isfinite(v)) continue;
      double x = (double)v - tb;
      if (isnan(a->shift[p])) a->shift[p] = x; /* the pixel's first valid dT */
      double y = x - a->shift[p];
      n[p]++;
      s1[p] += y;
      s2[p] += y * y;
    }
  }
}

/* The slot's statistics from the window sums (W0 samples): m = W1 / W0, mean = c + m,
 * q = W2 - m W1 (the sum of squared deviations), var = q / W0. The rounding error of q is
 * below 2 (W0 + nbins + 2) eps W2 (W0 terms summed per bin, at most nbins bins summed per
 * window, and |m W1| <= W2 by Cauchy-Schwarz); a smaller q cannot be told from 0 (a
 * constant window) and is 0, so a constant series has sd exactly 0 (R undefined), as with
 * the two-pass formula. */
#define RST_EPS 2.220446049250313e-16
static inline double window_q(double w0, double w1, double w2, double nb)
{
  double m = w1 / w0, q = w2 - m * w1, tol = 2.0 * (w0 + nb + 2.0) * RST_EPS * w2;
  return q > tol ? q : 0.0;
}

/* The window of slot s in the extended bin sequence E[j], j = 0 .. nbins + 2 window - 1,
 * E[j] = bin j - window (circularly, or absent outside 0 .. nbins - 1): E[s .. s + L - 1],
 * L = 2 window + 1. The sums of a window are taken in the blocks of length L that E is cut
 * into (van Herk / Gil-Werman): for s = B + r in the block starting at B,
 *   Q = E[B+L-1] + ... + E[s]   (added from the block's end down to s),
 *   P = E[B+L] + ... + E[s+L-1] (added upwards; r = 0: no P),   W = Q + P.
 * Three additions per bin instead of L, in an order fixed by s alone (not by the pixel tile,
 * block or rank). Returns the bin of E[j], or -1 if absent. */
static inline int ext_bin(int j, int window, int nb, int circular)
{
  int b = j - window;
  if (circular) return j < nb + 2 * window ? ((b % nb) + nb) % nb : -1;
  return b >= 0 && b < nb ? b : -1;
}

void prc_rst_background_sums_ref(const prc_rst_acc *a, int window, int circular, int min_samples, float *mean,
                                 float *sd, int32_t *count)
{
  const int64_t np = a->npix;
  const int     nb = a->nbins, L = 2 * window + 1;
  const int     all = circular && L >= nb; /* the window covers every bin: each once, in order */
  for (int s = 0; s < nb; s++)
    for (int64_t p = 0; p < np; p++) {
      double n = 0, w1 = 0, w2 = 0;
      if (all)
        for (int b = 0; b < nb; b++) {
          size_t i = (size_t)b * (size_t)np + (size_t)p;
          n += a->n[i], w1 += a->s1[i], w2 += a->s2[i];
        }
      else {
        int    r = s % L, B = s - r;
        double pn = 0, p1 = 0, p2 = 0;
        for (int j = B + L - 1; j >= s; j--) { /* Q, from the block's end down */
          int b = ext_bin(j, window, nb, circular);
          if (b < 0) continue;
          size_t i = (size_t)b * (size_t)np + (size_t)p;
          n = (double)a->n[i] + n, w1 = a->s1[i] + w1, w2 = a->s2[i] + w2;
        }
        for (int j = B + L; r && j <= s + L - 1; j++) { /* P, upwards */
          int b = ext_bin(j, window, nb, circular);
          if (b < 0) continue;
          size_t i = (size_t)b * (size_t)np + (size_t)p;
          pn += (double)a->n[i], p1 += a->s1[i], p2 += a->s2[i];
        }
        if (r) n = n + pn, w1 = w1 + p1, w2 = w2 + p2;
      }
      size_t o = (size_t)s * (size_t)np + (size_t)p;
      count[o] = (int32_t)n;
      if (n >= min_samples && n > 0) {
        mean[o] = (float)(a->shift[p] + w1 / n);
        sd[o] = (float)sqrt(window_q(n, w1, w2, nb) / n);
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

/* Shifted-sum update of one row of accumulators, the operations of prc_rst_acc_add_ref:
 * c = x where c is unset; y = x - c; n += 1; s1 += y; s2 += y * y. Branch-free: SSE2 two
 * pixels at a time, a select keeps the old state of missing pixels (gcc does not if-convert
 * this loop). */
static void acc_row(int32_t *restrict n, double *restrict s1, double *restrict s2, double *restrict c,
                    const float *restrict b, int64_t pn, double tb)
{
  int64_t p = 0;
#ifdef __SSE2__
  const __m128d tbv = _mm_set1_pd(tb), one = _mm_set1_pd(1.0), zero = _mm_setzero_pd();
  for (; p + 2 <= pn; p += 2) {
    __m128d x = _mm_sub_pd(_mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)(b + p)))), tbv);
    __m128d ok = _mm_cmpeq_pd(_mm_sub_pd(x, x), zero); /* finite: NaN and inf give NaN */
    __m128d c0 = _mm_loadu_pd(c + p), set = _mm_and_pd(ok, _mm_cmpunord_pd(c0, c0)); /* first valid value */
    __m128d cc = _mm_or_pd(_mm_and_pd(set, x), _mm_andnot_pd(set, c0));
    __m128d y = _mm_sub_pd(x, cc);
    __m128d nn = _mm_add_pd(_mm_cvtepi32_pd(_mm_loadl_epi64((const __m128i *)(void *)(n + p))), _mm_and_pd(ok, one));
    __m128d a1 = _mm_loadu_pd(s1 + p), a2 = _mm_loadu_pd(s2 + p);
    __m128d b1 = _mm_add_pd(a1, y), b2 = _mm_add_pd(a2, _mm_mul_pd(y, y));
    _mm_storeu_pd(c + p, cc);
    _mm_storel_epi64((__m128i *)(void *)(n + p), _mm_cvtpd_epi32(nn)); /* integers: exact */
    _mm_storeu_pd(s1 + p, _mm_or_pd(_mm_and_pd(ok, b1), _mm_andnot_pd(ok, a1)));
    _mm_storeu_pd(s2 + p, _mm_or_pd(_mm_and_pd(ok, b2), _mm_andnot_pd(ok, a2)));
  }
#endif
  for (; p < pn; p++) {
    float v = b[p];
    if (!isfinite(v)) continue;
    double x = (double)v - tb;
    if (isnan(c[p])) c[p] = x;
    double y = x - c[p];
    n[p]++;
    s1[p] += y;
    s2[p] += y * y;
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
      acc_row(a->n + o, a->s1 + o, a->s2 + o, a->shift + p0, buf + (size_t)t * (size_t)np + (size_t)p0, pn, tbar[t]);
    }
  }
}

/* mean, sd, count of a tile's slot from its window sums: the operations of the _ref's
 * window_q and its callers, SSE2 two pixels at a time (selects instead of branches) */
static void finish_row(float *restrict mean, float *restrict sd, int32_t *restrict count, const double *restrict c,
                       const double *restrict W0, const double *restrict W1, const double *restrict W2, int64_t pn,
                       double nmin, double nb)
{
  int64_t p = 0;
#ifdef __SSE2__
  const __m128d two = _mm_set1_pd(2.0), eps = _mm_set1_pd(RST_EPS), zero = _mm_setzero_pd(), mn = _mm_set1_pd(nmin),
                nbv = _mm_set1_pd(nb);
  const __m128  nan = _mm_set1_ps(NAN);
  for (; p + 2 <= pn; p += 2) {
    __m128d n = _mm_loadu_pd(W0 + p), w1 = _mm_loadu_pd(W1 + p), w2 = _mm_loadu_pd(W2 + p);
    __m128d m = _mm_div_pd(w1, n), q = _mm_sub_pd(w2, _mm_mul_pd(m, w1));
    __m128d tol = _mm_mul_pd(_mm_mul_pd(_mm_mul_pd(two, _mm_add_pd(_mm_add_pd(n, nbv), two)), eps), w2);
    q = _mm_and_pd(_mm_cmpgt_pd(q, tol), q);
    __m128d def = _mm_and_pd(_mm_cmpge_pd(n, mn), _mm_cmpgt_pd(n, zero));
    __m128  d4 = _mm_castsi128_ps(_mm_shuffle_epi32(_mm_castpd_si128(def), _MM_SHUFFLE(3, 3, 2, 0))); /* lanes 0, 1 */
    __m128  mu = _mm_cvtpd_ps(_mm_add_pd(_mm_loadu_pd(c + p), m)), sg = _mm_cvtpd_ps(_mm_sqrt_pd(_mm_div_pd(q, n)));
    mu = _mm_or_ps(_mm_and_ps(d4, mu), _mm_andnot_ps(d4, nan));
    sg = _mm_or_ps(_mm_and_ps(d4, sg), _mm_andnot_ps(d4, nan));
    _mm_storel_pi((__m64 *)(void *)(mean + p), mu);
    _mm_storel_pi((__m64 *)(void *)(sd + p), sg);
    _mm_storel_epi64((__m128i *)(void *)(count + p), _mm_cvttpd_epi32(n));
  }
#endif
  for (; p < pn; p++) {
    double n = W0[p];
    int    def = n >= nmin && n > 0;
    count[p] = (int32_t)n;
    mean[p] = def ? (float)(c[p] + W1[p] / n) : NAN;
    sd[p] = def ? (float)sqrt(window_q(n, W1[p], W2[p], nb) / n) : NAN;
  }
}

/* Z = E + Z (op 0) or Z = Z + E (op 1) for the rows of a pixel tile: the count converted to
 * an exact double; plain adds, vectorised */
static void add_rows(double *restrict Z0, double *restrict Z1, double *restrict Z2, const int32_t *restrict e0,
                     const double *restrict e1, const double *restrict e2, int64_t pn)
{
  for (int64_t p = 0; p < pn; p++) {
    Z0[p] = (double)e0[p] + Z0[p];
    Z1[p] = e1[p] + Z1[p];
    Z2[p] = e2[p] + Z2[p];
  }
}

/* inplace: each pixel tile's products go to a tile buffer, then, once the tile's sums are
 * no longer needed, into the first half of the tile's own rows (mean in s1, sd in s2, count
 * in n); the float rows are compacted at the end (prc_rst_background_inplace). */
static int background(prc_rst_acc *a, int window, int circular, int min_samples, float *mean, float *sd, int32_t *count,
                      int inplace)
{
  const int64_t np = a->npix;
  const int     nb = a->nbins, L = 2 * window + 1;
  const int     all = circular && L >= nb; /* the window covers every bin: each once, in order */
  const int     nq = all ? 1 : L;
  /* per pixel tile: the suffix sums Q of one block (nq rows x 3), the prefix P, the window W */
  double *Q = malloc(sizeof(double) * 3 * RST_BG_TILE * (size_t)(nq + 2));
  if (!Q) return prc_seterr("rst: out of memory for the window sums of %d bins", nq);
  double  *P = Q + (size_t)3 * RST_BG_TILE * (size_t)nq, *W = P + 3 * RST_BG_TILE;
  float   *tb = NULL;
  if (inplace && !(tb = malloc(sizeof(float) * 3 * RST_BG_TILE * (size_t)nb))) {
    free(Q);
    return prc_seterr("rst: out of memory for the background of a pixel tile (%d slots)", nb);
  }
  for (int64_t p0 = 0; p0 < np; p0 += RST_BG_TILE) {
    const int64_t pn = i64min(RST_BG_TILE, np - p0);
    const double *c = a->shift + p0;
    /* products of slot s at o = s * ostr + obase */
    float   *om = inplace ? tb : mean, *os = inplace ? tb + (size_t)RST_BG_TILE * nb : sd;
    int32_t *oc = inplace ? (int32_t *)(void *)(tb + (size_t)2 * RST_BG_TILE * nb) : count;
    size_t   ostr = inplace ? RST_BG_TILE : (size_t)np, obase = inplace ? 0 : (size_t)p0;
#define ROWS(X, k) (X) + (size_t)3 * RST_BG_TILE * (size_t)(k), (X) + (size_t)3 * RST_BG_TILE * (size_t)(k) + RST_BG_TILE, \
                   (X) + (size_t)3 * RST_BG_TILE * (size_t)(k) + 2 * RST_BG_TILE
#define BIN(b) a->n + (size_t)(b) * (size_t)np + (size_t)p0, a->s1 + (size_t)(b) * (size_t)np + (size_t)p0, \
               a->s2 + (size_t)(b) * (size_t)np + (size_t)p0
    if (all) { /* every slot: the same sums of all bins in order (the same operations): once */
      memset(W, 0, sizeof(double) * 3 * RST_BG_TILE);
      for (int b = 0; b < nb; b++) add_rows(ROWS(W, 0), BIN(b), pn); /* 0 + x: the _ref's n += x */
      for (int s = 0; s < nb; s++) {
        size_t o = (size_t)s * ostr + obase;
        finish_row(om + o, os + o, oc + o, c, ROWS(W, 0), pn, (double)min_samples, (double)nb);
      }
    }
    for (int B = 0; !all && B < nb; B += L) {
      /* Q[r] = E[B+L-1] + ... + E[B+r], from the block's end down */
      memset(W, 0, sizeof(double) * 3 * RST_BG_TILE);
      for (int r = L - 1; r >= 0; r--) {
        int b = ext_bin(B + r, window, nb, circular);
        if (b >= 0) add_rows(ROWS(W, 0), BIN(b), pn);
        if (B + r < nb) memcpy(Q + (size_t)3 * RST_BG_TILE * (size_t)r, W, sizeof(double) * 3 * RST_BG_TILE);
      }
      /* slot B: Q[0]; slot B + r: Q[r] + P, P = E[B+L] + ... + E[B+L+r-1] */
      size_t o = (size_t)B * ostr + obase;
      finish_row(om + o, os + o, oc + o, c, ROWS(Q, 0), pn, (double)min_samples, (double)nb);
      memset(P, 0, sizeof(double) * 3 * RST_BG_TILE);
      for (int r = 1; r < L && B + r < nb; r++) {
        int b = ext_bin(B + L + r - 1, window, nb, circular);
        if (b >= 0) {
          double *p_0 = P, *p_1 = P + RST_BG_TILE, *p_2 = P + 2 * RST_BG_TILE;
          const int32_t *e0 = a->n + (size_t)b * (size_t)np + (size_t)p0;
          const double  *e1 = a->s1 + (size_t)b * (size_t)np + (size_t)p0, *e2 = a->s2 + (size_t)b * (size_t)np + (size_t)p0;
          for (int64_t p = 0; p < pn; p++) p_0[p] += (double)e0[p], p_1[p] += e1[p], p_2[p] += e2[p];
        }
        double *q = Q + (size_t)3 * RST_BG_TILE * (size_t)r;
        for (int64_t p = 0; p < 3 * RST_BG_TILE; p++) W[p] = q[p] + P[p];
        o = (size_t)(B + r) * ostr + obase;
        finish_row(om + o, os + o, oc + o, c, ROWS(W, 0), pn, (double)min_samples, (double)nb);
      }
    }
#undef ROWS
#undef BIN
    /* in place: row s of the tile into floats [p0, p0 + pn) of row s of s1 (s2, n). Those
     * bytes hold the sums of pixels [p0/2, (p0+pn)/2) of bin s: of this or earlier tiles,
     * all finished; and no earlier tile's products are there. */
    for (int s = 0; inplace && s < nb; s++) {
      memcpy((float *)(void *)(a->s1 + (size_t)s * (size_t)np) + p0, om + (size_t)s * RST_BG_TILE, sizeof(float) * (size_t)pn);
      memcpy((float *)(void *)(a->s2 + (size_t)s * (size_t)np) + p0, os + (size_t)s * RST_BG_TILE, sizeof(float) * (size_t)pn);
      memcpy(a->n + (size_t)s * (size_t)np + p0, oc + (size_t)s * RST_BG_TILE, sizeof(int32_t) * (size_t)pn);
    }
  }
  if (inplace) /* float row s from offset 2 s np down to s np (ascending s: no unmoved row is overwritten) */
    for (int s = 1; s < nb; s++) {
      memmove((float *)(void *)a->s1 + (size_t)s * (size_t)np, (float *)(void *)a->s1 + (size_t)2 * s * (size_t)np, sizeof(float) * (size_t)np);
      memmove((float *)(void *)a->s2 + (size_t)s * (size_t)np, (float *)(void *)a->s2 + (size_t)2 * s * (size_t)np, sizeof(float) * (size_t)np);
    }
  free(Q);
  free(tb);
  return 0;
}

int prc_rst_background(const prc_rst_acc *a, int window, int circular, int min_samples, float *mean, float *sd,
                       int32_t *count)
{
  return background((prc_rst_acc *)a, window, circular, min_samples, mean, sd, count, 0); /* a is only read */
}

int prc_rst_background_inplace(prc_rst_acc *a, int window, int circular, int min_samples, float **mean, float **sd,
                               int32_t **count)
{
  if (background(a, window, circular, min_samples, NULL, NULL, NULL, 1)) return 1;
  *mean = (float *)(void *)a->s1, *sd = (float *)(void *)a->s2, *count = a->n;
  return 0;
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
