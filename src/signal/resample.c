/* resample.c — Kaiser-windowed-sinc polyphase resampler (include/precursor/resample.h). */
#include "precursor/resample.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "precursor/error.h"

int prc_rational(double ratio, int maxden, int *up, int *down)
{
  if (!(ratio > 0) || !isfinite(ratio)) return prc_seterr("resampling ratio %g is not positive and finite", ratio);
  /* continued fraction convergents */
  long long p0 = 0, q0 = 1, p1 = 1, q1 = 0;
  double    x = ratio;
  for (int it = 0; it < 64; it++) {
    double    a = floor(x);
    long long p2 = (long long)a * p1 + p0, q2 = (long long)a * q1 + q0;
    if (p2 > maxden || q2 > maxden) break;
    p0 = p1, q0 = q1, p1 = p2, q1 = q2;
    if (fabs((double)p1 / (double)q1 - ratio) <= 1e-9 * ratio) {
      *up = (int)p1, *down = (int)q1;
      return 0;
    }
    if (x - a < 1e-12) break;
    x = 1.0 / (x - a);
  }
  return prc_seterr("resampling ratio %.12g is not a ratio of integers <= %d", ratio, maxden);
}

static double bessel_i0(double x)
{
  double s = 1, t = 1, q = x * x / 4;
  for (int k = 1; k < 500; k++) {
    t *= q / ((double)k * k);
    s += t;
    if (t < 1e-17 * s) break;
  }
  return s;
}

int prc_resample_design(prc_resampler *r, int up, int down, double atten_db, double tw)
{
  r->h = NULL;
  if (up < 1 || down < 1) return prc_seterr("resampling factors up=%d, down=%d must be >= 1", up, down);
  if (!(atten_db >= 20 && atten_db <= 200)) return prc_seterr("stop-band attenuation %g dB outside [20, 200]", atten_db);
  if (!(tw > 0 && tw <= 0.5)) return prc_seterr("transition width %g outside (0, 0.5]", tw);
  int a = up, b = down;
  while (b) { int t = a % b; a = b, b = t; }
  up /= a, down /= a;
  int    mr = up > down ? up : down;
  double dw = M_PI * tw / mr;
  long   N = (long)ceil((atten_db - 7.95) / (2.285 * dw)) + 1;
  if (N % 2 == 0) N++;
  if (N > 50000001) return prc_seterr("resampling filter of %ld taps is too long (up=%d, down=%d)", N, up, down);
  double beta = atten_db > 50 ? 0.1102 * (atten_db - 8.7) : atten_db >= 21 ? 0.5842 * pow(atten_db - 21, 0.4) + 0.07886 * (atten_db - 21) : 0;
  r->up = up, r->down = down, r->ntaps = (int)N, r->half = (int)(N - 1) / 2;
  r->atten_db = atten_db, r->tw = tw, r->beta = beta;
  r->cutoff_rel = (1 - tw / 2) / mr;
  r->h = malloc((size_t)N * sizeof(double));
  if (!r->h) return prc_seterr("out of memory for a %ld-tap filter", N);
  double fc = r->cutoff_rel, i0b = bessel_i0(beta), s = 0;
  for (long j = 0; j < N; j++) {
    double m = (double)(j - r->half), xx = M_PI * fc * m;
    double sinc = m == 0 ? 1.0 : sin(xx) / xx;
    double u = 2.0 * (double)j / (double)(N - 1) - 1.0;
    double w = bessel_i0(beta * sqrt(fmax(0.0, 1 - u * u))) / i0b;
    r->h[j] = fc * sinc * w;
    s += r->h[j];
  }
  for (long j = 0; j < N; j++) r->h[j] /= s;
  return 0;
}

void prc_resample_free(prc_resampler *r)
{
  free(r->h);
  r->h = NULL;
}

int64_t prc_resample_nout(const prc_resampler *r, int64_t n)
{
  return n <= 0 ? 0 : (n - 1) * r->up / r->down + 1;
}

/* y[k] for k in [k0, k1) from x[i], i in [i0, i1) (global indices; x points at x[0]). */
static void poly(const prc_resampler *r, const float *x, int64_t i0, int64_t i1, int64_t k0, int64_t k1, float *y)
{
  const int64_t up = r->up, down = r->down, N = r->ntaps;
  for (int64_t k = k0; k < k1; k++) {
    int64_t t = r->half + k * down; /* h index = t - i*up, needs 0 <= . < N */
    int64_t lo = t - N + 1 <= 0 ? 0 : (t - N + 1 + up - 1) / up, hi = t / up;
    if (lo < i0) lo = i0;
    if (hi > i1 - 1) hi = i1 - 1;
    double acc = 0;
    for (int64_t i = lo; i <= hi; i++) acc += (double)x[i] * r->h[t - i * up];
    y[k] = (float)(acc * (double)up);
  }
}

void prc_resample_apply(const prc_resampler *r, const float *x, int64_t n, float *y)
{
  poly(r, x, 0, n, 0, prc_resample_nout(r, n), y);
}

int prc_resample_apply_ref(const prc_resampler *r, const float *x, int64_t n, float *y)
{
  int64_t nu = n * r->up, nout = prc_resample_nout(r, n);
  double *u = calloc((size_t)(nu ? nu : 1), sizeof(double));
  if (!u) return prc_seterr("out of memory");
  for (int64_t i = 0; i < n; i++) u[i * r->up] = x[i];
  for (int64_t k = 0; k < nout; k++) { /* (h * u)[k*down + half] */
    int64_t m0 = k * r->down + r->half;
    double  acc = 0;
    for (int64_t j = 0; j < r->ntaps; j++) {
      int64_t m = m0 - j;
      if (m >= 0 && m < nu) acc += r->h[j] * u[m];
    }
    y[k] = (float)(acc * r->up);
  }
  free(u);
  return 0;
}

void prc_resample_gappy(const prc_resampler *r, const float *x, int64_t n, float *y)
{
  int64_t nout = prc_resample_nout(r, n), k = 0;
  for (int64_t a = 0; a < n;) {
    if (isnan(x[a])) { a++; continue; }
    int64_t b = a;
    while (b < n && !isnan(x[b])) b++;
    int64_t k0 = (a * r->up + r->down - 1) / r->down, k1 = (b - 1) * r->up / r->down + 1;
    for (; k < k0 && k < nout; k++) y[k] = NAN;
    if (k1 > nout) k1 = nout;
    poly(r, x, a, b, k0, k1, y);
    k = k1;
    a = b;
  }
  for (; k < nout; k++) y[k] = NAN;
}

void prc_resample_describe(const prc_resampler *r, double fs_in, char *buf, int len)
{
  double fs_out = fs_in * r->up / r->down, fn = fmin(fs_in, fs_out) / 2;
  snprintf(buf, (size_t)len,
           "polyphase FIR, up %d / down %d, Kaiser-windowed sinc (beta %.3f), %d taps; pass band to %.6g Hz, cut-off "
           "%.6g Hz, stop band from %.6g Hz with >= %.0f dB attenuation",
           r->up, r->down, r->beta, r->ntaps, (1 - r->tw) * fn, (1 - r->tw / 2) * fn, fn, r->atten_db);
}
